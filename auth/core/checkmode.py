"""How a request's credential is checked: every time from Redis, or from this process's view.

  ask-redis   the session is one GETEX per request; an access token's signature is verified
              and its revocation asked of Redis on every request (one round trip each)
  local-view  the session and revocation keys come from this process's copy, which Redis keeps
              true (auth/core/tracking.py); a token's verified claims are reused until its exp
              (auth/tokens/verify.py). A check is then a dictionary lookup, and revocation is
              still immediate on every node: Redis tells each process the moment a key changes.

The choice is shared by every process through Redis (`lab:check-mode`, itself a tracked key, so a
switch reaches every node at once); the default is AUTH_CHECK_MODE. Without a link (Redis Cluster
or Sentinel, or the link is down right now) every check asks Redis: the view fails closed.
"""
import redis
from flask import current_app
from flask.globals import _cv_request

from . import tracking

MODES = ("local-view", "ask-redis")
MODE_KEY = "lab:check-mode"


def init_app(app, client, prefixes):
    """Start this process's tracked view of the keys under `prefixes` (None where unusable)."""
    view = app.extensions["lab_view"] = tracking.for_client(client, (*prefixes, MODE_KEY))
    if view is not None:  # read the shared mode now, so that no request has to
        ticket = view.begin()
        try:
            raw = client.get(MODE_KEY)
        except Exception:  # Redis away at start: the first request will read it
            return
        view.put(ticket, MODE_KEY, tracking.ABSENT if raw is None else raw)


def view():
    """The tracked view when the mode is local-view and its link is up now, else None.
    Decided once per request (the session and the token check both ask)."""
    ctx = _cv_request.get(None)  # (one lookup instead of has_request_context() + request)
    environ = ctx.request.environ if ctx is not None else {}
    try:
        return environ["lab.view"]
    except KeyError:
        pass
    found = current_app.extensions.get("lab_view")
    mode = environ.get("lab.check_mode")  # the cost lab's in-process probes measure both
    # The one drain of this request's lookups: every change Redis announced before this moment
    # is applied now; the session or token lookups that follow read the view without a syscall.
    if found is None or not found.sync():
        found = None
    elif (mode or current(synced=True)) != "local-view":
        found = None
    environ["lab.view"] = found
    return found


def current(synced=False):
    """The mode in force (what the cost lab shows and switches)."""
    found = current_app.extensions.get("lab_view")
    default = current_app.config["AUTH_CHECK_MODE"]
    if found is None:
        return default
    hit, raw = found.get(MODE_KEY, drain=not synced)
    if not hit:
        ticket = found.begin()
        if ticket is None:  # no link: nothing can come from the view anyway
            return default
        try:
            raw = current_app.extensions["lab_redis"].get(MODE_KEY)
        except redis.RedisError:  # the check that follows will meet (and report) the outage
            return default
        found.put(ticket, MODE_KEY, tracking.ABSENT if raw is None else raw)
    if raw is tracking.ABSENT or raw is None:
        return default
    value = raw.decode() if isinstance(raw, bytes) else raw
    return value if value in MODES else default


def choose(mode):
    """Switch every process (the write is itself what tells them)."""
    if mode not in MODES:
        raise ValueError(mode)
    current_app.extensions["lab_redis"].set(MODE_KEY, mode)
    found = current_app.extensions.get("lab_view")
    if found is not None:
        found.forget(MODE_KEY)


def reset():
    current_app.extensions["lab_redis"].delete(MODE_KEY)
    found = current_app.extensions.get("lab_view")
    if found is not None:
        found.forget(MODE_KEY)
