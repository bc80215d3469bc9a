"""The token inspector API: decode any JWT, verify it with the key given, store nothing."""
import base64
import hashlib
import hmac
import json
import logging
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from jwt.algorithms import get_default_algorithms

from tests import rfc7515 as rfc
from tests.helpers import jwt_login

ALGORITHMS = get_default_algorithms()


def inspect(client, token, key=None):
    body = {"token": token} if key is None else {"token": token, "key": key}
    return client.post("/api/inspect", json=body)


def answer(client, token, key=None):
    response = inspect(client, token, key)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def b64(data):
    data = data.encode() if isinstance(data, str) else data
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def pem(key):
    public = key.public_key() if hasattr(key, "public_key") else key
    return public.public_bytes(serialization.Encoding.PEM,
                               serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def with_payload(token, payload):
    """The same header and signature around another payload: what a forger can produce."""
    head, _body, sig = token.split(".")
    return f"{head}.{b64(json.dumps(payload, separators=(',', ':')))}.{sig}"


def hmac_token(header, payload, secret):
    signing_input = f"{b64(json.dumps(header))}.{b64(json.dumps(payload))}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def _new_key(family):
    if family == "RSA":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if family.startswith("P-"):
        return ec.generate_private_key({"P-256": ec.SECP256R1(), "P-384": ec.SECP384R1(),
                                        "P-521": ec.SECP521R1()}[family])
    return {"Ed25519": ed25519.Ed25519PrivateKey, "Ed448": ed448.Ed448PrivateKey}[family].generate()


@pytest.fixture(scope="module")
def keys():
    """Two private keys per family ("RSA" and "RSA other", ...), made once: RSA is slow."""
    families = ("RSA", "P-256", "P-384", "P-521", "Ed25519", "Ed448")
    return {f"{family}{suffix}": _new_key(family) for family in families
            for suffix in ("", " other")}


def test_page_and_nav_link(client, app):
    html = client.get("/inspect").get_data(as_text=True)
    assert "<h1>Token inspector</h1>" in html and 'id="i18n"' in html
    assert "See it in DevTools" in html and "js/inspect.js" in html
    assert "signs its own tokens with HS256" in html
    assert app.config["JWT_SECRET_KEY"] not in html  # the secret is never shown
    assert "jwt_secret_key.txt" not in html  # nor where to copy it from: a class shares one key
    assert 'id="verify-lab"' in html and "Verify with this lab's key" in html
    assert 'href="/inspect"' in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("token,key", [
    (rfc.A1, rfc.A1_JWK),
    (rfc.A2, rfc.A2_JWK_PUBLIC),
    (rfc.A2, rfc.A2_JWK_PRIVATE),  # the RFC prints the private JWK: its public half is used
    (rfc.A3, rfc.A3_JWK),
    (rfc.A3, json.dumps(rfc.A3_JWK, indent=1)),  # a JWK pasted as text
], ids=["A.1", "A.2", "A.2-private-jwk", "A.3", "A.3-as-text"])
def test_rfc7515_examples_verify_and_are_expired(client, token, key):
    body = answer(client, token, key)
    assert body["verified"] is True and body["expired"] is True
    assert body["payload"] == {"iss": "joe", "exp": 1300819380, "http://example.com/is_root": True}
    assert body["signature"] == token.split(".")[2]
    assert "valid" in body["reason"] and "expired" in body["reason"]


def test_rfc7515_a1_header_keeps_its_order_and_typ(client):
    body = answer(client, rfc.A1, rfc.A1_JWK)
    assert list(body["header"].items()) == [("typ", "JWT"), ("alg", "HS256")]


def test_rfc7515_a2_with_a_pem_public_key(client):
    public = jwt.PyJWK(rfc.A2_JWK_PUBLIC, algorithm="RS256").key
    assert answer(client, rfc.A2, pem(public))["verified"] is True


def test_rfc7515_a4_es512_payload_is_not_json(client):
    body = answer(client, rfc.A4, rfc.A4_JWK)
    assert body["verified"] is True and body["payload"] == "Payload"
    assert body["expired"] is None  # no claims at all, so no exp


def test_rfc7515_copied_with_line_breaks(client):
    # The RFC prints tokens across lines; base64url has no whitespace, so it is dropped.
    broken = rfc.A1.replace(".", "\n.\n")[:60] + "\r\n" + rfc.A1.replace(".", "\n.\n")[60:]
    assert answer(client, broken, rfc.A1_JWK)["verified"] is True


@pytest.mark.parametrize("key", [None, "", "some secret", rfc.A1_JWK])
def test_rfc7515_a5_unsigned_is_never_verified(client, key):
    body = answer(client, rfc.A5, key)
    assert body["header"] == {"alg": "none"} and body["signature"] == ""
    assert body["verified"] is False
    assert "unsigned" in body["reason"] and "never be verified" in body["reason"]


@pytest.mark.parametrize("alg", ["None", "NONE", "nOnE"])
def test_none_in_any_case_is_unsigned(client, alg):
    token = f"{b64(json.dumps({'alg': alg}))}.{rfc.PAYLOAD}."
    assert "unsigned" in answer(client, token, "x")["reason"]


def test_rfc7515_example_edited_fails(client):
    forged = with_payload(rfc.A1, {"iss": "eve", "exp": 1300819380})
    body = answer(client, forged, rfc.A1_JWK)
    assert body["verified"] is False and body["payload"]["iss"] == "eve"
    assert "exact bytes of header.payload" in body["reason"]


def test_lab_access_token_verifies_with_the_app_secret(client, app):
    tokens = jwt_login(client)
    body = answer(client, tokens["access_token"], app.config["JWT_SECRET_KEY"])
    assert body["verified"] is True and body["expired"] is False
    assert body["header"]["alg"] == "HS256"
    assert body["payload"]["username"] == "alice" and body["payload"]["type"] == "access"
    assert list(body["payload"])[:3] == ["iss", "aud", "sub"]  # the token's own order
    refresh = answer(client, tokens["refresh_token"], app.config["JWT_SECRET_KEY"])
    assert refresh["verified"] is True and refresh["payload"]["type"] == "refresh"


def test_lab_token_without_key_wrong_key_and_edited(client, app):
    token = jwt_login(client)["access_token"]
    for blank in (None, "", "  \n"):
        body = answer(client, token, blank)
        assert body["verified"] is None and "No key given" in body["reason"]
    assert answer(client, token, "x" * 48)["verified"] is False
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    forged = with_payload(token, dict(claims, role="admin"))
    body = answer(client, forged, app.config["JWT_SECRET_KEY"])
    assert body["verified"] is False and body["payload"]["role"] == "admin"
    assert "does not match" in body["reason"]


def test_lab_rs256_token_and_its_key_confusion(make_app):
    app = make_app(JWT_ALGORITHM="RS256")
    client = app.test_client()
    token = jwt_login(client)["access_token"]
    public_pem = app.extensions["lab_keyring"].current.public_pem
    assert answer(client, token, public_pem)["verified"] is True
    assert "RS256" in client.get("/inspect").get_data(as_text=True)
    # The classic attack: re-sign the claims with HS256, using the public PEM text as the
    # HMAC secret, and hope the verifier feeds its "key" to whatever alg the header names.
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    forged = hmac_token({"alg": "HS256", "typ": "JWT"}, dict(claims, role="admin"),
                        public_pem.encode())
    body = answer(client, forged, public_pem)
    assert body["verified"] is False and "key-confusion" in body["reason"]


def test_key_confusion_with_pem_and_jwk_text(client, keys):
    public_pem = pem(keys["RSA"])
    public_jwk = ALGORITHMS["RS256"].to_jwk(keys["RSA"].public_key())  # JSON text
    bare_der = "".join(public_pem.splitlines()[1:-1])  # the PEM body without BEGIN/END lines
    for key_text in (public_pem, public_pem.strip(), public_jwk, bare_der):
        forged = hmac_token({"alg": "HS256"}, {"sub": "1", "role": "admin"}, key_text.encode())
        body = answer(client, forged, key_text)
        assert body["verified"] is False and "key-confusion" in body["reason"], key_text[:30]


SIGNERS = [("HS256", None), ("HS384", None), ("HS512", None), ("RS256", "RSA"), ("RS384", "RSA"),
           ("RS512", "RSA"), ("PS256", "RSA"), ("ES256", "P-256"), ("ES384", "P-384"),
           ("ES512", "P-521"), ("EdDSA", "Ed25519"), ("EdDSA", "Ed448")]


@pytest.mark.parametrize("alg,family", SIGNERS, ids=[f"{a}-{f}" for a, f in SIGNERS])
def test_every_allowed_algorithm_with_pem_and_jwk(client, keys, alg, family):
    now = int(time.time())
    claims = {"sub": "42", "iat": now, "exp": now + 60}
    if family is None:
        secret = "s" * 64
        token = jwt.encode(claims, secret, algorithm=alg)
        good = [secret, ALGORITHMS[alg].to_jwk(secret.encode(), as_dict=True)]
        other = "t" * 64
    else:
        private = keys[family]
        token = jwt.encode(claims, private, algorithm=alg)
        good = [pem(private), ALGORITHMS[alg].to_jwk(private.public_key(), as_dict=True)]
        other = pem(keys[f"{family} other"])
    for key in good:
        body = answer(client, token, key)
        assert body["verified"] is True and body["expired"] is False, (key, body["reason"])
    body = answer(client, token, other)
    assert body["verified"] is False and "does not match" in body["reason"]


def test_algorithm_outside_allow_list(client, keys):
    token = jwt.encode({"sub": "1"}, keys["RSA"], algorithm="PS384")
    body = answer(client, token, pem(keys["RSA"]))
    assert body["verified"] is False and "allow-list" in body["reason"]


def _garbage_pem():
    return "-----BEGIN PUBLIC KEY-----\nAAAAB3NzaC1yc2EAAAADAQAB\n-----END PUBLIC KEY-----"


def _encrypted_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.BestAvailableEncryption(b"pw")).decode()


