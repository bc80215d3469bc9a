"""How (and whether) an access token can be taken back before its `exp`: five strategies.

The signature says who issued a token; only server state can say it was revoked since. Each
strategy keeps different state and pays a different price per request (shown on the revocation
lab page, measured from the trace):

  none           nothing: a logged-out token works until exp (the stateless ideal)
  denylist       EXISTS jwt:deny:{<fam>}:<jti> jwt:famrevoked:{<fam>}: one key per revoked
                 token/family (both tagged with the family: one hash slot on a Redis Cluster)
  valid-after    GET jwt:valid-after:<sub>: tokens issued at or before T are refused (one key
                 per user, not per token; but it cannot revoke one token alone)
  user-key       GET jwt:key-version:<sub>: every token carries the user's key version (`kv`);
                 bumping the version kills every token of that user at once
  introspection  EXISTS jwt:active:<jti>: every token is looked up as "still active?" on every
                 request (RFC 7662 style, the "stateful JWT"): that is a session again

Whatever strategy is chosen, logout and "log out everywhere" write the markers of all of them, so
switching strategy never brings a revoked token back; the strategy decides what is *checked*.
The choice is stored in Redis (`lab:revocation-strategy`) so that every process follows it; each
process re-reads it at most every REFRESH_EVERY seconds (and at once after its own switch), so
`none` really costs no round trip per request.
"""
import threading
import time
from time import perf_counter

import redis

from flask import current_app

from ..core import checkmode, trace, tracking

STRATEGIES = ("none", "denylist", "valid-after", "user-key", "introspection")
STRATEGY_KEY = "lab:revocation-strategy"

# What the strategies' checks read (auth/core/tracking.py keeps a local view of them).
TRACKED_PREFIXES = ("jwt:valid-after:", "jwt:key-version:", "jwt:active:")

REFRESH_EVERY = 30.0  # seconds between re-reads of the shared choice (a rare lab switch)

# The checks that need Redis, one round trip each. The denylist is a plain EXISTS on two keys
# (as before this lab); the others are a GET or an EXISTS compared in Lua, so that the answer
# is decided where the data is. KEYS: valid-after or key-version or active. ARGV: iat or kv.
_VALID_AFTER = """
local t = redis.call('GET', KEYS[1])
if t and tonumber(ARGV[1]) <= tonumber(t) then return 1 end
return 0
"""
_USER_KEY = """
local v = redis.call('GET', KEYS[1]) or '0'
if v ~= ARGV[1] then return 1 end
return 0
"""


def valid_after_key(sub):
    return f"jwt:valid-after:{sub}"


def key_version_key(sub):
    return f"jwt:key-version:{sub}"


def active_key(jti):
    return f"jwt:active:{jti}"


def active_index_key(sub):
    return f"jwt:active-index:{sub}"


def _redis():
    return current_app.extensions["lab_redis"]


def default():
    return current_app.config["REVOCATION_STRATEGY"]


class _Choice:
    """This process's copy of the shared choice, and when it was last read."""

    def __init__(self):
        self.value, self.read_at, self.lock = None, 0.0, threading.Lock()


def current():
    """The strategy in force now: the shared choice, re-read at most every REFRESH_EVERY s."""
    choice = current_app.extensions["lab_revocation_choice"]
    now = time.monotonic()
    if choice.value is None or now - choice.read_at > REFRESH_EVERY:
        with choice.lock:
            stored = _redis().get(STRATEGY_KEY)
            stored = stored.decode() if isinstance(stored, bytes) else stored
            choice.value = stored if stored in STRATEGIES else default()
            choice.read_at = now
    return choice.value


def choose(strategy):
    """Switch to `strategy`: this process at once, every other one within REFRESH_EVERY s."""
    if strategy not in STRATEGIES:
        raise ValueError(strategy)
    _redis().set(STRATEGY_KEY, strategy)
    choice = current_app.extensions["lab_revocation_choice"]
    choice.value, choice.read_at = strategy, time.monotonic()


def reset():
    """Back to the configured default (the lab's reset)."""
    _redis().delete(STRATEGY_KEY)
    current_app.extensions["lab_revocation_choice"].value = None


def before_issue(sub):
    """The user's key version for a new token's `kv`, after waiting, if need be, until the clock
    has passed the user's valid-after time.

    `iat` has a resolution of one second, and valid-after refuses every token with iat <= T: a
    login in the very second of a "log out everywhere" would get a token that is dead on
    arrival. So the server waits for the next second (at most one, and only then).
    """
    with _redis().pipeline(transaction=False) as pipe, trace.step(
            "redis-pipeline", "GET key-version + valid-after (revocation)"):
        pipe.get(key_version_key(sub))
        pipe.get(valid_after_key(sub))
        version, valid_after = pipe.execute()
    if valid_after is not None:
        wait = int(valid_after) + 1 - time.time()
        if 0 < wait <= 1:
            time.sleep(wait)
    return int(version) if version else 0


def issued(claims):
    """Record a new access token as active (for introspection), in the user's active index."""
    ttl = max(1, int(claims["exp"]) - int(time.time()))
    index = active_index_key(claims["sub"])
    with _redis().pipeline(transaction=False) as pipe, trace.step(
            "redis-pipeline", "SET active + SADD active-index (introspection)"):
        pipe.set(active_key(claims["jti"]), claims["sub"], ex=ttl)
        pipe.sadd(index, claims["jti"])
        pipe.expire(index, current_app.config["ACCESS_TOKEN_TTL"] + 60)
        pipe.execute()


