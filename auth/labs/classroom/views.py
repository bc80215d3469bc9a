"""The classroom around the labs: join by QR code with a demo account, the class's progress
(from the server's records), and "which one should I choose?" from the lab's own measurements."""
import io
import ipaddress
import json
import re
import secrets
import socket
import subprocess
import time

import segno
from flask import (Blueprint, current_app, jsonify, redirect, render_template, request,
                   session, url_for)
from flask_babel import gettext as _

from ...core import users
from ...core.errors import json_error, respond
from ...core.http import no_store
from ...tokens import revocation
from ..cost import views as cost_views
from ..guide import records as guide_records
from . import asvs, progress

bp = Blueprint("classroom", __name__)
_WORDS = ("maple", "river", "cedar", "pixel", "comet", "tiger", "lotus", "amber", "delta",
          "ember", "frost", "harbor", "ivory", "jade", "koi", "lunar", "nova", "orbit")


def _redis():
    return current_app.extensions["lab_redis"]


# --- Join -----------------------------------------------------------------------------------

def lan_addresses():
    """The machine's IPv4 addresses a class could reach (loopback and link-local left out)."""
    found = set()
    try:
        out = subprocess.run(["ip", "-j", "-4", "addr"], capture_output=True, text=True,
                             timeout=2, check=False).stdout
        for link in json.loads(out or "[]"):
            for info in link.get("addr_info", []):
                found.add(info.get("local", ""))
    except (OSError, ValueError, subprocess.SubprocessError):
        pass
    try:
        found.update(socket.gethostbyname_ex(socket.gethostname())[2])
    except OSError:
        pass
    good = []
    for text in found:
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            continue
        if not (address.is_loopback or address.is_link_local or address.is_unspecified):
            good.append(text)
    return sorted(good)


_HOST = re.compile(r"[A-Za-z0-9.-]{1,253}|\[[0-9a-fA-F:]{2,39}\]")


def _join_url():
    """The URL students can reach: the host this page was opened with (checked to be a plain
    host name or address), unless it is loopback, which no student's phone can reach: then the
    machine's first LAN address."""
    here = request.host.rsplit(":", 1)[0] if request.host.count(":") == 1 or \
        request.host.startswith("[") else request.host
    if not _HOST.fullmatch(here):
        here = "localhost"
    loopback = here in ("localhost", "127.0.0.1", "[::1]")
    addresses = lan_addresses()
    host = addresses[0] if loopback and addresses else here
    return f"http://{host}:{current_app.config['PORT']}/join", loopback, addresses


@bp.get("/join")
def join():
    """The join page: a QR code of the URL students can reach, and "get a demo account"."""
    url, loopback, addresses = _join_url()
    bound = current_app.config.get("HOST", "127.0.0.1")
    return render_template("labs/classroom/join.html", url=url, addresses=addresses,
                           port=current_app.config["PORT"], loopback=loopback,
                           reachable=bound not in ("127.0.0.1", "localhost"))


@bp.get("/join/qr.svg")
def join_qr():
    """The QR code of the join URL, drawn on the server (segno; no network needed)."""
    url, _loopback, _addresses = _join_url()
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=8, border=2, dark="#1b1b1f")
    response = current_app.response_class(buffer.getvalue(), mimetype="image/svg+xml")
    return no_store(response)


@bp.post("/api/join")
def api_join():
    """One click: a new demo account with a generated name; the password is shown once."""
    for _attempt in range(5):
        name = f"student-{secrets.choice(_WORDS)}-{secrets.randbelow(1000):03d}"
        password = secrets.token_urlsafe(9)
        try:
            user = users.create(name, password)
        except users.SignupError as exc:
            if exc.code == "taken":
                continue
            return json_error(400, exc.code, str(exc))
        _redis().hset(progress.ROSTER, name, int(time.time()))
        # The student's guide ticket: every lab's steps are credited to "student:<name>" from
        # now on (join.js keeps it where wire.js and guide.js find it: the X-Lab-Guide header,
        # a lab_guide field on the forms; the cookie lets /api/guide/ticket find it again).
        ticket = guide_records.sign(progress.actor(name))
        response = jsonify({"user": user, "password": password, "ticket": ticket,
                            "message": _("Write the password down now: it is shown only once.")})
        return guide_records.set_cookie(response, ticket), 201
    return json_error(409, "taken", _("Could not find a free name. Try again."))


# --- The class ------------------------------------------------------------------------------

def _admin():
    user = session.get("user")
    record = users.get(user["id"]) if isinstance(user, dict) else None
    return record if record and record["role"] == "admin" else None


@bp.get("/class")
def class_page():
    """Who joined and which steps each has completed (admin only)."""
    if session.get("user") is None:
        return redirect(url_for("session_flow.login", next=request.path))
    if _admin() is None:
        return respond(403, "forbidden", _("The class view is for the instructor: log out, "
                                           "then log in as admin."))
    return render_template("labs/classroom/class.html", steps=progress.STEP_IDS,
                           labs=_labs())


def _guides():
    return current_app.extensions.get("guides", {})


