"""A user's devices across both flows, and taking them away: what /account, /admin and the
revocation lab share. Everything is read live from Redis through the per-user indexes the two
stores keep (auth/session/store.py, auth/tokens/store.py): nothing here SCANs the keyspace."""
from flask import current_app

from ...core import users
from ...session import store as session_store
from ...tokens import revocation, store as token_store


def _redis():
    return current_app.extensions["lab_redis"]


def _idle():
    return current_app.session_interface.idle


def sessions(user_id):
    return session_store.for_user(_redis(), user_id, _idle())


def families(user_id):
    return token_store.families_for(str(user_id))


def summary(record):
    """One row of the admin's user list."""
    return {"username": record["username"], "role": record["role"],
            "disabled": record["disabled"], "sessions": len(sessions(record["id"])),
            "families": len(families(record["id"]))}


def public_session(s, current_sid=None):
    """A session as a page may see it: the id masked, a handle to act on it, never the id."""
    return {"id": s["id"], "handle": s["handle"], "created": s["created"],
            "last_seen": s["last_seen"], "ttl": s["ttl"], "user_agent": s["user_agent"],
            "current": s["sid"] == current_sid}


def logout_everywhere(user_id, keep_sid=None, keep_family=None):
    """End every session and refresh family of a user (but the kept ones), and revoke their
    access tokens under every strategy but `none`. Returns the counts."""
    deleted = session_store.delete_for_user(_redis(), user_id, _idle(), keep=keep_sid)
    revoked = token_store.revoke_user_families(str(user_id), keep=keep_family)
    if keep_family is None:
        revocation.revoke_user(str(user_id))
    return {"sessions_deleted": deleted, "families_revoked": revoked}


def revoke_tokens(user_id):
    """Revoke the user's refresh families and access tokens, leaving their sessions alone."""
    revoked = token_store.revoke_user_families(str(user_id))
    revocation.revoke_user(str(user_id))
    return {"families_revoked": revoked}


def set_role(record, role):
    """Change the role in the users table and in the user's live sessions (not in tokens)."""
    users.set_role(record["username"], role)
    user = {"id": record["id"], "username": record["username"], "role": role}
    return session_store.update_user(_redis(), record["id"], user, _idle())
