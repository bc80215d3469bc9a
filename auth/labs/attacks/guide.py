"""The attack labs' guided steps (issue #12), declared once: one guide per page (csrf, fixation,
xss). Every verdict is read from the record the lab already keeps in Redis, on a request of the
lab page itself (which carries the learner's guide ticket): the attacker's cross-site requests
carry no ticket, and need not.

A check answers None when the request is not evidence for that step (a poll before the attack
landed, a run of another step), True when the record shows the step's expected outcome, and a
short text (what the server recorded) when it shows another one.
"""
import time

from flask import current_app, request
from flask_babel import lazy_gettext as _l

from ..guide import Done, Guide, Step
from . import common, csrf, weak_session, xss

# --- Shared --------------------------------------------------------------------------------------


def _delete(*patterns):
    """Delete every key matching the patterns, one by one (keys of a cluster live on several
    nodes and slots: no multi-key DEL)."""
    client = current_app.extensions["lab_redis"]
    for pattern in patterns:
        for key in list(client.scan_iter(match=pattern, count=500)):
            client.delete(key)


def _bad(detail):
    """A red verdict that says what the target really answered (the guide core keeps a check's
    text as the record's detail; Done(expect=...) says what was expected)."""
    return str(detail) or False


def _body(response):
    """The answer's JSON, parsed once for all the steps that read it (a CSRF poll is read by
    eleven checks)."""
    body = getattr(response, "_attacks_guide_body", None)
    if body is None:
        body = response.get_json(silent=True) if response.is_json else None
        body = body if isinstance(body, dict) else {}
        response._attacks_guide_body = body
    return body


# --- CSRF ---------------------------------------------------------------------------------------

def origin_kind(rec):
    """"cross" or "same" (the attacker's two names), as the browser said it in Sec-Fetch-Site, or
    from Origin when it sent no Fetch Metadata; None for the lab's own (same-origin) requests."""
    site = (rec.get("sec_fetch_site") or "").lower()
    if site == "cross-site":
        return "cross"
    if site == "same-site":
        return "same"
    if site:
        return None
    names = common.attacker_origins()
    seen = rec.get("origin") or rec.get("referer_origin")
    return next((kind for kind, origin in names.items() if origin == seen), None)


def csrf_check(step):
    """The step's verdict from a run's record: the newest request that matches the step (its
    switches, column, vector and attacker) and what the target decided."""
    def check(_request, response):
        body = _body(response)
        if body.get("settings") != step["settings"]:
            return None
        for rec in reversed(body.get("records") or []):
            if rec.get("column") == step["column"] and rec.get("vector") == step["vector"] \
                    and origin_kind(rec) == step["origin"]:
                if rec.get("outcome") == step["expect"]:
                    return True
                return _bad(f"{rec.get('status')} {rec.get('outcome')}")
        return None
    return check


