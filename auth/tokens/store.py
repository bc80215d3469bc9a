"""The only server state of the JWT flow: refresh-token families and the access-token denylist.

Keys (all expire by themselves, so nothing here grows without bound). Every key of one refresh
family carries the family id as a Redis Cluster hash tag ({fam}), so the rotation script, the
revocation transaction and the denylist's EXISTS each touch one hash slot and run unchanged on a
cluster (on a single Redis the braces are just characters):
  jwt:fam:{<fam>}         the one refresh jti of that family still allowed to refresh
  jwt:famrevoked:{<fam>}  the family was revoked: its access tokens are refused until they expire
  jwt:deny:{<fam>}:<jti>  this access token (of family <fam>) was logged out before its exp
  jwt:fammeta:{<fam>}     when the family was started and last rotated, and from which device
  jwt:family-index:<sub>  the user's refresh families (members of dead families pruned on read),
                        so "my devices" and "log out everywhere" never SCAN the keyspace
  jwt:famalt:{<fam>}      only with a reuse grace (REFRESH_REUSE_GRACE > 0): the refresh jtis of
                        side branches the grace let through, each also allowed to refresh
  lab:refresh-reuse-grace  the lab's live switch for the grace (seconds; absent: the config's);
                        read before the rotation and passed to it, since it is in no family's slot
"""
import time

from flask import current_app

from ..core import trace

# Atomic consume-and-rotate: compare the presented jti with the family's current one and swap
# in the new one in one step, so two concurrent refreshes with one token cannot both win.
# A signed refresh token of a live family that is not the current one was already used: that
# is reuse (a copy was stolen, or replayed), so the whole family is revoked.
# If the reply is lost and the client sends the same call again (redis-py retries on a timeout),
# the family already holds the new jti: that is the same rotation, answered ROTATED again, never
# mistaken for reuse.
# With a reuse grace of G seconds (REFRESH_REUSE_GRACE, or the lab's live switch), the token the
# last rotation retired may be presented again for G seconds after that rotation without counting
# as reuse: two tabs that refresh at the same moment both get a pair. Each extra pair is a side
# branch of the family (jwt:famalt:<fam>), allowed to refresh on its own from then on; that is the
# cost: a thief who presents a stolen copy inside the window gets a branch of their own, unnoticed.
# Grace 0 (the default) is strict rotation: exactly the behaviour without this paragraph.
# KEYS: family, revoked, meta, alt (one family: one hash slot). ARGV[6]: the grace in force.
_ROTATE = """
local current = redis.call('GET', KEYS[1])
if not current then return 0 end
if current == ARGV[2] then return 1 end
if current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
  redis.call('HSET', KEYS[3], 'rotated', ARGV[5], 'prev', ARGV[1])
  redis.call('EXPIRE', KEYS[3], ARGV[3])
  return 1
end
local grace = tonumber(ARGV[6]) or 0
if grace > 0 then
  if redis.call('SISMEMBER', KEYS[4], ARGV[2]) == 1 then return 1 end
  if redis.call('SISMEMBER', KEYS[4], ARGV[1]) == 1 then
    redis.call('SREM', KEYS[4], ARGV[1])
    redis.call('SADD', KEYS[4], ARGV[2])
    redis.call('EXPIRE', KEYS[4], ARGV[3])
    return 1
  end
  local at = tonumber(redis.call('HGET', KEYS[3], 'rotated') or '0') or 0
  if redis.call('HGET', KEYS[3], 'prev') == ARGV[1] and tonumber(ARGV[5]) - at <= grace then
    redis.call('SADD', KEYS[4], ARGV[2])
    redis.call('EXPIRE', KEYS[4], ARGV[3])
    redis.call('HINCRBY', KEYS[3], 'grace_used', 1)
    return 1
  end
end
redis.call('DEL', KEYS[1], KEYS[4])
redis.call('SET', KEYS[2], '1', 'EX', ARGV[4])
return -1
"""
ROTATED, UNKNOWN, REUSED = 1, 0, -1


# What a request's revocation check reads (auth/core/tracking.py keeps a local view of them).
TRACKED_PREFIXES = ("jwt:deny:", "jwt:famrevoked:")


def family_key(fam):
    return f"jwt:fam:{{{fam}}}"


def revoked_key(fam):
    return f"jwt:famrevoked:{{{fam}}}"


def deny_key(jti, fam=None):
    """The denylist key of access token `jti` of family `fam`: tagged with the family, so that
    the check (EXISTS deny + famrevoked) is one command in one hash slot. `fam` may be left out
    only in a SCAN pattern (jti "*"): every family."""
    if fam is None:
        if jti != "*":
            raise TypeError("deny_key needs the token's family (fam)")
        fam = "*"
    return f"jwt:deny:{{{fam}}}:{jti}"


def family_of(key):
    """The family id in one of this module's family-tagged keys (its hash tag), else None:
    for code that reads keys back (a SCAN of jwt:famrevoked:* or jwt:deny:*)."""
    key = key.decode() if isinstance(key, bytes) else key
    start = key.find("{")
    end = key.find("}", start + 1)
    return key[start + 1:end] or None if start >= 0 and end > start else None


def meta_key(fam):
    return f"jwt:fammeta:{{{fam}}}"


def alt_key(fam):
    return f"jwt:famalt:{{{fam}}}"


GRACE_KEY = "lab:refresh-reuse-grace"


