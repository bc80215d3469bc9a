"""Rate limiting of failed logins (Flask-Limiter on the same Redis).

Keyed on client address *and* username, and only failed attempts count: a whole class behind
one NAT address can log in at once, while guessing one account's password is slowed down.
"""
from flask import request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address


def _login_key():
    body = request.get_json(silent=True) if request.is_json else None
    name = body.get("username") if isinstance(body, dict) else request.form.get("username")
    name = name.strip().lower()[:64] if isinstance(name, str) else ""
    return f"{get_remote_address()}|{name}"


limiter = Limiter(key_func=get_remote_address, headers_enabled=True, swallow_errors=True)
LIMITED_ENDPOINTS = frozenset({"session_flow.login", "jwt_flow.login"})


@limiter.request_filter
def _not_a_login():
    """Only the login views are limited: skip the limiter's per-request bookkeeping elsewhere.

    Without this filter Flask-Limiter resolves limits on every request (~90 µs, measured), even
    on the unauthenticated baseline that has none.
    """
    return request.endpoint not in LIMITED_ENDPOINTS


def failed_login_limit():
    """Decorator for login views: counts only 401 answers against the limit."""
    from flask import current_app

    return limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], key_func=_login_key,
                         deduct_when=lambda response: response.status_code == 401,
                         methods=["POST"])


def init(app, client):
    app.config.setdefault("RATELIMIT_STORAGE_URI", "redis://")
    app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {"connection_pool": client.connection_pool})
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "ratelimit")
    limiter.init_app(app)
    # Its own client object on our pool: trace it too, so login traces show the limiter's calls.
    from .trace import instrument_redis

    instrument_redis(limiter.storage.storage)