CSRF_TEXT = {
    "all-off": (
        _l("Every defence off"),
        _l("What will happen: Every defence off, SameSite=None: the cross-site form POST carries "
           "the cookie and the coins move."),
        _l("Why: SameSite=None lets the browser attach the cookie to requests from any site, and "
           "the target checks nothing else. A cookie proves which browser sent the request, never "
           "that its user meant to."),
        _l("Hint: in Free play choose SameSite None, leave every defence off, log the victim in, "
           "then open the attacker, cross-site.")),
    "lax": (
        _l("SameSite=Lax keeps the cookie off a cross-site POST"),
        _l("What will happen: SameSite=Lax, no token: the cross-site form POST arrives without "
           "the cookie, so it is refused."),
        _l("Why: a Lax cookie is left off cross-site subrequests and cross-site POSTs; only a "
           "top-level GET navigation carries it."),
        _l("Hint: Free play with SameSite Lax and no defence, then the attacker, cross-site.")),
    "lax-nav": (
        _l("…but not off a top-level GET"),
        _l("What will happen: SameSite=Lax still sends the cookie on a top-level GET navigation: "
           "a target that changes state on GET is hit."),
        _l("Why: Lax keeps links from other sites working, so a top-level GET navigation carries "
           "the cookie. A GET that changes state undoes the protection: change state on POST "
           "only."),
        _l("Hint: Free play with SameSite Lax, then on the cross-site attacker's page press nav "
           "in the session column.")),
    "same-site": (
        _l("Same site, other port: SameSite does not help"),
        _l("What will happen: SameSite=Lax, no token, attacked from localhost on another port: "
           "the same site, so SameSite does not help and the coins move."),
        _l("Why: a site is the scheme and the registrable domain; the port does not count. "
           "localhost on another port is the same site (so is a sibling subdomain), and every "
           "SameSite value lets the cookie go."),
        _l("Hint: Free play with SameSite Lax and no defence, then the attacker, same-site.")),
    "token": (
        _l("A CSRF token stops it"),
        _l("What will happen: The same attack with the CSRF token on: the cookie arrives, the "
           "token does not (the attacker cannot read it), refused."),
        _l("Why: the token is a secret written into the victim's own page. Another origin cannot "
           "read that page, so its forged request cannot carry the token. The real app's forms do "
           "this (Flask-WTF)."),
        _l("Hint: Free play with the CSRF token ticked, then the attacker, same-site.")),
    "fetchmeta": (
        _l("Fetch-Metadata stops it"),
        _l("What will happen: Fetch-Metadata check on, same-site fetch(): the browser says "
           "Sec-Fetch-Site: same-site, refused."),
        _l("Why: the browser itself says where a request comes from in Sec-Fetch-Site, and no "
           "page can set that header. The real app refuses cross-site changes this way, before "
           "its CSRF token check."),
        _l("Hint: Free play with the Fetch-Metadata check ticked, then on the same-site "
           "attacker's page press fetch in the session column.")),
    "origin": (
        _l("An Origin check stops it"),
        _l("What will happen: Origin check on, same-site fetch(): Origin names the attacker's "
           "origin, refused."),
        _l("Why: the browser puts the sending page's origin in the Origin header of a POST, and "
           "scripts cannot change it; the target compares it with its own origin."),
        _l("Hint: Free play with the Origin check ticked, then on the same-site attacker's page "
           "press fetch in the session column.")),
    "bearer": (
        _l("A bearer token is never sent by the browser"),
        _l("What will happen: The JWT column: the forged request carries no Authorization header "
           "(the browser never adds it), 401."),
        _l("Why: the browser attaches cookies by itself, never an Authorization header: only the "
           "page's own script adds it, and the attacker's page has no token. CSRF needs a "
           "credential the browser sends on its own."),
        _l("Hint: on the attacker's page press any button in the bearer column.")),
    "jwt-cookie": (
        _l("A JWT in a cookie is a cookie"),
        _l("What will happen: The same token moved into a cookie (Flask-JWT-Extended style), "
           "SameSite=None: vulnerable again, the coins move."),
        _l("Why: CSRF depends on how a credential travels, not on what it is. A JWT kept in a "
           "cookie is sent by the browser like any other cookie."),
        _l("Hint: Free play with SameSite None, then on the cross-site attacker's page press form "
           "in the jwt-cookie column.")),
    "double": (
        _l("Double-submit stops the cross-site attacker"),
        _l("What will happen: JWT in a cookie with double-submit: the cross-site attacker cannot "
           "read the double-submit cookie, refused."),
        _l("Why: the request must repeat the double-submit cookie's value in its body, and a page "
           "on another site cannot read this site's cookies."),
        _l("Hint: Free play with SameSite None and double-submit ticked, then the cross-site "
           "attacker's jwt-cookie form.")),
    "double-same": (
        _l("…but not the same-site one"),
        _l("What will happen: Double-submit against the same-site attacker: cookies ignore ports, "
           "so its script reads the double-submit cookie and sends it back. The coins move."),
        _l("Why: a page on the same host reads (and could even set) the cookie, since cookies "
           "ignore ports: double-submit trusts every page of the site. Sign the value, or add the "
           "Fetch-Metadata check."),
        _l("Hint: the same switches, then the same-site attacker's jwt-cookie form.")),
}


