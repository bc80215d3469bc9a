"""The weak-secret lab: its page, the lab node (issuer and verifier), and the crack job's API.

The lab node lives in this process: an issuer with its own HS256 secret, picked at random from
the bundled word list and kept in Redis (lab:weak:node-secret), with its own iss and aud. It
shares nothing with the real flow's key ring, so the real verifier refuses its tokens (another
kid, another iss and aud); a separate process would add nothing this lesson needs.
"""
import math
import re
import secrets
import time
import uuid
import warnings

import jwt
from flask import Blueprint, current_app, jsonify, render_template
from flask_babel import gettext as _

from ...core.errors import ApiError, json_body, json_error
from ...core.http import no_store
from . import crack

bp = Blueprint("weaksecret", __name__)
bp.after_request(no_store)
NODE = "weak-node"
SECRET_REDIS_KEY = "lab:weak:node-secret"  # where the node's weak secret is kept
_JOB = re.compile(r"^[0-9a-f]{32}$")


def _redis():
    return current_app.extensions["lab_redis"]


def node_secret(new=False):
    """The node's secret: a word of the word list with one of the usual suffixes."""
    client = _redis()
    if not new:
        stored = client.get(SECRET_REDIS_KEY)
        if stored is not None:
            return stored.decode()
    base = crack.words()
    word = secrets.choice(base)
    word = secrets.choice([word, word.capitalize()])
    secret = word + secrets.choice(crack.SUFFIXES)
    client.set(SECRET_REDIS_KEY, secret, ex=86400)
    return secret


@bp.get("/labs/weak-secret")
def page():
    """Issue, crack, forge: the lab page."""
    base = crack.words()
    return render_template("labs/weaksecret/index.html", words=len(base),
                           candidates=min(crack.total(base), crack.MAX_CANDIDATES),
                           suffixes=len(crack.SUFFIXES))


@bp.post("/api/lab/weak/node/token")
def node_token():
    """The lab node logs alice in: an HS256 token signed with its short secret."""
    body = json_body()
    secret = node_secret(new=body.get("new_secret") is True)
    now = int(time.time())
    claims = {"iss": NODE, "aud": NODE, "sub": "alice", "username": "alice", "role": "user",
              "iat": now, "nbf": now, "exp": now + 3600, "jti": uuid.uuid4().hex}
    with warnings.catch_warnings():  # PyJWT warns of a short HMAC key: that is this lab's point
        warnings.simplefilter("ignore")
        token = jwt.encode(claims, secret, algorithm="HS256", headers={"kid": NODE})
    return jsonify({"token": token, "node": NODE, "secret_length": len(secret)})


def _node_claims(token):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return jwt.decode(token, node_secret(), algorithms=["HS256"], audience=NODE,
                              issuer=NODE, options={"require": ["exp", "iat", "sub"]})
    except Exception:  # every refusal is a 401 here; the real flow's reasons are elsewhere
        return None


@bp.post("/api/lab/weak/node/admin")
def node_admin():
    """The node's admin-only answer (a correct verifier: only its secret is weak)."""
    from ...tokens.views import bearer_token

    claims = _node_claims(bearer_token())
    if claims is None:
        return json_error(401, "invalid_token", _("The lab node refuses this token: bad "
                                                  "signature, expired, or not one of its own."))
    if claims.get("role") != "admin":
        return json_error(403, "forbidden", _("The lab node accepted the token, but its role is "
                                              "%(role)s, not admin.",
                                              role=str(claims.get("role"))[:40]))
    return jsonify({"admin": True, "message": _("Lab node, admin-only answer: welcome, "
                                                "%(name)s. The signature was valid, because you "
                                                "signed it with the node's own secret.",
                                                name=str(claims.get("username"))[:40])})


@bp.post("/api/lab/weak/crack")
def start_crack():
    """Start the dictionary attack on {"token"} (HS256/384/512); 202 with the job id."""
    token = "".join(json_body("token")["token"].split())
    parts = token.split(".")
    if len(parts) != 3 or len(token) > 8192:
        raise ApiError(400, "invalid_request", _("Send a signed JWT (header.payload.signature)."))
    try:
        job = crack.start(_redis(), token, crack.words())
    except Exception:  # not base64url, not JSON, not an HS* alg
        raise ApiError(400, "invalid_request", _("Only an HS256, HS384 or HS512 token can be "
                                                 "cracked with a word list: its key is a "
                                                 "secret, not a public/private pair.")) from None
    if job is None:
        return json_error(429, "busy", _("A crack is already running on this server; try "
                                         "again in a moment."), {"Retry-After": "2"})
    return jsonify({"job": job}), 202


def _int(value, default=0):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


@bp.get("/api/lab/weak/crack/<job>")
def crack_status(job):
    """How far the job got: guesses tried, guesses per second, the secret if found, and what
    that measured rate means for the real app's 48-byte generated secret."""
    if not _JOB.match(job):
        return json_error(400, "invalid_request", _("The job id must be 32 hex characters."))
    data = {k.decode(): v.decode() for k, v in _redis().hgetall(crack.job_key(job)).items()}
    if not data:
        return json_error(404, "not_found", _("There is no such crack job (it may have expired)."))
    tried, elapsed = _int(data.get("tried")), float(data.get("elapsed") or 0)
    rate = tried / elapsed if elapsed > 0 else 0
    answer = {"job": job, "state": data["state"], "tried": tried, "total": _int(data.get("total")),
              "elapsed": round(elapsed, 4), "rate": round(rate), "found": data.get("found") or None,
              "alg": data.get("alg")}
    if rate > 0:
        answer["real_secret"] = crack.out_of_reach(rate)
        answer["real_secret"]["log10_rate"] = round(math.log10(rate), 1)
    return jsonify(answer)