def index_key(sub):
    return f"jwt:family-index:{sub}"


def keys_for(claims):
    """Every key the server may hold about one access token (for the pages that show them)."""
    return [family_key(claims["fam"]), revoked_key(claims["fam"]),
            deny_key(claims["jti"], claims["fam"])]


def _redis():
    return current_app.extensions["lab_redis"]


def _revoked_marker_ttl():
    # Long enough to outlive every access token the family may still have in circulation.
    cfg = current_app.config
    return cfg["ACCESS_TOKEN_TTL"] + cfg["JWT_LEEWAY"] + 1


def start_family(refresh_claims, user_agent=""):
    """Record a login's refresh family with its first refresh token, in the user's index."""
    now = int(time.time())
    ttl = max(1, refresh_claims["exp"] - now)
    fam, sub = refresh_claims["fam"], refresh_claims["sub"]
    client = _redis()
    client.set(family_key(fam), refresh_claims["jti"], ex=ttl)
    with client.pipeline(transaction=False) as pipe, trace.step(
            "redis-pipeline", "HSET family meta + SADD family-index (the user's families)"):
        pipe.hset(meta_key(fam), mapping={"created": now, "rotated": now, "sub": sub,
                                          "user_agent": user_agent[:200]})
        pipe.expire(meta_key(fam), ttl)
        pipe.sadd(index_key(sub), fam)
        pipe.expire(index_key(sub), current_app.config["REFRESH_TOKEN_TTL"])
        pipe.execute()


def rotate(old_claims, new_claims):
    """Consume `old_claims` and make `new_claims` current; return ROTATED, UNKNOWN or REUSED."""
    fam = old_claims["fam"]
    script = current_app.extensions["lab_rotate_script"]
    ttl = max(1, new_claims["exp"] - int(time.time()))
    # The grace is read first (its key is no family's, so not in the script's hash slot).
    grace = reuse_grace()
    return script(keys=[family_key(fam), revoked_key(fam), meta_key(fam), alt_key(fam)],
                  args=[old_claims["jti"], new_claims["jti"], ttl, _revoked_marker_ttl(),
                        int(time.time()), grace])


def reuse_grace():
    """The reuse grace in force now (seconds): the lab's live switch, else the config's."""
    stored = _redis().get(GRACE_KEY)
    try:
        return int(stored) if stored is not None else int(current_app.config["REFRESH_REUSE_GRACE"])
    except ValueError:
        return int(current_app.config["REFRESH_REUSE_GRACE"])


def set_reuse_grace(seconds):
    """Switch the grace live for this lab (None: back to the config's)."""
    if seconds is None:
        _redis().delete(GRACE_KEY)
    else:
        _redis().set(GRACE_KEY, int(seconds))


def revoke_family(fam):
    """Retire every refresh token of the family and refuse its access tokens (one MULTI: every
    key is the family's, in one hash slot, so it is a transaction on a cluster too)."""
    with _redis().pipeline(transaction=True) as pipe:  # (a cluster's default is no MULTI)
        pipe.delete(family_key(fam), meta_key(fam), alt_key(fam))
        pipe.set(revoked_key(fam), "1", ex=_revoked_marker_ttl())
        pipe.execute()


def deny(claims):
    """Put an access token's jti on the denylist until it would have expired anyway."""
    # Capped at one access-token lifetime: the verifier refuses any token that lives longer.
    cfg = current_app.config
    ttl = min(int(claims["exp"]) - int(time.time()), cfg["ACCESS_TOKEN_TTL"])
    _redis().set(deny_key(claims["jti"], claims["fam"]), "1",
                 ex=max(1, ttl + cfg["JWT_LEEWAY"] + 1))


def is_revoked(claims):
    """One round trip (EXISTS on two keys of one hash slot): denied by jti, or family revoked?"""
    return _redis().exists(deny_key(claims["jti"], claims["fam"]),
                           revoked_key(claims["fam"])) > 0


def families_for(sub):
    """The user's live refresh families, read from Redis now; dead ones are pruned from the index."""
    client = _redis()
    fams = sorted(f.decode() for f in client.smembers(index_key(sub)))
    if not fams:
        return []
    with client.pipeline(transaction=False) as pipe:
        for fam in fams:
            pipe.ttl(family_key(fam))
            pipe.hgetall(meta_key(fam))
        answers = pipe.execute()
    live, dead = [], []
    for i, fam in enumerate(fams):
        ttl, meta = answers[2 * i], answers[2 * i + 1]
        if ttl < 0:
            dead.append(fam)
            continue
        meta = {k.decode(): v.decode("utf-8", "replace") for k, v in meta.items()}
        live.append({"id": fam, "created": int(meta.get("created", 0)),
                     "last_rotation": int(meta.get("rotated", 0)), "ttl": ttl,
                     "user_agent": meta.get("user_agent", "")})
    if dead:
        client.srem(index_key(sub), *dead)
    return sorted(live, key=lambda f: f["created"])


def revoke_user_families(sub, keep=None):
    """Revoke every live refresh family of a user (but `keep`); returns how many."""
    doomed = [f["id"] for f in families_for(sub) if f["id"] != keep]
    for fam in doomed:
        revoke_family(fam)
    if doomed:
        _redis().srem(index_key(sub), *doomed)
    return len(doomed)


def init_app(app, client):
    app.extensions["lab_rotate_script"] = client.register_script(_ROTATE)
