"""The revocation lab: my devices (/account), the admin (/admin), five ways to revoke a JWT, and
stale claims — every verdict from a real request the learner's browser makes.

Who may call the admin API: an admin, by session cookie (with the CSRF token, as every
cookie-authenticated change) or by bearer access token. Either way the role is read again from
the users table: a sensitive route never trusts the role a token or a session was issued with.
(The lab page acts as admin with a bearer token, so that the browser's session cookie can stay
the *victim's* device.)
"""
import functools
import time

import redis
from flask import (Blueprint, current_app, g, jsonify, redirect, render_template,
                   request, session, url_for)
from flask_babel import gettext as _

from ...core import users
from ...core.errors import ApiError, json_body, json_error, respond
from ...core.extensions import csrf
from ...core.http import no_store
from ...session import store as session_store
from ...tokens import revocation, store as token_store
from ...tokens.verify import StoreUnavailable, TokenError, verify_access
from ...tokens.views import bearer_token, invalid_token, store_unavailable
from . import devices

bp = Blueprint("revocation", __name__)
bp.after_request(no_store)  # every answer here is live per-user state
bp.register_error_handler(TokenError, invalid_token)
bp.register_error_handler(StoreUnavailable, store_unavailable)

STALE_FIX_KEY = "lab:stale-claims-fix"
STALE_FIXES = ("trust-token", "recheck", "revoke-tokens")


# --- Who is calling ------------------------------------------------------------------------

def _session_user():
    """The session's user, with the role as the users table has it now (None: anonymous)."""
    if getattr(session, "store_error", False):
        raise redis.ConnectionError("session store unavailable")
    user = session.get("user")
    return users.get(user["id"]) if isinstance(user, dict) else None


def _caller():
    """(user, via): the bearer token's user or the session's, role read from the database."""
    if request.headers.get("Authorization"):
        claims = verify_access(bearer_token())
        return users.get(claims["sub"]), "bearer"
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()  # a cookie rides along by itself: a change needs the CSRF token too
    return _session_user(), "session"


def admin_api(view):
    """JSON API for admins only: 401 anonymous, 403 `forbidden` for everyone else."""
    @functools.wraps(view)
    def wrapped(**kwargs):
        user, via = _caller()
        if user is None:
            return json_error(401, "not_logged_in", _("Log in as an administrator first."))
        if user["role"] != "admin":
            return json_error(403, "forbidden", _("Only an administrator may do this."))
        g.admin, g.admin_via = user, via
        return view(**kwargs)
    return wrapped


def account_api(view):
    """JSON API for the logged-in session user (their own devices only)."""
    @functools.wraps(view)
    def wrapped(**kwargs):
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            csrf.protect()
        g.me = _session_user()
        if g.me is None:
            return json_error(401, "not_logged_in", _("No session: log in through /session/login."))
        return view(**kwargs)
    return wrapped


def _user_or_404(username):
    record = users.by_name(username)
    if record is None:
        raise ApiError(404, "not_found", _("There is no user named %(name)s.", name=username))
    return record


def _redis():
    return current_app.extensions["lab_redis"]


# --- Pages ---------------------------------------------------------------------------------

@bp.get("/account")
def account_page():
    """My sessions and my refresh families, each with "log out this one"."""
    if _session_user() is None:
        return redirect(url_for("session_flow.login", next=request.path))
    return render_template("labs/revocation/account.html")


@bp.get("/admin")
def admin_page():
    """Every user, their live sessions and families, and what an administrator can do."""
    user = _session_user()
    if user is None:
        return redirect(url_for("session_flow.login", next=request.path))
    if user["role"] != "admin":
        return respond(403, "forbidden", _(
            "The admin page is for administrators, and you are logged in as %(name)s (role "
            "%(role)s). Log out and log in as admin (admin / admin123 in this lab) to see it.",
            name=user["username"], role=user["role"]))
    return render_template("labs/revocation/admin.html")


@bp.get("/labs/revocation")
def page():
    """The lab: log out everywhere, side by side in both flows, under each strategy; stale claims."""
    cfg = current_app.config
    return render_template("labs/revocation/index.html", strategies=revocation.STRATEGIES,
                           fixes=STALE_FIXES, access_ttl=cfg["ACCESS_TOKEN_TTL"],
                           leeway=cfg["JWT_LEEWAY"], demo=users.DEMO_USERS)


# --- My devices ----------------------------------------------------------------------------

@bp.get("/api/account")
@account_api
def account():
    """My live sessions (this one marked) and refresh families, read from Redis now."""
    return jsonify({"user": g.me,
                    "sessions": [devices.public_session(s, session.sid)
                                 for s in devices.sessions(g.me["id"])],
                    "families": devices.families(g.me["id"])})