@pytest.mark.parametrize("token,key,says", [
    ("HS", "RSA-PEM", "key-confusion"),
    ("HS", rfc.A3_JWK, "key-confusion"),
    ("HS", "ssh-rsa AAAAB3NzaC1yc2E", "key-confusion"),
    (rfc.A2, "a shared secret", "not with a shared secret"),
    (rfc.A2, _garbage_pem(), "could not be read"),
    (rfc.A2, "ENCRYPTED", "could not be read"),
    (rfc.A2, rfc.A3_JWK, "type RSA; this key is of type EC P-256"),
    (rfc.A2, "P-256-PEM", "type RSA; this key is of type EC P-256"),
    (rfc.A3, rfc.A4_JWK, "type EC P-256; this key is of type EC P-521"),
    (rfc.A3, "P-384-PEM", "type EC P-256; this key is of type EC P-384"),
    (rfc.A3, rfc.A1_JWK, "this key is of type oct"),
    (rfc.A2, dict(rfc.A2_JWK_PUBLIC, alg="PS256"), "marked for PS256"),
    (rfc.A2, {"kty": "RSA", "n": "!!", "e": "AQAB"}, "could not be turned into a key"),
    (rfc.A2, {"kty": "RSA"}, "could not be turned into a key"),
    (rfc.A3, {"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"}, "could not be turned"),
    (rfc.A2, "{not json", "not valid JSON"),
    (rfc.A2, '["a"]', "A JWK is a JSON object"),
    (rfc.A2, {"keys": [rfc.A2_JWK_PUBLIC, rfc.A2_JWK_PUBLIC]}, "JWK Set"),
    (rfc.A2, {"keys": []}, "JWK Set"),
])
def test_key_that_does_not_fit_is_200_verified_false(client, keys, token, key, says):
    # A decision, documented in auth/inspect.py: the token was readable, so this is a 200 with
    # verified false and the reason, not a 400 invalid_key.
    if token == "HS":
        token = jwt.encode({"sub": "1"}, "k" * 32, algorithm="HS256")
    key = {"RSA-PEM": pem(keys["RSA"]), "P-256-PEM": pem(keys["P-256"]),
           "P-384-PEM": pem(keys["P-384"]),
           "ENCRYPTED": _encrypted_pem(keys["RSA"])}.get(key, key) if isinstance(key, str) else key
    body = answer(client, token, key)
    assert body["verified"] is False
    assert says in body["reason"], body["reason"]


