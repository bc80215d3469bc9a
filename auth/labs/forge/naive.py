"""The NAIVE verifier: hand-written, deliberately flawed on demand, for the forge lab only.

Nothing in the real flow imports this module (auth/tokens/verify.py is the real verifier; a test
checks that no module outside auth/labs/forge imports this one). Each classic flaw is one switch:

  alg-from-header     the algorithm is the one the token's header names, not the server's
  accept-none         alg "none" (in any casing) means "no signature to check"
  key-from-jwk        a "jwk" in the header is the key (and its algorithm comes with it)
  fetch-jku           the key set is fetched from the header's "jku" URL (here: only from this
                      lab's own attacker origin on loopback, never anywhere else)
  kid-as-path         the "kid" is read as a file path; the file's bytes are the HMAC secret
                      (here: only /dev/null or a file of the lab's own keys folder is read)
  public-key-as-hmac  HS* is allowed beside the server's RS/ES/EdDSA algorithm, with the text of
                      the server's public key (its PEM, as stored) as the HMAC secret
  skip-exp            exp and nbf are not checked

With no switch on it behaves correctly: the server's algorithm only, its own key by kid, the
signature, the type, iss, aud, exp and nbf. Its answer is the decision path, step by step.
"""
import hashlib
import hmac
import json
import os
import time
from urllib.parse import urlsplit
from urllib.request import Request, build_opener, ProxyHandler

import jwt
from flask import current_app
from flask_babel import gettext as _
from jwt.algorithms import get_default_algorithms

from ...jose.decode import Malformed, split
from ...tokens.keys import ring

FLAWS = ("alg-from-header", "accept-none", "key-from-jwk", "fetch-jku", "kid-as-path",
         "public-key-as-hmac", "skip-exp")
ALGORITHMS = get_default_algorithms()
HMAC = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}
KTY = {"HS": "oct", "RS": "RSA", "PS": "RSA", "ES": "EC", "Ed": "OKP"}
KEYS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "keys")
_MAX_JWKS = 64 * 1024


class Refused(Exception):
    def __init__(self, reason, message):
        super().__init__(message)
        self.reason, self.message = reason, message


def attacker_port():
    cfg = current_app.config  # as app.py: ATTACKER_PORT, else the lab's port + 100
    return cfg.get("ATTACKER_PORT") or cfg.get("PORT", 5000) + 100


def _kty_of_alg(alg):
    return KTY.get(alg[:2])


class _Trace:
    def __init__(self):
        self.steps = []

    def add(self, text):
        self.steps.append(text)


def _shown(value, limit=80):
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= limit else text[:limit] + "…"


# --- Where the key comes from ----------------------------------------------------------------

def _key_from_jwk(jwk, alg, t):
    if not isinstance(jwk, dict) or _kty_of_alg(alg) != jwk.get("kty"):
        raise Refused("key_mismatch", _("The key does not fit the algorithm %(alg)s.", alg=alg))
    try:
        key = jwt.PyJWK(jwk, algorithm=alg).key
    except Exception:
        raise Refused("key_mismatch", _("The JWK could not be turned into a key.")) from None
    return key


