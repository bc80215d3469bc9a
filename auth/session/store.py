"""Where the session is stored: Flask-Session's Redis interface, tightened for the lab.

Changes to the stock RedisSessionInterface, each for a reason the lab teaches:
- at most one Redis round trip per request: GETEX reads the session and slides its idle expiry
  at once; an unchanged session is never rewritten;
- with the local view (auth/core/checkmode.py, the default) not even that: the session comes from
  this process's copy, which Redis keeps true (CLIENT TRACKING), and the idle expiry is slid
  lazily, by one EXPIRE once SESSION_SLIDE_FRACTION of it has passed;
- an existing session is only overwritten while it still exists (SET XX), so a request that was
  in flight when the user logged out cannot bring the deleted session back;
- an absolute lifetime is enforced server-side, whatever the client does with its cookie;
- a cookie id the server never issued is never adopted (a fresh id is generated instead);
- the cookie is Secure whenever the request came over HTTPS;
- each user's live session ids are kept in a per-user index (a Redis set), so "my devices",
  "log out everywhere" and an admin's forced logout never SCAN the keyspace.
"""
import hashlib
import json
import logging
import re
import time
import warnings

import orjson
import redis
from flask import current_app, has_app_context, request
from flask_session.redis import RedisSessionInterface

from ..core import checkmode, trace

log = logging.getLogger(__name__)
KEY_PREFIX = "session:"
SID_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)


def key(sid):
    """The Redis key that holds session `sid` (the only place the format is written)."""
    return KEY_PREFIX + sid


def index_key(user_id):
    """The set of a user's session ids (members whose session expired are pruned when read)."""
    return f"session-index:{user_id}"


def handle(sid):
    """A name for one session that a page may show and send back ("log out this one"): a digest,
    so it identifies the session without being the credential."""
    return hashlib.sha256(sid.encode()).hexdigest()[:16]


def _owner(data):
    user = data.get("user") if isinstance(data, dict) else None
    return user.get("id") if isinstance(user, dict) else None


def record_key(sid):
    """The lab's record of the response that created session `sid` (the login's 303), kept
    beside the session for RECORD_TTL seconds so the session page can show it."""
    return f"wire-record:{sid}"


RECORD_TTL = 600


def keep_record(client, sid, record):
    client.set(record_key(sid), json.dumps(record, separators=(",", ":")), ex=RECORD_TTL)


def read_record(client, sid):
    raw = client.get(record_key(sid))
    try:
        record = json.loads(raw) if raw else None
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def masked_key(sid):
    """The key as a page may show it: the id part masked, so a projected screen leaks nothing."""
    return KEY_PREFIX + trace.mask(sid)


def _decode(raw):
    """JSON only. (Flask-Session's decoder falls back to pickle, which must never see store data.)"""
    try:
        data = orjson.loads(raw)  # (the same JSON as json.loads, a few µs less per request)
    except ValueError:
        try:
            data = json.loads(raw)  # what orjson refuses and Python reads (a huge integer)
        except ValueError:
            return None
    return data if isinstance(data, dict) and isinstance(data.get("_created", 0), int) else None


