"""Flow 2: JSON login, bearer access token, rotating refresh token, denylist."""
import base64
import json
import threading
import time

import jwt
import pytest

from tests.helpers import bearer, jwt_login

REQUIRED_ACCESS = {"iss", "aud", "sub", "iat", "nbf", "exp", "jti", "type", "username", "role",
                   "fam"}


def claims_of(token):
    """Read claims the way anyone can: without a key."""
    return json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))


def sign(app, claims, alg="HS256", key=None, headers=None):
    """Sign as the server would: its secret by default, and its kid in the header unless given."""
    headers = {"kid": app.extensions["lab_keyring"].current.kid} if headers is None else headers
    return jwt.encode(claims, key or app.config["JWT_SECRET_KEY"], algorithm=alg, headers=headers)


def access_claims(app, **changes):
    now = int(time.time())
    claims = {"iss": app.config["JWT_ISSUER"], "aud": app.config["JWT_AUDIENCE"], "sub": "1",
              "iat": now, "nbf": now, "exp": now + 60, "jti": "j" * 32, "type": "access",
              "username": "alice", "role": "user", "fam": "f" * 32}
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def test_login_returns_tokens_with_required_claims(client, app):
    body = jwt_login(client)
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 300 and body["refresh_expires_in"] == 86400
    access, refresh = claims_of(body["access_token"]), claims_of(body["refresh_token"])
    assert REQUIRED_ACCESS <= set(access)
    assert access["type"] == "access" and access["sub"] == "1" and access["role"] == "user"
    assert access["exp"] - access["iat"] == 300
    assert set(refresh) == {"sub", "iat", "exp", "jti", "type", "fam"}
    assert refresh["type"] == "refresh" and refresh["fam"] == access["fam"]
    header = json.loads(base64.urlsafe_b64decode(body["access_token"].split(".")[0] + "=="))
    assert header["alg"] == "HS256"


def test_me_from_claims(client):
    token = jwt_login(client, "admin", "admin123")["access_token"]
    response = client.get("/api/jwt/me", headers=bearer(token))
    assert response.status_code == 200
    body = response.get_json()
    assert body["user"] == {"id": 3, "username": "admin", "role": "admin"}
    assert body["claims"]["jti"] == claims_of(token)["jti"]
    assert response.headers["Cache-Control"] == "no-store"


def test_scheme_is_case_insensitive(client):
    token = jwt_login(client)["access_token"]
    assert client.get("/api/jwt/me", headers={"Authorization": f"bearer {token}"}).status_code == 200


@pytest.mark.parametrize("body,status", [
    ({"username": "alice", "password": "nope"}, 401),
    ({"username": "ghost", "password": "nope"}, 401),
])
def test_login_failures_are_alike(client, body, status):
    response = client.post("/api/jwt/login", json=body)
    assert response.status_code == status
    assert response.get_json() == {"error": "invalid_credentials",
                                   "message": "Wrong username or password."}


@pytest.mark.parametrize("payload", ['[1, 2]', '"alice"', '{"username": "alice"}',
                                     '{"username": 1, "password": 2}', '{bad json', 'null'])
