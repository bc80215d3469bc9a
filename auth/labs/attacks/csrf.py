"""The CSRF lab: a clearly marked LAB TARGET (never the real login or logout) that changes state
for a victim, three ways of carrying the victim's credential, and the defence switches.

Columns (the credential the forged request must carry):
  session     an opaque id in the lab's own cookie `lab_csrf_session` (not the real session
              cookie: its SameSite is a switch here), checked against the run
  bearer      a real access token (PyJWT, verified like /api/jwt/me) that only an
              `Authorization: Bearer` header may carry: the browser never adds it by itself
  jwt-cookie  the same token kept in a cookie (`lab_csrf_jwt`, the Flask-JWT-Extended style),
              optionally with a double-submit token (`lab_csrf_double`, readable by scripts)

Switches (per run): the cookies' SameSite (None, Lax, Strict, or no attribute), the
synchronizer CSRF token, an Origin check, a Fetch-Metadata check, double-submit.

The target changes state on GET too, as sloppy legacy endpoints do, so the <img> and top-level
navigation vectors have something to hit. Every request it gets is recorded under the run.
"""
import base64
import hmac
import json
import secrets
import time

from flask import Blueprint, jsonify, render_template, request
from flask_babel import gettext as _

from ...core import users
from ...core.errors import json_body, json_error
from ...core.http import cross_site_allowed, no_store
from ...tokens import issue as token_issue
from ...tokens.verify import StoreUnavailable, TokenError, verify_access
from . import common

LAB = "csrf"
bp = Blueprint("attacks_csrf", __name__)
bp.after_request(no_store)

COOKIE_SESSION = "lab_csrf_session"
COOKIE_JWT = "lab_csrf_jwt"
COOKIE_DOUBLE = "lab_csrf_double"
COOKIES = (COOKIE_SESSION, COOKIE_JWT, COOKIE_DOUBLE)
TARGET_PATH = "/attacks/csrf/target"
SAMESITE = ("None", "Lax", "Strict", "absent")
SWITCHES = ("token", "origin", "fetchmeta", "double_submit")
COLUMNS = ("session", "bearer", "jwt-cookie")
VECTORS = ("form", "fetch", "img", "nav")


def _step(sid, column, attacker, vector, expect, samesite="Lax", **switches):
    settings = {"samesite": samesite, **{name: switches.get(name, False) for name in SWITCHES}}
    return {"id": sid, "column": column, "origin": attacker, "vector": vector, "expect": expect,
            "settings": settings}


# The guided steps' set-ups: each a run with these switches, attacked once from the named origin.
# Their texts and their verdicts (the server's record shows the expected outcome) are declared
# in guide.py; the page shows the record itself under each step.
STEPS = [
    _step("all-off", "session", "cross", "form", "changed", samesite="None"),
    _step("lax", "session", "cross", "form", "no_cookie"),
    _step("lax-nav", "session", "cross", "nav", "changed"),
    _step("same-site", "session", "same", "form", "changed"),
    _step("token", "session", "same", "form", "csrf_token", token=True),
    _step("fetchmeta", "session", "same", "fetch", "fetch_metadata", fetchmeta=True),
    _step("origin", "session", "same", "fetch", "origin", origin=True),
    _step("bearer", "bearer", "cross", "form", "no_authorization", samesite="None"),
    _step("jwt-cookie", "jwt-cookie", "cross", "form", "changed", samesite="None"),
    _step("double", "jwt-cookie", "cross", "form", "double_submit", samesite="None",
          double_submit=True),
    _step("double-same", "jwt-cookie", "same", "form", "changed", samesite="None",
          double_submit=True),
]


def settings_from(body):
    samesite = body.get("samesite", "Lax")
    if samesite not in SAMESITE:
        return None, _("samesite must be one of: %(names)s.", names=", ".join(SAMESITE))
    out = {"samesite": samesite}
    for name in SWITCHES:
        value = body.get(name, False)
        if not isinstance(value, bool):
            return None, _("%(name)s must be true or false.", name=name)
        out[name] = value
    return out, None


@bp.get("/attacks/csrf")
def page():
    return render_template("labs/attacks/csrf.html", samesites=SAMESITE, switches=SWITCHES,
                           steps=STEPS, step_config={s["id"]: s for s in STEPS},
                           columns=COLUMNS, vectors=VECTORS,
                           **common.page_context())


