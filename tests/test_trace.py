"""The server's trace (Server-Timing) and what it reports about the wire (X-Lab-* headers)."""
import re

from tests.helpers import bearer, csrf_token, jwt_login, session_cookie, session_login

STEP = re.compile(r'([a-z-]+);dur=([0-9.]+)(?:;desc="([^"]*)")?')


def steps(response):
    return [(name, float(dur), desc) for name, dur, desc in
            STEP.findall(response.headers["Server-Timing"])]


def names(response):
    return [name for name, _dur, _desc in steps(response)]


def test_session_check_is_one_getex(client):
    session_login(client)
    response = client.get("/api/session/me")
    # One round trip reads the session, renews its idle expiry and gives its size.
    assert names(response) == ["redis-getex", "total"]
    assert all(dur >= 0 for _n, dur, _d in steps(response))


def test_jwt_check_is_verify_plus_one_exists(client):
    token = jwt_login(client)["access_token"]
    response = client.get("/api/jwt/me", headers=bearer(token))
    assert names(response) == ["jwt-verify", "redis-exists", "total"]
    desc = dict((n, d) for n, _dur, d in steps(response))
    assert desc["jwt-verify"].startswith("HS256")


def test_jwt_api_never_touches_the_session_store(client):
    session_login(client)  # the browser has a session cookie that rides along
    token = jwt_login(client)["access_token"]
    response = client.get("/api/jwt/me", headers=bearer(token))
    assert not any(n == "redis-getex" for n in names(response))


def test_login_trace_names_database_and_hash(client):
    response = client.post("/api/jwt/login", json={"username": "alice", "password": "alice123"})
    got = names(response)
    for expected in ("db-user", "hash-check", "jwt-sign", "redis-set"):
        assert expected in got
    # The session login's save (after the view) is in the trace too.
    login = session_login(client)
    assert "redis-set" in names(login) and "redis-del" in names(login)


def test_trace_masks_session_ids(client):
    session_login(client)
    sid = session_cookie(client)
    header = client.get("/api/session/me").headers["Server-Timing"]
    assert sid not in header and f"session:{sid[:4]}...{sid[-3:]}" in header


def test_wire_bytes_match_what_was_sent(client):
    token = jwt_login(client)["access_token"]
    response = client.get("/api/jwt/me", headers=bearer(token))
    sizes = dict(p.split("=") for p in response.headers["X-Lab-Request-Bytes"].split("; "))
    assert int(sizes["authorization"]) == len(f"Authorization: Bearer {token}\r\n")
    assert int(sizes["cookie"]) == 0


def test_cookie_seen_is_masked_and_counted(client):
    session_login(client)
    sid = session_cookie(client)
    response = client.get("/api/session/me")
    seen = response.headers["X-Lab-Cookie-Seen"]
    assert sid not in seen and f"lab_session={sid[:4]}...{sid[-3:]}" in seen
    sizes = dict(p.split("=") for p in response.headers["X-Lab-Request-Bytes"].split("; "))
    assert int(sizes["cookie"]) == len(f"Cookie: lab_session={sid}\r\n")


def test_set_cookie_is_reported_masked(client):
    token = csrf_token(client)
    login = client.post("/session/login", data={"username": "alice", "password": "alice123",
                                                 "csrf_token": token})
    reported = login.headers["X-Lab-Set-Cookie"]
    sid = session_cookie(client)
    assert sid not in reported and reported.startswith(f"lab_session={sid[:4]}...{sid[-3:]};")
    assert "HttpOnly" in reported and "SameSite=Lax" in reported


def test_errors_are_traced_too(client):
    response = client.get("/api/jwt/me", headers=bearer("not.a.token"))
    assert response.status_code == 401 and names(response) == ["jwt-verify", "total"]
