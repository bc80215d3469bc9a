"""The revocation lab: per-user indexes, /account, /admin and its API, five revocation
strategies (each window shown by a real request), disabled accounts, stale claims."""
import pytest

from app import create_app
from tests.helpers import bearer, csrf_token, jwt_login, session_login


def admin_token(client):
    return jwt_login(client, "admin", "admin123")["access_token"]


def admin_post(client, path, json=None, token=None):
    return client.post(path, json=json if json is not None else {},
                       headers=bearer(token or admin_token(client)))


def two_devices(make_app):
    """alice logged in to both flows on one client; a separate admin client."""
    app = make_app()
    alice = app.test_client()
    assert session_login(alice).status_code == 303
    tokens = jwt_login(alice)
    admin = app.test_client()
    return app, alice, tokens, admin


# --- Indexes -------------------------------------------------------------------------------

def test_session_index_follows_login_regenerate_and_logout(client, r):
    session_login(client)
    members = r.smembers("session-index:1")
    assert len(members) == 1
    sid = members.pop().decode()
    assert r.exists(f"session:{sid}")
    # A second login from the same browser: a new id, the old one gone from the index.
    client.post("/session/login", data={"username": "alice", "password": "alice123",
                                        "csrf_token": csrf_token(client, "/session/")})
    assert r.smembers("session-index:1") != {sid.encode()} and len(r.smembers("session-index:1")) == 1
    token = csrf_token(client, "/session/")
    client.post("/session/logout", data={"csrf_token": token})
    assert r.smembers("session-index:1") == set()


def test_expired_sessions_are_pruned_when_read(app, client, r):
    session_login(client)
    sid = next(iter(r.smembers("session-index:1"))).decode()
    r.delete(f"session:{sid}")  # as if the idle timeout had passed
    admin = app.test_client()
    body = admin.get("/api/admin/users/alice", headers=bearer(admin_token(admin))).get_json()
    assert body["sessions"] == [] and r.smembers("session-index:1") == set()


def test_family_index_follows_login_and_logout(client, r):
    tokens = jwt_login(client)
    assert len(r.smembers("jwt:family-index:1")) == 1
    client.post("/api/jwt/logout", headers=bearer(tokens["access_token"]),
                json={"refresh_token": tokens["refresh_token"]})
    body = client.get("/api/admin/users/alice",
                      headers=bearer(admin_token(client))).get_json()
    assert body["families"] == [] and r.smembers("jwt:family-index:1") == set()


# --- /account ------------------------------------------------------------------------------

def test_account_lists_my_sessions_and_families(make_app):
    app = make_app()
    laptop, phone = app.test_client(), app.test_client()
    session_login(laptop)
    phone.environ_base["HTTP_USER_AGENT"] = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0)"
    session_login(phone)
    jwt_login(phone)
    body = laptop.get("/api/account").get_json()
    assert body["user"]["username"] == "alice"
    assert len(body["sessions"]) == 2 and len(body["families"]) == 1
    assert sum(s["current"] for s in body["sessions"]) == 1
    assert any("iPhone" in s["user_agent"] for s in body["sessions"])
    for s in body["sessions"]:
        assert "…" in s["id"] and len(s["id"]) < 20  # masked, never the whole id
        assert s["ttl"] > 0 and s["last_seen"] is not None
    assert laptop.get("/account").status_code == 200


def test_account_log_out_one_and_everywhere_else(make_app):
    app = make_app()
    laptop, phone = app.test_client(), app.test_client()
    session_login(laptop)
    session_login(phone)
    phone_tokens = jwt_login(phone)
    token = csrf_token(laptop, "/session/")
    other = [s for s in laptop.get("/api/account").get_json()["sessions"] if not s["current"]][0]
    # A change without the CSRF token is refused: a cookie alone must not do it.
    assert laptop.post(f"/api/account/sessions/{other['handle']}/logout").status_code == 400
    done = laptop.post(f"/api/account/sessions/{other['handle']}/logout",
                       headers={"X-CSRFToken": token})
    assert done.status_code == 200 and done.get_json()["sessions_deleted"] == 1
    assert phone.get("/api/session/me").status_code == 401
    assert laptop.get("/api/session/me").status_code == 200
    everywhere = laptop.post("/api/account/logout-others", headers={"X-CSRFToken": token})
    assert everywhere.get_json() == {"sessions_deleted": 0, "families_revoked": 1}
    assert phone.post("/api/jwt/refresh", json={
        "refresh_token": phone_tokens["refresh_token"]}).get_json()["error"] == "invalid_grant"
    assert laptop.get("/api/session/me").status_code == 200  # this device stays


