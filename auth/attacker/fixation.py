"""The attacker's session-fixation and login-CSRF pages.

/fixation        plants session ids in the victim's browser with this origin's own Set-Cookie:
                 on http://localhost:<attacker port> that is the lab's host too, and cookies
                 ignore ports, so the browser sends them to the lab ("cookie tossing"). The real
                 id is a genuine pre-login session the attacker got from the lab itself.
/fixation/try    the attacker presents the planted ids to the lab (server to server, in this
                 process), and keeps what the lab answered.
/fixation/login-csrf  a page that logs the visitor's browser into the attacker's account.
"""
import secrets

from flask import Blueprint, current_app, make_response, render_template, request
from flask_babel import lazy_gettext as _l

from ..core import trace
from ..core.http import set_csp
from ..labs.attacks import common, weak_session
from .csrf import attacker_csp, lab_origin

bp = Blueprint("attacker_fixation", __name__)
TITLE = _l("Session fixation and login CSRF")
LAB = "fixation"


def _lab_client():
    return current_app.extensions["lab_app"].test_client()


def _with_cookie(name, value):
    """A fresh client of the lab (the attacker's own machine) holding just this one cookie."""
    client = _lab_client()
    client.set_cookie(name, value, domain="localhost")
    return client


def _page(template, **context):
    host = request.host.split(":")[0]
    response = make_response(render_template(template, lab=lab_origin(),
                                             cross_site=host != "localhost", **context))
    return set_csp(response, attacker_csp(lab_origin()))


@bp.get("/fixation")
def index():
    run = request.args.get("run", "")
    data = common.load_run(LAB, run)
    if data is None:
        return _page("attacker/fixation.html", run=None, planted=None)
    # A genuine pre-login session id, from the lab itself (any visitor can get one).
    client = _lab_client()
    client.get("/session/csrf")
    name = current_app.extensions["lab_app"].config["SESSION_COOKIE_NAME"]
    cookie = client.get_cookie(name)
    planted = cookie.value if cookie else None
    planted_weak = secrets.token_urlsafe(24)  # the weak session adopts any id: pick one
    data.update(planted=planted, planted_weak=planted_weak)
    common.save_run(LAB, data)
    common.add_record(LAB, run, {"kind": "planted", "real": trace.mask(planted or ""),
                                 "weak": trace.mask(planted_weak), "host": request.host})
    response = _page("attacker/fixation.html", run=run,
                     planted={name: trace.mask(planted or ""),
                              weak_session.COOKIE: trace.mask(planted_weak)})
    # Set by THIS origin, for host "localhost": the browser sends them to the lab's port too.
    if planted:
        response.set_cookie(name, planted, path="/", httponly=True, samesite="Lax")
    response.set_cookie(weak_session.COOKIE, planted_weak, path="/", httponly=True,
                        samesite="Lax")
    return response


@bp.get("/fixation/try")
def attempt():
    """Present the planted ids to the lab, as the attacker would from their own machine."""
    run = request.args.get("run", "")
    data = common.load_run(LAB, run)
    if data is None or not data.get("planted_weak"):
        return _page("attacker/fixation_try.html", run=None, result=None)
    name = current_app.extensions["lab_app"].config["SESSION_COOKIE_NAME"]
    real = _with_cookie(name, data["planted"] or "").get("/api/session/me")
    weak = _with_cookie(weak_session.COOKIE, data["planted_weak"]).get(
        "/attacks/fixation/weak/me")

    def who(response):
        body = response.get_json(silent=True) or {}
        user = body.get("user")
        return user.get("username") if isinstance(user, dict) else None

    result = {"kind": "attacker-try", "real_status": real.status_code, "real_user": who(real),
              "weak_status": weak.status_code, "weak_user": who(weak)}
    common.add_record(LAB, run, result)
    return _page("attacker/fixation_try.html", run=run, result=result)


@bp.get("/fixation/login-csrf")
def login_csrf():
    """Auto-submits the attacker's own credentials to a login form of the lab."""
    run = request.args.get("run", "")
    target = request.args.get("target", "weak")
    # The real login ignores ?run=; the fixation lab files the real login's answer under it.
    action = (f"{lab_origin()}/attacks/fixation/weak/login?run={run}" if target == "weak"
              else f"{lab_origin()}/session/login?run={run}")
    return _page("attacker/login_csrf.html", run=run, target=target, action=action,
                 auto=request.args.get("auto") == "1")
