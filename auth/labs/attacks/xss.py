"""The XSS lab: one deliberately injectable page (the victim), six places to keep a login (the
storage ladder), three payloads (steal, mint, ride), and a nonce-based CSP switch.

Rows (each a storage choice the victim page really runs):
  localStorage, sessionStorage, memory   the real JWT API's tokens (/api/jwt/login, refresh)
  cookie          an HttpOnly lab session cookie, `lab_xss_session`: no token in the page at all
  refresh-cookie  access token in memory, refresh token in an HttpOnly cookie scoped to
                  Path=/api/attacks/xss/refresh (a __Host- name would need Path=/ and Secure)
  bff             backend-for-frontend: the tokens stay server-side (Redis), the browser holds only
                  an HttpOnly cookie, and the page calls the backend, which calls the API
What counts, per row, comes from servers only: "stolen" and "minted" when a token that verifies
reached the attacker's collector (auth/attacker/xss.py); "ridden" when the lab's action endpoint
below received the page's genuine credential on a request the payload made.
"""
import hmac
import json
import secrets

from flask import Blueprint, current_app, jsonify, make_response, render_template, request
from flask_babel import gettext as _

from ...core import users
from ...core.errors import json_body, json_error
from ...core.http import csp_nonce, no_store, set_csp
from ...tokens import issue as token_issue, store as token_store
from ...tokens.verify import StoreUnavailable, TokenError, decode, verify_access
from . import common

LAB = "xss"
bp = Blueprint("attacks_xss", __name__)
bp.after_request(no_store)

STORES = ("localStorage", "sessionStorage", "memory", "cookie", "refresh-cookie", "bff")
PAYLOADS = ("steal", "mint", "ride")
COOKIE_SESSION = "lab_xss_session"
COOKIE_REFRESH = "lab_xss_refresh"
COOKIE_BFF = "lab_xss_bff"
COOKIES = (COOKIE_SESSION, COOKIE_REFRESH, COOKIE_BFF)
REFRESH_PATH = "/api/attacks/xss/refresh"


def loot_key(run):
    """What reached the attacker's collector for this run (written by auth/attacker/xss.py)."""
    return f"attacker:xss:{run}"


def served_key(run):
    return f"{common.run_key(LAB, run)}:served"


def _run_or_404(run):
    data = common.load_run(LAB, run)
    if data is None:
        raise _NotFound()
    return data


class _NotFound(Exception):
    pass


@bp.errorhandler(_NotFound)
def _not_found(_exc):
    return json_error(404, "not_found", _("No such run (they are kept for an hour)."))


@bp.get("/attacks/xss")
def page():
    from .guide import XSS_STEPS  # the guided steps' set-ups (guide.py imports this module)

    setups = {sid: {"store": store, "csp": csp, "vulnerable": vulnerable}
              for sid, store, csp, vulnerable, _expected in XSS_STEPS}
    return render_template("labs/attacks/xss.html", stores=STORES, payloads=PAYLOADS,
                           setups=setups, **common.page_context())


@bp.post("/api/attacks/xss/runs")
def start_run():
    body = json_body("store")
    store = body["store"]
    if store not in STORES:
        return json_error(400, "invalid_request",
                          _("store must be one of: %(names)s.", names=", ".join(STORES)))
    flags = {name: body.get(name, default) for name, default in (("csp", False),
                                                                 ("vulnerable", True))}
    if not all(isinstance(v, bool) for v in flags.values()):
        return json_error(400, "invalid_request", _("csp and vulnerable must be true or false."))
    run, data = common.new_run(LAB, dict(flags, store=store))
    response = jsonify({"run": run, "store": store, **flags,
                        "attacker": common.attacker_origins()})
    # A new row starts clean: an earlier row's cookies would otherwise ride along. (Sent
    # unconditionally: the refresh cookie's Path keeps it from reaching this endpoint.)
    for name, path in ((COOKIE_SESSION, "/api/attacks/xss"), (COOKIE_BFF, "/api/attacks/xss"),
                       (COOKIE_REFRESH, REFRESH_PATH)):
        response.delete_cookie(name, path=path)
    return response