def _labs():
    """Each lab's guide as the class view's columns: slug, title and step ids with titles."""
    return [{"lab": g.lab, "title": str(g.title),
             "steps": [{"id": s.id, "title": str(s.title)} for s in g.steps]}
            for g in _guides().values()]


@bp.get("/api/class")
def api_class():
    """The roster and each student's steps in every lab, from the guides' records in Redis now
    (`steps`: the first columns, kept as they were; `labs`: per lab, steps done of total)."""
    if _admin() is None:
        return json_error(403, "forbidden", _("Only an administrator may do this."))
    client = _redis()
    roster = {k.decode(): int(v) for k, v in client.hgetall(progress.ROSTER).items()}
    guides = _guides()
    names = sorted(roster)
    raw = progress.read(client, names, guides)
    students = []
    for name in names:
        columns, labs = progress.summary(raw[name], guides)
        students.append({"username": name, "joined": roster[name], "steps": columns,
                         "labs": labs})
    return no_store(jsonify({"students": students, "steps": progress.STEP_IDS,
                             "labs": _labs()}))


@bp.post("/api/class/reset")
def api_class_reset():
    """A new class: forget the roster and its progress (the demo accounts stay usable).
    (A cookie-authenticated change: Flask-WTF has checked its CSRF token already.)"""
    if _admin() is None:
        return json_error(403, "forbidden", _("Only an administrator may do this."))
    client = _redis()
    names = [k.decode() for k in client.hkeys(progress.ROSTER)]
    client.delete(progress.ROSTER)
    # Their steps in every lab too (the accounts and their tickets stay usable: a student who
    # joins the next class starts from nothing).
    guide_records.clear_actors([progress.actor(n) for n in names], list(_guides()))
    return jsonify({"forgotten": len(names)})


# --- Which one should I choose? -----------------------------------------------------------------

def _facts():
    """The trade-offs, from this lab's own measurements and settings."""
    found = cost_views.stored("results.json") or {}  # what make bench measured
    http, server = found.get("http", {}), found.get("server_time", {})
    alg = current_app.extensions["lab_keyring"].alg
    jwt_name = f"jwt-{alg}" if f"jwt-{alg}" in http else "jwt-HS256"
    cfg = current_app.config
    return {
        "session_bytes": http.get("session", {}).get("credential_bytes"),
        "jwt_bytes": http.get(jwt_name, {}).get("credential_bytes"),
        "session_us": server.get("session", {}).get("median_us"),
        "jwt_us": server.get(jwt_name, {}).get("median_us"),
        "access_ttl": cfg["ACCESS_TOKEN_TTL"], "strategy": revocation.current(),
        "alg": alg, "samesite": cfg["SESSION_COOKIE_SAMESITE"],
    }


QUESTIONS = {
    "rendering": ("server", "spa"),
    "clients": ("browser", "other"),
    "domains": ("one", "many"),
    "logout": ("now", "later"),
}


def recommend(answers):
    """A design for these answers, with the reasons; each reason names the lab that shows it."""
    other_clients = answers.get("clients") == "other"
    many_domains = answers.get("domains") == "many"
    spa = answers.get("rendering") == "spa"
    must_revoke = answers.get("logout") == "now"
    reasons = []
    if other_clients or many_domains:
        design = "tokens"
        reasons.append(("jwt_flow.page", _("Mobile apps, other services and other domains cannot "
                                          "share a cookie: they send a bearer token.")))
        if must_revoke:
            reasons.append(("revocation.page", _("Logging someone out at once then needs server "
                                                 "state after all (a denylist, a per-user time or "
                                                 "introspection): keep access tokens short.")))
    elif spa:
        design = "bff"
        reasons.append(("compare.page", _("A single-page app on one domain can still use a cookie: "
                                          "a small backend keeps the tokens and gives the browser "
                                          "only an HttpOnly session cookie (backend-for-frontend).")))
        reasons.append(("inspector.page", _("No token in page JavaScript means nothing for an "
                                            "injected script to read and carry away.")))
    else:
        design = "session"
        reasons.append(("session_flow.home", _("Server-rendered pages on one domain: the browser "
                                                "sends the cookie by itself, and an opaque id is "
                                                "all it holds.")))
    if design != "tokens" and must_revoke:
        reasons.append(("revocation.page", _("Deleting one Redis key logs a user out everywhere, "
                                             "on the very next request.")))
    if design == "session" or design == "bff":
        reasons.append(("compare.page", _("A cookie is sent automatically, so protect changes "
                                          "with SameSite, a CSRF token and an Origin check.")))
    return design, reasons


@bp.get("/choose")
def choose():
    """The trade-offs side by side, four questions, and a recommendation with its reasons."""
    answers = {q: request.args.get(q) for q in QUESTIONS if request.args.get(q) in QUESTIONS[q]}
    design, reasons = recommend(answers) if len(answers) == len(QUESTIONS) else (None, [])
    known = current_app.view_functions
    reasons = [(endpoint if endpoint in known else None, text) for endpoint, text in reasons]
    return render_template("labs/classroom/choose.html", facts=_facts(), answers=answers,
                           questions=QUESTIONS, design=design, reasons=reasons,
                           asvs=asvs.TITLES, by_feature=asvs.BY_FEATURE, labels=asvs.LABELS,
                           known=set(known))
