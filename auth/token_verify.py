"""Where the token is verified: signature, pinned algorithm, required claims, type, revocation.

Every failure becomes a TokenError with a reason a learner can read; nothing on this path may
raise anything else, because a crafted token must never turn into a 500.
"""
from time import perf_counter

import jwt
import redis
from flask import current_app
from flask_babel import gettext as _

from . import token_store, trace

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


def _verified_type(token, keys):
    """On the error path only: is this a genuine token of the *other* type? (for the message)"""
    try:
        return jwt.decode(token, keys["verify"], algorithms=[keys["alg"]],
                          options={"require": ["type"], "verify_aud": False}).get("type")
    except Exception:  # the token is refused either way; this only picks the wording
        return None


def decode(token, expected_type):
    """Verify `token` and return its claims; raise TokenError when it must be refused."""
    cfg = current_app.config
    keys = current_app.extensions["lab_jwt_keys"]
    access = expected_type == "access"
    started = perf_counter()
    try:
        claims = jwt.decode(
            token, keys["verify"], algorithms=[keys["alg"]],  # pinned: never read from the token
            audience=cfg["JWT_AUDIENCE"] if access else None,
            issuer=cfg["JWT_ISSUER"] if access else None,
            leeway=cfg["JWT_LEEWAY"],
            options={"require": REQUIRED[expected_type], "verify_aud": access},
        )
    except (jwt.MissingRequiredClaimError, jwt.InvalidAudienceError) as exc:
        other = _verified_type(token, keys)
        if other and other != expected_type:
            raise _wrong_type(expected_type) from None
        raise TokenError(*_message(exc)) from None
    except Exception as exc:  # PyJWT can raise more than InvalidTokenError on crafted input
        raise TokenError(*_message(exc)) from None
    finally:
        trace.add("jwt-verify", started, f"{keys['alg']} signature + claims")
    if claims.get("type") != expected_type:
        raise _wrong_type(expected_type)
    if not all(isinstance(claims[c], str) for c in ("sub", "jti", "fam")):
        raise TokenError("malformed", _("The token's sub, jti and fam claims must be strings."))
    return claims


def _wrong_type(expected):
    if expected == "access":
        return TokenError("wrong_type", _("This is a refresh token; send an access token."))
    return TokenError("wrong_type", _("This is an access token; send a refresh token."))


def verify_access(token):
    """Full check of an access token: decode, then the denylist/family check (fails closed)."""
    claims = decode(token, "access")
    try:
        revoked = token_store.is_revoked(claims)
    except redis.RedisError as exc:
        raise StoreUnavailable(str(exc)) from None
    if revoked:
        raise TokenError("revoked", _("The token was revoked (logout or a refresh-token reuse)."))
    return claims
