"""Flow 1: form login, session id in an HttpOnly cookie, data in Redis."""
import json
import time

from flask import request

from tests.helpers import csrf_token, session_cookie, session_login


def test_login_stores_user_in_redis_and_regenerates_id(client, r):
    csrf_token(client)  # the login form already made an anonymous session (CSRF token)
    before = session_cookie(client)
    assert before and r.exists(f"session:{before}")
    response = session_login(client)
    assert response.status_code == 303 and response.headers["Location"].endswith("/session/")
    after = session_cookie(client)
    assert after and after != before  # session fixation: a pre-login id is never kept
    assert not r.exists(f"session:{before}")
    stored = json.loads(r.get(f"session:{after}"))
    assert stored["user"] == {"id": 1, "username": "alice", "role": "user"}
    assert 0 < r.ttl(f"session:{after}") <= 1800


def test_cookie_flags(client):
    login = session_login(client)
    cookie = [h for h in login.headers.getlist("Set-Cookie") if h.startswith("lab_session=")][0]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Max-Age=28800" in cookie
    assert "Secure" not in cookie  # plain HTTP here


def test_cookie_is_secure_over_https(app):
    client = app.test_client()
    html = client.get("/session/login", base_url="https://localhost").get_data(as_text=True)
    import re
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    login = client.post("/session/login", base_url="https://localhost",
                        headers={"Referer": "https://localhost/session/login"},
                        data={"username": "bob", "password": "bob123", "csrf_token": token})
    assert login.status_code == 303
    cookie = [h for h in login.headers.getlist("Set-Cookie") if h.startswith("lab_session=")][0]
    assert "Secure" in cookie


def test_wrong_password_and_unknown_user_look_the_same(client):
    a = session_login(client, "alice", "wrong-password")
    b = session_login(client, "nobody", "wrong-password")
    assert a.status_code == b.status_code == 401
    msg = "Wrong username or password."
    assert msg in a.get_data(as_text=True) and msg in b.get_data(as_text=True)


def test_login_without_or_with_wrong_csrf_is_refused(client):
    csrf_token(client)
    missing = client.post("/session/login", data={"username": "alice", "password": "alice123"})
    wrong = client.post("/session/login", data={"username": "alice", "password": "alice123",
                                                "csrf_token": "forged"})
    for response in (missing, wrong):
        assert response.status_code == 400
        assert "CSRF" in response.get_data(as_text=True)
    assert client.get("/api/session/me").status_code == 401


def test_session_page_shows_live_store(client, r):
    session_login(client)
    html = client.get("/session/").get_data(as_text=True)
    sid = session_cookie(client)
    assert sid not in html  # the id is masked, never printed whole
    assert f"session:{sid[:4]}…{sid[-3:]}" in html
    assert "&#34;username&#34;:&#34;alice&#34;" in html
    assert "HttpOnly" in html


def test_session_page_requires_login(client):
    response = client.get("/session/")
    assert response.status_code == 302 and "/session/login" in response.headers["Location"]


def test_api_me(client, r):
    assert client.get("/api/session/me").get_json()["error"] == "not_logged_in"
    session_login(client)
    response = client.get("/api/session/me")
    body = response.get_json()
    assert body["user"] == {"id": 1, "username": "alice", "role": "user"}
    key = f"session:{session_cookie(client)}"
    assert body["session"]["bytes"] == len(r.get(key))
    assert 0 < body["session"]["ttl"] <= 1800
    assert response.headers["Cache-Control"] == "no-store"


def test_logout_deletes_key_and_old_cookie_is_anonymous(client, r, app):
    session_login(client)
    sid = session_cookie(client)
    token = csrf_token(client, "/session/")
    response = client.post("/session/logout", data={"csrf_token": token})
    assert response.status_code == 303
    assert not r.exists(f"session:{sid}")
    assert session_cookie(client) is None
    replay = app.test_client()
    replay.set_cookie("lab_session", sid)
    assert replay.get("/api/session/me").status_code == 401


