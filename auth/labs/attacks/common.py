"""What the three attack labs share: runs kept in Redis, the server's record of what a request
really carried (cookies masked, Origin, Sec-Fetch-*, Authorization present or not), and the two
names of the attacker's origin.

A run is one attempt a learner sets up on a lab page. Its id is public (it travels in the
attacker's URL, so the record can be filed under it even when the browser sent no cookie); the
credential the attack tries to ride is a separate secret, kept only in the victim's cookie.
"""
import json
import re
import secrets
import time

from flask import current_app, request

from ...core import trace

RUN_TTL = 3600  # seconds a run and its record are kept
RECORD_KEEP = 50  # records per run
RUN_RE = re.compile(r"[0-9a-f]{16}\Z")


def _redis():
    return current_app.extensions["lab_redis"]


def run_key(lab, run):
    return f"attacks:{lab}:{run}"


def log_key(lab, run):
    return f"attacks:{lab}:{run}:log"


def new_run(lab, data):
    run = secrets.token_hex(8)
    data = dict(data, run=run, created=time.time())
    _redis().set(run_key(lab, run), json.dumps(data, separators=(",", ":")), ex=RUN_TTL)
    return run, data


def load_run(lab, run):
    """The run's data, or None for a malformed, unknown or expired id."""
    if not isinstance(run, str) or not RUN_RE.match(run):
        return None
    raw = _redis().get(run_key(lab, run))
    try:
        data = json.loads(raw) if raw else None
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def save_run(lab, data):
    _redis().set(run_key(lab, data["run"]), json.dumps(data, separators=(",", ":")),
                 ex=RUN_TTL)


def add_record(lab, run, entry):
    entry = dict(entry, t=round(time.time(), 3))
    client = _redis()
    with client.pipeline(transaction=False) as pipe:
        pipe.rpush(log_key(lab, run), json.dumps(entry, separators=(",", ":")))
        pipe.ltrim(log_key(lab, run), -RECORD_KEEP, -1)
        pipe.expire(log_key(lab, run), RUN_TTL)
        pipe.execute()
    return entry


def records(lab, run):
    out = []
    for raw in _redis().lrange(log_key(lab, run), 0, -1):
        try:
            out.append(json.loads(raw))
        except ValueError:
            continue
    return out


def received(cookie_names):
    """What this request carried, as the server read it: each named cookie masked (or None when
    the browser did not send it), the origin headers, and whether an Authorization came."""
    auth = request.headers.get("Authorization", "")
    return {
        "method": request.method,
        "path": request.path,
        "cookies": {name: (trace.mask(request.cookies[name]) if name in request.cookies else None)
                    for name in cookie_names},
        "other_cookies": sorted(n for n in request.cookies if n not in cookie_names),
        "origin": request.headers.get("Origin"),
        "referer_origin": _origin_of(request.headers.get("Referer", "")),
        "sec_fetch_site": request.headers.get("Sec-Fetch-Site"),
        "sec_fetch_mode": request.headers.get("Sec-Fetch-Mode"),
        "sec_fetch_dest": request.headers.get("Sec-Fetch-Dest"),
        "authorization": auth.split(" ", 1)[0] if auth else None,
        "user_agent": request.user_agent.string[:160],
    }


def _origin_of(url):
    match = re.match(r"(https?://[^/]+)", url or "")
    return match.group(1) if match else None


def lab_origin():
    """This lab's origin as the browser is using it now (the attacks need http://localhost)."""
    return request.host_url.rstrip("/")


def lab_port():
    host = request.host
    port = host.rsplit(":", 1)[1] if ":" in host and not host.endswith("]") else ""
    return int(port) if port.isdigit() else current_app.config["PORT"]


def attacker_port():
    return current_app.config.get("ATTACKER_PORT") or current_app.config["PORT"] + 100


def attacker_origins():
    """The attacker's two names: 127.0.0.1 is another site than localhost; localhost on another
    port is the same site (cookies ignore ports), only another origin."""
    port = attacker_port()
    return {"cross": f"http://127.0.0.1:{port}", "same": f"http://localhost:{port}"}


def host_is_localhost():
    return request.host.rsplit(":", 1)[0] == "localhost"


def page_context():
    """What every attack lab page shows about where it was opened."""
    from flask_babel import gettext as _

    tabs = [(e, label) for e, label in (("attacks_csrf.page", "CSRF"), ("attacks_xss.page", "XSS"),
                                        ("attacks_fixation.page", _("Session fixation")))
            if e in current_app.view_functions]
    return {"attacker": attacker_origins(), "on_localhost": host_is_localhost(), "tabs": tabs,
            "localhost_url": f"http://localhost:{lab_port()}{request.path}"}
