"""The users both flows share: a SQLite table with hashed passwords, seeded with demo accounts."""
import re
import sqlite3
import time

from flask import current_app, g
from werkzeug.security import check_password_hash, generate_password_hash

from . import trace

DEMO_USERS = [("alice", "alice123", "user"), ("bob", "bob123", "user"),
              ("admin", "admin123", "admin")]
# \Z, not $: "$" also matches before a trailing newline, which would let "alice\n" sign up.
USERNAME_RE = re.compile(r"[a-z0-9_-]{3,32}\Z")
MIN_PASSWORD = 8
# Checked against when the username is unknown, so both failures cost the same time
# (no user enumeration by timing).
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  username TEXT UNIQUE NOT NULL,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL DEFAULT 'user',
  created_at INTEGER NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0
);
"""
ROLES = ("user", "admin")


class SignupError(ValueError):
    """A sign-up that cannot be accepted; `code` is 'invalid' or 'taken'."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def get_db():
    """One SQLite connection per request (flaskr pattern)."""
    if "db" not in g:
        g.db = sqlite3.connect(current_app.config["DATABASE"], timeout=5)
        g.db.row_factory = sqlite3.Row
    return g.db


def close_db(_exc=None):
    db = g.pop("db", None)
    if db is not None:
        db.close()


def init_app(app):
    """Create the table and, on first start, the demo accounts."""
    with sqlite3.connect(app.config["DATABASE"]) as db:
        db.executescript(SCHEMA)
        columns = {row[1] for row in db.execute("PRAGMA table_info(users)")}
        if "disabled" not in columns:  # a database made before accounts could be disabled
            db.execute("ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0")
        db.execute("PRAGMA journal_mode=WAL")  # readers never wait for a sign-up
        if app.config.get("SEED_DEMO_USERS") and not db.execute("SELECT 1 FROM users").fetchone():
            for name, password, role in DEMO_USERS:
                db.execute("INSERT INTO users (username, password_hash, role, created_at)"
                           " VALUES (?, ?, ?, ?)",
                           (name, generate_password_hash(password), role, int(time.time())))
    app.teardown_appcontext(close_db)


def public(row):
    """What the flows may show or embed about a user (never the hash)."""
    return {"id": row["id"], "username": row["username"], "role": row["role"]}


def record(row):
    """What the admin pages show about a user (never the hash)."""
    return dict(public(row), disabled=bool(row["disabled"]), created=row["created_at"])


def get(user_id):
    """The public user dict of an *active* account, by id (int or its string form, as in a
    token's sub); None when there is no such account or it is disabled."""
    try:
        user_id = int(user_id)
    except (TypeError, ValueError):
        return None
    with trace.step("db-user", "SELECT user by id (current role)"):
        row = get_db().execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
    return public(row) if row and not row["disabled"] else None


def by_name(username):
    """The admin record of a user by name, or None."""
    if not isinstance(username, str):
        return None
    row = get_db().execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
    return record(row) if row else None


def all_users():
    """Every account, oldest first (admin records)."""
    return [record(row) for row in get_db().execute("SELECT * FROM users ORDER BY id")]


def set_disabled(username, disabled):
    """Disable or re-enable an account; True when the user exists."""
    db = get_db()
    with db:
        changed = db.execute("UPDATE users SET disabled = ? WHERE username = ?",
                             (1 if disabled else 0, username)).rowcount
    return changed == 1


def first():
    """The oldest account (the cost probe's stand-in user), or None when there is none."""
    row = get_db().execute("SELECT * FROM users ORDER BY id LIMIT 1").fetchone()
    return public(row) if row else None


def set_role(username, role):
    """Change a user's role (one of ROLES); True when the user exists."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    db = get_db()
    with db:
        changed = db.execute("UPDATE users SET role = ? WHERE username = ?",
                             (role, username)).rowcount
    return changed == 1


def authenticate(username, password):
    """Return the user dict for a correct username/password, else None (same path either way)."""
    if not isinstance(username, str) or not isinstance(password, str):
        return None
    with trace.step("db-user", "SELECT user by name"):
        row = get_db().execute("SELECT * FROM users WHERE username = ?",
                               (username.strip().lower(),)).fetchone()
    with trace.step("hash-check", "scrypt password check"):
        if row is None:
            check_password_hash(_DUMMY_HASH, password)
            return None
        good = check_password_hash(row["password_hash"], password)
    # A disabled account fails like a wrong password (same answer, same time): no enumeration.
    return public(row) if good and not row["disabled"] else None


def validate(username, password):
    """Raise SignupError('invalid', reason) for a username or password the lab does not accept."""
    from flask_babel import gettext as _

    if not isinstance(username, str) or not USERNAME_RE.match(username):
        raise SignupError("invalid", _("Username must be 3-32 characters of a-z, 0-9, _ or -."))
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise SignupError("invalid", _("Password must be at least %(n)d characters.",
                                       n=MIN_PASSWORD))
    if len(password) > 1024:
        raise SignupError("invalid", _("Password must be at most 1024 characters."))


def create(username, password):
    """Create a user with role 'user'; raise SignupError when invalid or taken."""
    from flask_babel import gettext as _

    validate(username, password)
    db = get_db()
    try:
        with db, trace.step("db-insert", "INSERT user (scrypt hash)"):
            cur = db.execute("INSERT INTO users (username, password_hash, role, created_at)"
                             " VALUES (?, ?, 'user', ?)",
                             (username, generate_password_hash(password), int(time.time())))
    except sqlite3.IntegrityError:
        raise SignupError("taken", _("That username is already taken.")) from None
    return {"id": cur.lastrowid, "username": username, "role": "user"}