def test_account_needs_a_session(client):
    assert client.get("/account").status_code == 302
    assert client.get("/api/account").status_code == 401


# --- /admin --------------------------------------------------------------------------------

def test_admin_page_access(make_app):
    app = make_app()
    anonymous = app.test_client()
    response = anonymous.get("/admin")
    assert response.status_code == 302 and "/session/login" in response.headers["Location"]
    user = app.test_client()
    session_login(user)
    assert user.get("/admin").status_code == 403
    admin = app.test_client()
    session_login(admin, "admin", "admin123")
    assert admin.get("/admin").status_code == 200


def test_admin_api_refuses_non_admins(client):
    alice = jwt_login(client)["access_token"]
    response = client.get("/api/admin/users", headers=bearer(alice))
    assert response.status_code == 403 and response.get_json()["error"] == "forbidden"
    assert client.get("/api/admin/users").status_code == 401
    session_login(client)
    assert client.get("/api/admin/users").get_json()["error"] == "forbidden"


def test_admin_api_by_session_cookie_needs_csrf(make_app):
    app = make_app()
    admin = app.test_client()
    session_login(admin, "admin", "admin123")
    assert admin.get("/api/admin/users").status_code == 200
    path = "/api/admin/users/bob/role"
    assert admin.post(path, json={"role": "admin"}).status_code == 400  # no CSRF token
    token = csrf_token(admin, "/session/")
    assert admin.post(path, json={"role": "admin"}, headers={"X-CSRFToken": token}).status_code == 200


def test_admin_lists_users_with_live_counts(make_app):
    app, alice, _tokens, admin = two_devices(make_app)
    body = admin.get("/api/admin/users", headers=bearer(admin_token(admin))).get_json()
    row = next(u for u in body["users"] if u["username"] == "alice")
    assert row == {"username": "alice", "role": "user", "disabled": False, "sessions": 1,
                   "families": 1}
    detail = admin.get("/api/admin/users/alice", headers=bearer(admin_token(admin))).get_json()
    assert detail["user"]["username"] == "alice"
    assert set(detail["sessions"][0]) >= {"id", "created", "last_seen", "ttl", "user_agent"}
    assert set(detail["families"][0]) >= {"id", "created", "last_rotation", "ttl"}


def test_unknown_user_is_404_json(client):
    token = admin_token(client)
    for method, path in [("get", "/api/admin/users/nobody"),
                         ("post", "/api/admin/users/nobody/logout-everywhere"),
                         ("post", "/api/admin/users/nobody/disable")]:
        response = getattr(client, method)(path, headers=bearer(token), json={"disabled": True})
        assert response.status_code == 404 and response.get_json()["error"] == "not_found"


def test_bad_input_is_400(client):
    token = admin_token(client)
    assert client.post("/api/admin/users/bob/role", json={"role": "root"},
                       headers=bearer(token)).status_code == 400
    assert client.post("/api/admin/users/bob/disable", json={"disabled": "yes"},
                       headers=bearer(token)).status_code == 400
    assert client.post("/api/admin/revocation-strategy", json={"strategy": "magic"},
                       headers=bearer(token)).status_code == 400
    deep = "[" * 100000 + "]" * 100000
    assert client.post("/api/admin/users/bob/role", data=deep, content_type="application/json",
                       headers=bearer(token)).status_code == 400


def test_force_logout_one_session(make_app):
    app, alice, _tokens, admin = two_devices(make_app)
    token = admin_token(admin)
    handle = admin.get("/api/admin/users/alice", headers=bearer(token)).get_json()["sessions"][0]["handle"]
    done = admin.post(f"/api/admin/users/alice/sessions/{handle}/logout", headers=bearer(token))
    assert done.get_json() == {"sessions_deleted": 1}
    assert alice.get("/api/session/me").status_code == 401


# --- Log out everywhere, under each strategy ----------------------------------------------------

@pytest.mark.parametrize("strategy, jwt_after", [("none", 200), ("denylist", 401),
                                                 ("valid-after", 401), ("user-key", 401),
                                                 ("introspection", 401)])