def test_login_bad_bodies(client, payload):
    response = client.post("/api/jwt/login", data=payload, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_request"


def test_login_needs_json(client):
    response = client.post("/api/jwt/login", data={"username": "alice", "password": "alice123"})
    assert response.status_code == 415
    assert "JSON" in response.get_json()["message"]


def test_no_credentials_gets_bearer_challenge(client):
    response = client.get("/api/jwt/me")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="session-vs-jwt-lab"'


@pytest.mark.parametrize("header", ["Bearer", "Bearer ", "Bearer a b", "Bearer  a  b  c"])
def test_malformed_authorization_header(client, header):
    response = client.get("/api/jwt/me", headers={"Authorization": header})
    assert response.status_code == 400
    assert 'error="invalid_request"' in response.headers["WWW-Authenticate"]


def test_token_only_in_header_never_cookie_or_url(client):
    token = jwt_login(client)["access_token"]
    client.set_cookie("access_token", token)
    assert client.get(f"/api/jwt/me?access_token={token}").status_code == 401


def _refused(client, token, reason):
    response = client.get("/api/jwt/me", headers=bearer(token))
    assert response.status_code == 401, response.get_json()
    challenge = response.headers["WWW-Authenticate"]
    assert 'error="invalid_token"' in challenge and f'error_description="{reason}"' in challenge
    assert response.get_json()["error"] == "invalid_token"
    return response.get_json()["message"]


def test_expired_token(client, app):
    now = int(time.time())
    token = sign(app, access_claims(app, iat=now - 100, nbf=now - 100, exp=now - 3))
    assert "expired" in _refused(client, token, "expired")


def test_expiry_leeway_is_at_most_two_seconds(client, app):
    now = int(time.time())
    inside = sign(app, access_claims(app, iat=now - 100, nbf=now - 100, exp=now - 1))
    assert client.get("/api/jwt/me", headers=bearer(inside)).status_code == 200
    _refused(client, sign(app, access_claims(app, exp=now - 4)), "expired")


def test_real_expiry_with_short_ttl(make_app):
    client = make_app(ACCESS_TOKEN_TTL=1).test_client()
    token = jwt_login(client)["access_token"]
    assert client.get("/api/jwt/me", headers=bearer(token)).status_code == 200
    time.sleep(4.1)  # 1 s lifetime + 2 s leeway, and a margin
    _refused(client, token, "expired")


def test_alg_none_is_refused(client, app):
    token = jwt.encode(access_claims(app), None, algorithm="none")
    _refused(client, token, "algorithm_not_allowed")


def test_other_hmac_algorithm_is_refused(client, app):
    _refused(client, sign(app, access_claims(app), alg="HS512"), "algorithm_not_allowed")


def test_wrong_key_is_refused(client, app):
    _refused(client, sign(app, access_claims(app), key="x" * 40), "bad_signature")


def test_tampered_payload_is_refused(client, app):
    token = jwt_login(client)["access_token"]
    head, payload, sig = token.split(".")
    claims = claims_of(token)
    claims["role"] = "admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    _refused(client, f"{head}.{forged}.{sig}", "bad_signature")


@pytest.mark.parametrize("claim", ["iss", "aud", "sub", "iat", "nbf", "exp", "jti", "type", "fam"])
def test_missing_required_claim(client, app, claim):
    _refused(client, sign(app, access_claims(app, **{claim: None})), "missing_claim")


def test_wrong_audience_and_issuer(client, app):
    _refused(client, sign(app, access_claims(app, aud="someone-else")), "wrong_audience")
    _refused(client, sign(app, access_claims(app, iss="someone-else")), "wrong_issuer")


def test_refresh_token_is_not_an_access_token(client):
    refresh = jwt_login(client)["refresh_token"]
    assert "refresh token" in _refused(client, refresh, "wrong_type")


def test_access_token_is_not_a_refresh_token(client):
    access = jwt_login(client)["access_token"]
    response = client.post("/api/jwt/refresh", json={"refresh_token": access})
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_grant"


def test_non_string_sub_is_refused(client, app):
    _refused(client, sign(app, access_claims(app, sub=1)), "malformed")


@pytest.mark.parametrize("garbage", [
    "x", "a.b", "a.b.c", "a.b.c.d", "....", "ey.ey.ey", "eyJhbGciOiJIUzI1NiJ9.e30.",
    "e30.e30.e30", "bm90IGpzb24.bm90IGpzb24.c2ln", "\u00e9\u00e9.\u00e9.\u00e9",
    base64.urlsafe_b64encode(b'{"alg":"HS256","kid":{"x":1}}').decode().rstrip("=") + ".e30.AA",
    base64.urlsafe_b64encode(b'{"alg":["HS256"]}').decode().rstrip("=") + ".e30.AA",
    base64.urlsafe_b64encode(b'[1,2]').decode().rstrip("=") + ".e30.AA",
    "eyJhbGciOiJIUzI1NiJ9." + base64.urlsafe_b64encode(b"[]").decode().rstrip("=") + ".AA",
    "A" * 5000,
])
def test_malformed_tokens_never_500(client, garbage):
    response = client.get("/api/jwt/me", headers={"Authorization": f"Bearer {garbage}"})
    assert response.status_code in (400, 401), response.get_data(as_text=True)
    refresh = client.post("/api/jwt/refresh", json={"refresh_token": garbage})
    assert refresh.status_code == 400 and refresh.get_json()["error"] == "invalid_grant"


def test_refresh_rotates(client, r):
    first = jwt_login(client)
    response = client.post("/api/jwt/refresh", json={"refresh_token": first["refresh_token"]})
    assert response.status_code == 200
    second = response.get_json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    fam = claims_of(first["refresh_token"])["fam"]
    assert claims_of(second["refresh_token"])["fam"] == fam
    assert r.get(f"jwt:fam:{{{fam}}}").decode() == claims_of(second["refresh_token"])["jti"]
    assert client.get("/api/jwt/me", headers=bearer(second["access_token"])).status_code == 200


def test_reuse_of_old_refresh_token_revokes_family(client):
    first = jwt_login(client)
    second = client.post("/api/jwt/refresh",
                         json={"refresh_token": first["refresh_token"]}).get_json()
    reuse = client.post("/api/jwt/refresh", json={"refresh_token": first["refresh_token"]})
    assert reuse.status_code == 400 and reuse.get_json()["error"] == "invalid_grant"
    assert "already used" in reuse.get_json()["message"]
    # The thief's reuse also kills what the legitimate user holds now:
    newest = client.post("/api/jwt/refresh", json={"refresh_token": second["refresh_token"]})
    assert newest.status_code == 400
    _refused(client, second["access_token"], "revoked")
    _refused(client, first["access_token"], "revoked")


def test_other_families_are_untouched_by_a_reuse(client):
    mine, other = jwt_login(client), jwt_login(client)
    client.post("/api/jwt/refresh", json={"refresh_token": mine["refresh_token"]})
    client.post("/api/jwt/refresh", json={"refresh_token": mine["refresh_token"]})
    assert client.get("/api/jwt/me", headers=bearer(other["access_token"])).status_code == 200


def test_concurrent_refreshes_exactly_one_wins(app):
    token = jwt_login(app.test_client())["refresh_token"]
    results, start = [], threading.Barrier(8)

    def attempt():
        client = app.test_client()
        start.wait()
        results.append(client.post("/api/jwt/refresh", json={"refresh_token": token}).status_code)

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200] + [400] * 7


