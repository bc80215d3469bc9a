"""The inspector's guided steps: read a token without a key, verify it with the lab's key, then
change a claim and watch the same check fail. Each step is credited from the server's own record
of POST /api/inspect: what was asked (no key, or the lab's key) and what the server answered."""
from flask import request
from flask_babel import lazy_gettext as _l

from ...jose.decode import Malformed, split
from ...tokens.keys import ring
from ..guide import Guide, Step, done_when as _done


ENDPOINT = "inspector.api"


def _body():
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _answer(response):
    data = response.get_json(silent=True)
    return data if isinstance(data, dict) else {}


def _no_key(req=None):
    body = _body()
    key = body.get("key")
    return body.get("lab_key") is not True and not (isinstance(key, str) and key.strip()) \
        and not isinstance(key, dict)


def _lab_key(req=None):
    return _body().get("lab_key") is True


def _looks_like_ours(req=None):
    """With the lab's key, a token that names one of the lab's keys and its algorithm: if such a
    token fails, its signature does not match the bytes (a changed header or payload)."""
    if not _lab_key():
        return False
    token = _body().get("token")
    try:
        header = split(token).header if isinstance(token, str) else None
    except Malformed:
        return False
    if not header:
        return False
    key = ring().find(header.get("kid"))
    return key is not None and header.get("alg") == key.alg


GUIDE = Guide(
    lab="inspector",
    title=_l("Token inspector"),
    steps=[
        Step(id="decode",
             title=_l("Read a token without any key"),
             will=_l("What will happen: the page gets a fresh access token for alice (POST "
                     "/api/jwt/login) and sends it to POST /api/inspect without a key. The server "
                     "decodes the header and the payload and says nothing about the signature."),
             why=_l("Why: a JWT's header and payload are base64url, not encryption. Anyone who "
                    "holds the token reads every claim; only checking the signature needs a key."),
             hint=_l("Hint: paste any JWT into the box (or press “Inspect my current token”) and "
                     "leave the key empty."),
             done=[_done(ENDPOINT, "POST", (200,), when=_no_key)]),
        Step(id="verify-lab",
             title=_l("Verify its signature with this lab's key"),
             will=_l("What will happen: the same token goes to POST /api/inspect with "
                     "\"lab_key\": true. The server checks the signature with the key this lab "
                     "signs with; the key never leaves the server."),
             why=_l("Why: only a key shows that a token is genuine. The signature is computed "
                    "over the exact bytes of header.payload, so a match means nobody changed them "
                    "since this lab signed them."),
             hint=_l("Hint: press “Verify with this lab's key”. A token from another issuer, or "
                     "an unsigned one, is refused."),
             done=[_done(ENDPOINT, "POST", (200,), when=_lab_key,
                        check=lambda req, res: _answer(res).get("verified") is True,
                         expect=_l("a verified signature"))]),
        Step(id="tamper",
             title=_l("Change a claim, keep the signature"),
             will=_l("What will happen: the payload's role becomes admin, the page re-encodes it "
                     "and keeps the old signature, then asks the server to verify it again with "
                     "this lab's key."),
             why=_l("Why: the server refuses it. Editing the payload is easy, but the old "
                    "signature was made over the old bytes, and without the key nobody can make "
                    "one that matches the new payload."),
             hint=_l("Hint: edit any claim in the “Payload (claims)” box, then press “Verify with "
                     "this lab's key”."),
             done=[_done(ENDPOINT, "POST", (200,), when=_looks_like_ours, after="verify-lab",
                        check=lambda req, res: _answer(res).get("verified") is False,
                         expect=_l("the signature refused"))]),
    ],
)