def test_jwk_set_picks_the_key_by_kid(client, keys):
    token = jwt.encode({"sub": "1"}, keys["P-256"], algorithm="ES256", headers={"kid": "two"})
    other = keys["P-256 other"].public_key()
    jwks = {"keys": [dict(ALGORITHMS["ES256"].to_jwk(other, as_dict=True), kid="one"),
                     dict(ALGORITHMS["ES256"].to_jwk(keys["P-256"].public_key(), as_dict=True),
                          kid="two")]}
    assert answer(client, token, jwks)["verified"] is True
    # Without a kid, the only key of the right type is used.
    assert answer(client, rfc.A2, {"keys": [rfc.A3_JWK, rfc.A2_JWK_PUBLIC]})["verified"] is True


HEADER = b64('{"alg":"HS256"}')


def _token(header, payload="e30", signature="c2ln"):
    """A token from a header given as text (base64url-encoded here) and raw payload/signature."""
    return ".".join([b64(header), payload, signature])


@pytest.mark.parametrize("token,part", [
    ("abc", "token"), ("a.b", "token"), ("a.b.c.d", "token"), (".", "token"),
    ("a.b.c.d.e", "token"),
    ("!!!.e30.c2ln", "header"), ("abcde.e30.c2ln", "header"),
    (_token("{}"), "header"),  # no alg
    (_token("not json"), "header"), (_token("[1]"), "header"), (_token('{"alg":5}'), "header"),
    (_token('{"alg":"HS256","x":NaN}'), "header"), (_token(b"\xff\xfe"), "header"),
    (HEADER + ".a!b.c2ln", "payload"), (HEADER + ".abcde.c2ln", "payload"),
    (HEADER + "." + b64("{bad") + ".c2ln", "payload"),
    (HEADER + "." + b64("[1,2]") + ".c2ln", "payload"),
    (HEADER + "." + b64('{"exp":1e999}') + ".c2ln", "payload"),
    (HEADER + "." + b64('{"a":' * 5000) + ".c2ln", "payload"),
    (HEADER + ".e30.***", "signature"), (HEADER + ".e30.a", "signature"),
    (HEADER + ".e30.c2ln=", "signature"),
])
def test_malformed_token_names_the_part(client, token, part):
    response = inspect(client, token, "secret")
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "malformed_token" and body["part"] == part
    assert isinstance(body["message"], str) and body["message"]
    if token.count(".") == 4:
        assert "JWE" in body["message"]


