"""The JWT key ring: the key that signs new tokens, and the keys that verify, found by `kid`.

HS* share one secret (JWT_SECRET_KEY, >= 32 bytes). RS256/PS256/ES256/EdDSA sign with a private
key generated once into the instance folder; verifying needs only the public key, which is what
lets any node check a token without being able to mint one.

Every token names its key in the header (`kid`), the RFC 7638 thumbprint of the key's JWK, so a
ring can hold more than one key: rotation adds a key and keeps the old one for verifying until
the tokens it signed have expired. A token whose `kid` is not on the ring is refused.
"""
import base64
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from flask import current_app
from jwt.algorithms import get_default_algorithms

from ..config import JWT_ALGORITHMS as SUPPORTED

_ALGORITHMS = get_default_algorithms()
# RFC 7638 §3.2: the members of each key type that the thumbprint is computed over.
_THUMBPRINT_MEMBERS = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y"),
                       "OKP": ("crv", "kty", "x"), "oct": ("k", "kty")}


def thumbprint(jwk):
    """RFC 7638 JWK thumbprint (SHA-256, base64url): a key's name derived from the key itself."""
    members = {m: jwk[m] for m in _THUMBPRINT_MEMBERS[jwk["kty"]]}
    digest = hashlib.sha256(json.dumps(members, separators=(",", ":"),
                                       sort_keys=True).encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass(frozen=True)
class Key:
    """One key of the ring: `sign` is None on a key kept only for verifying."""
    kid: str
    alg: str
    sign: object
    verify: object
    public_pem: str | None  # None for a shared secret, which is never shown or published

    def public_jwk(self):
        """The public JWK (with kid, alg, use), or None for a shared secret."""
        if self.public_pem is None:
            return None
        jwk = _ALGORITHMS[self.alg].to_jwk(self.verify, as_dict=True)
        return dict(jwk, kid=self.kid, alg=self.alg, use="sig")


class KeyRing:
    """The app's JWT keys: `current` signs; `find(kid)` gives the key that verifies a token."""

    def __init__(self, alg, keys, current_kid):
        self.alg = alg
        self._keys = {k.kid: k for k in keys}
        self.current = self._keys[current_kid]

    def find(self, kid):
        """The key named `kid`, or None when this ring has no such key."""
        return self._keys.get(kid) if isinstance(kid, str) else None

    @property
    def keys(self):
        return list(self._keys.values())

    def public_jwks(self):
        """The JWK Set of the public keys (empty for a shared secret: it is never published)."""
        return {"keys": [jwk for jwk in (k.public_jwk() for k in self.keys) if jwk]}


def ring():
    """The current app's key ring."""
    return current_app.extensions["lab_keyring"]


def _generate(alg):
    if alg.startswith(("RS", "PS")):
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if alg == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    return ed25519.Ed25519PrivateKey.generate()


def _private_key(instance_path, alg):
    family = "rsa" if alg.startswith(("RS", "PS")) else alg.lower()
    path = Path(instance_path) / f"jwt_{family}_private.pem"
    if not path.exists():
        pem = _generate(alg).private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption())
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(pem)
        except FileExistsError:
            pass  # another process made it first: use theirs
    return serialization.load_pem_private_key(path.read_bytes(), password=None)


def load(config, instance_path):
    """The key ring for the app's JWT_ALGORITHM (keys generated and persisted on first use)."""
    alg = config["JWT_ALGORITHM"]
    if alg not in SUPPORTED:
        raise ValueError(f"JWT_ALGORITHM must be one of {', '.join(SUPPORTED)}, not {alg!r}")
    if alg.startswith("HS"):
        secret = config["JWT_SECRET_KEY"].encode()
        if len(secret) < 32:
            raise ValueError("JWT_SECRET_KEY must be at least 32 bytes for HMAC")
        kid = thumbprint({"kty": "oct", "k": base64.urlsafe_b64encode(secret).rstrip(b"=")
                          .decode()})
        key = Key(kid, alg, secret, secret, None)
    else:
        private = _private_key(instance_path, alg)
        public = private.public_key()
        pem = public.public_bytes(serialization.Encoding.PEM,
                                  serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        jwk = _ALGORITHMS[alg].to_jwk(public, as_dict=True)
        key = Key(thumbprint(jwk), alg, private, public, pem)
    return KeyRing(alg, [key], key.kid)