@bp.get("/api/attacks/xss/runs/<run>")
def run_state(run):
    """The lab's record (rides, CSP reports) and what reached the attacker (stolen, minted)."""
    data = _run_or_404(run)
    loot = []
    for raw in current_app.extensions["lab_redis"].lrange(loot_key(run), 0, -1):
        try:
            loot.append(json.loads(raw))
        except ValueError:
            continue
    return jsonify({"run": run, "store": data["store"], "csp": data["csp"],
                    "vulnerable": data["vulnerable"], "records": common.records(LAB, run),
                    "loot": loot})


# --- The victim page: injectable on purpose ---------------------------------------------------

@bp.get("/attacks/xss/victim")
def victim():
    """The lab-only vulnerable page. `q` is written into the page unescaped while the run says
    "vulnerable" (a stored or reflected XSS, in one line); the banner says so."""
    data = _run_or_404(request.args.get("run", ""))
    # How often the page was served for this run (its own key: the run's JSON is rewritten by
    # the login): the guide's "nothing ran" verdict needs the page to have been served.
    client = current_app.extensions["lab_redis"]
    with client.pipeline(transaction=False) as pipe:
        pipe.incr(served_key(data["run"]))
        pipe.expire(served_key(data["run"]), common.RUN_TTL)
        pipe.execute()
    nonce = csp_nonce()
    attacker = common.attacker_origins()
    response = make_response(render_template(
        "labs/attacks/victim.html", run=data, q=request.args.get("q", "")[:2000], nonce=nonce,
        attacker=attacker))
    report = f"/api/attacks/xss/csp-report?run={data['run']}"
    if data["csp"]:
        policy = (f"script-src 'nonce-{nonce}' 'strict-dynamic'; object-src 'none'; "
                  f"base-uri 'none'; frame-ancestors 'self'; report-uri {report}")
    else:
        # No script policy at all (what a page without CSP has); framing by the lab page only.
        policy = "frame-ancestors 'self'"
    response.headers["X-Frame-Options"] = "SAMEORIGIN"  # the lab page runs it in a frame
    return set_csp(response, policy)


@bp.post("/api/attacks/xss/csp-report")
def csp_report():
    """Reports the browser sends when the CSP stopped something (report-uri): server-side proof
    that a payload died, and which directive killed it."""
    run = request.args.get("run", "")
    if common.load_run(LAB, run) is None:
        return json_error(404, "not_found", _("No such run (they are kept for an hour)."))
    try:
        body = json.loads(request.get_data(cache=False, as_text=True) or "{}")
    except ValueError:
        body = {}
    report = body.get("csp-report", {}) if isinstance(body, dict) else {}
    report = report if isinstance(report, dict) else {}
    common.add_record(LAB, run, {"kind": "csp", "directive": str(report.get(
        "violated-directive", report.get("effective-directive", "")))[:80],
        "blocked": str(report.get("blocked-uri", ""))[:200]})
    return "", 204


# --- The victim's credentials, per row --------------------------------------------------------

def _alice():
    return users.by_name("alice")


