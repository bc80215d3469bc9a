"""The attacker's XSS collector: where the payload (static/js/attacks-payload.js, served from this
origin) sends what it took from the victim page. Each value that looks like a JWT is checked
against the lab's own verifier, so "stolen" means "a token that works reached the attacker"."""
import json
import re
import time

from flask import Blueprint, current_app, render_template, request
from flask_babel import lazy_gettext as _l

from ..core import trace

bp = Blueprint("attacker_xss", __name__)
TITLE = _l("XSS: the collector (what the payload sent here)")
RUN_RE = re.compile(r"[0-9a-f]{16}\Z")
JWT_RE = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")
KINDS = ("steal", "mint", "ride")


def _verify(value):
    """(type, username) when `value` is a token the lab accepts now, else (None, None)."""
    from ..tokens.verify import StoreUnavailable, TokenError, decode

    if not JWT_RE.match(value):
        return None, None
    with current_app.extensions["lab_app"].test_request_context():
        for kind in ("access", "refresh"):
            try:
                claims = decode(value, kind)
            except (TokenError, StoreUnavailable):
                continue
            return kind, claims.get("username") or f"sub {claims.get('sub')}"
    return None, None


@bp.post("/xss/collect")
def collect():
    """What a payload sent. Kept (values masked) in the lab's Redis for an hour."""
    try:
        body = json.loads(request.get_data(as_text=True)[:20000] or "{}")
    except ValueError:
        body = None
    if not isinstance(body, dict) or not RUN_RE.match(str(body.get("run", ""))) \
            or body.get("kind") not in KINDS or not isinstance(body.get("found"), dict):
        return {"error": "invalid_request"}, 400
    items = []
    for name, value in list(body["found"].items())[:20]:
        value = str(value)
        token_type, user = _verify(value.split("; ")[0] if name == "document.cookie" else value)
        items.append({"name": str(name)[:80], "masked": trace.mask(value), "length": len(value),
                      "verified": token_type, "user": user})
    client = current_app.extensions["lab_redis"]
    key = f"attacker:xss:{body['run']}"
    client.rpush(key, json.dumps({"kind": body["kind"], "items": items, "t": time.time(),
                                  "origin": request.headers.get("Origin")}))
    client.expire(key, 3600)
    return {"ok": True}


@bp.get("/xss")
def index():
    """The collector's console: what arrived for one run (?run=), newest last."""
    run = request.args.get("run", "")
    loot = []
    if RUN_RE.match(run):
        for raw in current_app.extensions["lab_redis"].lrange(f"attacker:xss:{run}", 0, -1):
            try:
                loot.append(json.loads(raw))
            except ValueError:
                continue
    host = request.host.split(":")[0]
    return render_template("attacker/xss.html", run=run, loot=loot,
                           cross_site=host != "localhost")
