"""In-process probes of what one request costs the server: the WSGI call timed, no network.

Shared by the live run on /cost and by `make bench` (which also measures through waitress).
"""
import io
import json
import secrets
import statistics
import time

import jwt
import redis
from flask import request
from werkzeug.test import EnvironBuilder

from ...core import users
from ...session import store as session_store
from ...tokens import (issue as token_issue, revocation, store as token_store,
                       verify as token_verify)

SCENARIOS = ("baseline", "session", "session-view", "jwt", "jwt-view", "refresh")
# How each scenario's credential is checked (auth/core/checkmode.py), whatever the shared switch
# says: set in the WSGI environ of the in-process call only (no HTTP request can set it).
MODES = {"session": "ask-redis", "jwt": "ask-redis",
         "session-view": "local-view", "jwt-view": "local-view"}
_PROBE_USER = {"id": 0, "username": "cost-probe", "role": "user"}


def prepare(app):
    """A live session and a JWT pair made directly in the store (no password hashing)."""
    with app.app_context():
        row = users.first()
        user = row or _PROBE_USER  # refresh re-reads the user's row
        iface = app.session_interface
        sid = secrets.token_urlsafe(32)
        data = iface.serializer.encode({"user": user, "_created": int(time.time())})
        app.extensions["lab_redis"].set(session_store.key(sid), data, ex=iface.idle)
        access, refresh, claims = token_issue.issue_pair(user)
        token_store.start_family(claims)
    return {"sid": sid, "access": access, "refresh": refresh if row else None,
            "fam": claims["fam"]}


def cleanup(app, fx):
    """Delete the probe session and revoke the probe's token family."""
    with app.app_context():
        app.extensions["lab_redis"].delete(session_store.key(fx["sid"]))
        token_store.revoke_family(fx["fam"])


def requests_for(app, fx):
    """Scenario name -> (method, path, headers, body) as a client would send it."""
    cookie = f"{app.config['SESSION_COOKIE_NAME']}={fx['sid']}"
    found = {
        "baseline": ("GET", "/api/baseline", {}, None),
        "session": ("GET", "/api/session/me", {"Cookie": cookie}, None),
        "jwt": ("GET", "/api/jwt/me", {"Authorization": f"Bearer {fx['access']}"}, None),
    }
    if app.extensions.get("lab_view") is not None:  # (none on Redis Cluster or Sentinel)
        found["session-view"] = found["session"]
        found["jwt-view"] = found["jwt"]
    if fx["refresh"]:
        found["refresh"] = ("POST", "/api/jwt/refresh", {"Content-Type": "application/json"},
                            json.dumps({"refresh_token": fx["refresh"]}).encode())
    return found


class Caller:
    """One scenario's request, its environ built once so only the app's own work is timed."""

    def __init__(self, app, method, path, headers, body, mode=None):
        self.app, self.body = app, body
        self.environ = EnvironBuilder(path=path, method=method, headers=headers,
                                      data=body).get_environ()
        if mode:
            self.environ["lab.check_mode"] = mode

    def __call__(self):
        """Call the app once; return (seconds, status code, body bytes)."""
        environ = dict(self.environ, **{"wsgi.input": io.BytesIO(self.body or b"")})
        if self.body is not None:
            environ["CONTENT_LENGTH"] = str(len(self.body))
        status = []
        started = time.perf_counter()
        result = self.app(environ, lambda s, h, e=None: status.append(s))
        try:
            body = b"".join(result)
        finally:
            getattr(result, "close", lambda: None)()
        return time.perf_counter() - started, int(status[0][:3]), body

    def chain_refresh(self, body):
        """A refresh token is single-use: send the next one the server just handed out."""
        token = json.loads(body).get("refresh_token")
        if token:
            self.body = json.dumps({"refresh_token": token}).encode()


def callers(app, fx):
    """Scenario name -> Caller, each scenario in its own check mode."""
    return {name: Caller(app, *spec, mode=MODES.get(name))
            for name, spec in requests_for(app, fx).items()}


def _in_mode(mode, fn):
    """fn, called in the current request context with the check mode forced to `mode`."""
    def call():
        request.environ["lab.check_mode"] = mode
        request.environ.pop("lab.view", None)
        return fn()
    return call


def summary(seconds):
    """Median and p99 in microseconds (nearest-rank p99)."""
    if not seconds:
        return {"n": 0, "median_us": None, "p99_us": None}
    ordered = sorted(seconds)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return {"n": len(ordered), "median_us": round(statistics.median(ordered) * 1e6, 1),
            "p99_us": round(p99 * 1e6, 1)}