@pytest.mark.parametrize("data,content_type,status", [
    ("token=abc", "application/x-www-form-urlencoded", 415),
    (rfc.A1, "text/plain", 415),
    ("[1, 2]", "application/json", 400), ('"eyJ"', "application/json", 400),
    ("{bad json", "application/json", 400), ("null", "application/json", 400),
    ("{}", "application/json", 400), ('{"token": 5}', "application/json", 400),
    ('{"token": ""}', "application/json", 400),
    (json.dumps({"token": rfc.A1, "key": 5}), "application/json", 400),
    (json.dumps({"token": rfc.A1, "key": ["k"]}), "application/json", 400),
    ("[" * 100000 + "]" * 100000, "application/json", 400),  # too deep for the parser
])
def test_unreadable_requests(client, data, content_type, status):
    response = client.post("/api/inspect", data=data, content_type=content_type)
    assert response.status_code == status
    assert response.get_json()["error"] == ("unsupported_media_type" if status == 415
                                            else "invalid_request")


@pytest.mark.parametrize("payload,expired", [
    ({"exp": 1}, True), ({"exp": 10 ** 30}, False), ({"exp": "tomorrow"}, None),
    ({"exp": True}, None), ({"sub": "1"}, None), ({"exp": 4102444800.5}, False),
])
def test_expired_is_separate_from_the_signature(client, payload, expired):
    token = jwt.encode(payload, "k" * 32, algorithm="HS256")
    body = answer(client, token, "k" * 32)
    assert body["verified"] is True and body["expired"] is expired