@bp.post("/api/attacks/xss/runs/<run>/login")
def login(run):
    """Log alice in for a cookie row: `cookie` gets an HttpOnly lab session, `refresh-cookie` an
    access token in the body and the refresh token in an HttpOnly cookie, `bff` only a cookie."""
    data = _run_or_404(run)
    store = data["store"]
    user = _alice()
    if store == "cookie":
        data["sid"] = secrets.token_urlsafe(32)
        common.save_run(LAB, data)
        response = jsonify({"logged_in": True})
        response.set_cookie(COOKIE_SESSION, data["sid"], httponly=True, samesite="Lax",
                            path="/api/attacks/xss")
        return response
    if store == "refresh-cookie":
        access, refresh, claims = token_issue.issue_pair(user)
        token_store.start_family(claims, request.user_agent.string)
        response = jsonify({"access_token": access})
        response.set_cookie(COOKIE_REFRESH, refresh, httponly=True, samesite="Strict",
                            path=REFRESH_PATH)
        return response
    if store == "bff":
        access, refresh, claims = token_issue.issue_pair(user)
        token_store.start_family(claims, request.user_agent.string)
        data["sid"] = secrets.token_urlsafe(32)
        data["bff_tokens"] = {"access": access, "refresh": refresh}  # server-side only
        common.save_run(LAB, data)
        response = jsonify({"logged_in": True})
        response.set_cookie(COOKIE_BFF, data["sid"], httponly=True, samesite="Strict",
                            path="/api/attacks/xss")
        return response
    return json_error(400, "invalid_request",
                      _("This row logs in with the real JWT API (/api/jwt/login)."))


@bp.post(REFRESH_PATH)
def refresh():
    """The refresh-cookie row's refresh: the HttpOnly cookie is the refresh token. Rotated by the
    real token store; the new access token is answered in the body, to whoever called."""
    token = request.cookies.get(COOKIE_REFRESH)
    if not token:
        return json_error(401, "no_cookie", _("No refresh cookie arrived."))
    try:
        old = decode(token, "refresh")
    except TokenError as exc:
        return json_error(400, "invalid_grant", exc.message)
    user = users.get(old["sub"])
    if user is None:
        return json_error(400, "invalid_grant", _("The account no longer exists or is disabled."))
    access, new_refresh, claims = token_issue.issue_pair(user, old["fam"])
    if token_store.rotate(old, claims) != token_store.ROTATED:
        return json_error(400, "invalid_grant", _("This refresh token was revoked or reused."))
    response = jsonify({"access_token": access})
    response.set_cookie(COOKIE_REFRESH, new_refresh, httponly=True, samesite="Strict",
                        path=REFRESH_PATH)
    return response


def _who(data):
    """(user, credential) of the caller for this run's row, from the real verifier or the run's
    server-side session; (None, reason) when nothing valid arrived."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        try:
            claims = verify_access(header[7:].strip())
        except (TokenError, StoreUnavailable):
            return None, "invalid_token"
        return claims.get("username"), "bearer"
    for name in (COOKIE_SESSION, COOKIE_BFF):
        sent = request.cookies.get(name)
        if sent and data.get("sid") and hmac.compare_digest(sent, data["sid"]):
            if name == COOKIE_BFF:
                # The backend uses the token it keeps; the browser never had it.
                try:
                    claims = verify_access(data["bff_tokens"]["access"])
                except (TokenError, StoreUnavailable):
                    return None, "invalid_token"
                return claims.get("username"), name
            return "alice", name
    return None, "no_credential"


@bp.get("/api/attacks/xss/runs/<run>/me")
def me(run):
    """Who the page is logged in as (the victim app's own call)."""
    user, via = _who(_run_or_404(run))
    if user is None:
        return json_error(401, "not_logged_in", via)
    return jsonify({"user": user, "via": via})


@bp.post("/api/attacks/xss/runs/<run>/act")
def act(run):
    """A state-changing call ("change alice's e-mail"). The victim app never calls it: a call
    marked X-Lab-Payload is the payload riding the page's credential. Recorded either way."""
    data = _run_or_404(run)
    user, via = _who(data)
    facts = common.received(COOKIES)
    common.add_record(LAB, run, dict(facts, kind="act", user=user, via=via,
                                     payload=request.headers.get("X-Lab-Payload", "")[:20],
                                     changed=user is not None))
    if user is None:
        return json_error(401, "not_logged_in", via)
    return jsonify({"changed": True, "user": user, "via": via})