class LabSessionInterface(RedisSessionInterface):
    """Flask-Session on Redis, JSON-serialised, with idle and absolute expiry."""

    def __init__(self, app, client):
        with warnings.catch_warnings():
            # Flask-Session takes only a redis.Redis and would put a localhost client in place
            # of a RedisCluster (REDIS_URL=redis+cluster://): ours is set right after.
            warnings.filterwarnings("ignore", "No valid Redis instance", RuntimeWarning)
            super().__init__(app, client=client, key_prefix=KEY_PREFIX, sid_length=32,
                             serialization_format="json", permanent=False)
        self.client = client
        self.idle = int(app.config["SESSION_LIFETIME"])
        self.absolute = int(app.config["SESSION_ABSOLUTE_LIFETIME"])
        self.slide = float(app.config["SESSION_SLIDE_FRACTION"])
        # Requests that never need the session skip the store entirely (each feature declares
        # its own in auth/labs/__init__.py): the JWT API is stateless, and a session read there
        # would blur exactly what the lab wants to show.
        self.skip_prefixes = tuple(app.config["SESSION_SKIP_PREFIXES"])

    def cookie_flags(self, app):
        """The cookie's name and fixed attributes (the pages show them), computed once."""
        flags = getattr(self, "_cookie_flags", None)
        if flags is None:
            flags = self._cookie_flags = {
                "name": self.get_cookie_name(app), "httponly": self.get_cookie_httponly(app),
                "samesite": self.get_cookie_samesite(app), "path": self.get_cookie_path(app),
                "max_age": self.absolute}
        return flags

    def _fresh(self, **flags):
        # A skipped session is never saved, so it needs no random id (saves work per request).
        sid = "" if flags.get("skip") else self._generate_sid(self.sid_length)
        session = self.session_class(sid=sid)
        session.new = True
        session.store_bytes = 0
        session.ttl = None
        session.store_error = flags.get("store_error", False)
        session.skip = flags.get("skip", False)
        session.owner = None
        return session

    def open_session(self, app, req):
        """Load the session named by the cookie with one GETEX, or start a fresh one."""
        if req.path.startswith(self.skip_prefixes):
            return self._fresh(skip=True)
        sid = req.cookies.get(self.get_cookie_name(app))
        if not sid or not SID_RE.match(sid):
            return self._fresh()
        store_id = self._get_store_id(sid)
        try:
            view = checkmode.view()
            if view is not None:
                raw, ttl = self._read(view, store_id)
            else:
                raw, ttl = self.client.getex(store_id, ex=self.idle), self.idle
        except redis.RedisError as exc:
            # Raised here it would escape Flask's error handlers; the views answer 503 instead.
            log.warning("session store unavailable: %s", exc)
            return self._fresh(store_error=True, skip=True)
        if raw is None:
            return self._fresh()
        data = _decode(raw)
        if data is None or time.time() - data.get("_created", 0) > self.absolute:
            self.client.delete(store_id)
            forget_local(store_id)
            return self._fresh()
        session = self.session_class(data, sid=sid)
        session.new, session.store_bytes, session.ttl = False, len(raw), ttl
        session.store_error = session.skip = False
        session.owner = _owner(data)  # whose index this id is in, should the session be cleared
        return session

    def _read(self, view, store_id):
        """(bytes, TTL left) of the session from the local view, or from Redis into it; (None, _)
        if there is none.

        A view entry is (bytes, when the idle expiry was last set) and is never used past the
        moment Redis would expire the key. The expiry is slid lazily: once SESSION_SLIDE_FRACTION
        of it has passed, one EXPIRE (which also proves the key still exists); so an active user
        is never logged out for being idle, and there is no write per request.
        """
        started = time.perf_counter()
        hit, entry = view.get(store_id, drain=False)  # (checkmode.view() just drained it)
        now = time.monotonic()
        if hit:
            raw, touched = entry
            # (The page's template says "from this process's copy, no round trip".)
            trace.add("local-view", started, trace.mask_key(store_id))
            if now - touched < self.idle * self.slide:
                return raw, int(self.idle - (now - touched))
            if not self.client.expire(store_id, self.idle):  # gone meanwhile: not logged in
                view.forget(store_id)
                return None, None
            view.forget(store_id)  # (Redis will say so too: EXPIRE changed the key)
            return raw, self.idle
        ticket = view.begin()
        with self.client.pipeline(transaction=False) as pipe, trace.step(
                "redis-pipeline", f"GET + PTTL {trace.mask_key(store_id)} (into the local view)"):
            pipe.get(store_id)
            pipe.pttl(store_id)
            raw, pttl = pipe.execute()
        if raw is None or pttl is None or pttl < 0:
            return raw, (pttl // 1000 if raw is not None and pttl and pttl > 0 else None)
        remaining = pttl / 1000
        if self.idle - remaining >= self.idle * self.slide:
            if not self.client.expire(store_id, self.idle):
                return None, None
            remaining = self.idle
            ticket = view.begin()  # our own EXPIRE is a change: read state from here on
        touched = now - (self.idle - remaining)
        view.put(ticket, store_id, (raw, touched), deadline=now + remaining)
        return raw, int(remaining)

    def regenerate(self, session):
        """New id for the same data (login): delete the old key, the save writes the new one."""
        if session:
            self._forget(session.sid, getattr(session, "owner", None))
            session.sid = self._generate_sid(self.sid_length)
            session.new = True
            session.modified = True

    def _forget(self, sid, owner):
        """Delete one session and take it out of its user's index (only at login and logout,
        so two plain commands: each shows in the trace by name)."""
        self.client.delete(key(sid), record_key(sid))
        forget_local(key(sid))
        if owner is not None:
            self.client.srem(index_key(owner), sid)

    def get_cookie_secure(self, app):
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)

    def save_session(self, app, session, response):
        """Write only what changed; never resurrect a session deleted in the meantime."""
        if session.skip:
            return
        if session.accessed:
            if "Vary" in response.headers:
                response.vary.add("Cookie")
            else:  # (the common case, without HeaderSet's parse-and-rewrite)
                response.headers["Vary"] = "Cookie"
        if not session.modified and session:
            return  # the read already slid the idle expiry (or will, lazily): nothing to write
        name, domain, path = (self.get_cookie_name(app), self.get_cookie_domain(app),
                              self.get_cookie_path(app))
        store_id = self._get_store_id(session.sid)
        try:
            if not session:
                if session.modified and not session.new:  # cleared: logout
                    self._forget(session.sid, session.owner)
                    response.delete_cookie(name, domain=domain, path=path)
                return
            if not session.modified:
                return  # GETEX already slid the idle expiry: nothing to write
            owner = _owner(session)
            if session.new:
                session.setdefault("_created", int(time.time()))
                if owner is not None:  # a login: remember the device, for "my sessions"
                    session["_ua"] = request.user_agent.string[:200]
            data = self.serializer.encode(session)
            # New id: NX (never clobber); existing id: XX (only while it still exists).
            written = self.client.set(store_id, data, ex=self.idle,
                                      nx=session.new, xx=not session.new)
            forget_local(store_id)
            if written and session.new and owner is not None:
                with self.client.pipeline(transaction=False) as pipe, trace.step(
                        "redis-pipeline", "SADD + EXPIRE session-index (the user's sessions)"):
                    pipe.sadd(index_key(owner), session.sid)
                    pipe.expire(index_key(owner), self.absolute)
                    pipe.execute()
        except redis.RedisError as exc:
            # The page was built on a session we could not keep (a login, a CSRF token): say so
            # rather than hand out a form or a cookie that cannot work.
            log.warning("session not saved, store unavailable: %s", exc)
            _replace_with_503(response)
            return
        if not written:
            response.delete_cookie(name, domain=domain, path=path)
            return
        session.store_bytes = len(data)
        if session.new:
            response.set_cookie(name, session.sid,
                                max_age=self.absolute, httponly=self.get_cookie_httponly(app),
                                domain=domain, path=path, secure=self.get_cookie_secure(app),
                                samesite=self.get_cookie_samesite(app))