def _interleaved(fns, n):
    """Time each function n times, round-robin, so that they all meet the same machine state
    (on a VM a Redis round trip is fast or slow depending on where the scheduler put Redis)."""
    for _ in range(max(20, n // 5)):  # warm up: the first calls after a pause are slow
        for fn in fns.values():
            fn()
    samples = {name: [] for name in fns}
    for _ in range(n):
        for name, fn in fns.items():
            started = time.perf_counter()
            fn()
            samples[name].append(time.perf_counter() - started)
    return {name: summary(s) for name, s in samples.items()}


def steps(app, fx, n=300):
    """Each step of the auth work next to its library floor (bare PyJWT decode, bare GET)."""
    cfg, signer = app.config, app.extensions["lab_keyring"].current
    # A bare client on the same connection pool: no tracing wrapper, nothing of ours. (A Redis
    # Cluster client has no single pool: there the floor is measured with the app's own client.)
    client = app.extensions["lab_redis"]
    pool = getattr(client, "connection_pool", None)
    bare = redis.Redis(connection_pool=pool) if pool is not None else client
    key = session_store.key(fx["sid"])
    cookie = f"{cfg['SESSION_COOKIE_NAME']}={fx['sid']}"
    iface = app.session_interface
    ask, local = "ask-redis", "local-view"
    with app.test_request_context("/api/session/me", headers={"Cookie": cookie}):
        fns = {
            "redis_get": lambda: bare.get(key),
            "jwt_decode": lambda: jwt.decode(fx["access"], signer.verify,
                                             algorithms=[signer.alg],
                                             audience=cfg["JWT_AUDIENCE"]),
            "verify_access": _in_mode(ask, lambda: token_verify.verify_access(fx["access"])),
            "revocation_check": lambda: token_store.is_revoked({"jti": "probe",
                                                                "fam": fx["fam"]}),
            "open_session": _in_mode(ask, lambda: iface.open_session(app, request)),
        }
        if app.extensions.get("lab_view") is not None:
            fns["verify_access_view"] = _in_mode(
                local, lambda: token_verify.verify_access(fx["access"]))
            fns["open_session_view"] = _in_mode(local, lambda: iface.open_session(app, request))
        return _interleaved(fns, n)


def strategies(app, fx, n=200):
    """Each revocation strategy's check of one access token: µs (interleaved, like the steps),
    Redis round trips (counted from the server's own trace), and the bytes in Redis of what it
    stores to refuse a token (written for a made-up user, measured with MEMORY USAGE, deleted)."""
    cfg = app.config
    signer = app.extensions["lab_keyring"].current
    claims = jwt.decode(fx["access"], signer.verify, algorithms=[signer.alg],
                        audience=cfg["JWT_AUDIENCE"])
    deny = token_store.keys_for(claims)[1:]
    view = app.extensions.get("lab_view")
    view = view if view is not None and view.up else None
    with app.test_request_context("/api/jwt/me"):
        # Each strategy twice: asking Redis every time, and from the local view.
        fns = {s: (lambda s=s: revocation.check(claims, deny, s, view=False))
               for s in revocation.STRATEGIES}
        if view is not None:
            fns.update({f"{s}@view": (lambda s=s: revocation.check(claims, deny, s, view=view))
                        for s in revocation.STRATEGIES})
        timings = _interleaved(fns, n)
        trips = {}
        for name in fns:
            request.environ["lab.trace"] = []
            fns[name]()
            trips[name] = sum(1 for step, *_rest in request.environ["lab.trace"]
                              if step.startswith("redis-"))
    client = app.extensions["lab_redis"]
    made_up = secrets.token_hex(16)
    rows = revocation.markers(f"cost-probe-{made_up}", made_up, made_up,
                              cfg["ACCESS_TOKEN_TTL"])
    sizes = {s: 0 for s in revocation.STRATEGIES}
    try:
        for strategy, key, value, ttl in rows:
            client.set(key, value, ex=ttl)
            sizes[strategy] += client.memory_usage(key) or 0
    finally:
        client.delete(*[key for _s, key, _v, _t in rows])
    return {s: dict(timings[s], round_trips=trips[s], redis_bytes=sizes[s],
                    view={"median_us": timings[f"{s}@view"]["median_us"],
                          "p99_us": timings[f"{s}@view"]["p99_us"],
                          "round_trips": trips[f"{s}@view"]} if view is not None else None)
            for s in revocation.STRATEGIES}
