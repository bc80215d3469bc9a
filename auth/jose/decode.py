"""Decoding a compact JWS without any key: three base64url parts, header and payload as JSON.

Every failure is a Malformed naming the part that failed; nothing on this path raises anything
else, because a crafted token must never become a 500.
"""
import base64
import json
import math
import re
import time
from collections import namedtuple

from flask_babel import gettext as _

B64URL = re.compile(r"[A-Za-z0-9_-]*")
Parts = namedtuple("Parts", "header payload signature signature_b64 signing_input")


class Malformed(Exception):
    """The token cannot even be decoded; `part` names the part that failed."""

    def __init__(self, part, message):
        super().__init__(message)
        self.part, self.message = part, message


def _b64url(text):
    # RFC 7515 §2: base64url without padding; a length of 4n+1 can never be valid.
    if not B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _finite(text):
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("not a finite number")  # 1e999 would come back as invalid JSON
    return value


def _json_object(data):
    value = json.loads(data.decode("utf-8"), parse_float=_finite, parse_constant=_finite)
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value


def split(token):
    """Decode the three parts of a compact JWS; Malformed names the first part that fails."""
    token = "".join(token.split())  # base64url has no whitespace: line breaks from copying go
    pieces = token.split(".")
    if len(pieces) == 5:
        raise Malformed("token", _("This has five parts: it is an encrypted token (JWE), which "
                                   "only the holder of the decryption key can read."))
    if len(pieces) != 3:
        raise Malformed("token", _("A JWT has three parts separated by dots "
                                   "(header.payload.signature); this has %(n)d.", n=len(pieces)))
    head, body, sig = pieces
    try:
        header = _json_object(_b64url(head))
    except Exception:  # ValueError, UnicodeError, RecursionError: all mean "not a header"
        raise Malformed("header", _("The header is not a base64url-encoded JSON object.")) from None
    if not isinstance(header.get("alg"), str):
        raise Malformed("header", _("The header has no \"alg\" member naming the algorithm."))
    try:
        raw = _b64url(body)
    except ValueError:
        raise Malformed("payload", _("The payload is not valid base64url.")) from None
    # A JWS may carry any bytes (RFC 7515 A.4 signs the word "Payload"); a JWT carries a JSON
    # object. Whatever starts like JSON must therefore be a JSON object.
    if raw.lstrip()[:1] in (b"{", b"["):
        try:
            payload = _json_object(raw)
        except Exception:
            raise Malformed("payload", _("The payload starts like JSON but is not a valid JSON "
                                         "object.")) from None
    else:
        payload = raw.decode("utf-8", errors="replace")
    try:
        signature = _b64url(sig)
    except ValueError:
        raise Malformed("signature", _("The signature is not valid base64url.")) from None
    return Parts(header, payload, signature, sig, f"{head}.{body}".encode("ascii"))


def expired(payload):
    """True/False by the exp claim against the clock now; None without a numeric exp."""
    exp = payload.get("exp") if isinstance(payload, dict) else None
    if isinstance(exp, bool) or not isinstance(exp, (int, float)):
        return None
    return exp <= time.time()
