"""The revocation lab's guided steps, credited from the server's own answers (auth/labs/guide/):

- `revocation` (log out everywhere): alice logs in to both flows, the administrator logs her out
  everywhere, and her very next call in each flow — the session refused at once, the JWT
  refused or still accepted as the revocation strategy in force says;
- `stale-claims` (a role change): bob is promoted and logs in, is demoted, and his next calls —
  the session shows the new role, the admin-only API does what the stale-claims fix says.

Each guide's reset() puts that part's shared state back (POST /api/admin/lab-reset does both).
"""
from flask import g
from flask_babel import lazy_gettext as _l

from ...core import users
from ...tokens import revocation
from ..guide import Done, Guide, Step, token_claims
from . import devices


def _login_name(request):
    """The username a login request was for (the form or the JSON body), lower-cased."""
    name = request.form.get("username") if request.form else None
    if name is None:
        body = request.get_json(silent=True)
        name = body.get("username") if isinstance(body, dict) else None
    return name.strip().lower() if isinstance(name, str) else None


def login_of(username):
    """A login of `username` counts; anyone else's is not this step's business."""
    def check(request, response):
        return True if _login_name(request) == username else None
    return check


def _role_change(username, role):
    def check(request, response):
        body = request.get_json(silent=True)
        wanted = body.get("role") if isinstance(body, dict) else None
        if (request.view_args or {}).get("username") != username or wanted != role:
            return None
        return True
    return check


def _logout_everywhere_alice(request, response):
    return True if (request.view_args or {}).get("username") == "alice" else None


def _session_user():
    user = getattr(g, "user", None)
    return user if isinstance(user, dict) else None


def _session_not_someone_else(request, response):
    """alice's next session call: nobody's (the key is gone) or hers; bob's is another step's."""
    user = _session_user()
    return None if user and user.get("username") != "alice" else True


def _jwt_next(request, response):
    """alice's next JWT call: refused (401) under every strategy but none, which still accepts
    it (200) until it expires."""
    if response.status_code == 200:
        body = response.get_json(silent=True) or {}
        if (body.get("user") or {}).get("username") != "alice":
            return None
    expected = 200 if revocation.current() == "none" else 401
    return response.status_code == expected


def _bob_token_is_admin(request, response):
    if _login_name(request) != "bob":
        return None
    if response.status_code != 200:
        return False
    token = (response.get_json(silent=True) or {}).get("access_token", "")
    return token_claims(token).get("role") == "admin"  # the token this response issued


def _bob_session_shows_user(request, response):
    user = _session_user()
    if not user or user.get("username") != "bob":
        return None
    return user.get("role") == "user"


def _stale_as_the_fix_says(request, response):
    """trust-token: the old admin claim is still believed (200); with a fix it is not (403, or
    401 when the tokens were revoked)."""
    from .views import stale_fix

    if stale_fix() == "trust-token":
        return response.status_code == 200
    return response.status_code in (401, 403)


def reset_revocation():
    """The strategy back to the configured one, and the demo accounts enabled again."""
    for name, _password, _role in users.DEMO_USERS:
        if users.by_name(name):
            users.set_disabled(name, False)
    revocation.reset()


def reset_stale_claims():
    """The demo users' roles back (their live sessions too), and the stale-claims fix off."""
    from .views import STALE_FIX_KEY, _redis

    for name, _password, role in users.DEMO_USERS:
        if users.by_name(name):
            users.set_role(name, role)
            devices.set_role(users.by_name(name), role)
    _redis().delete(STALE_FIX_KEY)


