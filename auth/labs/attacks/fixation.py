"""The session fixation lab, and login CSRF.

Fixation: the attacker's same-host origin (http://localhost:<attacker port>) plants a session id
in the victim's browser with its own Set-Cookie (cookies ignore ports: "cookie tossing"); the
victim logs in; the attacker then presents the planted id. The real session store refuses it
(the id is regenerated at login, and an id it never issued is never adopted); the weak session
of weak_session.py, kept here and nowhere else, hands the attacker the victim's login.

Login CSRF: the attacker's page logs the victim's browser into the ATTACKER's account. The weak
login (no CSRF token) falls for it; the real one refuses (Fetch-Metadata, then Flask-WTF). The
verdict is what the server then says the browser is logged in as.
"""
import hmac

from flask import Blueprint, current_app, jsonify, render_template, request
from flask_babel import gettext as _

from ...core import trace, users
from ...core.errors import json_error
from ...core.http import cross_site_allowed, no_store
from . import common, weak_session

LAB = "fixation"
bp = Blueprint("attacks_fixation", __name__)
bp.after_request(no_store)


@bp.get("/attacks/fixation")
def page():
    return render_template("labs/attacks/fixation.html", demo=users.DEMO_USERS,
                           **common.page_context())


@bp.post("/api/attacks/fixation/runs")
def start_run():
    run, _data = common.new_run(LAB, {"planted": None, "planted_weak": None})
    return jsonify({"run": run, "attacker": common.attacker_origins()})


def _same(value, planted):
    return bool(value and planted and hmac.compare_digest(value, planted))


@bp.get("/api/attacks/fixation/runs/<run>")
def run_state(run):
    """The run's record, and what this very request carried: is the browser's session cookie
    (real and weak) the one the attacker planted? Compared here, server-side."""
    data = common.load_run(LAB, run)
    if data is None:
        return json_error(404, "not_found", _("No such run (they are kept for an hour)."))
    real_name = current_app.config["SESSION_COOKIE_NAME"]
    real = request.cookies.get(real_name)
    weak = request.cookies.get(weak_session.COOKIE)
    weak_user = (weak_session.load(weak) or {}).get("user") if weak else None
    return jsonify({
        "run": run, "planted": bool(data.get("planted")),
        "cookies": {
            real_name: {"sent": trace.mask(real) if real else None,
                        "is_planted": _same(real, data.get("planted"))},
            weak_session.COOKIE: {"sent": trace.mask(weak) if weak else None,
                                  "is_planted": _same(weak, data.get("planted_weak")),
                                  "user": weak_user}},
        "records": common.records(LAB, run)})


# --- The weak session's endpoints (lab only) ---------------------------------------------------

@bp.post("/attacks/fixation/weak/login")
@cross_site_allowed
def weak_login():
    """The weak login: JSON or a plain form, no CSRF token, keeps whatever id the browser has."""
    body = request.get_json(silent=True) if request.is_json else request.form
    body = body if hasattr(body, "get") else {}
    user = users.authenticate(body.get("username"), body.get("password"))
    facts = common.received((weak_session.COOKIE,))
    run = request.args.get("run", "")
    if user is None:
        if common.load_run(LAB, run):
            common.add_record(LAB, run, dict(facts, kind="weak-login", user=None))
        return json_error(401, "invalid_credentials", _("Wrong username or password."))
    kept = weak_session.presented_id()
    sid = weak_session.login(user)
    if common.load_run(LAB, run):
        common.add_record(LAB, run, dict(facts, kind="weak-login", user=user["username"],
                                         kept_id=kept is not None))
    if (request.headers.get("Sec-Fetch-Dest") or "") == "document":
        response = current_app.make_response(render_template(
            "labs/attacks/weak_done.html", user=user, lab_url=common.lab_origin()
            + "/attacks/fixation"))
    else:
        response = jsonify({"user": user, "kept_id": kept is not None})
    response.set_cookie(weak_session.COOKIE, sid, httponly=True, samesite="Lax",
                        max_age=weak_session.TTL)
    return response


@bp.get("/attacks/fixation/weak/me")
def weak_me():
    data = weak_session.load(weak_session.presented_id())
    if not data:
        return json_error(401, "not_logged_in", _("The weak session knows no such id."))
    return jsonify({"user": data["user"]})
