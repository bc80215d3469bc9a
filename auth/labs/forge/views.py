"""The forge lab's API (its page is the Forge tab of the inspector): make a forged token, hand it
to the naive verifier (auth/labs/forge/naive.py) or to the real one (auth/tokens/verify.py's
verify_access, called as /api/jwt/me calls it), and try the admin-only answer with each.

Stateless: no cookie is read, nothing pasted is stored. The only state is the learner's
(attacker's) key in Redis, which the attacker origin publishes for the jku attack.
"""
import json

from flask import Blueprint, current_app, jsonify
from flask_babel import gettext as _

from ...core import users
from ...core.errors import ApiError, json_body, json_error
from ...core.http import no_store
from ...jose.decode import Malformed, split
from ...tokens.verify import StoreUnavailable, TokenError, verify_access
from ...tokens.views import store_unavailable
from . import naive, recipes

bp = Blueprint("forge", __name__)
bp.after_request(no_store)
bp.register_error_handler(StoreUnavailable, store_unavailable)
_MAX_TOKEN = 16 * 1024


def _flaws(body):
    flaws = body.get("flaws", [])
    if not isinstance(flaws, list) or not all(isinstance(f, str) for f in flaws):
        raise ApiError(400, "invalid_request", _("\"flaws\" must be a list of flaw names."))
    unknown = [f for f in flaws if f not in naive.FLAWS]
    if unknown:
        raise ApiError(400, "invalid_request", _("Unknown flaw(s): %(names)s. Known: %(known)s.",
                                                 names=", ".join(unknown)[:200],
                                                 known=", ".join(naive.FLAWS)))
    return flaws


def _verifier(body):
    verifier = body.get("verifier")
    if verifier not in ("naive", "real"):
        raise ApiError(400, "invalid_request", _("\"verifier\" must be \"naive\" or \"real\"."))
    return verifier


def _header_steps(token):
    """What the token's header asks for, as the real verifier reads it (for the trace only)."""
    try:
        header = split(token).header
    except Malformed:
        return []
    asks = [f"alg={header['alg']}"[:60]]
    for name in ("kid", "jwk", "jku"):
        if name in header:
            asks.append(f"{name}={json.dumps(header[name])}"[:60])
    return [_("header %(asks)s", asks=", ".join(asks))]


def real_verdict(token):
    """The real verifier's answer: verify_access, exactly as /api/jwt/me calls it."""
    steps = _header_steps(token)
    steps.append(_("auth/tokens/verify.py: alg pinned to %(alg)s, key by kid from the ring, "
                   "then claims and revocation", alg=current_app.extensions["lab_keyring"].alg))
    try:
        claims = verify_access(token)
    except TokenError as exc:
        steps += [exc.reason, _("REJECT")]
        return {"accepted": False, "reason": exc.reason, "message": exc.message, "steps": steps,
                "claims": None}
    steps.append(_("ACCEPT"))
    return {"accepted": True, "reason": "accepted",
            "message": _("The real verifier accepted this token: it is genuine."),
            "steps": steps, "claims": claims}


def _verdict(token, verifier, flaws):
    if verifier == "real":
        return real_verdict(token)
    return naive.verify(token, flaws)


def _token(body):
    token = body["token"]
    if len(token) > _MAX_TOKEN:
        raise ApiError(400, "invalid_request", _("The token is longer than %(n)d characters.",
                                                 n=_MAX_TOKEN))
    return token


@bp.post("/api/lab/forge/verify")
def verify():
    """{"token", "verifier": "naive"|"real", "flaws": [...]} → {"accepted", "reason", "steps"}."""
    body = json_body("token")
    verifier, flaws = _verifier(body), _flaws(body)
    answer = _verdict(_token(body), verifier, flaws if verifier == "naive" else [])
    answer.pop("claims", None)
    answer.update(verifier=verifier, flaws=flaws if verifier == "naive" else [])
    return jsonify(answer)


