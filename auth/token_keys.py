"""Signing and verification keys for the JWT flow, one algorithm pinned per app.

HS* share one secret (JWT_SECRET_KEY, >= 32 bytes). RS*/PS*/ES*/EdDSA sign with a private key
generated once into the instance folder; verifying needs only the public key, which is what lets
any node check a token without being able to mint one.
"""
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

SUPPORTED = ("HS256", "HS384", "HS512", "RS256", "PS256", "ES256", "EdDSA")


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
    """Return (algorithm, signing key, verifying key, public PEM or None) for the app's config."""
    alg = config["JWT_ALGORITHM"]
    if alg not in SUPPORTED:
        raise ValueError(f"JWT_ALGORITHM must be one of {', '.join(SUPPORTED)}, not {alg!r}")
    if alg.startswith("HS"):
        secret = config["JWT_SECRET_KEY"].encode()
        if len(secret) < 32:
            raise ValueError("JWT_SECRET_KEY must be at least 32 bytes for HMAC")
        return alg, secret, secret, None
    private = _private_key(instance_path, alg)
    public = private.public_key()
    pem = public.public_bytes(serialization.Encoding.PEM,
                              serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return alg, private, public, pem