GUIDE = Guide(
    lab="revocation",
    title=_l("Revocation"),
    reset=reset_revocation,
    steps=[
        Step(id="login", title=_l("alice logs in to both flows"),
             will=_l("What will happen: alice logs in to both flows on this page. This page "
                     "is now alice's laptop: her session cookie in the browser, her tokens in a "
                     "variable."),
             why=_l("Why: two credentials for one user. The session cookie names a Redis key; the "
                    "access token is a signed copy of alice's claims that needs no lookup."),
             hint=_l("Hint: The session login needs this browser's CSRF token (GET "
                     "/session/csrf); the JWT login is a JSON POST to /api/jwt/login. "
                     "alice / alice123."),
             done=[Done("session_flow.login", "POST", (200, 303), check=login_of("alice"),
                        expect=_l("alice's login")),
                   Done("jwt_flow.login", "POST", (200,), check=login_of("alice"),
                        expect=_l("alice's login"))]),
        Step(id="revoke", title=_l("The administrator logs alice out everywhere"),
             will=_l("What will happen: the administrator's device sends POST "
                     "/api/admin/users/alice/logout-everywhere. The server deletes alice's "
                     "sessions, revokes her refresh families and writes the revocation markers."),
             why=_l("Why: the server can only act on what it keeps: her session keys, her refresh "
                    "families, and the markers the strategy checks. The access token in alice's "
                    "hands is not touched."),
             hint=_l("Hint: Log in as admin in step 1 first: the call needs an administrator's "
                     "token."),
             done=[Done("revocation.admin_logout_everywhere", "POST", (200,),
                        check=_logout_everywhere_alice)]),
        Step(id="next", title=_l("alice's very next call, in each flow"),
             will=_l("What will happen: alice's laptop makes its very next call in each flow, "
                     "with "
                     "the cookie and the access token it still holds."),
             why=_l("Why: the session is refused at once because its key is gone. The JWT is "
                    "refused only if the server keeps some state and checks it on every request; "
                    "under none it is accepted until it expires."),
             hint=_l("Hint: Call GET /api/session/me with the cookie and GET /api/jwt/me with "
                     "alice's old access token, after step 2."),
             done=[Done("session_flow.me", "GET", (401,), check=_session_not_someone_else,
                        after="revoke"),
                   Done("jwt_flow.me", "GET", (200, 401), check=_jwt_next, after="revoke",
                        expect=_l("what the strategy says: 401, or 200 under none"))]),
    ],
)

STALE_GUIDE = Guide(
    lab="stale-claims",
    title=_l("Stale claims"),
    reset=reset_stale_claims,
    steps=[
        Step(id="promote", title=_l("bob becomes an admin and logs in"),
             will=_l("What will happen: the administrator makes bob an admin, then bob logs in to "
                     "both flows on this page (now bob's phone). His access token says role: "
                     "admin."),
             why=_l("Why: the token copies the role at the moment it is issued, and carries it "
                    "until it expires."),
             hint=_l("Hint: POST /api/admin/users/bob/role with {\"role\": \"admin\"}, then "
                     "log bob in (bob / bob123)."),
             done=[Done("revocation.admin_role", "POST", (200,),
                        check=_role_change("bob", "admin")),
                   Done("session_flow.login", "POST", (200, 303), check=login_of("bob")),
                   Done("jwt_flow.login", "POST", (200,), check=_bob_token_is_admin,
                        expect=_l("a token with role: admin"))]),
        Step(id="demote", title=_l("bob is demoted while logged in"),
             will=_l("What will happen: the administrator sets bob's role back to user, while bob "
                     "is still logged in."),
             why=_l("Why: the users table and bob's live sessions change at once (they are "
                    "rewritten in place). The token in bob's hands cannot be rewritten."),
             hint=_l("Hint: POST /api/admin/users/bob/role with {\"role\": \"user\"}, after "
                     "step 1."),
             done=[Done("revocation.admin_role", "POST", (200,), check=_role_change("bob", "user"),
                        after="promote")]),
        Step(id="stale", title=_l("bob's next calls"),
             will=_l("What will happen: bob's phone asks who he is in the session flow, and calls "
                     "the admin-only API with the access token it already holds."),
             why=_l("Why: the token is a signed copy of what was true at login. Unless the route "
                    "asks the database, or the tokens were revoked on the role change, the old "
                    "role is believed until the token expires."),
             hint=_l("Hint: GET /api/session/me with bob's cookie, then GET "
                     "/api/jwt/admin-only with his old token."),
             done=[Done("session_flow.me", "GET", (200,), check=_bob_session_shows_user,
                        after="demote", expect=_l("bob's session with role user")),
                   Done("revocation.admin_only", "GET", (200, 401, 403),
                        check=_stale_as_the_fix_says, after="demote",
                        expect=_l("what the fix says: 200 under trust-token, refused with a "
                                  "fix"))]),
    ],
)