def _jku_allowed(url):
    """Only this lab's own attacker origin, on loopback: the lab never fetches anything else."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    return (parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost")
            and port == attacker_port() and not parts.username
            and parts.path.startswith("/forge/"))


def _fetch_jwks(url):
    opener = build_opener(ProxyHandler({}))  # never through a proxy: loopback only
    with opener.open(Request(url, headers={"Accept": "application/json"}), timeout=3) as res:
        data = res.read(_MAX_JWKS + 1)
    if len(data) > _MAX_JWKS:
        raise ValueError("too large")
    jwks = json.loads(data)
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
        raise ValueError("not a JWK Set")
    return jwks["keys"]


def _key_from_path(kid):
    """The bytes of the file `kid` names, relative to the lab's keys folder; /dev/null is empty.

    A naive server would open any path. This lab opens only /dev/null (always empty) and files
    inside its own keys folder, so no file of this machine ever becomes a key."""
    path = os.path.normpath(os.path.join(KEYS_DIR, kid))
    if path == os.devnull:
        return path, b""
    if os.path.dirname(path) == KEYS_DIR and os.path.isfile(path):
        with open(path, "rb") as fh:
            return path, fh.read(4096)
    raise Refused("path_not_read", _("The kid resolves to %(path)s. A naive server would read "
                                     "that file; this lab reads only /dev/null and its own keys "
                                     "folder, so the token is refused.", path=_shown(path)))


def _choose_key(header, alg, flaws, t):
    """(key, kind) for verifying; kind is "secret" (bytes) or "public" (a key object)."""
    if "key-from-jwk" in flaws and "jwk" in header:
        t.add(_("key from header jwk (kty %(kty)s)", kty=_shown(str(header["jwk"].get("kty"))
                                                           if isinstance(header["jwk"], dict)
                                                           else "?")))
        key = _key_from_jwk(header["jwk"], alg, t)
        return key, ("secret" if isinstance(key, bytes) else "public")
    if "fetch-jku" in flaws and "jku" in header:
        url = header["jku"]
        if not isinstance(url, str) or not _jku_allowed(url):
            t.add(_("jku=%(url)s is not this lab's attacker origin", url=_shown(str(url))))
            raise Refused("jku_not_fetched", _("The naive verifier fetches a jku only from this "
                                               "lab's own attacker origin on loopback (port "
                                               "%(port)s); this URL is not fetched.",
                                               port=attacker_port()))
        try:
            keys = _fetch_jwks(url)
        except Exception:
            t.add(_("fetch jku %(url)s failed", url=_shown(url)))
            raise Refused("jku_unreachable", _("The JWK Set at the jku URL could not be "
                                               "fetched or read.")) from None
        t.add(_("fetched jku %(url)s: %(n)d key(s)", url=_shown(url), n=len(keys)))
        kid = header.get("kid")
        found = [k for k in keys if isinstance(k, dict) and (kid is None or k.get("kid") == kid)]
        if not found:
            raise Refused("unknown_key", _("The fetched JWK Set has no key with this kid."))
        key = _key_from_jwk(found[0], alg, t)
        return key, ("secret" if isinstance(key, bytes) else "public")
    kid = header.get("kid")
    lab_key = ring().find(kid)
    if "kid-as-path" in flaws and isinstance(kid, str) and lab_key is None:
        path, data = _key_from_path(kid)
        t.add(_("kid read as a path: %(path)s → %(n)d bytes as the key", path=_shown(path),
                n=len(data)))
        return data, "secret"
    if lab_key is None:
        t.add(_("kid=%(kid)s is not on the server's key ring", kid=_shown(str(kid))))
        raise Refused("unknown_key", _("The token names a key (kid) this server does not have."))
    t.add(_("server key by kid (%(alg)s)", alg=lab_key.alg))
    if lab_key.public_pem is None:
        return lab_key.verify, "secret"
    if alg in HMAC:
        if "public-key-as-hmac" not in flaws:
            raise Refused("key_mismatch", _("%(alg)s needs a shared secret, and the server's key "
                                            "is a public key: refused.", alg=alg))
        t.add(_("the public key's PEM text used as the HMAC secret"))
        return lab_key.public_pem.encode(), "secret"
    return lab_key.verify, "public"


def _allowed_algs(flaws):
    pinned = ring().alg
    allowed = {pinned}
    if "public-key-as-hmac" in flaws:
        allowed |= set(HMAC)
    return allowed


# --- The decision path -----------------------------------------------------------------------

def _signature(parts, alg, header, flaws, t):
    if alg.lower() == "none":
        if "accept-none" in flaws:
            t.add(_("alg=%(alg)s: signature skipped", alg=_shown(alg)))
            return
        t.add(_("alg=%(alg)s", alg=_shown(alg)))
        raise Refused("algorithm_not_allowed", _("An unsigned token (alg none) is refused."))
    from_token = (("key-from-jwk" in flaws and "jwk" in header)
                  or ("fetch-jku" in flaws and "jku" in header)
                  or ("kid-as-path" in flaws and isinstance(header.get("kid"), str)
                      and ring().find(header.get("kid")) is None))
    if "alg-from-header" in flaws or from_token:
        t.add(_("alg from header=%(alg)s", alg=_shown(alg)))
        if alg not in ALGORITHMS or alg == "none":
            raise Refused("algorithm_not_allowed", _("The algorithm %(alg)s is not implemented.",
                                                     alg=_shown(alg)))
    elif alg not in _allowed_algs(flaws):
        t.add(_("alg %(alg)s not allowed (server: %(pinned)s)", alg=_shown(alg),
                pinned=ring().alg))
        raise Refused("algorithm_not_allowed", _("The token's algorithm is not the one this "
                                                 "server uses."))
    else:
        t.add(_("alg %(alg)s allowed", alg=alg))
    key, kind = _choose_key(header, alg, flaws, t)
    if alg in HMAC:
        if kind != "secret":
            raise Refused("key_mismatch", _("%(alg)s needs a shared secret, and this key is a "
                                            "public key: refused.", alg=alg))
        good = hmac.compare_digest(hmac.new(key, parts.signing_input, HMAC[alg]).digest(),
                                   parts.signature)
    else:
        if kind != "public":
            raise Refused("key_mismatch", _("The key does not fit the algorithm %(alg)s.",
                                            alg=alg))
        try:
            algorithm = ALGORITHMS[alg]
            good = algorithm.verify(parts.signing_input, key, parts.signature)
        except Exception:
            good = False
    if not good:
        t.add(_("signature does not match"))
        raise Refused("bad_signature", _("The signature does not match: the token was altered "
                                         "or signed with another key."))
    t.add(_("signature matches"))


def _claims(payload, flaws, t):
    cfg = current_app.config
    if not isinstance(payload, dict):
        raise Refused("malformed", _("The payload is not a JSON object."))
    if payload.get("type") != "access":
        t.add(_("type=%(type)s", type=_shown(str(payload.get("type")))))
        raise Refused("wrong_type", _("This is not an access token."))
    if payload.get("iss") != cfg["JWT_ISSUER"]:
        t.add(_("iss=%(iss)s", iss=_shown(str(payload.get("iss")))))
        raise Refused("wrong_issuer", _("The token was issued by another issuer (iss)."))
    aud = payload.get("aud")
    if aud != cfg["JWT_AUDIENCE"] and not (isinstance(aud, list) and cfg["JWT_AUDIENCE"] in aud):
        t.add(_("aud=%(aud)s", aud=_shown(aud)))
        raise Refused("wrong_audience", _("The token was issued for another audience."))
    if not isinstance(payload.get("sub"), str):
        raise Refused("malformed", _("The token's sub must be a string."))
    if "skip-exp" in flaws:
        t.add(_("exp and nbf not checked"))
        return
    now, leeway = time.time(), cfg["JWT_LEEWAY"]
    exp, nbf = payload.get("exp"), payload.get("nbf", payload.get("iat"))
    number = (int, float)
    if not isinstance(exp, number) or isinstance(exp, bool):
        raise Refused("missing_claim", _("The token lacks a numeric exp."))
    if exp + leeway <= now:
        t.add(_("exp is past"))
        raise Refused("expired", _("The token has expired."))
    if isinstance(nbf, number) and not isinstance(nbf, bool) and nbf - leeway > now:
        t.add(_("nbf is in the future"))
        raise Refused("not_yet_valid", _("The token is not valid yet (nbf or iat in the "
                                         "future)."))
    t.add(_("type, iss, aud, exp, nbf ok"))


def verify(token, flaws):
    """{"accepted", "reason", "message", "steps", "claims"} for `token` with `flaws` switched on."""
    flaws = set(flaws)
    t = _Trace()
    claims = None
    try:
        try:
            parts = split(token)
        except Malformed as exc:
            t.add(_("token cannot be decoded"))
            raise Refused("malformed", exc.message) from None
        header = parts.header
        t.add(_("header alg=%(alg)s", alg=_shown(header["alg"])))
        _signature(parts, header["alg"], header, flaws, t)
        _claims(parts.payload, flaws, t)
        claims = parts.payload
    except Refused as exc:
        t.add(_("REJECT"))
        return {"accepted": False, "reason": exc.reason, "message": exc.message,
                "steps": t.steps, "claims": None}
    t.add(_("ACCEPT"))
    return {"accepted": True, "reason": "accepted",
            "message": _("The naive verifier accepted this token."), "steps": t.steps,
            "claims": claims}
