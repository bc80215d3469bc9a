"""Pages and endpoints around both flows: home, sign-up, health."""
import redis
from flask import (Blueprint, current_app, jsonify, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _, lazy_gettext as _l

from .core import users
from .core.errors import json_body, json_error

from .core.feature import Feature

bp = Blueprint("pages", __name__)


@bp.get("/")
def index():
    """Home: the two flows side by side, one paragraph each."""
    return render_template("pages/index.html")


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    """Form sign-up; the new account works in both flows."""
    if request.method == "GET":
        return render_template("pages/signup.html")
    username = request.form.get("username", "")
    try:
        users.create(username, request.form.get("password", ""))
    except users.SignupError as exc:
        status = 409 if exc.code == "taken" else 400
        return render_template("pages/signup.html", error=str(exc), username=username), status
    return redirect(url_for("session_flow.login", signed_up=username), code=303)


@bp.post("/api/signup")
def api_signup():
    """JSON sign-up: 201 with the user, 409 when taken, 400 with the reason when invalid."""
    body = json_body()
    try:
        user = users.create(body.get("username"), body.get("password"))
    except users.SignupError as exc:
        return json_error(409 if exc.code == "taken" else 400, exc.code, str(exc))
    return jsonify({"user": user, "message": _("Account created.")}), 201


@bp.get("/healthz")
def healthz():
    """200 when Redis answers a PING, 503 when it does not (never a traceback)."""
    try:
        current_app.extensions["lab_redis"].ping()
    except redis.RedisError:
        return jsonify({"status": "degraded", "redis": "down"}), 503
    return jsonify({"status": "ok", "redis": "ok"})


FEATURE = Feature("pages", bp, nav=("pages.signup", _l("Sign up")),
                  csrf_exempt_views=(api_signup,))
