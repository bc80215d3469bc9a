"""Where the session is stored: Flask-Session's Redis interface, tightened for the lab.

Changes to the stock RedisSessionInterface, each for a reason the lab teaches:
- one Redis round trip per request: GETEX reads the session and slides its idle expiry at once;
  an unchanged session is never rewritten;
- an existing session is only overwritten while it still exists (SET XX), so a request that was
  in flight when the user logged out cannot bring the deleted session back;
- an absolute lifetime is enforced server-side, whatever the client does with its cookie;
- a cookie id the server never issued is never adopted (a fresh id is generated instead);
- the cookie is Secure whenever the request came over HTTPS.
"""
import json
import logging
import re
import time

import redis
from flask import request
from flask_session.redis import RedisSessionInterface

from ..core import trace

log = logging.getLogger(__name__)
KEY_PREFIX = "session:"
SID_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)


def key(sid):
    """The Redis key that holds session `sid` (the only place the format is written)."""
    return KEY_PREFIX + sid


def masked_key(sid):
    """The key as a page may show it: the id part masked, so a projected screen leaks nothing."""
    return KEY_PREFIX + trace.mask(sid)


def _decode(raw):
    """JSON only. (Flask-Session's decoder falls back to pickle, which must never see store data.)"""
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    return data if isinstance(data, dict) and isinstance(data.get("_created", 0), int) else None


class LabSessionInterface(RedisSessionInterface):
    """Flask-Session on Redis, JSON-serialised, with idle and absolute expiry."""

    def __init__(self, app, client):
        super().__init__(app, client=client, key_prefix=KEY_PREFIX, sid_length=32,
                         serialization_format="json", permanent=False)
        self.idle = int(app.config["SESSION_LIFETIME"])
        self.absolute = int(app.config["SESSION_ABSOLUTE_LIFETIME"])
        # Requests that never need the session skip the store entirely (each feature declares
        # its own in auth/labs/__init__.py): the JWT API is stateless, and a session read there
        # would blur exactly what the lab wants to show.
        self.skip_prefixes = tuple(app.config["SESSION_SKIP_PREFIXES"])

    def _fresh(self, **flags):
        # A skipped session is never saved, so it needs no random id (saves work per request).
        sid = "" if flags.get("skip") else self._generate_sid(self.sid_length)
        session = self.session_class(sid=sid)
        session.new = True
        session.store_bytes = 0
        session.store_error = flags.get("store_error", False)
        session.skip = flags.get("skip", False)
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
            raw = self.client.getex(store_id, ex=self.idle)
        except redis.RedisError as exc:
            # Raised here it would escape Flask's error handlers; the views answer 503 instead.
            log.warning("session store unavailable: %s", exc)
            return self._fresh(store_error=True, skip=True)
        if raw is None:
            return self._fresh()
        data = _decode(raw)
        if data is None or time.time() - data.get("_created", 0) > self.absolute:
            self.client.delete(store_id)
            return self._fresh()
        session = self.session_class(data, sid=sid)
        session.new, session.store_bytes = False, len(raw)
        session.store_error = session.skip = False
        return session

    def regenerate(self, session):
        """New id for the same data (login): delete the old key, the save writes the new one."""
        if session:
            self._delete_session(self._get_store_id(session.sid))
            session.sid = self._generate_sid(self.sid_length)
            session.new = True
            session.modified = True

    def get_cookie_secure(self, app):
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)

    def save_session(self, app, session, response):
        """Write only what changed; never resurrect a session deleted in the meantime."""
        if session.skip:
            return
        name, domain, path = (self.get_cookie_name(app), self.get_cookie_domain(app),
                              self.get_cookie_path(app))
        store_id = self._get_store_id(session.sid)
        if session.accessed:
            response.vary.add("Cookie")
        try:
            if not session:
                if session.modified and not session.new:  # cleared: logout
                    self._delete_session(store_id)
                    response.delete_cookie(name, domain=domain, path=path)
                return
            if not session.modified:
                return  # GETEX already slid the idle expiry: nothing to write
            if session.new:
                session.setdefault("_created", int(time.time()))
            data = self.serializer.encode(session)
            # New id: NX (never clobber); existing id: XX (only while it still exists).
            written = self.client.set(store_id, data, ex=self.idle,
                                      nx=session.new, xx=not session.new)
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
