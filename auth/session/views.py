"""Flow 1, the server-side session: form login, an opaque id in a cookie, the data in Redis."""
import functools

import redis
from flask import (Blueprint, current_app, g, jsonify, redirect, render_template,
                   request, session, url_for)
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf

from ..core import trace, users
from ..core.errors import json_error, wants_json
from ..core.http import local_path, no_store
from ..core.limits import login_attempt
from . import store as session_store

bp = Blueprint("session_flow", __name__)


@bp.before_request
def load_user():
    """g.user comes from the session in Redis (one GETEX, done when the session was opened)."""
    opened = session._get_current_object()  # (one proxy lookup, not three)
    if getattr(opened, "store_error", False):
        raise redis.ConnectionError("session store unavailable")
    g.user = opened.get("user")


# Pages showing a user's session must never be cached by the browser or a proxy.
bp.after_request(no_store)


def login_required(view):
    @functools.wraps(view)
    def wrapped(**kwargs):
        if g.user is None:
            return redirect(url_for("session_flow.login", next=request.path))
        return view(**kwargs)
    return wrapped


@bp.route("/session/login", methods=["GET", "POST"])
def login():
    """Form login; on success the session id is regenerated (no fixation) and the user stored."""
    if request.method == "GET":
        if g.user:
            return redirect(url_for("session_flow.home"))
        return render_template("session/login.html", demo=users.DEMO_USERS)
    username = request.form.get("username")
    with login_attempt(username) as attempt:
        user = users.authenticate(username, request.form.get("password"))
        attempt.ok = user is not None
    if user is None and wants_json():
        return json_error(401, "invalid_credentials", _("Wrong username or password."))
    if user is None:
        # One message for unknown user and wrong password: no user enumeration.
        return render_template("session/login.html", demo=users.DEMO_USERS,
                               error=_("Wrong username or password."),
                               username=request.form.get("username", "")), 401
    session["user"] = user
    session.pop("csrf_token", None)  # a fresh CSRF token for the logged-in session
    # Write the user first, then regenerate: Flask-Session's regenerate() ignores an empty session.
    current_app.session_interface.regenerate(session)
    if not wants_json():
        # A page can never read its own redirect's Set-Cookie: keep the server's record of it.
        trace.after_wire(remember_login_response)
    if wants_json():  # the compare page logs in with fetch(); it needs the new session's token
        return jsonify({"user": user, "csrf_token": generate_csrf()})
    # Back where login_required sent the user from (a local path only), else the session page.
    return redirect(local_path(request.args.get("next")) or url_for("session_flow.home"),
                    code=303)


def remember_login_response(wire):
    """Called once the login's response is final (after the session save): keep what that
    response put on the wire, masked, beside the session (not in it: the session's value stays
    what the flow itself stores), so the session page can show the 303 and its Set-Cookie,
    which the browser followed before any script could look."""
    name = current_app.session_interface.get_cookie_name(current_app)
    set_cookie = [line for line in wire["set_cookie"] if line.startswith(name + "=")]
    if wire["status"] != 303 or not set_cookie or not session.get("user"):
        return
    session_store.keep_record(current_app.extensions["lab_redis"], session.sid, {
        "method": request.method, "path": request.path, "status": wire["status"],
        "set_cookie": set_cookie[0], "cookie": wire["cookie_seen"], "bytes": wire["bytes"],
        "fields": list(request.form.keys())})


@bp.get("/session/")
@login_required
def home():
    """What this flow stores and where: the cookie the browser sent and the Redis key, live."""
    iface = current_app.session_interface
    stored = session_store.describe(current_app.extensions["lab_redis"], session.sid)
    record = session_store.read_record(current_app.extensions["lab_redis"], session.sid)
    return render_template("session/home.html", cookie=cookie_facts(), stored=stored,
                           idle=iface.idle, absolute=iface.absolute,
                           wire_records=[record] if isinstance(record, dict) else [])


def cookie_facts(app=None, opened=None):
    """The session cookie as this request carried it, and the flags the server set it with."""
    app = app or current_app._get_current_object()
    opened = opened if opened is not None else session._get_current_object()
    req = request._get_current_object()
    iface = app.session_interface
    flags = iface.cookie_flags(app)  # fixed at start: read once, not per request
    sid = req.cookies.get(flags["name"], "")
    return {
        **flags, "length": len(sid), "masked": trace.mask(sid),
        "secure": bool(app.config["SESSION_COOKIE_SECURE"] or req.is_secure),
        "expires_at": opened.get("_created", 0) + iface.absolute,
        "header_bytes": trace.header_line_bytes("Cookie", req.headers.get("Cookie", "")),
    }


@bp.get("/api/session/me")
def me():
    """JSON: who the session says you are, with the stored session's TTL and size."""
    user = g.user
    if user is None:
        return json_error(401, "not_logged_in", _("No session: log in through /session/login."))
    # No second read: the read that loaded this session also gave its size and its TTL (GETEX
    # sets it to the idle timeout; the local view knows when the expiry was last slid).
    app, opened = current_app._get_current_object(), session._get_current_object()
    cookie = cookie_facts(app, opened)
    del cookie["masked"]
    return jsonify({"user": user,
                    "session": {"ttl": opened.ttl, "bytes": opened.store_bytes,
                                "key": session_store.masked_key(opened.sid)},
                    "cookie": cookie})


@bp.get("/session/csrf")
def csrf():
    """A CSRF token for a page that logs in with fetch() (it lives in the anonymous session)."""
    return jsonify({"csrf_token": generate_csrf()})


@bp.post("/session/logout")
def logout():
    """Delete the Redis key now and clear the cookie: the old id is dead at once."""
    old_sid = session.sid
    session.clear()  # the save then DELs the key and expires the cookie
    if wants_json():
        # The id is dead from now on, so the page may have it: it replays it to show exactly that.
        return jsonify({"logged_out": True, "old_session_id": old_sid})
    return redirect(url_for("session_flow.login", logged_out=1), code=303)
