"""Where tokens are made: a short-lived access token and a rotating refresh token (PyJWT)."""
import time
import uuid

import jwt
from flask import current_app

from ..core import trace
from . import revocation
from .keys import ring


def _encode(claims):
    key = ring().current  # the header names it (kid), so verifiers find it on their ring
    with trace.step("jwt-sign", f"{key.alg} sign {claims['type']} token"):
        return jwt.encode(claims, key.sign, algorithm=key.alg, headers={"kid": key.kid})


def issue_pair(user, family=None):
    """Return (access_token, refresh_token, refresh_claims) for `user` in refresh family `family`.

    A new login starts a new family; a refresh continues the family it came from, so that reuse of
    a retired refresh token can revoke everything descended from the same login.
    """
    cfg = current_app.config
    kv = revocation.before_issue(str(user["id"]))
    now = int(time.time())
    family = family or uuid.uuid4().hex
    access = {
        "iss": cfg["JWT_ISSUER"], "aud": cfg["JWT_AUDIENCE"],
        "sub": str(user["id"]),  # RFC 7519 and PyJWT: sub is a string
        "iat": now, "nbf": now, "exp": now + cfg["ACCESS_TOKEN_TTL"],
        "jti": uuid.uuid4().hex, "type": "access",
        "username": user["username"], "role": user["role"], "fam": family,
        # The user's key version: bumping it ("log out everywhere") kills this token under the
        # user-key revocation strategy (auth/tokens/revocation.py).
        "kv": kv,
    }
    refresh = {
        "sub": str(user["id"]), "iat": now, "exp": now + cfg["REFRESH_TOKEN_TTL"],
        "jti": uuid.uuid4().hex, "type": "refresh", "fam": family,
    }
    revocation.issued(access)  # active, for the introspection strategy
    return _encode(access), _encode(refresh), refresh


def token_response(access, refresh):
    """The OAuth-style JSON body a login or refresh answers with."""
    cfg = current_app.config
    return {"access_token": access, "refresh_token": refresh, "token_type": "Bearer",
            "expires_in": cfg["ACCESS_TOKEN_TTL"], "refresh_expires_in": cfg["REFRESH_TOKEN_TTL"]}
