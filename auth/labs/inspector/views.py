"""The token inspector: decode any JWT, verify it with a given key, explain every claim.

Nothing pasted here is stored or logged: no Redis, no session (the session interface skips
/api/inspect), and no log line ever holds a token or a key. The answer is built in memory.
"""
import json

from flask import Blueprint, current_app, jsonify, render_template
from flask_babel import gettext as _
from jwt.algorithms import get_default_algorithms

from ...core.errors import json_body, json_error
from ...jose.decode import Malformed, expired, split
from ...tokens.keys import ring
from ...jose.keys import FAMILY, KeyMismatch, verification_key

bp = Blueprint("inspector", __name__)
ALGORITHMS = get_default_algorithms()


@bp.errorhandler(Malformed)
def malformed(exc):
    response = jsonify({"error": "malformed_token", "part": exc.part, "message": exc.message})
    return response, 400


@bp.after_request
def no_store(response):
    response.headers["Cache-Control"] = "no-store"  # the answer repeats the token: never cache it
    return response


def verify(parts, key_text):
    """(verified, reason) for the decoded token and the pasted key text (None: no key).

    verified is None only when a key could decide and none was given: an unsigned token, or an
    alg outside the allow-list, is False with or without a key. A key that does not fit the alg
    is False too, answered 200 rather than 400 invalid_key: the token itself was readable, and
    "this key cannot verify this token" is a verification result like any other.
    """
    alg = parts.header["alg"]
    if alg.lower() == "none":
        return False, _("This token is unsigned (alg \"none\"). An unsigned token can never be "
                        "verified, so no server should accept it.")
    if alg not in FAMILY:
        return False, _("The algorithm %(alg)s is not on the allow-list (%(allowed)s), so this "
                        "token is not verified.", alg=alg, allowed=", ".join(FAMILY))
    if key_text is None:
        return None, _("No key given: the token was only decoded, which anyone can do. Only a "
                       "key can show whether the signature is genuine.")
    # The header's alg is used only because it is on the allow-list and the key fits it: the
    # key's family is checked first, so an HS* token never gets a public key as its secret.
    try:
        algorithm = ALGORITHMS[alg]
        key = algorithm.prepare_key(verification_key(key_text, alg, parts.header.get("kid")))
        good = algorithm.verify(parts.signing_input, key, parts.signature)
    except KeyMismatch as exc:
        return False, exc.message
    except Exception:  # anything else the crypto layer raises on a crafted key
        return False, _("This key does not fit %(alg)s.", alg=alg)
    if not good:
        return False, _("The signature does not match: the header or payload was changed after "
                        "signing, or another key signed it. The signature covers the exact "
                        "bytes of header.payload, so changing one character breaks it.")
    return True, _("The signature is valid: %(alg)s over the exact bytes of header.payload "
                   "matches this key.", alg=alg)


@bp.get("/inspect")
def page():
    """The inspector page: paste a token, give a key, see every part and claim explained."""
    key = ring().current
    return render_template("labs/inspector/index.html", lab_alg=key.alg,
                           lab_public_pem=key.public_pem)


@bp.post("/api/inspect")
def api():
    """Decode `token` and, when a `key` is given, verify it; nothing is stored or logged."""
    body = json_body("token")
    token, key = body["token"], body.get("key")
    if isinstance(key, dict):
        key = json.dumps(key)  # a JWK sent as a JSON object rather than as text
    elif key is not None and not isinstance(key, str):
        return json_error(400, "invalid_request", _("\"key\" must be a string (a secret, a PEM "
                                                    "key or a JWK) or a JWK object."))
    parts = split(token)
    verified, reason = verify(parts, key if key and key.strip() else None)
    is_expired = expired(parts.payload)
    if verified and is_expired:
        reason += " " + _("It has expired, though, so a server would still refuse it.")
    answer = {"header": parts.header, "payload": parts.payload, "signature": parts.signature_b64,
              "verified": verified, "reason": reason, "expired": is_expired}
    # Not jsonify, which sorts keys: the claims should read in the token's own order.
    return current_app.response_class(json.dumps(answer), mimetype="application/json")
