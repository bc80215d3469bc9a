"""The guide's HTTP API (JSON; the names are a contract every lab's page relies on):

GET  /api/guide/ticket        the caller's signed ticket (a new anonymous one if none), also set
                              as the `lab_guide` cookie
GET  /api/guide/<lab>         each step's state for the caller, from the server's records
POST /api/guide/<lab>/reset   clears the caller's records of that lab; the lab's shared state
                              (its reset()) only from loopback or for a logged-in admin
"""
import ipaddress

from flask import Blueprint, current_app, jsonify, request, session
from flask_babel import gettext as _
from flask_wtf.csrf import ValidationError, validate_csrf

from ...core import users
from ...core.errors import json_error
from ...core.extensions import csrf
from ...core.http import no_store
from . import records

bp = Blueprint("guide", __name__)
bp.after_request(no_store)  # per-learner, live


def _guide_or_none(lab):
    return current_app.extensions.get("guides", {}).get(lab)


def _unknown(lab):
    return json_error(404, "not_found", _("There is no lab named %(lab)s.", lab=lab))


def progress(guide, actor):
    """The caller's steps of `guide`, as the API and the class view report them."""
    raw = records.raw_records(actor, guide.lab)
    steps = []
    for step in guide.steps:
        state, at, index, status, kinds = records.step_state(step, raw)
        detail = ""
        if state == "bad":
            done = step.done[index]
            # (a text status is what a check said the server saw, e.g. "401 no_cookie")
            if isinstance(status, str) or status in done.statuses:
                expected = str(done.expect) if done.expect else _("a different answer")
            else:
                expected = _(" or ").join(str(s) for s in done.statuses)
            detail = _("%(status)s (expected %(expected)s)", status=status, expected=expected)
        steps.append({"id": step.id, "state": state, "at": at, "detail": detail, "parts": kinds})
    return {"lab": guide.lab, "steps": steps,
            "done": sum(s["state"] == "ok" for s in steps), "total": len(steps)}


@bp.get("/api/guide/ticket")
def ticket():
    """The ticket this browser already holds (header, then cookie) if it is genuine, else a new
    anonymous one; the cookie carries it on forms and navigations."""
    actor = records.request_actor() or records.new_anon()
    value = records.sign(actor)
    return records.set_cookie(jsonify({"ticket": value, "actor": actor}), value)


@bp.get("/api/guide/<lab>")
def state(lab):
    guide = _guide_or_none(lab)
    if guide is None:
        return _unknown(lab)
    return jsonify(progress(guide, records.request_actor()))


def _is_loopback(address):
    try:
        return ipaddress.ip_address(address or "").is_loopback
    except ValueError:
        return False


def _loopback():
    """A browser on the machine the lab runs on. Behind the cluster's HAProxy every request
    comes from loopback: the balancer names the real client in X-Lab-Balanced-For (it replaces
    any such header a client sends)."""
    if not _is_loopback(request.remote_addr):
        return False
    through = request.headers.get("X-Lab-Balanced-For")
    return through is None or _is_loopback(through)


def _admin():
    """The session's user if the users table says admin now (never a role a client holds)."""
    user = session.get("user") if not getattr(session, "store_error", False) else None
    record = users.get(user["id"]) if isinstance(user, dict) else None
    return record if record and record["role"] == "admin" else None


def _csrf_ok():
    try:
        validate_csrf(request.headers.get("X-CSRFToken"))
        return True
    except ValidationError:
        return False


@bp.post("/api/guide/<lab>/reset")
def reset(lab):
    """Clear the caller's steps of this lab, and put the lab's shared state back when the caller
    may: the machine the lab runs on (loopback), or an administrator's session."""
    # The page sends its ticket in the X-Lab-Guide header, which another site cannot make a
    # browser send (a custom header needs a CORS preflight this app never grants). Without it
    # only the cookie identifies the caller: a cookie-authenticated change needs the CSRF token.
    if not request.headers.get(records.HEADER):
        csrf.protect()
    guide = _guide_or_none(lab)
    if guide is None:
        return _unknown(lab)
    actor = records.request_actor()
    records.clear(actor, lab)
    answer = {"lab": lab, "shared_reset": False}
    if guide.reset is None:
        answer["message"] = _("This lab keeps no shared state: only your steps were cleared.")
    elif _loopback() or (_admin() is not None and _csrf_ok()):
        guide.reset()
        answer["shared_reset"] = True
    else:
        answer["message"] = _("Your steps were cleared. The lab's shared switches were left as "
                              "they are: only the instructor's machine or an administrator "
                              "can reset them for the whole class.")
    answer.update(progress(guide, actor))
    return jsonify(answer)
