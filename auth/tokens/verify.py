"""Where the token is verified: signature, pinned algorithm, required claims, type, revocation.

Every failure becomes a TokenError with a reason a learner can read; nothing on this path may
raise anything else, because a crafted token must never turn into a 500.
"""
import hashlib
import math
import re
import time
from time import perf_counter

import jwt
import redis
from flask import current_app
from flask_babel import gettext as _

from ..core import checkmode, trace
from . import revocation, store as token_store
from .keys import ring

_B64URL = re.compile(r"[A-Za-z0-9_-]*")

REQUIRED = {
    "access": ["iss", "aud", "sub", "iat", "nbf", "exp", "jti", "type", "fam"],
    "refresh": ["sub", "iat", "exp", "jti", "type", "fam"],
}


class TokenError(Exception):
    """A token that must be refused; `reason` is a stable code, `message` is for people."""

    def __init__(self, reason, message):
        super().__init__(message)
        self.reason, self.message = reason, message


class StoreUnavailable(Exception):
    """The revocation check could not be made: fail closed (the token is not accepted)."""


def _message(exc):
    if isinstance(exc, jwt.ExpiredSignatureError):
        return "expired", _("The token has expired.")
    if isinstance(exc, jwt.ImmatureSignatureError):
        return "not_yet_valid", _("The token is not valid yet (nbf or iat in the future).")
    if isinstance(exc, jwt.InvalidAlgorithmError):
        return "algorithm_not_allowed", _("The token's algorithm is not the one this server uses.")
    if isinstance(exc, jwt.InvalidSignatureError):
        return "bad_signature", _("The signature does not match: the token was altered or "
                                  "signed with another key.")
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return "missing_claim", _("The token lacks the required claim '%(claim)s'.",
                                  claim=exc.claim)
    if isinstance(exc, jwt.InvalidAudienceError):
        return "wrong_audience", _("The token was issued for another audience.")
    if isinstance(exc, jwt.InvalidIssuerError):
        return "wrong_issuer", _("The token was issued by another issuer (iss).")
    return "malformed", _("The token is not a well-formed signed JWT.")


def _verified_type(token, key):
    """On the error path only: is this a genuine token of the *other* type? (for the message)"""
    try:
        return jwt.decode(token, key.verify, algorithms=[key.alg],
                          options={"require": ["type"], "verify_aud": False}).get("type")
    except Exception:  # the token is refused either way; this only picks the wording
        return None


def _compact(token):
    """Three unpadded base64url parts (RFC 7515 §7.1); PyJWT alone would also take "sig=".

    The inspector (auth/jose/decode.py) applies the same rule, so the two never disagree.
    """
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 3 or not all(_B64URL.fullmatch(p) and len(p) % 4 != 1 for p in parts):
        raise TokenError("malformed", _("The token is not a well-formed signed JWT."))


def _key_for(token):
    """The ring's key named by the token's `kid` header; TokenError when there is none."""
    try:
        header = jwt.get_unverified_header(token)
    except Exception:  # a header that is not base64url JSON
        raise TokenError("malformed", _("The token is not a well-formed signed JWT.")) from None
    if header.get("alg") != ring().alg:  # "none", or any algorithm but the pinned one
        raise TokenError(*_message(jwt.InvalidAlgorithmError()))
    key = ring().find(header.get("kid"))
    if key is None:
        raise TokenError("unknown_key", _("The token names a key (kid) this server does not "
                                          "have: it was signed by another server, or with a key "
                                          "that was rotated out."))
    if key.alg != header.get("alg"):  # a kid of another algorithm (a JWKS can hold several)
        raise TokenError("key_algorithm_mismatch", _(
            "The token's kid names a %(key_alg)s key, but the token says it was signed with "
            "%(alg)s: a key is only ever used with its own algorithm.",
            key_alg=key.alg, alg=str(header.get("alg"))[:16]))
    return key


def _reuse(token, started):
    """The claims of an access token this process verified before, if it may still use them:
    the same bytes (keyed on their SHA-256), before `exp`, and signed by a key the ring still
    holds. API gateways cache verification the same way. None: verify it in full."""
    extensions = current_app.extensions
    cache = extensions.get("lab_verified_tokens")
    if cache is None:
        cache = extensions.setdefault("lab_verified_tokens", {})
    digest = hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()
    entry = cache.get(digest)
    if entry is None:
        return digest, None
    claims, key, said = entry
    if time.time() >= claims["exp"] or extensions["lab_keyring"].find(claims["_kid"]) is not key:
        cache.pop(digest, None)
        return digest, None
    trace.add("jwt-reuse", started, said)
    return digest, claims