def test_logout_needs_csrf(client):
    session_login(client)
    assert client.post("/session/logout").status_code == 400
    assert client.get("/api/session/me").status_code == 200


def test_unknown_session_id_is_never_adopted(client, r):
    planted = "A" * 43
    client.set_cookie("lab_session", planted)
    session_login(client)
    assert session_cookie(client) != planted
    assert not r.exists(f"session:{planted}")


def _calls(r, command):
    return r.info("commandstats").get(f"cmdstat_{command}", {}).get("calls", 0)


def test_unchanged_session_is_one_getex_and_no_rewrite(make_app, r):
    # The "every request asks Redis" mode (the local view has its own: tests/test_tracking.py).
    client = make_app(AUTH_CHECK_MODE="ask-redis").test_client()
    session_login(client)
    key = f"session:{session_cookie(client)}"
    client.get("/api/session/me")
    r.expire(key, 100)  # shorten the TTL to see the next request slide it back
    sets, getexes = _calls(r, "set"), _calls(r, "getex")
    assert client.get("/api/session/me").status_code == 200
    assert _calls(r, "set") == sets  # nothing rewritten
    assert _calls(r, "getex") == getexes + 1  # one read that also renewed the idle expiry
    assert r.ttl(key) > 1000


def test_idle_expiry(make_app):
    client = make_app(SESSION_LIFETIME=1).test_client()
    session_login(client)
    assert client.get("/api/session/me").status_code == 200
    time.sleep(2.2)
    assert client.get("/api/session/me").status_code == 401


def test_absolute_expiry_despite_activity(make_app, r):
    client = make_app(SESSION_ABSOLUTE_LIFETIME=2).test_client()
    session_login(client)
    for _ in range(3):
        time.sleep(1.1)
        last = client.get("/api/session/me").status_code
    assert last == 401


def test_logout_race_does_not_resurrect(app, r):
    """A request that loaded the session before logout must not write it back afterwards."""
    client = app.test_client()
    session_login(client)
    sid = session_cookie(client)
    iface = app.session_interface
    with app.test_request_context("/session/", headers={"Cookie": f"lab_session={sid}"}):
        in_flight = iface.open_session(app, request)
        assert in_flight["user"]["username"] == "alice"
        logout = app.test_client()
        logout.set_cookie("lab_session", sid)
        token = csrf_token(logout, "/session/")
        assert logout.post("/session/logout", data={"csrf_token": token}).status_code == 303
        in_flight["note"] = "written late"  # the slow request now changes and saves its copy
        response = app.make_response("x")
        iface.save_session(app, in_flight, response)
    assert not r.exists(f"session:{sid}")
    replay = app.test_client()
    replay.set_cookie("lab_session", sid)
    assert replay.get("/api/session/me").status_code == 401


def test_login_redirects_when_already_logged_in(client):
    session_login(client)
    response = client.get("/session/login")
    assert response.status_code == 302


def test_corrupt_stored_session_is_discarded_not_500(client, r):
    session_login(client)
    key = f"session:{session_cookie(client)}"
    for junk in (b"\x80\x04not json", b"[1, 2]", b'{"_created": "soon"}'):
        r.set(key, junk)
        assert client.get("/api/session/me").status_code == 401
        assert not r.exists(key)  # dropped; a fresh session id is issued instead
        session_login(client)
        key = f"session:{session_cookie(client)}"


def test_local_view_slides_the_idle_expiry_lazily_and_never_rewrites(client, r):
    session_login(client)
    key = f"session:{session_cookie(client)}"
    client.get("/api/session/me")
    r.expire(key, 100)  # more than SESSION_SLIDE_FRACTION of the idle timeout has passed
    sets = _calls(r, "set")
    assert client.get("/api/session/me").status_code == 200
    assert _calls(r, "set") == sets and r.ttl(key) > 1000  # slid back by one EXPIRE
    expires = _calls(r, "expire")
    for _ in range(5):
        assert client.get("/api/session/me").status_code == 200
    assert _calls(r, "expire") == expires and _calls(r, "set") == sets  # nothing per request
