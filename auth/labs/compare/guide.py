"""The compare page's guided steps: one user in both flows, then a logout and a replay in each,
credited from the server's record of each request (the flows' own endpoints)."""
from flask import current_app, request
from flask_babel import lazy_gettext as _l

from ...tokens import store as token_store

from ..guide import Guide, Step, done_when as _done, token_claims


def _has_cookie(*_args):
    return bool(request.cookies.get(current_app.config["SESSION_COOKIE_NAME"]))


def _bearer():
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _live_bearer(*_args):
    """A bearer token that was not logged out (the replay of one is the last step's)."""
    return bool(_bearer()) and not _logged_out_bearer()


def _logged_out_bearer(*_args):
    """The bearer token of this request was logged out: its jti is on the denylist (logout
    writes it under every revocation strategy)."""
    claims = token_claims(_bearer())
    jti, fam = claims.get("jti"), claims.get("fam")
    return bool(jti and fam) and current_app.extensions["lab_redis"].exists(
        token_store.deny_key(jti, fam)) == 1


GUIDE = Guide(
    lab="compare",
    title=_l("Compare"),
    steps=[
        Step(id="login-both",
             title=_l("Log in to both flows"),
             will=_l("What will happen: alice logs in twice. The session flow (POST "
                     "/session/login with the CSRF token): the server stores a session in Redis "
                     "and sets an HttpOnly cookie. The JWT flow (POST /api/jwt/login): the server "
                     "signs two tokens and hands them to this page."),
             why=_l("Why: look at what the browser got. An opaque id in a cookie this page cannot "
                    "read, or tokens whose claims anyone can read. The rows “Browser holds” and "
                    "“Server keeps” are filled from these answers."),
             hint=_l("Hint: the form at the top logs in to both flows at once."),
             done=[_done("session_flow.login", "POST", (200, 303)),
                   _done("jwt_flow.login", "POST", (200,))]),
        Step(id="me-both",
             title=_l("Both flows answer “who am I?”"),
             will=_l("What will happen: GET /api/session/me with the cookie, and GET /api/jwt/me "
                     "with the token in the Authorization header."),
             why=_l("Why: the session is looked up in Redis on every request; the token is "
                    "checked by its signature, plus one small Redis lookup for revocation. "
                    "Compare the row “Per request, the server did”."),
             hint=_l("Hint: press “Call now” in each column."),
             done=[_done("session_flow.me", "GET", (200,), when=_has_cookie, after="login-both"),
                   _done("jwt_flow.me", "GET", (200,), when=_live_bearer, after="login-both")]),
        Step(id="session-logout",
             title=_l("Log out of the session"),
             will=_l("What will happen: POST /session/logout. The server deletes the session's "
                     "key in Redis and tells the browser to drop the cookie. The page keeps the "
                     "old id, only for the replay."),
             why=_l("Why: the session lives on the server, so logging out deletes it there: the "
                    "id the browser held no longer means anything."),
             hint=_l("Hint: “Log out session”, in the row “After logout”."),
             done=[_done("session_flow.logout", "POST", (200, 303))]),
        Step(id="session-replay",
             title=_l("Replay the dead session id"),
             will=_l("What will happen: the page writes the old id back into the cookie and "
                     "calls GET /api/session/me with it."),
             why=_l("Why: the server answers 401, because the id no longer names anything in "
                    "Redis. Ending a session is one DEL on the server."),
             hint=_l("Hint: “Replay the old cookie”, right after logging out."),
             done=[_done("session_flow.me", "GET", (401,), when=_has_cookie,
                        after="session-logout")]),
        Step(id="jwt-logout",
             title=_l("Log out of the JWT flow"),
             will=_l("What will happen: POST /api/jwt/logout with the access token. A token "
                     "cannot be changed or deleted, so the server writes its jti to a denylist "
                     "in Redis until it would have expired, and revokes its refresh family."),
             why=_l("Why: a signed token stays valid by itself until its exp. Logging it out "
                    "needs state on the server after all: the denylist."),
             hint=_l("Hint: “Log out JWT”, in the row “After logout”."),
             done=[_done("jwt_flow.logout", "POST", (200,))]),
        Step(id="jwt-replay",
             title=_l("Replay the logged-out token"),
             will=_l("What will happen: the page sends the old access token to GET /api/jwt/me "
                     "again."),
             why=_l("Why: its signature is still valid; only the denylist entry makes the server "
                    "refuse it (401, revoked). Under the revocation strategy \"none\" the same "
                    "replay is accepted until exp: see the revocation lab."),
             hint=_l("Hint: “Replay the old token”, right after logging out."),
             done=[_done("jwt_flow.me", "GET", (401,), when=_logged_out_bearer,
                         after="jwt-logout")]),
    ],
)