def _keep(digest, claims, key):
    """Remember a fully verified access token (bounded: the oldest goes first)."""
    cache = current_app.extensions.setdefault("lab_verified_tokens", {})
    limit = current_app.config["VERIFIED_TOKEN_CACHE"]
    while cache and len(cache) >= limit:
        cache.pop(next(iter(cache)), None)
    said = (f"{key.alg} signature verified at {time.strftime('%H:%M:%S', time.gmtime())} UTC, "
            f"reused (verified-token cache)")  # what the trace says each time it is reused
    cache[digest] = ({**claims, "_kid": key.kid}, key, said)


def decode(token, expected_type):
    """Verify `token` and return its claims; raise TokenError when it must be refused."""
    cfg = current_app.config
    access = expected_type == "access"
    started = perf_counter()
    digest = None
    if access and isinstance(token, str) and cfg["VERIFIED_TOKEN_CACHE"] \
            and checkmode.view() is not None:
        digest, known = _reuse(token, started)
        if known is not None:
            claims = dict(known)
            del claims["_kid"]
            return claims
    alg = ring().alg
    try:
        _compact(token)
        key = _key_for(token)
        alg = key.alg
        claims = jwt.decode(
            token, key.verify, algorithms=[key.alg],  # pinned by the key: never by the token
            audience=cfg["JWT_AUDIENCE"] if access else None,
            issuer=cfg["JWT_ISSUER"] if access else None,
            leeway=cfg["JWT_LEEWAY"],
            options={"require": REQUIRED[expected_type], "verify_aud": access},
        )
    except TokenError:
        raise
    except (jwt.MissingRequiredClaimError, jwt.InvalidAudienceError) as exc:
        other = _verified_type(token, key)
        if other and other != expected_type:
            raise _wrong_type(expected_type) from None
        raise TokenError(*_message(exc)) from None
    except Exception as exc:  # PyJWT can raise more than InvalidTokenError on crafted input
        raise TokenError(*_message(exc)) from None
    finally:
        trace.add("jwt-verify", started, f"{alg} signature + claims")
    if claims.get("type") != expected_type:
        raise _wrong_type(expected_type)
    if not all(isinstance(claims[c], str) for c in ("sub", "jti", "fam")):
        raise TokenError("malformed", _("The token's sub, jti and fam claims must be strings."))
    _check_times(claims, expected_type)
    if digest is not None:
        _keep(digest, claims, key)
    return claims


def _check_times(claims, expected_type):
    """NumericDate claims are numbers (PyJWT would take "123" or true), and the lifetime is no
    longer than this server ever issues (so a huge exp can never outlive its denylist entry)."""
    times = [claims[c] for c in ("iat", "nbf", "exp") if c in claims]
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
               for v in times):
        raise TokenError("malformed", _("The token's iat, nbf and exp claims must be numbers "
                                        "(NumericDate, RFC 7519 §2)."))
    ttl = current_app.config["ACCESS_TOKEN_TTL" if expected_type == "access"
                             else "REFRESH_TOKEN_TTL"]
    if claims["exp"] - claims["iat"] > ttl + current_app.config["JWT_LEEWAY"]:
        raise TokenError("lifetime_too_long", _("The token's lifetime (exp - iat) is longer than "
                                                "this server issues, so it is refused."))


def _wrong_type(expected):
    if expected == "access":
        return TokenError("wrong_type", _("This is a refresh token; send an access token."))
    return TokenError("wrong_type", _("This is an access token; send a refresh token."))


def verify_access(token):
    """Full check of an access token: decode, then the revocation check of the strategy in force
    (auth/tokens/revocation.py; fails closed: no answer from Redis, no access)."""
    claims = decode(token, "access")
    try:
        strategy, revoked = revocation.check(claims, token_store.keys_for(claims)[1:])
    except redis.RedisError as exc:
        # Fail closed, always. (The scale-out lab shows the fail-open bug on its own endpoint,
        # /api/lab/scale/jwt-me-fail-mode: never as a switch in here.)
        raise StoreUnavailable(str(exc)) from None
    if revoked:
        raise TokenError("revoked", _REVOKED[strategy]())
    return claims


# Why a token was refused, per strategy (built per request: it follows the page's language).
_REVOKED = {
    "denylist": lambda: _("The token was revoked (logout or a refresh-token reuse)."),
    "valid-after": lambda: _("The token was issued before its user's \"valid after\" time: "
                             "everything issued until then was revoked."),
    "user-key": lambda: _("The token carries an old key version of its user: bumping the "
                          "version revoked every token issued before."),
    "introspection": lambda: _("The token is no longer active on the server (introspection)."),
}
