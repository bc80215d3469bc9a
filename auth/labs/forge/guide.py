"""The forge tab's guided steps. Each attack is one step, credited from the server's record of
the admin-only door (POST /api/lab/forge/admin): the naive verifier (with the flaw switched on)
opens it with 200, and the real verifier (auth/tokens/verify.py) refuses the same kind of token
with 401. Which attack a request was is read from the forged token itself (its header, its
claims), never from anything the page says about it."""
import time

from flask import current_app, request
from flask_babel import lazy_gettext as _l
from jwt.algorithms import get_default_algorithms

from ...jose.decode import Malformed, split
from ..guide import Guide, Step, done_when as _done
from .recipes import LEARNER_KEY


DOOR = "forge.admin"
ALGORITHMS = get_default_algorithms()


def _body():
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _parts():
    """The forged token of this request (Authorization: Bearer), decoded without a key."""
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    try:
        return split(token.strip())
    except Malformed:
        return None


def _verifier(name, no_flaws=False):
    def applies():
        body = _body()
        flaws = body.get("flaws", [])
        return body.get("verifier") == name and (not no_flaws or flaws == [])
    return applies


def _genuine(parts, key):
    """The signature over header.payload matches the lab's key (the one its kid names)."""
    try:
        algorithm = ALGORITHMS[key.alg]
        return bool(algorithm.verify(parts.signing_input, algorithm.prepare_key(key.verify),
                                     parts.signature))
    except Exception:
        return False


def _kind(parts):
    """Which attack a forged token is, from what it carries."""
    if parts is None:
        return None
    header, payload = parts.header, parts.payload
    alg = str(header.get("alg", ""))
    if alg.lower() == "none":
        return "none"
    if "jwk" in header:
        return "jwk"
    if not isinstance(payload, dict):
        return None
    exp = payload.get("exp")
    key = current_app.extensions["lab_keyring"].find(header.get("kid"))
    if key is None or alg != key.alg:
        return None
    if not _genuine(parts, key):
        return "tampered"  # the lab's own kid and alg, but the signature does not match
    if isinstance(exp, (int, float)) and not isinstance(exp, bool) and exp < time.time():
        return "expired"
    return None  # a genuine token with good claims: no attack at all


def _is(kind, verifier, no_flaws=False):
    applies = _verifier(verifier, no_flaws)

    def when(*_args):
        return applies() and _kind(_parts()) == kind
    return when


def _attack(kind):
    return [_done(DOOR, "POST", (200,), when=_is(kind, "naive")),
            _done(DOOR, "POST", (401,), when=_is(kind, "real"))]


def reset():
    """The forge lab's only shared state: the learner's (attacker's) key. A new one is made on
    the next embed-jwk or jku forge."""
    current_app.extensions["lab_redis"].delete(LEARNER_KEY)


GUIDE = Guide(
    lab="forge",
    title=_l("Forge"),
    steps=[
        Step(id="tamper",
             title=_l("Tamper: change the role, keep the signature"),
             will=_l("What will happen: the page gets a fresh token for alice, sets role to admin "
                     "in its payload, keeps the original signature, and sends it to both "
                     "verifiers with no flaw switched on. Each then knocks on the admin-only "
                     "door."),
             why=_l("Why: both refuse it with 401. The signature covers the exact bytes of "
                    "header.payload, so changing one claim breaks it. Every attack below tries "
                    "to get around the signature instead."),
             hint=_l("Hint: “Start from a fresh token (alice)”, recipe “Keep the original "
                     "signature”, “Forge the token”, no flaw ticked, then “Send to both "
                     "verifiers”."),
             done=[_done(DOOR, "POST", (401,), when=_is("tampered", "naive", no_flaws=True)),
                   _done(DOOR, "POST", (401,), when=_is("tampered", "real"))]),
        Step(id="none",
             title=_l("alg none: no signature at all"),
             will=_l("What will happen: the header's alg becomes \"none\" and the signature is "
                     "dropped. The naive verifier, with accept-none switched on, opens the "
                     "admin-only door; the real verifier refuses the same token."),
             why=_l("Why: the naive verifier lets the token say how it is to be checked, and "
                    "\"none\" means \"do not check\". The real one pins the algorithm on the "
                    "server (auth/tokens/verify.py), so an unsigned token is never accepted, in "
                    "any casing."),
             hint=_l("Hint: recipe “alg: none”, tick accept-none, then send to both verifiers. "
                     "Try NONE or nOnE too."),
             done=_attack("none")),
        Step(id="jwk",
             title=_l("Embedded key: the token brings its own key"),
             will=_l("What will happen: the payload is signed with your own key (made on the "
                     "server for this lab) and its public half goes into the header as \"jwk\". "
                     "The naive verifier with key-from-jwk trusts it; the real one refuses it."),
             why=_l("Why: a key that arrives inside the token only proves that whoever made the "
                    "token holds that key, and anyone can make one. A verifier must use keys it "
                    "already trusts, looked up by kid on its own key ring."),
             hint=_l("Hint: recipe “Sign with my own key and embed its public half”, tick "
                     "key-from-jwk, then send to both verifiers."),
             done=_attack("jwk")),
        Step(id="expired",
             title=_l("A genuine signature over a claim that must be refused"),
             will=_l("What will happen: the server itself signs an admin token that expired ten "
                     "minutes ago. The naive verifier with skip-exp lets it in; the real one "
                     "refuses it."),
             why=_l("Why: a valid signature only says who made the token, not that it is still "
                    "good. exp, nbf, iss, aud and the token type are checked too, on every "
                    "request."),
             hint=_l("Hint: recipe “A genuine signature over bad claims”, choose expired, tick "
                     "skip-exp, then send to both verifiers."),
             done=_attack("expired")),
    ],
    reset=reset,
)