# What the target's decision should be, in the lab's own words (the page's outcome texts).
CSRF_EXPECT = {
    "changed": _l("State changed: 100 coins sent to the attacker."),
    "no_cookie": _l("Refused (401): the cookie did not arrive."),
    "csrf_token": _l("Refused (403): the CSRF token was missing or wrong."),
    "fetch_metadata": _l("Refused (403) by the Fetch-Metadata check: Sec-Fetch-Site was not "
                         "same-origin."),
    "origin": _l("Refused (403) by the Origin check: Origin was not this lab's origin."),
    "no_authorization": _l("Refused (401): no Authorization header arrived."),
    "double_submit": _l("Refused (403): the double-submit value did not match its cookie."),
}


def csrf_reset():
    """Every CSRF run and its record (the victim's cookies then match no run: wrong_cookie)."""
    _delete("attacks:csrf:*")


CSRF_GUIDE = Guide(
    lab="csrf", title=_l("CSRF"),
    steps=[Step(id=s["id"], title=CSRF_TEXT[s["id"]][0], will=CSRF_TEXT[s["id"]][1],
                why=CSRF_TEXT[s["id"]][2], hint=CSRF_TEXT[s["id"]][3],
                done=[Done("attacks_csrf.run_state", "GET", (200,), check=csrf_check(s),
                           expect=CSRF_EXPECT[s["expect"]])])
           for s in csrf.STEPS],
    reset=csrf_reset)


# --- Session fixation and login CSRF ------------------------------------------------------------

SESSION_ME = "session_flow.me"
PLANT_GRACE = 2.0  # seconds the planted cookies may still be on their way to the browser


def _newest(body, kinds=None):
    records = body.get("records") or []
    if kinds is not None:
        records = [r for r in records if r.get("kind") in kinds]
    return records[-1] if records else None


def _cookie(body, name):
    cookies = body.get("cookies") or {}
    return cookies.get(name) or {}


def _fix_names():
    return current_app.config["SESSION_COOKIE_NAME"], weak_session.COOKIE


# The fixation steps are judged on the lab page's reads of the run's record, each while its own
# event is the run's newest (so a later step's reads never judge an earlier step again).

def plant_check(_request, response):
    """Right after the plant: does this request carry exactly the planted ids?"""
    body = _body(response)
    rec = _newest(body)
    if not rec or rec.get("kind") != "planted":
        return None
    real, weak = (_cookie(body, name) for name in _fix_names())
    if real.get("is_planted") and weak.get("is_planted"):
        return True
    if time.time() - rec.get("t", 0) < PLANT_GRACE:
        return None
    missing = [name for name, c in zip(_fix_names(), (real, weak)) if not c.get("is_planted")]
    return _bad("≠ " + ", ".join(missing))


def login_check(_request, response):
    """Right after the weak login (as alice) of a planted run: the real id must be a new one,
    the weak one the planted one."""
    body = _body(response)
    rec = _newest(body)
    if not rec or rec.get("kind") != "weak-login" or rec.get("user") != "alice" \
            or not body.get("planted"):
        return None
    real, weak = (_cookie(body, name) for name in _fix_names())
    if not real.get("is_planted") and weak.get("is_planted"):
        return True
    names = _fix_names()
    if real.get("is_planted"):
        return _bad(f"{names[0]} = planted")
    return _bad(f"{names[1]} ≠ planted")


def try_check(_request, response):
    rec = _newest(_body(response))
    if not rec or rec.get("kind") != "attacker-try":
        return None
    if rec.get("real_status") == 401 and rec.get("weak_status") == 200 \
            and rec.get("weak_user") == "alice":
        return True
    return _bad(f"{rec.get('real_status')} / {rec.get('weak_status')} "
                f"{rec.get('weak_user') or ''}".strip())


def weak_me_check(_request, response):
    user = (_body(response).get("user") or {}).get("username")
    return True if user == "bob" else _bad(f"{response.status_code} {user or ''}".strip())


