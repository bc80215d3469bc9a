"""GET /.well-known/jwks.json, the key ring's rotation, and the precise reasons a token whose
kid is unknown, or names a key of another algorithm, is refused."""
import jwt
import pytest

from auth.tokens import keys as token_keys
from tests.helpers import bearer, jwt_login

ASYMMETRIC = ("RS256", "ES256", "EdDSA")
KTY = {"RS256": "RSA", "ES256": "EC", "EdDSA": "OKP"}


def test_no_jwks_under_a_shared_secret(client):
    response = client.get("/.well-known/jwks.json")
    assert response.status_code == 404
    assert response.get_json()["error"] == "no_public_keys"


@pytest.mark.parametrize("alg", ASYMMETRIC)
def test_jwks_publishes_the_public_key_named_by_its_thumbprint(make_app, alg):
    client = make_app(JWT_ALGORITHM=alg).test_client()
    response = client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    assert "max-age=" in response.headers["Cache-Control"]
    (jwk,) = response.get_json()["keys"]
    assert jwk["kty"] == KTY[alg] and jwk["alg"] == alg and jwk["use"] == "sig"
    assert jwk["kid"] == token_keys.thumbprint(jwk)
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(jwk)  # never a private member
    token = jwt_login(client)["access_token"]
    assert jwt.get_unverified_header(token)["kid"] == jwk["kid"]


def test_unknown_kid_is_refused_with_the_reason(make_app):
    app = make_app(JWT_ALGORITHM="ES256")
    client = app.test_client()
    token = jwt_login(client)["access_token"]
    with app.app_context():
        key = token_keys.ring().current
    claims = jwt.decode(token, options={"verify_signature": False})
    forged = jwt.encode(claims, key.sign, algorithm="ES256", headers={"kid": "not-a-key"})
    response = client.get("/api/jwt/me", headers=bearer(forged))
    assert response.status_code == 401
    assert 'error_description="unknown_key"' in response.headers["WWW-Authenticate"]


def test_a_kid_of_another_algorithm_is_refused_with_the_reason(make_app, tmp_path):
    """A ring (a JWKS) may hold keys of several algorithms: a token naming an RSA key while
    saying ES256 is refused for exactly that reason."""
    app = make_app(JWT_ALGORITHM="ES256")
    client = app.test_client()
    token = jwt_login(client)["access_token"]
    rsa = token_keys.load({"JWT_ALGORITHM": "RS256"}, str(tmp_path)).current
    es = app.extensions["lab_keyring"].current
    app.extensions["lab_keyring"] = token_keys.KeyRing("ES256", [es, rsa], es.kid)
    claims = jwt.decode(token, options={"verify_signature": False})
    crossed = jwt.encode(claims, es.sign, algorithm="ES256", headers={"kid": rsa.kid})
    response = client.get("/api/jwt/me", headers=bearer(crossed))
    assert response.status_code == 401
    assert response.get_json()["message"].startswith("The token's kid names a RS256 key")
    assert client.get("/api/jwt/me", headers=bearer(token)).status_code == 200


def test_rotation_keeps_old_tokens_valid_and_emergency_kills_them(make_app):
    app = make_app(JWT_ALGORITHM="EdDSA")
    client = app.test_client()
    old = jwt_login(client)["access_token"]
    old_kid = jwt.get_unverified_header(old)["kid"]

    response = client.post("/api/lab/scale/rotate", json={})
    assert response.status_code == 200, response.get_json()
    done = response.get_json()
    assert done["new"] != old_kid and old_kid in done["retired"] and not done["dropped"]
    kids = {k["kid"] for k in client.get("/.well-known/jwks.json").get_json()["keys"]}
    assert kids == {old_kid, done["new"]}  # the old public key stays published
    assert client.get("/api/jwt/me", headers=bearer(old)).status_code == 200
    new = jwt_login(client)["access_token"]
    assert jwt.get_unverified_header(new)["kid"] == done["new"]

    # A restart (a new process reading the instance folder) keeps the same ring.
    again = make_app(JWT_ALGORITHM="EdDSA").test_client()
    assert again.get("/api/jwt/me", headers=bearer(old)).status_code == 200

    response = client.post("/api/lab/scale/rotate", json={"emergency": True})
    done2 = response.get_json()
    assert set(done2["dropped"]) == {old_kid, done["new"]}
    for dead in (old, new):
        response = client.get("/api/jwt/me", headers=bearer(dead))
        assert response.status_code == 401
        assert 'error_description="unknown_key"' in response.headers["WWW-Authenticate"]
    assert [k["kid"] for k in client.get("/.well-known/jwks.json").get_json()["keys"]] \
        == [done2["new"]]
    assert client.get("/api/jwt/me",
                      headers=bearer(jwt_login(client)["access_token"])).status_code == 200


def test_rotation_refused_for_a_shared_secret_and_from_elsewhere(client):
    assert client.post("/api/lab/scale/rotate", json={}).status_code == 409
    response = client.post("/api/lab/scale/rotate", json={},
                           environ_base={"REMOTE_ADDR": "192.168.1.20"})
    assert response.status_code == 403
