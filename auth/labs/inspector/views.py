"""The token inspector: decode any JWT, verify it with a given key or with this lab's own key,
explain every claim.

Nothing pasted here is stored or logged: no Redis, no session (the session interface skips
/api/inspect), and no log line ever holds a token or a key. The answer is built in memory.
With "lab_key", the lab's own key is used on the server: it is never sent to the browser.
"""
import ipaddress
import json
from urllib.parse import urlsplit

from flask import Blueprint, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from jwt.algorithms import get_default_algorithms

from ...core.errors import json_body, json_error
from ...jose.decode import Malformed, expired, split
from ...jose.keys import FAMILY, KeyMismatch, verification_key
from ...tokens.keys import ring

bp = Blueprint("inspector", __name__)
ALGORITHMS = get_default_algorithms()
_SHOWN_KID = 64  # a kid is only a name: long ones are cut when quoted back


@bp.errorhandler(Malformed)
def malformed(exc):
    response = jsonify({"error": "malformed_token", "part": exc.part, "message": exc.message})
    return response, 400


@bp.after_request
def no_store(response):
    response.headers["Cache-Control"] = "no-store"  # the answer repeats the token: never cache it
    return response


def _refused(alg):
    """(False, reason) when no key may decide: an unsigned token or an alg off the allow-list."""
    if alg.lower() == "none":
        return False, _("This token is unsigned (alg \"none\"). An unsigned token can never be "
                        "verified, so no server should accept it.")
    if alg not in FAMILY:
        return False, _("The algorithm %(alg)s is not on the allow-list (%(allowed)s), so this "
                        "token is not verified.", alg=alg, allowed=", ".join(FAMILY))
    return None


def _check(parts, alg, key):
    """(verified, reason) for a prepared-able `key` that is known to fit `alg`."""
    try:
        algorithm = ALGORITHMS[alg]
        good = algorithm.verify(parts.signing_input, algorithm.prepare_key(key), parts.signature)
    except Exception:  # anything the crypto layer raises on a crafted key or signature
        return False, _("This key does not fit %(alg)s.", alg=alg)
    if not good:
        return False, _("The signature does not match: the header or payload was changed after "
                        "signing, or another key signed it. The signature covers the exact "
                        "bytes of header.payload, so changing one character breaks it.")
    return True, _("The signature is valid: %(alg)s over the exact bytes of header.payload "
                   "matches this key.", alg=alg)


def verify(parts, key_text):
    """(verified, reason) for the decoded token and the pasted key text (None: no key).

    verified is None only when a key could decide and none was given: an unsigned token, or an
    alg outside the allow-list, is False with or without a key. A key that does not fit the alg
    is False too, answered 200 rather than 400 invalid_key: the token itself was readable, and
    "this key cannot verify this token" is a verification result like any other.
    """
    alg = parts.header["alg"]
    refused = _refused(alg)
    if refused:
        return refused
    if key_text is None:
        return None, _("No key given: the token was only decoded, which anyone can do. Only a "
                       "key can show whether the signature is genuine.")
    # The header's alg is used only because it is on the allow-list and the key fits it: the
    # key's family is checked first, so an HS* token never gets a public key as its secret.
    try:
        key = verification_key(key_text, alg, parts.header.get("kid"))
    except KeyMismatch as exc:
        return False, exc.message
    except Exception:  # anything else the crypto layer raises on a crafted key
        return False, _("This key does not fit %(alg)s.", alg=alg)
    return _check(parts, alg, key)


def verify_with_lab_key(parts):
    """(verified, reason) with this lab's own key: the one named by the token's kid, else the
    current one. The key stays on the server; the reason names its kid and alg, never the key.

    The refusals are the same as for a pasted key: the lab's public key is never used as an
    HMAC secret (key confusion), a shared secret never checks an RS/ES/EdDSA token, and a key
    is used with its own algorithm only, as the app itself does.
    """
    alg = parts.header["alg"]
    refused = _refused(alg)
    if refused:
        return refused
    keyring = ring()
    kid = parts.header.get("kid")
    key = keyring.find(kid)
    notes = []
    if key is None:
        key = keyring.current
        if kid is not None:
            shown = str(kid)
            shown = shown if len(shown) <= _SHOWN_KID else shown[:_SHOWN_KID] + "…"
            notes.append(_("The token's kid (%(kid)s) is not on this lab's key ring, so the "
                           "lab's current key was used; the app itself would refuse this token.",
                           kid=shown))
    verified, reason = _lab_verdict(parts, alg, key)
    notes.append(_("Checked on the server with this lab's key (kid %(kid)s, %(alg)s); the key "
                   "itself never leaves the server.", kid=key.kid, alg=key.alg))
    return verified, " ".join([reason] + notes)


def _lab_verdict(parts, alg, key):
    if key.public_pem is not None:
        # Exactly what pasting the lab's public key would answer: key confusion, wrong family.
        try:
            public = verification_key(key.public_pem, alg, parts.header.get("kid"))
        except KeyMismatch as exc:
            return False, exc.message
    elif FAMILY[alg] != "oct":
        return False, _("%(alg)s is checked with a public key (PEM or JWK), not with a shared "
                        "secret.", alg=alg)
    else:
        public = key.verify
    if alg != key.alg:
        return False, _("This lab's key is for %(key_alg)s only, but the token says %(alg)s: a "
                        "key is used with its own algorithm only.", key_alg=key.alg, alg=alg)
    return _check(parts, alg, public)


def _is_loopback(host):
    """True when the page was asked for by a loopback name or address (this very computer)."""
    try:
        name = urlsplit(f"//{host}").hostname or ""
    except ValueError:
        return False
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


@bp.get("/inspect")
def page():
    """The inspector page: paste a token, give a key, see every part and claim explained."""
    key = ring().current
    return render_template("labs/inspector/index.html", lab_alg=key.alg,
                           lab_public_pem=key.public_pem, host=request.host,
                           loopback=_is_loopback(request.host))


@bp.post("/api/inspect")
def api():
    """Decode `token` and verify it with `key`, or with this lab's key when `lab_key` is true.

    Nothing is stored or logged."""
    body = json_body("token")
    token, key, lab_key = body["token"], body.get("key"), body.get("lab_key", False)
    if not isinstance(lab_key, bool):
        return json_error(400, "invalid_request", _("\"lab_key\" must be true or false."))
    if lab_key and key is not None:
        return json_error(400, "invalid_request", _("Send either \"key\" or \"lab_key\", not "
                                                    "both."))
    if isinstance(key, dict):
        key = json.dumps(key)  # a JWK sent as a JSON object rather than as text
    elif key is not None and not isinstance(key, str):
        return json_error(400, "invalid_request", _("\"key\" must be a string (a secret, a PEM "
                                                    "key or a JWK) or a JWK object."))
    parts = split(token)
    if lab_key:
        verified, reason = verify_with_lab_key(parts)
    else:
        verified, reason = verify(parts, key if key and key.strip() else None)
    is_expired = expired(parts.payload)
    if verified and is_expired:
        reason += " " + _("It has expired, though, so a server would still refuse it.")
    answer = {"header": parts.header, "payload": parts.payload, "signature": parts.signature_b64,
              "verified": verified, "reason": reason, "expired": is_expired}
    # Not jsonify, which sorts keys: the claims should read in the token's own order.
    return current_app.response_class(json.dumps(answer), mimetype="application/json")
