"""Failed-login limit: per username, across both login forms, counted atomically in Redis.

- Per username, not per address: a whole class behind one NAT address can log in at once, while
  guessing one account's password is slowed down whichever form (session or JWT) the guesses use.
- Atomic: each attempt first *reserves* a slot with one Lua call (INCR, and EXPIRE on the first),
  so a burst of 30 wrong passwords sent at once gets exactly LOGIN_RATE_LIMIT of them checked.
  A successful login gives its slot back: only failures count.
- Fails closed: when Redis cannot be asked, every attempt gets 503, the right password included.
  (Answering wrong passwords with 401 and right ones with 503 would be a password oracle.)

The counter lives under `login-fail:<username>`, and expires LOGIN_RATE_WINDOW seconds after
the first failure of a window.
"""
from contextlib import contextmanager

from flask import current_app

KEY_PREFIX = "login-fail:"
_RESERVE = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
if n > tonumber(ARGV[1]) then
  redis.call('DECR', KEYS[1])
  return {0, redis.call('TTL', KEYS[1])}
end
return {1, 0}
"""
# Giving a slot back only touches a counter that still exists: if the window ran out while the
# password was being checked, a plain DECR would create a counter of -1 with no expiry (one
# free extra guess in the next window, and a key that never goes away).
_RELEASE = """
local n = tonumber(redis.call('GET', KEYS[1]))
if n and n > 0 then return redis.call('DECR', KEYS[1]) end
return 0
"""


class RateLimited(Exception):
    """Too many failed logins for this username; `retry_after` is in seconds."""

    def __init__(self, retry_after):
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = max(1, int(retry_after))


def key(username):
    name = username.strip().lower()[:64] if isinstance(username, str) else ""
    return KEY_PREFIX + name


@contextmanager
def login_attempt(username):
    """Reserve one attempt for `username` (RateLimited when none is left); set `.ok` on success.

        with login_attempt(name) as attempt:
            attempt.ok = authenticate(name, password) is not None
    """
    cfg = current_app.config
    script = current_app.extensions["lab_login_limit_script"]
    counter = key(username)
    allowed, ttl = script(keys=[counter],
                          args=[int(cfg["LOGIN_RATE_LIMIT"]), int(cfg["LOGIN_RATE_WINDOW"])])
    if not allowed:
        raise RateLimited(ttl if ttl and ttl > 0 else cfg["LOGIN_RATE_WINDOW"])
    attempt = _Attempt()
    yield attempt
    if attempt.ok:
        # A success gives its reserved slot back.
        current_app.extensions["lab_login_release_script"](keys=[counter])


class _Attempt:
    ok = False


def init_app(app, client):
    app.extensions["lab_login_limit_script"] = client.register_script(_RESERVE)
    app.extensions["lab_login_release_script"] = client.register_script(_RELEASE)