def check(claims, deny_keys, strategy=None, view=None):
    """(strategy, revoked) for a verified access token; redis.RedisError when Redis is away.

    `deny_keys` are the token store's denylist and revoked-family keys for this token.
    `strategy` is for the cost lab's measurement only; requests use the one in force.
    With the local view (auth/core/checkmode.py) the same keys are read from this process's
    copy, which Redis keeps true; `view=False` forces the round trip (the cost lab's "before").
    """
    strategy = strategy or current()
    sub = claims["sub"]
    if strategy == "none":
        return strategy, False  # nothing to ask: no round trip at all
    synced = view is None  # a view from checkmode.view() was drained for this request
    view = checkmode.view() if view is None else view
    if view:
        if strategy == "denylist":
            keys = deny_keys
        elif strategy == "introspection":
            keys = [active_key(claims["jti"])]
        else:
            keys = [valid_after_key(sub) if strategy == "valid-after" else key_version_key(sub)]
        return strategy, _decide(strategy, claims, _read_through(view, keys, strategy, synced))
    client = _redis()
    if strategy == "denylist":
        return strategy, client.exists(*deny_keys) > 0
    if strategy == "introspection":
        return strategy, not client.exists(active_key(claims["jti"]))
    scripts = current_app.extensions["lab_revocation_scripts"]
    if strategy == "valid-after":
        return strategy, bool(scripts["valid-after"](keys=[valid_after_key(sub)],
                                                     args=[int(claims["iat"])]))
    kv = claims.get("kv", 0)
    kv = kv if isinstance(kv, int) and not isinstance(kv, bool) else -1  # a forged kv never fits
    return strategy, bool(scripts["user-key"](keys=[key_version_key(sub)], args=[kv]))


def _read_through(view, keys, strategy, synced):
    """The values of `keys` from the tracked view, reading the missing ones from Redis (one MGET)
    into it. A key that does not exist is cached as such: the check is then a dict lookup."""
    started = perf_counter()
    values, missing = [], []
    # No drain here when checkmode.view() gave the view: it drained it for this request.
    for name, (hit, value) in zip(keys, view.get_many(keys, drain=not synced)):
        values.append(value if hit else None)
        if not hit:
            missing.append(name)
    if not missing:
        trace.add("local-view", started, f"revocation keys ({strategy})")
    else:
        ticket = view.begin()
        found = _redis().mget(missing)
        for name, value in zip(missing, found):
            view.put(ticket, name, tracking.ABSENT if value is None else value)
            values[keys.index(name)] = value
    return [None if v is tracking.ABSENT else v for v in values]


def _decide(strategy, claims, values):
    """The same decisions the round-trip checks make in Redis, made here on the view's values."""
    if strategy == "denylist":
        return any(v is not None for v in values)
    if strategy == "introspection":
        return values[0] is None
    if strategy == "valid-after":
        return values[0] is not None and int(claims["iat"]) <= int(values[0])
    kv = claims.get("kv", 0)
    kv = kv if isinstance(kv, int) and not isinstance(kv, bool) else -1
    return (values[0] or b"0") != str(kv).encode()


def logged_out(claims):
    """One token logged out: it is no longer active (the denylist entry is written by the store)."""
    with _redis().pipeline(transaction=False) as pipe, trace.step(
            "redis-pipeline", "DEL active + SREM active-index (introspection)"):
        pipe.delete(active_key(claims["jti"]))
        pipe.srem(active_index_key(claims["sub"]), claims["jti"])
        pipe.execute()


def markers(sub, jti, fam, ttl):
    """What each strategy stores to refuse one token (or every token of one user), as
    (strategy, key, value, ttl) with the real key names and value shapes: the cost lab writes
    these for a made-up user to measure their bytes in Redis."""
    from . import store as token_store  # (the denylist's key formats live in the token store)

    return [("denylist", token_store.deny_key(jti, fam), "1", ttl),
            ("denylist", token_store.revoked_key(fam), "1", ttl),
            ("valid-after", valid_after_key(sub), int(time.time()), ttl),
            ("user-key", key_version_key(sub), 1, None),
            ("introspection", active_key(jti), sub, ttl)]


def revoke_user(sub):
    """Every access token of user `sub` is refused from the next request on, under every
    strategy but `none`: valid-after = now, key version + 1, no active token left.
    (Refresh families are revoked by the caller through the token store.)"""
    client = _redis()
    index = active_index_key(sub)
    jtis = [j.decode() for j in client.smembers(index)]
    ttl = current_app.config["ACCESS_TOKEN_TTL"] + current_app.config["JWT_LEEWAY"] + 1
    with client.pipeline(transaction=False) as pipe, trace.step(
            "redis-pipeline", "SET valid-after, INCR key-version, DEL active tokens"):
        pipe.set(valid_after_key(sub), int(time.time()), ex=ttl)
        pipe.incr(key_version_key(sub))
        for jti in jtis:  # one DEL each: a cluster pipeline splits them by node, not one DEL
            pipe.delete(active_key(jti))
        pipe.delete(index)
        pipe.execute()
    return len(jtis)


def init_app(app, client):
    app.config.setdefault("REVOCATION_STRATEGY", "denylist")
    if app.config["REVOCATION_STRATEGY"] not in STRATEGIES:
        raise ValueError(f"REVOCATION_STRATEGY must be one of {', '.join(STRATEGIES)}")
    app.extensions["lab_revocation_scripts"] = {
        "valid-after": client.register_script(_VALID_AFTER),
        "user-key": client.register_script(_USER_KEY)}
    app.extensions["lab_revocation_choice"] = _Choice()
    try:  # read the shared choice now, so the first requests need not
        with app.app_context():
            current()
    except redis.RedisError:  # Redis not up yet: the first check will read it
        pass