def _replace_with_503(response):
    from ..core.errors import respond

    error = respond(503, "store_unavailable", headers={"Retry-After": "5"})
    response.set_data(error.get_data())
    response.status_code = 503
    response.headers.pop("Location", None)
    for name in ("Content-Type", "Retry-After"):
        response.headers[name] = error.headers[name]


def describe(client, sid):
    """Read back, live from Redis, what the store holds for this session id (for the pages)."""
    name = key(sid)
    with client.pipeline(transaction=False) as pipe, trace.step("redis-pipeline",
                                                                "GET + TTL session key"):
        pipe.get(name)
        pipe.ttl(name)
        raw, ttl = pipe.execute()
    return {"key": name, "masked_key": masked_key(sid), "ttl": ttl,
            "bytes": len(raw) if raw else 0,
            "value": raw.decode("utf-8", "replace") if raw else None}


# --- A user's sessions, through the per-user index (the account page and the admin) ------------

def for_user(client, user_id, idle):
    """Every live session of a user, read from Redis now; index members whose key has expired
    are pruned. `last_seen` is exact without ever writing it: every request slides the key's
    TTL back to the idle timeout, so the last request was (idle - TTL) seconds ago."""
    sids = sorted(s.decode() for s in client.smembers(index_key(user_id)))
    if not sids:
        return []
    with client.pipeline(transaction=False) as pipe:
        for sid in sids:
            pipe.get(key(sid))
            pipe.ttl(key(sid))
        answers = pipe.execute()
    now, live, dead = int(time.time()), [], []
    for i, sid in enumerate(sids):
        raw, ttl = answers[2 * i], answers[2 * i + 1]
        data = _decode(raw) if raw else None
        if data is None or _owner(data) != user_id:
            dead.append(sid)
            continue
        live.append({"sid": sid, "id": trace.mask(sid), "handle": handle(sid),
                     "created": data.get("_created", 0),
                     "last_seen": now - (idle - ttl) if ttl >= 0 else None,
                     "ttl": ttl, "bytes": len(raw), "user_agent": data.get("_ua", "")})
    if dead:
        client.srem(index_key(user_id), *dead)
    return sorted(live, key=lambda s: s["created"])


def delete_for_user(client, user_id, idle, keep=None, only=None):
    """Delete a user's sessions (all, all but `keep`, or the one whose handle is `only`).

    Returns how many were deleted: each DEL ends that session on its very next request.
    """
    doomed = [s["sid"] for s in for_user(client, user_id, idle)
              if s["sid"] != keep and (only is None or s["handle"] == only)]
    if doomed:
        with client.pipeline(transaction=False) as pipe:
            for sid in doomed:  # one DEL each: a cluster pipeline splits them by node
                pipe.delete(key(sid))
            pipe.srem(index_key(user_id), *doomed)
            pipe.execute()
        forget_local(*(key(sid) for sid in doomed))
    return len(doomed)


def forget_local(*keys):
    """Drop keys this process just changed from its tracked view at once (Redis also says so,
    on the tracking link; this makes the next request here independent of that message)."""
    view = current_app.extensions.get("lab_view") if has_app_context() else None
    if view is not None:
        view.forget(*keys)


def update_user(client, user_id, user, idle):
    """Write the user's new record (a changed role) into each of their live sessions, keeping
    each one's TTL: the session flow then shows the new role on the very next request."""
    changed = 0
    for s in for_user(client, user_id, idle):
        raw = client.get(key(s["sid"]))
        data = _decode(raw) if raw else None
        if data is None:
            continue
        data["user"] = user
        if client.set(key(s["sid"]), json.dumps(data, separators=(",", ":")), xx=True,
                      keepttl=True):
            forget_local(key(s["sid"]))
            changed += 1
    return changed