def real_login_check(_request, response):
    """The forged login to the real /session/login, as the lab filed it (record_real_login)."""
    rec = _newest(_body(response), ("real-login",))
    if not rec:
        return None
    # 403 from the Fetch-Metadata check; a browser that sends no Sec-Fetch-Site meets Flask-WTF's
    # missing-token 400 instead. Any 4xx is a refusal; a 2xx or 3xx would be a login.
    status = rec.get("status")
    return True if isinstance(status, int) and 400 <= status < 500 else _bad(str(status))


def real_me_check(req, response):
    """/api/session/me asked by the fixation page (?run=) after a forged real login: the real
    session must not be the attacker's account."""
    data = common.load_run(LAB_FIXATION, req.args.get("run", ""))
    if not data or not any(r.get("kind") == "real-login" for r in
                           common.records(LAB_FIXATION, data["run"])):
        return None
    user = (_body(response).get("user") or {}).get("username")
    return _bad(f"{response.status_code} {user}") if user == "bob" else True


LAB_FIXATION = "fixation"
FIX_STATE = "attacks_fixation.run_state"

FIXATION_GUIDE = Guide(
    lab="fixation", title=_l("Session fixation"),
    steps=[
        Step(id="plant", title=_l("The attacker plants session ids"),
             will=_l("What will happen: the attacker's page on the same host (localhost, another "
                     "port) sets lab_session (a genuine pre-login id it got from the lab) and "
                     "lab_fix_weak (an id it made up). Then this page asks the server whether "
                     "your browser now sends exactly those ids."),
             why=_l("Why: cookies ignore ports, so a page on the same host can set cookies the "
                    "lab will receive (cookie tossing); a sibling subdomain can do the same. The "
                    "server cannot tell who set a cookie."),
             hint=_l("Hint: the attacker's /fixation page on the same-site name needs a run from "
                     "this page; Show me starts one and opens it."),
             done=[Done(FIX_STATE, "GET", (200,), check=plant_check,
                        expect=_l("your browser sending both planted ids"))]),
        Step(id="login", title=_l("You log in with the planted ids"),
             will=_l("What will happen: you log in as alice in both: the real session login (POST "
                     "/session/login) and the weak one. Then the server compares the ids your "
                     "browser sends with the planted ones."),
             why=_l("Why: the real store gives the session a new id at login and deletes the old "
                    "one, so the planted id is worthless. The weak session keeps the id the "
                    "browser came with, which is the attacker's."),
             hint=_l("Hint: Show me logs alice (alice / alice123) in through the real login form "
                     "and the weak login, then asks the server about the ids."),
             done=[Done(FIX_STATE, "GET", (200,), check=login_check,
                        expect=_l("a new real id, the planted weak id"))]),
        Step(id="try", title=_l("The attacker presents the planted ids"),
             will=_l("What will happen: the attacker presents the planted ids from its own side: "
                     "GET /api/session/me with the planted lab_session, and the weak session's "
                     "/me with the planted lab_fix_weak."),
             why=_l("Why: the real store answers 401: the planted id was replaced at login, and "
                    "an id it never issued is never adopted. The weak session answers with alice: "
                    "the attacker is logged in without her password."),
             hint=_l("Hint: open the attacker's /fixation/try page with this run, after the "
                     "login."),
             done=[Done(FIX_STATE, "GET", (200,), check=try_check,
                        expect=_l("the real store 401, the weak one alice"))]),
        Step(id="lcsrf-weak", title=_l("Login CSRF against the weak login"),
             will=_l("What will happen: the attacker's cross-site page auto-submits bob's "
                     "username and password to the weak login, which takes no CSRF token. The "
                     "server then says who your browser is logged in as there."),
             why=_l("Why: a login form is a state change too. Without a CSRF token (or a "
                    "Fetch-Metadata check) another site can log your browser into its own "
                    "account, and what you do next lands in the attacker's account."),
             hint=_l("Hint: open the attacker's /fixation/login-csrf page (target weak) on the "
                     "cross-site name, then ask the weak session's /me."),
             done=[Done("attacks_fixation.weak_me", "GET", (200,), check=weak_me_check,
                        expect=_l("the weak session saying bob"))]),
        Step(id="lcsrf-real", title=_l("Login CSRF against the real login"),
             will=_l("What will happen: the same page posts to the real /session/login. The real "
                     "app refuses a cross-site change (Sec-Fetch-Site), and its CSRF token is "
                     "missing anyway. Then the server says who your browser's real session is."),
             why=_l("Why: the real login refuses a state change another site started "
                    "(Sec-Fetch-Site: cross-site, 403), and a forged form has no CSRF token "
                    "anyway: your browser's real session is still yours."),
             hint=_l("Hint: open the attacker's /fixation/login-csrf page (target real), then "
                     "press Ask the server who I am now."),
             done=[Done(FIX_STATE, "GET", (200,), check=real_login_check,
                        expect=_l("the real login refusing it")),
                   Done(SESSION_ME, "GET", (200, 401), check=real_me_check,
                        expect=_l("the real session not being bob"))]),
    ],
    reset=lambda: _delete("attacks:fixation:*", "attacks:weak-session:*"))


