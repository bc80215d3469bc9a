"""Every default in one place (as Flask-Session keeps its defaults), and what the environment may
change. `create_app(test_config)` applies, in order: DEFAULTS, `from_env()`, then test_config."""
import os
import secrets
from pathlib import Path

# The algorithms the JWT flow can sign with (JWT_ALGORITHM). HS* share one secret; the others
# sign with a private key generated into the instance folder and verify with its public half.
JWT_ALGORITHMS = ("HS256", "HS384", "HS512", "RS256", "PS256", "ES256", "EdDSA")

DEFAULTS = {
    # --- Stores -----------------------------------------------------------------------------
    "REDIS_URL": None,  # None: an embedded redis-server under instance/redis
    "REDIS_SOCKET_TIMEOUT": 1.0,  # seconds; a stalled Redis answers 503 fast, never hangs a page
    "SEED_DEMO_USERS": True,
    # --- Session flow -----------------------------------------------------------------------
    "SESSION_COOKIE_NAME": "lab_session",
    "SESSION_COOKIE_HTTPONLY": True,  # page scripts cannot read the session id
    "SESSION_COOKIE_SAMESITE": "Lax",  # not sent on cross-site POSTs: a first CSRF barrier
    "SESSION_COOKIE_SECURE": False,  # made True per request when served over HTTPS
    "SESSION_LIFETIME": 1800,  # idle timeout, seconds (slid by every request, lazily: below)
    # How a request's credential is checked (auth/core/checkmode.py; the cost lab switches it
    # live): "local-view" - this process's copy of the session and revocation keys, kept true by
    # Redis (CLIENT TRACKING), and a cache of verified tokens; "ask-redis" - one round trip and
    # a full signature check on every request.
    "AUTH_CHECK_MODE": "local-view",
    # With the local view, the idle expiry is slid only once this fraction of it has passed
    # (one EXPIRE per 3 minutes of a 30-minute timeout, not one write per request).
    "SESSION_SLIDE_FRACTION": 0.1,
    "VERIFIED_TOKEN_CACHE": 10000,  # verified access tokens kept per process (0: none)
    "SESSION_ABSOLUTE_LIFETIME": 8 * 3600,  # from login, whatever happens
    # Paths that never open a session (the features add their own, see auth/labs/__init__.py).
    "SESSION_SKIP_PREFIXES": ("/static/", "/healthz"),
    # --- JWT flow ---------------------------------------------------------------------------
    "JWT_ALGORITHM": "HS256",
    "JWT_ISSUER": "session-vs-jwt-lab",
    "JWT_AUDIENCE": "session-vs-jwt-lab-api",
    "JWT_LEEWAY": 2,  # seconds of clock skew forgiven on exp/nbf (RFC 7519 §4.1.4 "leeway")
    "ACCESS_TOKEN_TTL": 300,
    "REFRESH_TOKEN_TTL": 86400,
    # How an access token is revoked before exp: none | denylist | valid-after | user-key |
    # introspection (auth/tokens/revocation.py); switchable live on the revocation lab page.
    "REVOCATION_STRATEGY": "denylist",
    # --- Token attacks lab (auth/labs/refresh/) ---------------------------------------------
    # Seconds after a rotation during which the retired refresh token may be presented again
    # without counting as reuse (two tabs refreshing at once). 0: strict rotation. Its cost: a
    # thief inside the window is not detected. Switchable live on the refresh lab page.
    "REFRESH_REUSE_GRACE": 0,
    # --- Protection -------------------------------------------------------------------------
    "LOGIN_RATE_LIMIT": 10,  # failed logins per username (both flows together) ...
    "LOGIN_RATE_WINDOW": 60,  # ... per this many seconds
    "WTF_CSRF_TIME_LIMIT": None,  # the CSRF token lives as long as the session it is tied to
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    # --- Serving (python app.py / make run) -------------------------------------------------
    "HOST": "127.0.0.1",
    "PORT": 5000,
    "ATTACKER_PORT": None,  # None: PORT + 100 (the attacker's origin, auth/attacker/)
    # waitress: a class of hundreds on one LAN, each browser holding ~6 connections open.
    "SERVER_THREADS": 8,
    "SERVER_CONNECTION_LIMIT": 1000,
    "SERVER_CHANNEL_TIMEOUT": 30,  # seconds an idle or half-sent connection is kept
}

# Settings the environment may override, with the type each is read as.
_FROM_ENV = {
    "REDIS_URL": str, "ACCESS_TOKEN_TTL": int, "REFRESH_TOKEN_TTL": int,
    "SESSION_LIFETIME": int, "SESSION_ABSOLUTE_LIFETIME": int, "JWT_ALGORITHM": str,
    "REVOCATION_STRATEGY": str, "REFRESH_REUSE_GRACE": int, "AUTH_CHECK_MODE": str,
    "LOGIN_RATE_LIMIT": int, "LOGIN_RATE_WINDOW": int, "HOST": str, "PORT": int,
    "ATTACKER_PORT": int,
}


def from_env():
    """The settings the environment sets (a typo in a number is ignored, not a crash)."""
    found = {}
    for name, kind in _FROM_ENV.items():
        raw = os.environ.get(name)
        if not raw:
            continue
        try:
            found[name] = kind(raw)
        except ValueError:
            continue
    return found


def check(config):
    """Refuse a configuration that would run insecurely or not at all, saying what to change."""
    if config["JWT_ALGORITHM"] not in JWT_ALGORITHMS:
        raise ValueError(f"JWT_ALGORITHM must be one of {', '.join(JWT_ALGORITHMS)}, "
                         f"not {config['JWT_ALGORITHM']!r}")


def load_secret(instance_path, name):
    """Return secret `name` from the environment, else from the instance folder, else make one.

    Generated secrets are 48 random bytes (HMAC keys must be >= 32 bytes), written once with mode
    0600 and reused on restart, so sessions and tokens survive a restart and nothing is committed.
    """
    from_env = os.environ.get(name)
    if from_env:
        return from_env
    path = Path(instance_path) / f"{name.lower()}.txt"
    if path.exists():
        return path.read_text().strip()
    value = secrets.token_urlsafe(48)
    # O_EXCL: if two processes start at once, the second reads what the first wrote.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    return value
