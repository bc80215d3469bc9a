"""Pasted key text -> a verification key that fits one algorithm, or a KeyMismatch saying why not.

Accepted: a shared secret, a PEM public key, certificate or unencrypted private key (only its
public half is used), an OpenSSH public key, a JWK or a JWK Set. The token's alg decides which of
these may be used; a key of another kind is refused, never "tried in case it works".
"""
import base64
import binascii
import json

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization as ser
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from flask_babel import gettext as _

# The allow-list: each algorithm the inspector verifies, and the one key family it accepts.
# "none" and every other alg are refused before any key is looked at.
FAMILY = {"HS256": "oct", "HS384": "oct", "HS512": "oct",
          "RS256": "RSA", "RS384": "RSA", "RS512": "RSA", "PS256": "RSA",
          "ES256": "EC P-256", "ES384": "EC P-384", "ES512": "EC P-521", "EdDSA": "OKP"}
CURVES = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}


class KeyMismatch(Exception):
    """The key cannot be used for this token's algorithm; `message` says why, for people."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def _family_of(key):
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"EC {CURVES.get(key.curve.name, key.curve.name)}"
    if isinstance(key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
        return "OKP"
    return type(key).__name__.removesuffix("PublicKey")  # DSA, X25519, …: never fits


def _public(key):
    # Private keys and certificates both carry the public key; verifying needs nothing more.
    return key.public_key() if hasattr(key, "public_key") else key


def _confusion(alg):
    return KeyMismatch(_("%(alg)s uses a shared secret, but this is a public or private key. "
                         "Using a public key's text as an HMAC secret is the key-confusion "
                         "attack, so it is refused.", alg=alg))


def _wrong_family(alg, got):
    return KeyMismatch(_("This key does not fit %(alg)s, which needs a key of type %(needed)s; "
                         "this key is of type %(got)s.", alg=alg, needed=FAMILY[alg], got=got))


def _from_pem(text):
    data = text.encode()
    loaders = (ser.load_pem_public_key, x509.load_pem_x509_certificate,
               lambda d: ser.load_pem_private_key(d, password=None), ser.load_ssh_public_key)
    for load in loaders:
        try:
            return _public(load(data))
        except Exception:  # not this format (or encrypted): try the next one
            continue
    raise KeyMismatch(_("The key could not be read as a PEM public key, a certificate, an "
                        "unencrypted private key or an OpenSSH public key."))


def _is_bare_der(text):
    """Key bytes pasted without PEM armour are still a key: the PEM body (base64) without its
    BEGIN/END lines, or the DER as hex (as `openssl asn1parse`, `xxd -p` or a debugger print it,
    also with ':' or spaces between bytes). Used as an HMAC secret, the hex text of a public
    key is the same key-confusion attack as its PEM text.
    """
    compact = "".join(text.split())
    encoded = []
    try:
        encoded.append(base64.b64decode(compact, validate=True))
    except (binascii.Error, ValueError):
        pass
    try:
        encoded.append(bytes.fromhex(compact.replace(":", "")))
    except ValueError:
        pass
    loaders = (ser.load_der_public_key, x509.load_der_x509_certificate,
               lambda d: ser.load_der_private_key(d, password=None))
    for data in encoded:
        for load in loaders:
            try:
                load(data)
                return True
            except Exception:  # not this format
                continue
    return False


def _pick(keys, kid, kty):
    """From a JWK Set: the key with the token's kid, else the only key of the right type."""
    candidates = [k for k in keys if isinstance(k, dict)]
    by_kid = [k for k in candidates if kid is not None and k.get("kid") == kid]
    fitting = by_kid or [k for k in candidates if k.get("kty") == kty]
    if len(fitting) != 1:
        raise KeyMismatch(_("This JWK Set has no single key for this token (matched by kid, "
                            "or the only %(kty)s key). Paste that one key alone.", kty=kty))
    return fitting[0]


def _from_jwk(text, alg, kid):
    kty = FAMILY[alg].split()[0]
    try:
        jwk = json.loads(text)
    except Exception:  # ValueError, or RecursionError on absurd nesting
        raise KeyMismatch(_("The key starts like JSON but is not valid JSON, so it cannot be "
                            "read as a JWK.")) from None
    if isinstance(jwk, dict) and isinstance(jwk.get("keys"), list):
        jwk = _pick(jwk["keys"], kid, kty)
    if not isinstance(jwk, dict) or not isinstance(jwk.get("kty"), str):
        raise KeyMismatch(_("A JWK is a JSON object with a \"kty\" member; this is not one."))
    if jwk["kty"] != kty:
        if kty == "oct":
            raise _confusion(alg)
        raise _wrong_family(alg, " ".join(str(jwk[m]) for m in ("kty", "crv") if m in jwk))
    if jwk.get("alg") not in (None, alg):
        raise KeyMismatch(_("This JWK is marked for %(key_alg)s, but the token says %(alg)s: a "
                            "key is used with its own algorithm only.",
                            key_alg=str(jwk["alg"]), alg=alg))
    try:
        key = jwt.PyJWK(jwk, algorithm=alg).key
    except Exception:  # PyJWT's messages can quote the key itself: never pass them on
        raise KeyMismatch(_("The JWK could not be turned into a key: a member is missing, "
                            "badly encoded, or of the wrong size.")) from None
    return key if isinstance(key, bytes) else _public(key)


def verification_key(text, alg, kid=None):
    """The key in `text` for verifying an `alg` token (bytes or a public key); KeyMismatch if not.

    Surrounding whitespace is ignored, also around a shared secret (a copied secret often ends
    in a line break). `alg` must be a key of FAMILY; `kid` picks a key from a JWK Set.
    """
    text = text.strip()
    needed = FAMILY[alg]
    if text.startswith(("{", "[")):
        key = _from_jwk(text, alg, kid)
    elif "-----BEGIN" in text or text.startswith(("ssh-", "ecdsa-sha2-")):
        if needed == "oct":
            raise _confusion(alg)
        key = _from_pem(text)
    elif needed == "oct":
        if _is_bare_der(text):
            raise _confusion(alg)
        return text.encode()
    else:
        raise KeyMismatch(_("%(alg)s is checked with a public key (PEM or JWK), not with a "
                            "shared secret.", alg=alg))
    if needed != "oct" and _family_of(key) != needed:
        raise _wrong_family(alg, _family_of(key))
    return key
