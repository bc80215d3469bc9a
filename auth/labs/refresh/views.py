"""The refresh-token lab's pages and its two API calls: what Redis holds for one refresh family
right now, and the live reuse-grace switch (administrators only)."""
import re
import time

from flask import Blueprint, current_app, jsonify, make_response, render_template
from flask_babel import gettext as _

from ...core import users
from ...core.errors import json_body, json_error
from ...core.http import SECURITY_HEADERS, no_store
from ...tokens import store as token_store
from ...tokens.verify import StoreUnavailable, TokenError, verify_access
from ...tokens.views import bearer_token, invalid_token, store_unavailable

bp = Blueprint("refresh", __name__)
bp.after_request(no_store)
bp.register_error_handler(TokenError, invalid_token)
bp.register_error_handler(StoreUnavailable, store_unavailable)
_ID = re.compile(r"^[0-9a-f]{32}$")
MAX_GRACE = 300


@bp.get("/labs/refresh")
def page():
    """Stolen refresh token and three tabs: the lab page."""
    cfg = current_app.config
    return render_template("labs/refresh/index.html", access_ttl=cfg["ACCESS_TOKEN_TTL"],
                           refresh_ttl=cfg["REFRESH_TOKEN_TTL"],
                           session_absolute=cfg["SESSION_ABSOLUTE_LIFETIME"])


@bp.get("/labs/refresh/tab")
def tab():
    """One small JWT client (framed three times by the lab page, which is why this one page may
    be framed, by this origin only; it has no button to click, it acts on the lab's postMessage)."""
    response = make_response(render_template("labs/refresh/tab.html"))
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Content-Security-Policy"] = SECURITY_HEADERS[
        "Content-Security-Policy"].replace("frame-ancestors 'none'", "frame-ancestors 'self'")
    return response


def _text(value):
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


@bp.get("/api/lab/refresh/family/<fam>")
def family(fam):
    """Every key Redis holds for refresh family `fam`, read now (the fam is not a secret)."""
    if not _ID.match(fam):
        return json_error(400, "invalid_request", _("fam must be 32 hex characters."))
    client = current_app.extensions["lab_redis"]
    keys = [token_store.family_key(fam), token_store.revoked_key(fam), token_store.meta_key(fam),
            token_store.alt_key(fam)]
    with client.pipeline(transaction=False) as pipe:
        pipe.get(keys[0])
        pipe.ttl(keys[0])
        pipe.ttl(keys[1])
        pipe.hgetall(keys[2])
        pipe.smembers(keys[3])
        answers = pipe.execute()
    current, ttl, revoked_ttl, meta, alt = answers
    meta = {_text(k): _text(v) for k, v in meta.items()}
    return jsonify({
        "fam": fam, "now": int(time.time()), "grace": token_store.reuse_grace(),
        "keys": [
            {"key": keys[0], "exists": current is not None, "value": _text(current),
             "ttl": ttl if ttl >= 0 else None},
            {"key": keys[1], "exists": revoked_ttl != -2, "value": "1" if revoked_ttl != -2
             else None, "ttl": revoked_ttl if revoked_ttl >= 0 else None},
            {"key": keys[2], "exists": bool(meta), "value": meta or None, "ttl": None},
            {"key": keys[3], "exists": bool(alt), "value": sorted(_text(a) for a in alt) or None,
             "ttl": None},
        ]})


@bp.get("/api/lab/refresh/grace")
def grace():
    """The reuse grace in force (seconds) and the configured default."""
    return jsonify({"grace": token_store.reuse_grace(),
                    "default": current_app.config["REFRESH_REUSE_GRACE"]})


@bp.post("/api/lab/refresh/grace")
def set_grace():
    """Switch the reuse grace live ({"seconds": n}, or null for the default): admins only, by
    bearer token, with the role read again from the users table."""
    claims = verify_access(bearer_token())
    user = users.get(claims["sub"])
    if user is None or user["role"] != "admin":
        return json_error(403, "forbidden", _("Only an administrator may do this."))
    body = json_body()
    seconds = body.get("seconds")
    if seconds is not None and (isinstance(seconds, bool) or not isinstance(seconds, int)
                                or not 0 <= seconds <= MAX_GRACE):
        return json_error(400, "invalid_request", _("\"seconds\" must be a whole number from 0 "
                                                    "to %(max)d, or null.", max=MAX_GRACE))
    token_store.set_reuse_grace(seconds)
    return jsonify({"grace": token_store.reuse_grace(),
                    "default": current_app.config["REFRESH_REUSE_GRACE"]})
