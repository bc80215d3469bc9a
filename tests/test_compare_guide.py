"""The compare page's guided steps (auth/labs/compare/guide.py) over HTTP: the flows' own
requests record each step ok, a wrong outcome records it bad, the page's load (a 401 before any
login) records nothing, and resetting clears only the caller's records of this lab."""
from tests.helpers import bearer, csrf_token


LAB = "http://localhost:5000"


def session_login(client, headers):
    """The compare page's session login, with the page's guide header."""
    token = csrf_token(client)
    res = client.post("/session/login", base_url=LAB, headers=headers, data={
        "username": "alice", "password": "alice123", "csrf_token": token})
    assert res.status_code in (200, 303)


def jwt_login(client, headers):
    res = client.post("/api/jwt/login", base_url=LAB, headers=headers,
                      json={"username": "alice", "password": "alice123"})
    assert res.status_code == 200
    return res.get_json()


def guided(client, lab="compare"):
    ticket = client.get("/api/guide/ticket", base_url=LAB).get_json()["ticket"]
    return {"X-Lab-Guide": ticket, "X-Lab-Guide-Labs": lab}


def states(client, headers, lab="compare"):
    body = client.get(f"/api/guide/{lab}", base_url=LAB, headers=headers).get_json()
    return {s["id"]: s["state"] for s in body["steps"]}


def steps(client, headers):
    body = client.get("/api/guide/compare", base_url=LAB, headers=headers).get_json()
    return {s["id"]: s for s in body["steps"]}


def test_the_whole_compare_guide_from_the_flows_own_requests(client, app):
    headers = guided(client)
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    # The page's load asks /api/session/me before anyone logged in: 401, and nothing recorded.
    client.get("/session/login", base_url=LAB)  # an anonymous session cookie, as the page has
    assert client.get("/api/session/me", base_url=LAB, headers=headers).status_code == 401
    assert set(states(client, headers).values()) == {""}
    session_login(client, headers)
    tokens = jwt_login(client, headers)
    assert states(client, headers)["login-both"] == "ok"
    assert client.get("/api/session/me", base_url=LAB, headers=headers).status_code == 200
    assert client.get("/api/jwt/me", base_url=LAB,
                      headers=dict(headers, **bearer(tokens["access_token"]))).status_code == 200
    assert states(client, headers)["me-both"] == "ok"
    # Session: log out, then replay the dead id the way the page does (the cookie put back).
    old = client.get_cookie(cookie_name).value
    csrf = client.get("/session/csrf", base_url=LAB).get_json()["csrf_token"]
    out = client.post("/session/logout", base_url=LAB,
                      headers=dict(headers, **{"X-CSRFToken": csrf}))
    assert out.status_code in (200, 303)
    client.set_cookie(cookie_name, old, domain="localhost")
    assert client.get("/api/session/me", base_url=LAB, headers=headers).status_code == 401
    # JWT: log out, replay the old access token.
    assert client.post("/api/jwt/logout", base_url=LAB, json={},
                       headers=dict(headers, **bearer(tokens["access_token"]))).status_code == 200
    assert client.get("/api/jwt/me", base_url=LAB,
                      headers=dict(headers, **bearer(tokens["access_token"]))).status_code == 401
    assert states(client, headers) == {"login-both": "ok", "me-both": "ok", "session-logout": "ok",
                                       "session-replay": "ok", "jwt-logout": "ok",
                                       "jwt-replay": "ok"}


def test_a_replayed_token_the_server_accepts_is_a_red_step(client, app):
    """Under the revocation strategy "none" the replay is accepted: the server's 200 is red."""
    from auth.tokens import revocation

    headers = guided(client)
    session_login(client, headers)
    tokens = jwt_login(client, headers)
    with app.app_context():
        revocation.choose("none")
    try:
        out = client.post("/api/jwt/logout", base_url=LAB, json={},
                          headers=dict(headers, **bearer(tokens["access_token"])))
        assert out.status_code == 200
        replay = client.get("/api/jwt/me", base_url=LAB,
                            headers=dict(headers, **bearer(tokens["access_token"])))
        assert replay.status_code == 200
        found = steps(client, headers)
        assert found["jwt-replay"]["state"] == "bad"
        assert found["jwt-replay"]["detail"].startswith("200")
        # A logged-out token never counts as "both flows answer": that step wants a live one.
        assert found["me-both"]["parts"][1] == ""
    finally:
        with app.app_context():
            revocation.reset()


def test_a_replay_before_any_logout_records_nothing(client):
    headers = guided(client)
    tokens = jwt_login(client, headers)
    client.get("/api/jwt/me", base_url=LAB, headers=dict(headers, **bearer("x.y.z")))
    client.get("/api/jwt/me", base_url=LAB, headers=dict(headers, **bearer(tokens["access_token"])))
    found = states(client, headers)
    assert found["jwt-replay"] == "" and found["session-replay"] == ""


def test_reset_clears_this_labs_records_only(client):
    headers = guided(client)
    jwt_login(client, headers)
    session_login(client, headers)
    assert states(client, headers)["login-both"] == "ok"
    # Another lab's record of the same request (the JWT flow's own guide) stays.
    before = states(client, headers, "jwt")
    answer = client.post("/api/guide/compare/reset", base_url=LAB, headers=headers).get_json()
    assert answer["lab"] == "compare"
    assert set(states(client, headers).values()) == {""}
    assert states(client, headers, "jwt") == before
