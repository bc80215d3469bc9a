"""The compare page's views: the page, and what the server keeps for one token."""
import re

from flask import Blueprint, current_app, jsonify, render_template, request
from flask_babel import gettext as _

from ...core import trace, users
from ...core.errors import json_error
from ...tokens import store as token_store

bp = Blueprint("compare", __name__)
_ID = re.compile(r"^[0-9a-f]{32}$")  # fam and jti are uuid4().hex


@bp.get("/compare")
def page():
    """Two columns, session | JWT, filled in by static/js/compare.js from the real responses."""
    return render_template("labs/compare/index.html", demo=users.DEMO_USERS,
                           cookie_name=current_app.config["SESSION_COOKIE_NAME"])


@bp.get("/api/lab/jwt-store")
def jwt_store():
    """What the server keeps for one token: its family key, a revoked marker, a denylist entry.

    Takes the (non-secret) fam and jti a page decoded from its own token, so it also answers for a
    token that is already revoked: that is exactly when a learner wants to look.
    """
    fam, jti = request.args.get("fam", ""), request.args.get("jti", "")
    if not _ID.match(fam) or not _ID.match(jti):
        return json_error(400, "invalid_request", _("fam and jti must be 32 hex characters."))
    client = current_app.extensions["lab_redis"]
    keys = token_store.keys_for({"fam": fam, "jti": jti})
    with client.pipeline(transaction=False) as pipe, trace.step("redis-pipeline",
                                                                "TTL + MEMORY USAGE x3, DBSIZE"):
        for key in keys:
            pipe.ttl(key)
            pipe.memory_usage(key)
            pipe.strlen(key)
        pipe.dbsize()
        answers = pipe.execute()
    rows = []
    for i, key in enumerate(keys):
        ttl, memory, length = answers[3 * i: 3 * i + 3]
        rows.append({"key": key, "exists": ttl != -2, "ttl": ttl if ttl >= 0 else None,
                     "value_bytes": length, "memory_bytes": memory or 0})
    return jsonify({"keys": rows, "dbsize": answers[-1]})