def test_refresh_bad_bodies(client):
    assert client.post("/api/jwt/refresh", json={}).status_code == 400
    assert client.post("/api/jwt/refresh", json={"refresh_token": 5}).status_code == 400
    assert client.post("/api/jwt/refresh", data="x").status_code == 415


def test_expired_refresh_token(make_app):
    client = make_app(REFRESH_TOKEN_TTL=1).test_client()
    refresh = jwt_login(client)["refresh_token"]
    time.sleep(4.1)
    response = client.post("/api/jwt/refresh", json={"refresh_token": refresh})
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_grant"


def test_logout_denies_access_and_revokes_family(client, r):
    tokens = jwt_login(client)
    response = client.post("/api/jwt/logout", headers=bearer(tokens["access_token"]),
                           json={"refresh_token": tokens["refresh_token"]})
    assert response.status_code == 200
    jti, fam = (claims_of(tokens["access_token"])[k] for k in ("jti", "fam"))
    assert 0 < r.ttl(f"jwt:deny:{{{fam}}}:{jti}") <= 300 + 3
    assert "revoked" in _refused(client, tokens["access_token"], "revoked")
    refresh = client.post("/api/jwt/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refresh.status_code == 400 and refresh.get_json()["error"] == "invalid_grant"


def test_revocation_survives_re_encoding(client, app):
    """The denylist is keyed on jti: a differently spelled token with the same claims is refused."""
    token = jwt_login(client)["access_token"]
    client.post("/api/jwt/logout", headers=bearer(token))
    claims = claims_of(token)
    # Same claims, other key order and an extra header field: another string, still validly
    # signed with the server's key. A denylist of token strings would let it through.
    kid = app.extensions["lab_keyring"].current.kid
    respelled = sign(app, dict(reversed(list(claims.items()))), headers={"kid": kid, "x": "lab"})
    assert respelled != token
    _refused(client, respelled, "revoked")
    # A non-canonical base64url signature (unused low bits flipped) is refused outright.
    head, payload, sig = token.split(".")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    variant = sig[:-1] + alphabet[alphabet.index(sig[-1]) ^ 1]
    _refused(client, f"{head}.{payload}.{variant}", "malformed")


def test_logout_without_token(client):
    assert client.post("/api/jwt/logout").status_code == 401


def test_new_role_reaches_token_at_refresh(client, app):
    tokens = jwt_login(client)
    import sqlite3
    with sqlite3.connect(app.config["DATABASE"]) as db:
        db.execute("UPDATE users SET role = 'admin' WHERE username = 'alice'")
    assert claims_of(tokens["access_token"])["role"] == "user"  # stale until it expires
    fresh = client.post("/api/jwt/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert claims_of(fresh.get_json()["access_token"])["role"] == "admin"
