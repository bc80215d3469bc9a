"""The only server state of the JWT flow: refresh-token families and the access-token denylist.

Keys (all expire by themselves, so nothing here grows without bound):
  jwt:fam:<fam>         the one refresh jti of that family still allowed to refresh
  jwt:famrevoked:<fam>  the family was revoked: its access tokens are refused until they expire
  jwt:deny:<jti>        this access token was logged out before its exp
"""
import time

from flask import current_app

# Atomic consume-and-rotate: compare the presented jti with the family's current one and swap
# in the new one in one step, so two concurrent refreshes with one token cannot both win.
# A signed refresh token of a live family that is not the current one was already used: that
# is reuse (a copy was stolen, or replayed), so the whole family is revoked.
# If the reply is lost and the client sends the same call again (redis-py retries on a timeout),
# the family already holds the new jti: that is the same rotation, answered ROTATED again, never
# mistaken for reuse.
_ROTATE = """
local current = redis.call('GET', KEYS[1])
if not current then return 0 end
if current == ARGV[2] then return 1 end
if current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
  return 1
end
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], '1', 'EX', ARGV[4])
return -1
"""
ROTATED, UNKNOWN, REUSED = 1, 0, -1


def family_key(fam):
    return f"jwt:fam:{fam}"


def revoked_key(fam):
    return f"jwt:famrevoked:{fam}"


def deny_key(jti):
    return f"jwt:deny:{jti}"


def keys_for(claims):
    """Every key the server may hold about one access token (for the pages that show them)."""
    return [family_key(claims["fam"]), revoked_key(claims["fam"]), deny_key(claims["jti"])]


def _redis():
    return current_app.extensions["lab_redis"]


def _revoked_marker_ttl():
    # Long enough to outlive every access token the family may still have in circulation.
    cfg = current_app.config
    return cfg["ACCESS_TOKEN_TTL"] + cfg["JWT_LEEWAY"] + 1


def start_family(refresh_claims):
    """Record a login's refresh family with its first refresh token."""
    ttl = max(1, refresh_claims["exp"] - int(time.time()))
    _redis().set(family_key(refresh_claims["fam"]), refresh_claims["jti"], ex=ttl)


def rotate(old_claims, new_claims):
    """Consume `old_claims` and make `new_claims` current; return ROTATED, UNKNOWN or REUSED."""
    fam = old_claims["fam"]
    script = current_app.extensions["lab_rotate_script"]
    ttl = max(1, new_claims["exp"] - int(time.time()))
    return script(keys=[family_key(fam), revoked_key(fam)],
                  args=[old_claims["jti"], new_claims["jti"], ttl, _revoked_marker_ttl()])


def revoke_family(fam):
    """Retire every refresh token of the family and refuse its access tokens."""
    with _redis().pipeline() as pipe:
        pipe.delete(family_key(fam))
        pipe.set(revoked_key(fam), "1", ex=_revoked_marker_ttl())
        pipe.execute()


def deny(claims):
    """Put an access token's jti on the denylist until it would have expired anyway."""
    # Capped at one access-token lifetime: the verifier refuses any token that lives longer.
    cfg = current_app.config
    ttl = min(int(claims["exp"]) - int(time.time()), cfg["ACCESS_TOKEN_TTL"])
    _redis().set(deny_key(claims["jti"]), "1", ex=max(1, ttl + cfg["JWT_LEEWAY"] + 1))


def is_revoked(claims):
    """One round trip (EXISTS on two keys): denied by jti, or its family revoked?"""
    return _redis().exists(deny_key(claims["jti"]), revoked_key(claims["fam"])) > 0


def init_app(app, client):
    app.extensions["lab_rotate_script"] = client.register_script(_ROTATE)
