"""The session flow's guided steps (rendered on /session/login and /session/): log in, look at
what is sent and kept, find the session among your devices, log out, and the next request
refused. Each step is credited from the server's own answer (auth/labs/guide/)."""
from flask_babel import lazy_gettext as _l

from ..core.feature import Done, Guide, Step

GUIDE = Guide(
    lab="session",
    title=_l("Session flow"),
    steps=[
        Step(id="login", title=_l("Log in with the form"),
             will=_l("What will happen: the form posts a username and password with its CSRF "
                     "token. The server checks the password, writes the user into a new Redis key "
                     "and answers 303 with a Set-Cookie holding only a random id."),
             why=_l("Why: the id is only a reference. The user's data stays on the server, and "
                    "the browser sends the id back by itself on every request."),
             hint=_l("Hint: Use alice / alice123 in the form on /session/login."),
             done=[Done("session_flow.login", "POST", (200, 303))]),
        Step(id="me", title=_l("Send the cookie and read back what the server keeps"),
             will=_l("What will happen: the page calls GET /api/session/me. The browser adds the "
                     "cookie by itself; the server looks the id up in Redis and answers who you "
                     "are, with the key's TTL and size."),
             why=_l("Why: the server looks the id up on every request: in Redis, or in this "
                    "process's copy of the key, which Redis keeps true (the trace says which). "
                    "That lookup is what lets it end a session at once."),
             hint=_l("Hint: Log in first: without a session the answer is 401. The wire panel "
                     "shows the Cookie header that was sent."),
             done=[Done("session_flow.me", "GET", (200,))]),
        Step(id="devices", title=_l("Find this session among your devices"),
             will=_l("What will happen: the page asks GET /api/account for your live sessions and "
                     "refresh families, read from Redis through your per-user index."),
             why=_l("Why: because the server keeps every session, it can list them and end any "
                    "one of them. A stateless token cannot be listed like this."),
             hint=_l("Hint: Open /account (My devices) while logged in."),
             done=[Done("revocation.account", "GET", (200,))]),
        Step(id="logout", title=_l("Log out"),
             will=_l("What will happen: POST /session/logout deletes the Redis key and clears "
                     "the cookie."),
             why=_l("Why: deleting the key is the whole logout. A copy of the old cookie now "
                    "names nothing."),
             hint=_l("Hint: Press “Log out (delete the key)” on the session page."),
             done=[Done("session_flow.logout", "POST", (200, 303))]),
        Step(id="refused", title=_l("The next request is refused"),
             will=_l("What will happen: the page calls GET /api/session/me again, after the "
                     "logout."),
             why=_l("Why: the server looked the id up and found no key, so it answers 401 at "
                    "once: a session ends on the very next request."),
             hint=_l("Hint: Log out first, then call /api/session/me (the compare page also "
                     "replays the old cookie itself)."),
             done=[Done("session_flow.me", "GET", (401,), after="logout")]),
    ],
)
