"""The JWT flow's guided steps (rendered on /jwt/): log in, send the access token, rotate the
refresh token, log out, and the old access token after the logout. Each step is credited from
the server's own answer (auth/labs/guide/)."""
from flask_babel import lazy_gettext as _l

from ..core.feature import Done, Guide, Step
from . import revocation


def _refused_as_the_strategy_says(request, response):
    """After a logout the old access token is refused (401) under every revocation strategy
    but `none`, which keeps no state and so still accepts it (200) until it expires."""
    if response.status_code not in (200, 401):
        return None
    expected = 200 if revocation.current() == "none" else 401
    return response.status_code == expected


GUIDE = Guide(
    lab="jwt",
    title=_l("JWT flow"),
    steps=[
        Step(id="login", title=_l("Log in with fetch()"),
             will=_l("What will happen: the page posts the username and password as JSON to "
                     "/api/jwt/login. The server answers with two signed tokens in the body, and "
                     "sets no cookie."),
             why=_l("Why: the access token carries the claims itself, signed. Keeping it is now "
                    "the page's job: memory, sessionStorage or localStorage."),
             hint=_l("Hint: Use alice / alice123 in the JSON login form."),
             done=[Done("jwt_flow.login", "POST", (200,))]),
        Step(id="me", title=_l("Send the access token"),
             will=_l("What will happen: the page calls GET /api/jwt/me with Authorization: "
                     "Bearer and the access token. The server checks the signature and the "
                     "claims, "
                     "with no session lookup."),
             why=_l("Why: the browser never adds this header by itself; the page's script must. "
                    "That is why a forged cross-site request carries no credential."),
             hint=_l("Hint: Log in first, then press “Call /api/jwt/me”."),
             done=[Done("jwt_flow.me", "GET", (200,))]),
        Step(id="refresh", title=_l("Rotate the refresh token"),
             will=_l("What will happen: the page posts the refresh token to /api/jwt/refresh and "
                     "gets a new access token and a new refresh token; the old refresh token is "
                     "used up."),
             why=_l("Why: access tokens are kept short; the refresh token gets new ones. Rotation "
                    "lets the server notice a stolen refresh token when the old one comes back."),
             hint=_l("Hint: Press “Refresh (rotate)”."),
             done=[Done("jwt_flow.refresh", "POST", (200,))]),
        Step(id="logout", title=_l("Log out"),
             will=_l("What will happen: POST /api/jwt/logout with the access token and the "
                     "refresh "
                     "token. The server revokes the refresh family and writes the revocation "
                     "markers for the access token."),
             why=_l("Why: the server cannot delete a token the browser holds: it can only "
                    "remember to refuse it."),
             hint=_l("Hint: Press “Log out”."),
             done=[Done("jwt_flow.logout", "POST", (200,))]),
        Step(id="refused", title=_l("The old access token after the logout"),
             will=_l("What will happen: the page sends the access token it held before the logout "
                     "to GET /api/jwt/me once more."),
             why=_l("Why: with a revocation strategy the server finds the token's marker in Redis "
                    "and answers 401. Under none it keeps no state, so it still answers 200 until "
                    "the token expires: the window the revocation lab measures."),
             hint=_l("Hint: Only “Show me” still has the old token: the page forgets it at the "
                     "logout."),
             done=[Done("jwt_flow.me", "GET", (200, 401), check=_refused_as_the_strategy_says,
                        after="logout",
                        expect=_l("what the revocation strategy says: 401, or 200 under none"))]),
    ],
)
