"""Class progress, from the server's own records: what each student's requests actually did.

A Flask `request_finished` hook looks at each finished request (its endpoint, method, status)
and, for a student on the class roster, notes the step it completes — a session login answered
with 303, a refresh answered with a new token pair, ... — never anything a page reports about
itself. Kept in Redis: `class:students` (the roster, a hash name -> joined at) and
`class:progress:<name>` (step -> first time done).
"""
import time

import jwt
from flask import g, request, request_finished, session

from ...tokens.keys import ring

ROSTER = "class:students"

# Each step: (id, endpoint, method, statuses). Who did it is found per endpoint below.
STEPS = [
    ("session-login", "session_flow.login", "POST", (200, 303)),
    ("session-logout", "session_flow.logout", "POST", (200, 303)),
    ("jwt-login", "jwt_flow.login", "POST", (200,)),
    ("jwt-refresh", "jwt_flow.refresh", "POST", (200,)),
    ("jwt-logout", "jwt_flow.logout", "POST", (200,)),
    ("devices", "revocation.account", "GET", (200,)),
]
STEP_IDS = [s[0] for s in STEPS]


def progress_key(name):
    return f"class:progress:{name}"


def _claim(token, claim):
    """A claim of a token this very request just issued or accepted, checked again with the
    app's own key ring (never read unverified)."""
    try:
        key = ring().find(jwt.get_unverified_header(token).get("kid"))
        if key is None:
            return None
        return jwt.decode(token, key.verify, algorithms=[key.alg],
                          options={"verify_aud": False}).get(claim)
    except Exception:  # not a token of ours after all: nobody to credit
        return None


def _who(endpoint, response):
    """The username a finished, successful request acted for, from what the server handled."""
    if endpoint == "session_flow.login":
        user = session.get("user")
        return user.get("username") if isinstance(user, dict) else None
    if endpoint == "session_flow.logout":
        user = getattr(g, "user", None)
        return user.get("username") if isinstance(user, dict) else None
    if endpoint == "jwt_flow.login":
        body = request.get_json(silent=True)
        name = body.get("username") if isinstance(body, dict) else None
        return name.strip().lower() if isinstance(name, str) else None
    if endpoint == "jwt_flow.refresh":
        body = response.get_json(silent=True) or {}
        return _claim(body.get("access_token", ""), "username")
    if endpoint == "jwt_flow.logout":
        header = request.headers.get("Authorization", "")
        return _claim(header.partition(" ")[2].strip(), "username")
    if endpoint == "revocation.account":
        me = getattr(g, "me", None)
        return me.get("username") if isinstance(me, dict) else None
    return None


def record(sender, response, **_extra):
    """request_finished: note the step this request completed, for a student on the roster."""
    for step, endpoint, method, statuses in STEPS:
        if request.endpoint == endpoint and request.method == method \
                and response.status_code in statuses:
            name = _who(endpoint, response)
            if not name:
                return
            client = sender.extensions["lab_redis"]
            try:
                if client.hexists(ROSTER, name):
                    client.hsetnx(progress_key(name), step, int(time.time()))
            except Exception:  # the class view is a convenience: never fail a request for it
                sender.logger.debug("class progress not recorded", exc_info=True)
            return


def setup(app):
    request_finished.connect(record, app)
