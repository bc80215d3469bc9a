"""Around both flows: start-up, configuration, health, errors, language, sign-up, rate limits."""
import os
import stat
import subprocess
import sys

import pytest

from app import create_app
from tests.helpers import bearer, jwt_login, session_login


def test_home_links_both_flows(client):
    html = client.get("/").get_data(as_text=True)
    assert 'href="/session/login"' in html and 'href="/jwt/"' in html


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok", "redis": "ok"}


def test_redis_down_is_503_never_500(make_app, tmp_path):
    app = make_app(REDIS_URL=f"unix://{tmp_path}/no-such.sock")
    client = app.test_client()
    health = client.get("/healthz")
    assert health.status_code == 503 and health.get_json() == {"status": "degraded", "redis": "down"}
    login = client.post("/api/jwt/login", json={"username": "alice", "password": "alice123"})
    assert login.status_code == 503 and login.get_json()["error"] == "store_unavailable"
    page = client.get("/session/login")
    assert page.status_code == 503 and "Traceback" not in page.get_data(as_text=True)
    assert "session store is unavailable" in page.get_data(as_text=True)


def test_secrets_generated_private_and_reused(make_app, tmp_path):
    first = make_app()
    for name in ("secret_key", "jwt_secret_key"):
        path = tmp_path / f"{name}.txt"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert len(path.read_text()) >= 43  # 32+ random bytes, base64url
    again = make_app()
    assert again.config["JWT_SECRET_KEY"] == first.config["JWT_SECRET_KEY"]
    assert again.config["SECRET_KEY"] == first.config["SECRET_KEY"]


def test_secrets_from_environment(make_app, monkeypatch):
    monkeypatch.setenv("JWT_SECRET_KEY", "e" * 40)
    assert make_app().config["JWT_SECRET_KEY"] == "e" * 40


def test_ttls_from_environment(make_app, monkeypatch):
    monkeypatch.setenv("ACCESS_TOKEN_TTL", "120")
    monkeypatch.setenv("SESSION_LIFETIME", "60")
    app = make_app()
    assert app.config["ACCESS_TOKEN_TTL"] == 120 and app.config["SESSION_LIFETIME"] == 60


def test_short_hmac_secret_refused(make_app):
    with pytest.raises(ValueError):
        make_app(JWT_SECRET_KEY="short")


def test_tokens_survive_a_restart(make_app):
    token = jwt_login(make_app().test_client())["access_token"]
    restarted = make_app().test_client()
    assert restarted.get("/api/jwt/me", headers=bearer(token)).status_code == 200


def test_embedded_redis_default(tmp_path):
    """No REDIS_URL: a real redis-server under the instance folder, persisted across restarts."""
    script = f"""
import sys; sys.path.insert(0, {os.getcwd()!r})
from app import create_app
app = create_app({{"INSTANCE_PATH": {str(tmp_path)!r}}})
client = app.extensions["lab_redis"]
print(client.lab_backend, client.get("marker"))
client.set("marker", "kept")
"""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "INSTANCE_PATH")}
    run = lambda: subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                                 text=True, timeout=60)
    first = run()
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "embedded None"
    assert (tmp_path / "redis").is_dir() and (tmp_path / "users.db").exists()
    second = run()
    assert second.stdout.strip() == "embedded b'kept'", second.stderr
    # The daemon was shut down when each process exited: no redis-server is left on that file.
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert str(tmp_path) not in ps


def test_unknown_route_html_or_json(client):
    html = client.get("/nope", headers={"Accept": "text/html"})
    assert html.status_code == 404 and html.mimetype == "text/html"
    api = client.get("/api/nope")
    assert api.status_code == 404 and api.get_json()["error"] == "not_found"
    wants_json = client.get("/nope", headers={"Accept": "application/json"})
    assert wants_json.get_json()["error"] == "not_found"


def test_wrong_method(client):
    response = client.get("/api/jwt/login")
    assert response.status_code == 405 and "POST" in response.headers["Allow"]


def test_body_over_1mb_is_413(client):
    big = "x" * (1024 * 1024 + 10)
    response = client.post("/api/jwt/login", data=big, content_type="application/json")
    assert response.status_code == 413 and response.get_json()["error"] == "request_entity_too_large"
    form = client.post("/session/login", data={"username": big})
    assert form.status_code == 413


def test_language_by_header_and_toggle(app):
    client = app.test_client()
    ko = client.get("/", headers={"Accept-Language": "ko-KR,ko;q=0.9"}).get_data(as_text=True)
    assert 'lang="ko"' in ko and "세션" in ko
    en = client.get("/", headers={"Accept-Language": "en-US"}).get_data(as_text=True)
    assert 'lang="en"' in en and "Server-side session" in en
    toggle = client.get("/lang/en?next=/jwt/", headers={"Accept-Language": "ko"})
    assert toggle.status_code == 303 and toggle.headers["Location"] == "/jwt/"
    remembered = client.get("/", headers={"Accept-Language": "ko"}).get_data(as_text=True)
    assert 'lang="en"' in remembered


