"""Configuration: read from environment variables, with safe defaults and generated secrets."""
import os
import secrets
from pathlib import Path


def _int_env(name, default):
    """An integer from the environment; a typo falls back to the default instead of crashing."""
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


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


def from_env(instance_path):
    """Build the config dict for create_app from the environment."""
    return {
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        "ACCESS_TOKEN_TTL": _int_env("ACCESS_TOKEN_TTL", 300),
        "REFRESH_TOKEN_TTL": _int_env("REFRESH_TOKEN_TTL", 86400),
        "SESSION_LIFETIME": _int_env("SESSION_LIFETIME", 1800),
        "SESSION_ABSOLUTE_LIFETIME": _int_env("SESSION_ABSOLUTE_LIFETIME", 8 * 3600),
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "10 per minute"),
        "JWT_ISSUER": "session-vs-jwt-lab",
        "JWT_AUDIENCE": "session-vs-jwt-lab-api",
        "JWT_ALGORITHM": "HS256",
        "JWT_LEEWAY": 2,
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "SEED_DEMO_USERS": True,
    }
