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
import time
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
    """The app's JWT keys: `current` signs; `find(kid)` gives the key that verifies a token.

    A ring with a `manifest` (an asymmetric algorithm) follows that file: every process of a
    cluster shares the instance folder, so when one node rotates, the others see the new
    manifest (one stat() per lookup) and reload: no node refuses a token another one just
    signed with the new key.
    """

    def __init__(self, alg, keys, current_kid, manifest=None, retire=None):
        self.alg = alg
        self._keys = {k.kid: k for k in keys}
        self._current_kid = current_kid
        self.manifest, self._mtime = manifest, _mtime(manifest)
        self.retire = dict(retire or {})  # kid -> time after which it verifies nothing

    def _sync(self):
        if self.manifest is None:
            return
        mtime = _mtime(self.manifest)
        if mtime != self._mtime:
            fresh = _load_manifest(self.alg, self.manifest)
            if fresh is not None:
                keys, self._current_kid, self.retire = fresh
                self._keys = {k.kid: k for k in keys}
            self._mtime = mtime

    @property
    def current(self):
        self._sync()
        return self._keys[self._current_kid]

    def find(self, kid):
        """The key named `kid`, or None when this ring has no such key (or it was retired)."""
        self._sync()
        key = self._keys.get(kid) if isinstance(kid, str) else None
        if key is not None and self.retire.get(kid, float("inf")) <= time.time():
            return None
        return key

    @property
    def keys(self):
        self._sync()
        now = time.time()
        return [k for k in self._keys.values() if self.retire.get(k.kid, float("inf")) > now]

    def public_jwks(self):
        """The JWK Set of the public keys (empty for a shared secret: it is never published)."""
        return {"keys": [jwk for jwk in (k.public_jwk() for k in self.keys) if jwk]}

    def describe(self):
        """For the lab page: each key, whether it signs, and until when it verifies."""
        current = self.current.kid
        return [{"kid": k.kid, "alg": k.alg, "signs": k.kid == current,
                 "verifies_until": self.retire.get(k.kid)} for k in self.keys]


def ring():
    """The current app's key ring."""
    return current_app.extensions["lab_keyring"]


def _generate(alg):
    if alg.startswith(("RS", "PS")):
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if alg == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    return ed25519.Ed25519PrivateKey.generate()


def _family(alg):
    return "rsa" if alg.startswith(("RS", "PS")) else alg.lower()


def _write_new(path, alg):
    """A new private key at `path` (mode 0600); False when another process made it first."""
    pem = _generate(alg).private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption())
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    return True


def _private_key(instance_path, alg):
    path = Path(instance_path) / f"jwt_{_family(alg)}_private.pem"
    if not path.exists():
        _write_new(path, alg)  # another process made it first: use theirs
    return serialization.load_pem_private_key(path.read_bytes(), password=None)


def _key(alg, private):
    public = private.public_key()
    pem = public.public_bytes(serialization.Encoding.PEM,
                              serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    jwk = _ALGORITHMS[alg].to_jwk(public, as_dict=True)
    return Key(thumbprint(jwk), alg, private, public, pem)


def _mtime(path):
    try:
        return os.stat(path).st_mtime_ns if path else None
    except OSError:
        return None


def manifest_path(instance_path, alg):
    """The rotation manifest: which key files make up the ring, which one signs, and until
    when each retired key still verifies (created by the first rotation)."""
    return Path(instance_path) / f"jwt_{_family(alg)}_ring.json"


def _load_manifest(alg, manifest):
    """(keys, current_kid, retire) from the manifest, or None when there is none (yet)."""
    try:
        data = json.loads(Path(manifest).read_text())
    except (OSError, ValueError):
        return None
    folder = Path(manifest).parent
    keys, retire = [], {}
    for entry in data.get("keys", []):
        try:
            private = serialization.load_pem_private_key((folder / entry["file"]).read_bytes(),
                                                         password=None)
        except (OSError, ValueError, KeyError):
            continue  # a key file removed by an emergency rotation
        key = _key(alg, private)
        keys.append(key)
        if entry.get("verifies_until"):
            retire[key.kid] = entry["verifies_until"]
    if not any(k.kid == data.get("current") for k in keys):
        return None
    return keys, data["current"], retire


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
        return KeyRing(alg, [key], key.kid)
    manifest = manifest_path(instance_path, alg)
    found = _load_manifest(alg, manifest)
    if found is not None:
        keys, current, retire = found
        return KeyRing(alg, keys, current, manifest, retire)
    key = _key(alg, _private_key(instance_path, alg))
    return KeyRing(alg, [key], key.kid, manifest)


def rotate(keyring, instance_path, keep_for, emergency=False):
    """Add a new signing key. The old keys keep verifying for `keep_for` seconds (the longest
    lifetime of a token they signed), or, in an emergency, are dropped at once (their files
    deleted). Returns {"new": kid, "dropped": [kids], "retired": {kid: until}}."""
    if keyring.manifest is None:
        raise ValueError("a shared secret (HS*) is not rotated here: it is configuration")
    alg = keyring.alg
    folder = Path(instance_path)
    while True:
        name = f"jwt_{_family(alg)}_private.{int(time.time() * 1000)}.pem"
        if _write_new(folder / name, alg):
            break
    new = _key(alg, serialization.load_pem_private_key((folder / name).read_bytes(),
                                                       password=None))
    try:
        data = json.loads(keyring.manifest.read_text())
    except (OSError, ValueError):  # the first rotation: the ring was the one legacy key file
        data = {"keys": [{"file": f"jwt_{_family(alg)}_private.pem", "kid": keyring.current.kid}]}
    now = time.time()
    dropped, retired, kept = [], {}, []
    for entry in data["keys"]:
        if entry.get("verifies_until") and entry["verifies_until"] <= now:
            continue  # long expired: nothing it signed is still valid
        if emergency:
            dropped.append(entry.get("kid"))
            try:
                (folder / entry["file"]).unlink()
            except OSError:
                pass
            continue
        entry.setdefault("verifies_until", now + keep_for)
        retired[entry.get("kid")] = entry["verifies_until"]
        kept.append(entry)
    kept.append({"file": name, "kid": new.kid})
    tmp = keyring.manifest.with_suffix(".tmp")
    tmp.write_text(json.dumps({"current": new.kid, "keys": kept}, indent=2))
    os.chmod(tmp, 0o600)
    os.replace(tmp, keyring.manifest)  # atomic: another process reads the old or the new one
    return {"new": new.kid, "dropped": dropped, "retired": retired}
