"""A deliberately WEAK session, for the fixation lab only (as DVWA keeps its weak levels in their
own files). It is never used by the real flows: its own cookie (`lab_fix_weak`), its own Redis
keys, its own two endpoints in fixation.py.

What is wrong with it, on purpose:
  - it adopts any id a browser presents, even one the server never issued;
  - it keeps the pre-login id at login (no regeneration);
  - its login form takes no CSRF token.
The real store (auth/session/store.py) does the opposite of each."""
import json
import re
import secrets

from flask import current_app, request

COOKIE = "lab_fix_weak"
ID_RE = re.compile(r"[A-Za-z0-9_-]{8,64}\Z")
TTL = 3600


def _key(sid):
    return f"attacks:weak-session:{sid}"


def presented_id():
    """The id the browser sent, adopted as is when it merely looks like one (the first flaw)."""
    sid = request.cookies.get(COOKIE, "")
    return sid if ID_RE.match(sid) else None


def load(sid):
    raw = current_app.extensions["lab_redis"].get(_key(sid)) if sid else None
    try:
        data = json.loads(raw) if raw else None
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def login(user):
    """Store `user` under the id the browser already has (the second flaw), or a new one."""
    sid = presented_id() or secrets.token_urlsafe(24)
    current_app.extensions["lab_redis"].set(_key(sid), json.dumps({"user": user}), ex=TTL)
    return sid