def test_odd_input_never_500(client, keys):
    hs = jwt.encode({"sub": "1"}, "k" * 32, algorithm="HS256")
    es = jwt.encode({"sub": "1"}, keys["P-256"], algorithm="ES256")
    ed = jwt.encode({"sub": "1"}, keys["Ed25519"], algorithm="EdDSA")
    head, body, _sig = es.split(".")
    cases = [(hs, "[" * 50000), (hs, "{" * 50000), (hs, "\x00"), (hs, "é" * 1000),
             (f"{head}.{body}.{b64(b'short')}", pem(keys["P-256"])),
             (f"{head}.{body}.", pem(keys["P-256"])),
             (es, {"kty": "EC", "crv": "P-256", "x": rfc.A3_JWK["x"], "y": rfc.A3_JWK["x"]}),
             (es, {"kty": "EC", "crv": "P-999", "x": "AA", "y": "AA"}),
             (ed, {"kty": "OKP", "crv": "Ed25519", "x": "AAAA"}),
             (ed, {"kty": "OKP", "crv": "X25519", "x": rfc.A3_JWK["x"]}),
             (es, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"),
             (f"{b64(json.dumps({'alg': 'HS256', 'kid': {'a': [1]}}))}.e30.", {"keys": [1, "x"]}),
             (f"{b64(json.dumps({'alg': 'ES256' * 1000}))}.e30.", "k"),
             (f"{HEADER}.{b64(bytes(range(256)))}.", "k"),
             (HEADER + "." + b64('{"n":1' + "0" * 5000 + "}") + ".", "k"),  # > int digit limit
             (HEADER + "." + b64('{"n":1' + "0" * 4000 + "}") + ".", "k")]
    for token, key in cases:
        response = inspect(client, token, key)
        assert response.status_code in (200, 400), (token[:40], response.status_code)
        assert response.get_json() is not None


def test_nothing_is_stored_or_logged(client, app, r, caplog):
    token = jwt_login(client)["access_token"]  # the login itself writes a refresh family
    before = {k: r.dump(k) for k in r.keys("*")}  # any type of key, as its exact bytes
    caplog.set_level(logging.DEBUG)
    secret = app.config["JWT_SECRET_KEY"]
    for key in (None, secret, "wrong", rfc.A1_JWK):
        response = inspect(client, token, key)
        assert response.status_code == 200 and "Set-Cookie" not in response.headers
        assert response.headers["Cache-Control"] == "no-store"
    assert inspect(client, "a.b", secret).status_code == 400
    assert {k: r.dump(k) for k in r.keys("*")} == before  # no key added, changed or removed
    assert token not in caplog.text and secret not in caplog.text


# --- "Verify with this lab's key": the server checks with its own key ring, never shows it -----

def lab_answer(client, token):
    response = client.post("/api/inspect", json={"token": token, "lab_key": True})
    assert response.status_code == 200, response.get_json()
    return response


def _claims_of(token):
    return json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))


def _secrets_of(app):
    """Every form of the lab's own signing key that must never reach a response."""
    current = app.extensions["lab_keyring"].current
    found = [app.config["JWT_SECRET_KEY"]]
    if current.public_pem is not None:
        found.append(current.sign.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()).decode())
    return found


def test_lab_key_verifies_the_labs_token_and_never_sends_the_secret(client, app):
    tokens = jwt_login(client)
    kid = app.extensions["lab_keyring"].current.kid
    for token in (tokens["access_token"], tokens["refresh_token"]):
        response = lab_answer(client, token)
        body = response.get_json()
        assert body["verified"] is True and body["expired"] is False
        assert "this lab's key" in body["reason"] and kid in body["reason"]
        assert "HS256" in body["reason"]
        assert set(body) == {"header", "payload", "signature", "verified", "reason", "expired"}
        for secret in _secrets_of(app):
            assert secret not in response.get_data(as_text=True)


def test_lab_key_fails_an_edited_token(client, app):
    token = jwt_login(client)["access_token"]
    forged = with_payload(token, dict(_claims_of(token), role="admin"))
    response = lab_answer(client, forged)
    body = response.get_json()
    assert body["verified"] is False and body["payload"]["role"] == "admin"
    assert "does not match" in body["reason"] and "this lab's key" in body["reason"]
    assert app.config["JWT_SECRET_KEY"] not in response.get_data(as_text=True)


def test_lab_key_refuses_a_token_signed_with_another_secret(client):
    token = jwt_login(client)["access_token"]
    claims = _claims_of(token)
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    other = hmac_token(header, claims, b"o" * 40)  # same kid, another secret
    body = lab_answer(client, other).get_json()
    assert body["verified"] is False and "does not match" in body["reason"]