def test_logout_everywhere_under_each_strategy(make_app, strategy, jwt_after):
    app, alice, tokens, admin = two_devices(make_app)
    token = admin_token(admin)
    switched = admin.post("/api/admin/revocation-strategy", json={"strategy": strategy},
                          headers=bearer(token))
    assert switched.get_json()["strategy"] == strategy
    assert alice.get("/api/jwt/me", headers=bearer(tokens["access_token"])).status_code == 200
    done = admin.post("/api/admin/users/alice/logout-everywhere", headers=bearer(token))
    assert done.get_json() == {"sessions_deleted": 1, "families_revoked": 1, "strategy": strategy}
    # The very next request of each flow:
    assert alice.get("/api/session/me").status_code == 401
    me = alice.get("/api/jwt/me", headers=bearer(tokens["access_token"]))
    assert me.status_code == jwt_after
    if jwt_after == 401:
        assert 'error_description="revoked"' in me.headers["WWW-Authenticate"]
    refresh = alice.post("/api/jwt/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refresh.status_code == 400 and refresh.get_json()["error"] == "invalid_grant"
    # A new login works again under every strategy.
    fresh = jwt_login(alice)["access_token"]
    assert alice.get("/api/jwt/me", headers=bearer(fresh)).status_code == 200


def test_strategy_from_environment_and_reset(make_app, monkeypatch):
    monkeypatch.setenv("REVOCATION_STRATEGY", "introspection")
    app = make_app()
    client = app.test_client()
    token = admin_token(client)
    assert client.get("/api/lab/revocation").get_json()["strategy"] == "introspection"
    client.post("/api/admin/revocation-strategy", json={"strategy": "none"}, headers=bearer(token))
    assert client.get("/api/lab/revocation").get_json()["strategy"] == "none"
    client.post("/api/admin/lab-reset", headers=bearer(token))
    assert client.get("/api/lab/revocation").get_json()["strategy"] == "introspection"


def test_bad_strategy_in_environment_stops_the_app(make_app, monkeypatch):
    monkeypatch.setenv("REVOCATION_STRATEGY", "wishful")
    with pytest.raises(ValueError):
        make_app()


def test_strategy_none_makes_no_redis_round_trip(client):
    token = admin_token(client)
    client.post("/api/admin/revocation-strategy", json={"strategy": "none"}, headers=bearer(token))
    alice = jwt_login(client)["access_token"]
    timing = client.get("/api/jwt/me", headers=bearer(alice)).headers["Server-Timing"]
    assert "redis-" not in timing and "jwt-verify" in timing


def test_lab_state_shows_each_strategys_keys(client):
    tokens = jwt_login(client)
    import base64
    import json
    claims = json.loads(base64.urlsafe_b64decode(tokens["access_token"].split(".")[1] + "=="))
    body = client.get("/api/lab/revocation", query_string={
        "sub": claims["sub"], "jti": claims["jti"], "fam": claims["fam"]}).get_json()
    by = {k["strategy"]: k for k in body["keys"]}
    assert by["introspection"]["exists"] and by["introspection"]["memory_bytes"] > 0
    assert not by["valid-after"]["exists"]
    client.post("/api/admin/users/alice/logout-everywhere", headers=bearer(admin_token(client)))
    body = client.get("/api/lab/revocation", query_string={
        "sub": claims["sub"], "jti": claims["jti"], "fam": claims["fam"]}).get_json()
    by = {(k["strategy"], k["key"].split(":")[1]): k for k in body["keys"]}
    assert by[("valid-after", "valid-after")]["exists"]
    assert by[("user-key", "key-version")]["value"] == "1"
    assert not by[("introspection", "active")]["exists"]
    assert by[("denylist", "famrevoked")]["exists"]


# --- Disabled accounts ------------------------------------------------------------------------

def test_disabled_account_cannot_log_in_and_is_logged_out(make_app):
    app, alice, tokens, admin = two_devices(make_app)
    token = admin_token(admin)
    done = admin.post("/api/admin/users/alice/disable", json={"disabled": True},
                      headers=bearer(token)).get_json()
    assert done["user"]["disabled"] is True
    assert done["sessions_deleted"] == 1 and done["families_revoked"] == 1
    assert alice.get("/api/session/me").status_code == 401
    assert alice.get("/api/jwt/me", headers=bearer(tokens["access_token"])).status_code == 401
    # Same answer as a wrong password: no way to tell a disabled account from a bad guess.
    wrong = alice.post("/api/jwt/login", json={"username": "bob", "password": "nope"})
    disabled = alice.post("/api/jwt/login", json={"username": "alice", "password": "alice123"})
    assert disabled.status_code == wrong.status_code == 401
    assert disabled.get_json() == wrong.get_json()
    assert session_login(alice).status_code == 401
    admin.post("/api/admin/users/alice/disable", json={"disabled": False}, headers=bearer(token))
    assert session_login(alice).status_code == 303


def test_admin_cannot_disable_itself(client):
    token = admin_token(client)
    response = client.post("/api/admin/users/admin/disable", json={"disabled": True},
                           headers=bearer(token))
    assert response.status_code == 400


# --- Stale claims -------------------------------------------------------------------------------

def promote_then_demote(make_app, fix):
    app = make_app()
    admin = app.test_client()
    token = admin_token(admin)
    admin.post("/api/admin/stale-claims", json={"fix": fix}, headers=bearer(token))
    admin.post("/api/admin/users/bob/role", json={"role": "admin"}, headers=bearer(token))
    bob = app.test_client()
    session_login(bob, "bob", "bob123")
    bob_token = jwt_login(bob, "bob", "bob123")["access_token"]
    assert bob.get("/api/jwt/admin-only", headers=bearer(bob_token)).status_code == 200
    demoted = admin.post("/api/admin/users/bob/role", json={"role": "user"},
                         headers=bearer(token)).get_json()
    return bob, bob_token, demoted


def test_stale_claim_trusted_until_the_token_expires(make_app):
    bob, bob_token, demoted = promote_then_demote(make_app, "trust-token")
    assert demoted["sessions_updated"] == 1
    # The session flow shows the new role at once ...
    assert bob.get("/api/session/me").get_json()["user"]["role"] == "user"
    # ... the old access token still carries "admin" and is believed.
    stale = bob.get("/api/jwt/admin-only", headers=bearer(bob_token)).get_json()
    assert stale["ok"] is True and stale["role"] == "admin" and stale["role_from"] == "token"
    assert 0 < stale["seconds_left"] <= 300


def test_stale_claim_fix_recheck(make_app):
    bob, bob_token, _demoted = promote_then_demote(make_app, "recheck")
    answer = bob.get("/api/jwt/admin-only", headers=bearer(bob_token))
    assert answer.status_code == 403 and answer.get_json()["role_from"] == "database"


def test_stale_claim_fix_revoke_tokens(make_app):
    bob, bob_token, demoted = promote_then_demote(make_app, "revoke-tokens")
    assert demoted["tokens_revoked"] is True
    assert bob.get("/api/jwt/admin-only", headers=bearer(bob_token)).status_code == 401
    assert bob.get("/api/session/me").get_json()["user"]["role"] == "user"  # session kept


def test_a_refresh_carries_the_new_role(make_app):
    app = make_app()
    admin = app.test_client()
    token = admin_token(admin)
    bob = app.test_client()
    pair = jwt_login(bob, "bob", "bob123")
    admin.post("/api/admin/users/bob/role", json={"role": "admin"}, headers=bearer(token))
    fresh = bob.post("/api/jwt/refresh", json={"refresh_token": pair["refresh_token"]}).get_json()
    assert bob.get("/api/jwt/admin-only", headers=bearer(fresh["access_token"])).status_code == 200


def test_lab_reset_restores_demo_roles_only(make_app):
    app = make_app()
    admin = app.test_client()
    token = admin_token(admin)
    admin.post("/api/admin/users/bob/role", json={"role": "admin"}, headers=bearer(token))
    admin.post("/api/admin/users/alice/disable", json={"disabled": True}, headers=bearer(token))
    admin.post("/api/admin/stale-claims", json={"fix": "recheck"}, headers=bearer(token))
    assert admin.post("/api/admin/lab-reset", headers=bearer(token)).get_json() == {
        "strategy": "denylist", "fix": "trust-token"}
    users = {u["username"]: u for u in admin.get("/api/admin/users",
                                                 headers=bearer(token)).get_json()["users"]}
    assert users["bob"]["role"] == "user" and users["alice"]["disabled"] is False


def test_lab_page_renders(client):
    html = client.get("/labs/revocation").get_data(as_text=True)
    assert "valid-after" in html and "introspection" in html


def test_old_database_gains_the_disabled_column(tmp_path, redis_server):
    import sqlite3
    db = tmp_path / "users.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, username TEXT "
                     "UNIQUE NOT NULL, password_hash TEXT NOT NULL, role TEXT NOT NULL DEFAULT "
                     "'user', created_at INTEGER NOT NULL)")
    create_app({"INSTANCE_PATH": str(tmp_path), "REDIS_URL": f"unix://{redis_server.socket_file}"})
    with sqlite3.connect(db) as conn:
        assert "disabled" in {row[1] for row in conn.execute("PRAGMA table_info(users)")}