@bp.post("/api/account/sessions/<handle>/logout")
@account_api
def account_logout_one(handle):
    """Log out one of my sessions (its key is deleted: that device is out on its next request)."""
    n = session_store_delete(g.me["id"], only=handle)
    if not n:
        return json_error(404, "not_found", _("No such session of yours."))
    return jsonify({"sessions_deleted": n})


@bp.post("/api/account/families/<fam>/revoke")
@account_api
def account_revoke_family(fam):
    """Revoke one of my refresh families (that device's JWT login)."""
    if fam not in {f["id"] for f in devices.families(g.me["id"])}:
        return json_error(404, "not_found", _("No such refresh family of yours."))
    token_store.revoke_family(fam)
    return jsonify({"families_revoked": 1})


@bp.post("/api/account/logout-others")
@account_api
def account_logout_others():
    """Log out everywhere else: every other session and every refresh family (but one the page
    names as its own in {"keep_family": fam})."""
    body = request.get_json(silent=True) if request.is_json else None
    keep = body.get("keep_family") if isinstance(body, dict) else None
    counts = devices.logout_everywhere(g.me["id"], keep_sid=session.sid,
                                       keep_family=keep if isinstance(keep, str) else None)
    return jsonify(counts)


def session_store_delete(user_id, only):
    return session_store.delete_for_user(_redis(), user_id, current_app.session_interface.idle,
                                         only=only)


# --- The admin -----------------------------------------------------------------------------

@bp.get("/api/admin/users")
@admin_api
def admin_users():
    """Every user with how many live sessions and refresh families they have now."""
    return jsonify({"users": [devices.summary(r) for r in users.all_users()]})


@bp.get("/api/admin/users/<username>")
@admin_api
def admin_user(username):
    """One user, their live sessions (ids masked) and refresh families."""
    record = _user_or_404(username)
    return jsonify({"user": record,
                    "sessions": [devices.public_session(s) for s in devices.sessions(record["id"])],
                    "families": devices.families(record["id"])})


@bp.post("/api/admin/users/<username>/logout-everywhere")
@admin_api
def admin_logout_everywhere(username):
    """Delete every session, revoke every refresh family; access tokens follow the strategy."""
    record = _user_or_404(username)
    counts = devices.logout_everywhere(record["id"])
    return jsonify(dict(counts, strategy=revocation.current()))


@bp.post("/api/admin/users/<username>/sessions/<handle>/logout")
@admin_api
def admin_logout_session(username, handle):
    """Force one session out (its Redis key is deleted now)."""
    record = _user_or_404(username)
    n = session_store_delete(record["id"], only=handle)
    if not n:
        return json_error(404, "not_found", _("No such session."))
    return jsonify({"sessions_deleted": n})


@bp.post("/api/admin/users/<username>/role")
@admin_api
def admin_role(username):
    """Change a user's role: the users table and their live sessions now; tokens per the fix."""
    record = _user_or_404(username)
    role = json_body("role")["role"]
    if role not in users.ROLES:
        return json_error(400, "invalid_request",
                          _("role must be one of: %(roles)s.", roles=", ".join(users.ROLES)))
    updated = devices.set_role(record, role)
    answer = {"user": users.by_name(username), "sessions_updated": updated,
              "stale_fix": stale_fix(), "tokens_revoked": False}
    if stale_fix() == "revoke-tokens":
        # The fix for stale claims that costs nothing per request: kill the tokens that carry
        # the old role (their families too), so the next token is issued with the new one.
        answer.update(devices.revoke_tokens(record["id"]), tokens_revoked=True)
    return jsonify(answer)


@bp.post("/api/admin/users/<username>/disable")
@admin_api
def admin_disable(username):
    """Disable (or enable) an account; disabling also ends all its sessions and families."""
    record = _user_or_404(username)
    body = request.get_json(silent=True) if request.is_json else None
    flag = body.get("disabled") if isinstance(body, dict) else None
    if not isinstance(flag, bool):
        return json_error(400, "invalid_request", _("disabled must be true or false."))
    if flag and record["id"] == g.admin["id"]:
        return json_error(400, "invalid_request", _("You cannot disable your own account."))
    users.set_disabled(username, flag)
    counts = devices.logout_everywhere(record["id"]) if flag else {}
    return jsonify(dict({"user": users.by_name(username)}, **counts))