def test_lab_key_hs256_token_refused_when_the_lab_runs_rs256(make_app):
    app = make_app(JWT_ALGORITHM="RS256")
    client = app.test_client()
    token = jwt_login(client)["access_token"]
    good = lab_answer(client, token)
    assert good.get_json()["verified"] is True and "RS256" in good.get_json()["reason"]
    public_pem = app.extensions["lab_keyring"].current.public_pem
    # Key confusion: HS256 "signed" with the lab's public PEM. Never checked as an HMAC secret.
    forged = hmac_token({"alg": "HS256", "typ": "JWT"}, dict(_claims_of(token), role="admin"),
                        public_pem.encode())
    response = lab_answer(client, forged)
    body = response.get_json()
    assert body["verified"] is False and "key-confusion" in body["reason"]
    assert "HS256 uses a shared secret" in body["reason"]
    for text in _secrets_of(app):
        assert text not in response.get_data(as_text=True)
    # A PS256 token made with the lab's own RSA key: the right family, not the lab's algorithm.
    private = app.extensions["lab_keyring"].current.sign
    ps = jwt.encode(_claims_of(token), private, algorithm="PS256",
                    headers={"kid": app.extensions["lab_keyring"].current.kid})
    body = lab_answer(client, ps).get_json()
    assert body["verified"] is False and "for RS256 only" in body["reason"]


def test_lab_key_hs256_lab_refuses_asymmetric_and_other_hmac_algorithms(client, app, keys):
    rs = jwt.encode({"sub": "1"}, keys["RSA"], algorithm="RS256")
    body = lab_answer(client, rs).get_json()
    assert body["verified"] is False and "not with a shared secret" in body["reason"]
    # HS512 with the lab's very secret: the app only accepts its own algorithm, nor does this.
    hs512 = jwt.encode({"sub": "1"}, app.config["JWT_SECRET_KEY"], algorithm="HS512")
    body = lab_answer(client, hs512).get_json()
    assert body["verified"] is False and "for HS256 only" in body["reason"]


def test_lab_key_es256_lab_refuses_an_rsa_token(make_app, keys):
    client = make_app(JWT_ALGORITHM="ES256").test_client()
    rs = jwt.encode({"sub": "1"}, keys["RSA"], algorithm="RS256")
    body = lab_answer(client, rs).get_json()
    assert body["verified"] is False
    assert "type RSA; this key is of type EC P-256" in body["reason"]


def test_lab_key_unsigned_unlisted_and_unknown_kid(client):
    assert "unsigned" in lab_answer(client, rfc.A5).get_json()["reason"]
    token = jwt.encode({"sub": "1"}, "k" * 32, algorithm="HS256", headers={"kid": "nope"})
    body = lab_answer(client, token).get_json()
    assert body["verified"] is False and "(nope) is not on this lab's key ring" in body["reason"]
    long_kid = jwt.encode({"sub": "1"}, "k" * 32, algorithm="HS256", headers={"kid": "k" * 5000})
    assert len(lab_answer(client, long_kid).get_json()["reason"]) < 1000


@pytest.mark.parametrize("body", [
    {"token": rfc.A1, "lab_key": "yes"}, {"token": rfc.A1, "lab_key": 1},
    {"token": rfc.A1, "lab_key": True, "key": "secret"},
])
def test_lab_key_bad_requests(client, body):
    response = client.post("/api/inspect", json=body)
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_request"


def test_lab_key_false_is_the_pasted_key_path(client):
    body = client.post("/api/inspect", json={"token": rfc.A1, "lab_key": False}).get_json()
    assert body["verified"] is None and "No key given" in body["reason"]


# --- Where the page runs, said truthfully from the address it was asked for ---------------------

@pytest.mark.parametrize("host", ["localhost:5000", "127.0.0.1:5000", "[::1]:5000", "localhost",
                                  "127.0.1.1"])
def test_loopback_host_says_this_computer(client, host):
    html = client.get("/inspect", headers={"Host": host}).get_data(as_text=True)
    assert "This page runs on this computer" in html
    assert "whoever runs that machine" not in html
    assert "runs on your own machine" not in html


@pytest.mark.parametrize("host", ["192.168.1.10:5000", "lab.example.org", "10.0.0.7"])
def test_lan_host_says_whose_machine_it_is(client, host):
    html = client.get("/inspect", headers={"Host": host}).get_data(as_text=True)
    assert f"This page runs on {host}, not on your computer" in html
    assert "whoever runs that machine sees what you paste" in html
    assert "runs on this computer" not in html and "runs on your own machine" not in html