@bp.post("/api/lab/forge/admin")
def admin():
    """The lab's admin-only answer, behind the verifier the body names (naive: with its flaws).

    The token comes in Authorization: Bearer, as on any API. Admin means role "admin" in the
    claims the verifier accepted (with the real verifier, the users table is read again too)."""
    from ...tokens.views import bearer_token  # the same header rules as /api/jwt/me

    body = json_body()
    verifier, flaws = _verifier(body), _flaws(body)
    token = bearer_token()
    answer = _verdict(token, verifier, flaws)
    if not answer["accepted"]:
        return jsonify({"admin": False, "error": "invalid_token", "reason": answer["reason"],
                        "message": answer["message"], "steps": answer["steps"]}), 401
    claims = answer["claims"]
    role = claims.get("role")
    if verifier == "real":
        user = users.get(claims["sub"])
        role = user["role"] if user else None
    if role != "admin":
        return jsonify({"admin": False, "error": "forbidden", "reason": "not_admin",
                        "message": _("The token was accepted, but it is not an administrator's "
                                     "(role %(role)s).", role=str(role)[:40]),
                        "steps": answer["steps"]}), 403
    return jsonify({"admin": True, "verifier": verifier, "flaws": flaws,
                    "message": _("Admin-only answer: welcome, %(name)s. Behind this door an "
                                 "administrator can read and change every account.",
                                 name=str(claims.get("username", claims.get("sub")))[:40]),
                    "steps": answer["steps"]})


_BAD = {
    "no_public_key": lambda: _("This lab signs with a shared secret (HS*), so it publishes no "
                               "public key to confuse: start it with JWT_ALGORITHM=RS256 (or "
                               "ES256, EdDSA) to try key confusion."),
    "encoding": lambda: _("Unknown key encoding (pem, pkcs1, der, jwk); PKCS#1 exists for RSA "
                          "keys only."),
}


@bp.post("/api/lab/forge/make")
def make():
    """{"recipe", "header", "payload", "options", "signature"} → {"token"}: the forged token."""
    body = json_body("recipe")
    recipe = body["recipe"]
    if recipe not in recipes.RECIPES:
        return json_error(400, "invalid_request", _("Unknown recipe. Known: %(known)s.",
                                                    known=", ".join(recipes.RECIPES)))
    header, payload = body.get("header", {}), body.get("payload", {})
    options, signature = body.get("options", {}), body.get("signature", "")
    if not isinstance(header, dict) or not isinstance(options, dict):
        return json_error(400, "invalid_request", _("\"header\" and \"options\" must be JSON "
                                                    "objects."))
    if not isinstance(payload, (dict, str)) or not isinstance(signature, str):
        return json_error(400, "invalid_request", _("\"payload\" must be a JSON object or text, "
                                                    "\"signature\" a string."))
    if len(json.dumps([header, payload, options])) > _MAX_TOKEN:
        return json_error(400, "invalid_request", _("The header and payload are too long."))
    try:
        token = recipes.make(recipe, header, payload, options, signature)
    except recipes.BadRecipe as exc:
        why = _BAD.get(exc.message)
        return json_error(400, "invalid_recipe", why() if why else
                          _("This recipe cannot be made from these options (%(what)s).",
                            what=exc.message))
    except (TypeError, ValueError):
        return json_error(400, "invalid_request", _("The header cannot be used as a JWT header."))
    return jsonify({"token": token, "recipe": recipe})


@bp.get("/api/lab/forge/info")
def info():
    """What the forge tab offers on this lab: the lab's alg, whether a public key is published,
    the recipes, flaws and presets, and the jku URL of the attacker origin."""
    key = current_app.extensions["lab_keyring"].current
    encodings = [e for e in recipes.ENCODINGS if key.public_pem and
                 recipes.public_key_bytes(e) is not None]
    return jsonify({"lab_alg": key.alg, "public_key": key.public_pem is not None,
                    "encodings": encodings, "recipes": list(recipes.RECIPES),
                    "flaws": list(naive.FLAWS), "presets": list(recipes.PRESETS),
                    "none_casings": list(recipes.NONE_CASINGS), "kid_path": recipes.KID_PATH,
                    "jku": recipes.jku_url()})