@bp.route("/api/admin/revocation-strategy", methods=["GET", "POST"])
@admin_api
def admin_strategy():
    """Read or switch the access-token revocation strategy (every process follows)."""
    if request.method == "POST":
        strategy = json_body("strategy")["strategy"]
        if strategy not in revocation.STRATEGIES:
            return json_error(400, "invalid_request",
                              _("strategy must be one of: %(names)s.",
                                names=", ".join(revocation.STRATEGIES)))
        revocation.choose(strategy)
    return jsonify({"strategy": revocation.current(), "strategies": list(revocation.STRATEGIES)})


@bp.route("/api/admin/stale-claims", methods=["GET", "POST"])
@admin_api
def admin_stale_fix():
    """Read or switch how the admin-only API treats the role claim (the stale-claims fixes)."""
    if request.method == "POST":
        fix = json_body("fix")["fix"]
        if fix not in STALE_FIXES:
            return json_error(400, "invalid_request",
                              _("fix must be one of: %(names)s.", names=", ".join(STALE_FIXES)))
        _redis().set(STALE_FIX_KEY, fix)
    return jsonify({"fix": stale_fix(), "fixes": list(STALE_FIXES)})


@bp.post("/api/admin/lab-reset")
@admin_api
def admin_reset():
    """Put this lab back: demo users' roles and accounts, the strategy, the stale-claims fix.
    Other labs' state and every login are left alone. (The same as its two guides' resets,
    POST /api/guide/revocation/reset and /api/guide/stale-claims/reset, from loopback.)"""
    from .guide import reset_revocation, reset_stale_claims

    reset_stale_claims()
    reset_revocation()
    return jsonify({"strategy": revocation.current(), "fix": stale_fix()})


# --- What the lab page reads ------------------------------------------------------------------

def stale_fix():
    value = _redis().get(STALE_FIX_KEY)
    value = value.decode() if isinstance(value, bytes) else value
    return value if value in STALE_FIXES else "trust-token"


@bp.get("/api/lab/revocation")
def lab_state():
    """The strategy and fix in force, and (given a token's sub, jti and fam, which any holder can
    decode) every key each strategy keeps for that token: exists, TTL, bytes in Redis."""
    sub, jti, fam = (request.args.get(k, "") for k in ("sub", "jti", "fam"))
    answer = {"strategy": revocation.current(), "fix": stale_fix(),
              "access_ttl": current_app.config["ACCESS_TOKEN_TTL"],
              "leeway": current_app.config["JWT_LEEWAY"], "keys": []}
    if sub.isdigit() and _hex32(jti) and _hex32(fam):
        keys = {"denylist": [token_store.deny_key(jti, fam), token_store.revoked_key(fam)],
                "valid-after": [revocation.valid_after_key(sub)],
                "user-key": [revocation.key_version_key(sub)],
                "introspection": [revocation.active_key(jti)]}
        client = _redis()
        flat = [(s, k) for s, ks in keys.items() for k in ks]
        with client.pipeline(transaction=False) as pipe:
            for _s, key in flat:
                pipe.ttl(key)
                pipe.memory_usage(key)
                pipe.get(key)
            found = pipe.execute()
        for i, (strategy, key) in enumerate(flat):
            ttl, memory, value = found[3 * i: 3 * i + 3]
            answer["keys"].append({
                "strategy": strategy, "key": key, "exists": ttl != -2,
                "ttl": ttl if ttl >= 0 else None, "memory_bytes": memory or 0,
                "value": value.decode("utf-8", "replace") if value is not None else None})
    return jsonify(answer)


def _hex32(value):
    return len(value) == 32 and all(c in "0123456789abcdef" for c in value)


@bp.get("/api/jwt/admin-only")
def admin_only():
    """A bearer-protected admin answer that trusts the token's `role` claim, as stateless APIs
    do (unless the lab's stale-claims fix says to re-read the role from the database)."""
    claims = verify_access(bearer_token())
    fix = stale_fix()
    if fix == "recheck":
        user = users.get(claims["sub"])
        role, source = (user["role"] if user else None), "database"
    else:
        role, source = claims.get("role"), "token"
    facts = {"role": role, "role_from": source, "fix": fix, "iat": claims["iat"],
             "exp": claims["exp"], "seconds_left": max(0, int(claims["exp"] - time.time()))}
    if role != "admin":
        return jsonify(dict(facts, error="forbidden",
                            message=_("Only an administrator may see this."))), 403
    if source == "token":
        message = _("Admin-only answer: the server took the role \"admin\" from the token's "
                    "own claim, without asking the database.")
    else:
        message = _("Admin-only answer: the server read the role \"admin\" from the database.")
    return jsonify(dict(facts, ok=True, message=message))