def test_language_toggle_is_not_an_open_redirect(client):
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = client.get("/lang/ko", query_string={"next": target})
        assert response.headers["Location"] == "/"


def test_api_errors_are_translated(app):
    client = app.test_client()
    response = client.post("/api/jwt/login", json={"username": "alice", "password": "x"},
                           headers={"Accept-Language": "ko"})
    assert response.get_json()["message"] != "Wrong username or password."


def test_signup_api(client):
    created = client.post("/api/signup", json={"username": "carol", "password": "carol-pass"})
    assert created.status_code == 201 and created.get_json()["user"]["username"] == "carol"
    taken = client.post("/api/signup", json={"username": "carol", "password": "carol-pass"})
    assert taken.status_code == 409 and taken.get_json()["error"] == "taken"
    for body in ({"username": "Ca", "password": "longenough"},
                 {"username": "carol!", "password": "longenough"},
                 {"username": "dave", "password": "short"},
                 {"username": 5, "password": "longenough"}):
        bad = client.post("/api/signup", json=body)
        assert bad.status_code == 400 and bad.get_json()["error"] == "invalid"
        assert bad.get_json()["message"]
    # The new user works in both flows.
    assert jwt_login(client, "carol", "carol-pass")["access_token"]
    assert session_login(client, "carol", "carol-pass").status_code == 303


def test_signup_form(client, app):
    import re
    html = client.get("/signup").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    response = client.post("/signup", data={"username": "erin", "password": "erin-pass",
                                            "csrf_token": token})
    assert response.status_code == 303
    bad = client.post("/signup", data={"username": "erin", "password": "erin-pass",
                                       "csrf_token": token})
    assert bad.status_code == 409 and "already taken" in bad.get_data(as_text=True)


def test_passwords_are_hashed(app):
    import sqlite3
    with sqlite3.connect(app.config["DATABASE"]) as db:
        hashes = [row[0] for row in db.execute("SELECT password_hash FROM users")]
    assert hashes and all(h.startswith(("scrypt:", "pbkdf2:")) for h in hashes)
    assert not any("alice123" in h for h in hashes)


def test_failed_logins_are_rate_limited_per_user(make_app):
    client = make_app(LOGIN_RATE_LIMIT=3).test_client()
    for _ in range(3):
        assert client.post("/api/jwt/login",
                           json={"username": "alice", "password": "bad"}).status_code == 401
    blocked = client.post("/api/jwt/login", json={"username": "alice", "password": "bad"})
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    assert blocked.get_json()["error"] == "rate_limited"
    # Another account from the same address is not locked out.
    assert jwt_login(client, "bob", "bob123")["access_token"]


def test_successful_logins_do_not_count(make_app):
    client = make_app(LOGIN_RATE_LIMIT=2).test_client()
    for _ in range(5):
        jwt_login(client)
    assert session_login(client).status_code == 303


def test_create_app_without_test_config(tmp_path, monkeypatch, redis_server):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "inst"))
    monkeypatch.setenv("REDIS_URL", f"unix://{redis_server.socket_file}")
    app = create_app()
    assert app.instance_path == str(tmp_path / "inst")


def test_form_login_is_rate_limited_too(make_app):
    client = make_app(LOGIN_RATE_LIMIT=2).test_client()
    for _ in range(2):
        assert session_login(client, "alice", "bad").status_code == 401
    blocked = session_login(client, "alice", "bad")
    assert blocked.status_code == 429 and "Retry-After" in blocked.headers


def test_other_endpoints_carry_no_rate_limit_headers(client):
    assert "X-RateLimit-Limit" not in client.get("/api/baseline").headers


@pytest.mark.parametrize("path", ["/api/jwt/login", "/api/jwt/refresh", "/api/signup",
                                  "/api/inspect"])
def test_json_nested_too_deep_is_400(client, path):
    deep = "[" * 100000 + "]" * 100000
    response = client.post(path, data=deep, content_type="application/json")
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_request"


@pytest.mark.parametrize("alg, family", [("RS256", "rsa"), ("ES256", "es256"), ("EdDSA", "eddsa")])
def test_jwt_algorithm_from_environment(make_app, monkeypatch, tmp_path, alg, family):
    """JWT_ALGORITHM in the environment: the key is generated once (0600), reused on restart,
    every token names it by kid, and the flow works end to end."""
    monkeypatch.setenv("JWT_ALGORITHM", alg)
    app = make_app()
    key_file = tmp_path / f"jwt_{family}_private.pem"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    client = app.test_client()
    token = jwt_login(client)["access_token"]
    import jwt as pyjwt
    header = pyjwt.get_unverified_header(token)
    assert header["alg"] == alg and header["kid"] == app.extensions["lab_keyring"].current.kid
    again = make_app()  # a restart: same key, so the token still verifies
    assert again.test_client().get("/api/jwt/me", headers=bearer(token)).status_code == 200


def test_unknown_jwt_algorithm_stops_the_app(make_app, monkeypatch):
    monkeypatch.setenv("JWT_ALGORITHM", "HS1")
    with pytest.raises(ValueError, match="JWT_ALGORITHM"):
        make_app()