@bp.post("/api/attacks/csrf/runs")
def start_run():
    """Log the victim (alice) in to the lab target: set its cookies with the chosen SameSite and
    remember the run's secrets server-side. The page gets the run id, its own CSRF token and the
    bearer token (which it keeps in a variable, as a real JWT page would)."""
    body = json_body()
    settings, error = settings_from(body)
    if error:
        return json_error(400, "invalid_request", error)
    alice = users.by_name("alice")
    if alice is None:
        return json_error(409, "no_victim", _("The demo user alice does not exist."))
    access, _refresh, _claims = token_issue.issue_pair(alice)
    secret, token, double = (secrets.token_urlsafe(32) for _i in range(3))
    run, data = common.new_run(LAB, {"settings": settings, "secret": secret, "token": token,
                                     "double": double, "jti": _jti(access), "changes": 0,
                                     "origin": common.lab_origin()})
    response = jsonify({"run": run, "settings": settings, "csrf_token": token,
                        "access_token": access, "attacker": common.attacker_origins(),
                        "target": common.lab_origin() + TARGET_PATH})
    samesite = settings["samesite"]
    # Browsers drop a SameSite=None cookie that is not Secure; on http://localhost they accept
    # Secure (localhost counts as a secure context), so None goes with Secure.
    flags = {"samesite": None if samesite == "absent" else samesite,
             "secure": samesite == "None", "max_age": common.RUN_TTL}
    response.set_cookie(COOKIE_SESSION, secret, httponly=True, path=TARGET_PATH, **flags)
    response.set_cookie(COOKIE_JWT, access, httponly=True, path=TARGET_PATH, **flags)
    # The double-submit value must be readable by the page's script (that is the design).
    response.set_cookie(COOKIE_DOUBLE, double, httponly=False, path="/", **flags)
    return response


def _jti(token):
    """The jti of a token this lab has just issued itself (its claims are read back, not
    trusted: the target verifies every token it receives with the real verifier)."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))).get("jti")


@bp.get("/api/attacks/csrf/runs/<run>")
def run_state(run):
    data = common.load_run(LAB, run)
    if data is None:
        return json_error(404, "not_found", _("No such run (they are kept for an hour)."))
    return jsonify({"run": run, "settings": data["settings"], "changes": data["changes"],
                    "created": data["created"], "records": common.records(LAB, run)})


# --- The LAB TARGET --------------------------------------------------------------------------

def _refusal(data, column, facts):
    """(status, reason) when a defence or a missing credential stops the request, else None."""
    settings = data["settings"]
    site = (facts["sec_fetch_site"] or "").lower()
    if settings["fetchmeta"] and site not in ("", "same-origin", "none"):
        return 403, "fetch_metadata"
    if settings["origin"]:
        seen = facts["origin"] or facts["referer_origin"]
        if seen != data["origin"]:
            return 403, "origin"
    if column == "session":
        sent = request.cookies.get(COOKIE_SESSION)
        if not sent:
            return 401, "no_cookie"
        if not hmac.compare_digest(sent, data["secret"]):
            return 401, "wrong_cookie"
        if settings["token"]:
            given = request.values.get("csrf_token", "") or request.headers.get("X-CSRFToken", "")
            if not hmac.compare_digest(given, data["token"]):
                return 403, "csrf_token"
        return None
    if column == "bearer":
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return 401, "no_authorization"
        token = header[7:].strip()
    else:
        token = request.cookies.get(COOKIE_JWT)
        if not token:
            return 401, "no_cookie"
    try:
        claims = verify_access(token)
    except TokenError:
        return 401, "invalid_token"
    except StoreUnavailable:
        return 503, "store_unavailable"
    if claims.get("jti") != data["jti"]:
        return 401, "wrong_cookie"
    if column == "jwt-cookie" and settings["double_submit"]:
        cookie = request.cookies.get(COOKIE_DOUBLE, "")
        given = request.headers.get("X-CSRF-Token", "") or request.values.get("csrf_double", "")
        if not cookie or not hmac.compare_digest(given, cookie):
            return 403, "double_submit"
    return None


@bp.route(f"{TARGET_PATH}/<column>", methods=["GET", "POST"])
@cross_site_allowed
def target(column):
    """LAB TARGET: "send 100 coins to the attacker". Records what arrived, then decides."""
    if column not in COLUMNS:
        return json_error(404, "not_found", _("No such lab target."))
    run = request.args.get("run", "")
    data = common.load_run(LAB, run)
    if data is None:
        return json_error(404, "not_found", _("No such run (they are kept for an hour)."))
    facts = common.received(COOKIES)
    refused = _refusal(data, column, facts)
    status, reason = refused or (200, "changed")
    if not refused:
        data["changes"] += 1
        common.save_run(LAB, data)
    entry = common.add_record(LAB, run, dict(
        facts, column=column, status=status, outcome=reason, changed=not refused,
        vector=request.args.get("v", "")[:20], settings=data["settings"],
        cookie_age=round(time.time() - data["created"], 1),
        token_sent=bool(request.values.get("csrf_token") or request.headers.get("X-CSRFToken")),
        double_sent=bool(request.values.get("csrf_double") or request.headers.get("X-CSRF-Token"))))
    if (facts["sec_fetch_dest"] or "") == "document":
        # A form post or a navigation landed here: show the tab what the target did.
        return render_template("labs/attacks/target.html", entry=entry,
                               lab_url=data["origin"] + "/attacks/csrf"), status
    body = {"changed": not refused, "outcome": reason, "changes": data["changes"]}
    return jsonify(body), status