def record_real_login(sender, response, **_extra):
    """request_finished: what the REAL /session/login answered a login the fixation lab's
    attacker page forged (its form names the run: /session/login?run=). The real view ignores
    the parameter; this only files the answer under the run, for the lab's verdict."""
    # (the raw environ first: this runs after every request of the app, and must cost nothing)
    if request.environ.get("REQUEST_METHOD") != "POST" or request.endpoint != "session_flow.login":
        return
    run = request.args.get("run", "")
    try:
        if common.load_run(LAB_FIXATION, run) is not None:
            common.add_record(LAB_FIXATION, run, {
                "kind": "real-login", "status": response.status_code,
                "sec_fetch_site": request.headers.get("Sec-Fetch-Site"),
                "user": (request.form.get("username") or "")[:40]})
    except Exception:  # a record is a convenience: never fail the real login for it
        sender.logger.debug("fixation real-login record failed", exc_info=True)


def fixation_setup(app):
    from flask import request_finished

    request_finished.connect(record_real_login, app)


# --- XSS ----------------------------------------------------------------------------------------

XSS_STEPS = [
    # id, store, csp, vulnerable, expected (stolen, minted, ridden)
    ("localstorage", "localStorage", False, True, ("yes", "yes", "yes")),
    ("sessionstorage", "sessionStorage", False, True, ("yes", "yes", "yes")),
    ("memory", "memory", False, True, ("yes", "no", "yes")),
    ("cookie", "cookie", False, True, ("no", "no", "yes")),
    ("refresh-cookie", "refresh-cookie", False, True, ("yes", "yes", "yes")),
    ("bff", "bff", False, True, ("no", "no", "yes")),
    ("csp", "localStorage", True, True, ("no", "no", "no")),
    ("escaped", "cookie", False, False, ("no", "no", "no")),
]
PAYLOADS = ("steal", "mint", "ride")


def xss_results(body):
    """(stolen, minted, ridden) as "yes", "no" or None (nothing arrived yet), from the records
    and the attacker's collector, the way the lab page fills its cells."""
    records = body.get("records") or []
    if any(r.get("kind") == "csp" for r in records):
        return ("no", "no", "no")
    out = []
    for kind in PAYLOADS:
        if kind == "ride":
            act = next((r for r in records
                        if r.get("kind") == "act" and r.get("payload") == "ride"), None)
            out.append(None if act is None else ("yes" if act.get("changed") else "no"))
            continue
        entry = next((e for e in body.get("loot") or [] if e.get("kind") == kind), None)
        out.append(None if entry is None else
                   ("yes" if any(i.get("verified") for i in entry.get("items") or []) else "no"))
    return tuple(out)


def xss_check(sid, store, csp, vulnerable, expected):
    def check(req, response):
        body = _body(response)
        if (body.get("store"), body.get("csp"), body.get("vulnerable")) != (store, csp, vulnerable):
            return None
        results = xss_results(body)
        if None in results:
            if req.args.get("final") != "1":
                return None  # the payloads are still running
            if not current_app.extensions["lab_redis"].get(xss.served_key(body.get("run", ""))):
                return None  # the victim page never loaded: nothing was tried
            results = tuple(r or "no" for r in results)
        if results == expected:
            return True
        return _bad(" / ".join(f"{k}: {v}" for k, v in zip(PAYLOADS, results)))
    return check


XSS_TEXT = {
    "localstorage": (
        _l("Tokens in localStorage: taken, minted, ridden"),
        _l("What will happen: the victim page keeps alice's tokens in localStorage; the three "
           "payloads run in it. The servers record a working token at the attacker, new tokens "
           "minted, and a change made as alice."),
        _l("Why: any script in the page reads localStorage. The attacker gets the refresh token "
           "too, so the theft outlives the page and the access token's lifetime."),
        _l("Hint: press Run on the localStorage row, with the page vulnerable and no CSP.")),
    "sessionstorage": (
        _l("sessionStorage is no safer"),
        _l("What will happen: the same tokens in sessionStorage, the same three payloads."),
        _l("Why: sessionStorage is per tab, but the attacker's script runs in that very tab."),
        _l("Hint: press Run on the sessionStorage row.")),
    "memory": (
        _l("Tokens in a variable: taken, not minted"),
        _l("What will happen: the tokens live only in a variable of the page's script; the "
           "payloads run in the page."),
        _l("Why: the payload wraps fetch() and reads the Authorization header of the page's own "
           "calls: the access token leaks. The refresh token is out of the script's reach, so "
           "nothing is minted; riding still works."),
        _l("Hint: press Run on the memory row.")),
    "cookie": (
        _l("An HttpOnly cookie: not taken, still ridden"),
        _l("What will happen: alice's login is an HttpOnly session cookie; no token is in the "
           "page at all."),
        _l("Why: HttpOnly keeps the cookie out of the script's reach, but the browser still "
           "attaches it to the payload's request: the attacker acts as alice without ever holding "
           "the credential."),
        _l("Hint: press Run on the cookie row.")),
    "refresh-cookie": (
        _l("A refresh token in an HttpOnly cookie: minted from the page"),
        _l("What will happen: the access token in memory, the refresh token in an HttpOnly cookie "
           "on the refresh path."),
        _l("Why: the payload cannot read the refresh cookie, but it can call the refresh endpoint "
           "from the page, and the answer hands it a fresh access token."),
        _l("Hint: press Run on the refresh-cookie row.")),
    "bff": (
        _l("Backend-for-frontend: no token to take, still ridden"),
        _l("What will happen: the tokens stay on the server (the backend-for-frontend); the "
           "browser holds only an HttpOnly cookie."),
        _l("Why: no token ever reaches the browser, so none can be stolen or minted; the page's "
           "cookie still rides along on the payload's call."),
        _l("Hint: press Run on the bff row.")),
    "csp": (
        _l("A nonce-based CSP stops all three"),
        _l("What will happen: the localStorage row again, with a Content-Security-Policy that "
           "runs only scripts carrying this response's nonce."),
        _l("Why: the injected script tag has no nonce, so the browser refuses to run it and "
           "reports the violation to the server: nothing is taken, minted or ridden."),
        _l("Hint: tick the Content-Security-Policy switch, then press Run on the localStorage "
           "row.")),
    "escaped": (
        _l("Escaping: nothing runs at all"),
        _l("What will happen: the cookie row with the page fixed: q is escaped, so the injection "
           "is shown as text."),
        _l("Why: escaped, the injected markup is text and there is no script to run. Escaping is "
           "the fix; CSP is the safety net; where the token is kept only limits what a script "
           "that runs can take."),
        _l("Hint: untick Vulnerable page, then press Run on the cookie row.")),
}

XSS_GUIDE = Guide(
    lab="xss", title=_l("XSS"),
    steps=[Step(id=sid, title=XSS_TEXT[sid][0], will=XSS_TEXT[sid][1], why=XSS_TEXT[sid][2],
                hint=XSS_TEXT[sid][3],
                done=[Done("attacks_xss.run_state", "GET", (200,),
                           check=xss_check(sid, store, csp, vulnerable, expected),
                           expect=" / ".join(f"{k}: {v}" for k, v in zip(PAYLOADS, expected)))])
           for sid, store, csp, vulnerable, expected in XSS_STEPS],
    reset=lambda: _delete("attacks:xss:*", "attacker:xss:*"))
