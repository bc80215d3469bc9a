"""The forge lab: every token the forge tab can make, against the naive and the real verifier."""
import pathlib
import socket
import threading

import pytest

from auth.attacker import create_attacker_app
from auth.labs.forge import naive, recipes

from .helpers import bearer, jwt_login

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(params=["HS256", "RS256"])
def lab(request, make_app):
    """A lab on `alg`, with its attacker origin really listening (the jku is fetched over HTTP)."""
    from waitress.server import create_server

    port = _free_port()
    app = make_app(JWT_ALGORITHM=request.param, ATTACKER_PORT=port)
    server = create_server(create_attacker_app(app), host="127.0.0.1", port=port, threads=2)
    threading.Thread(target=server.run, daemon=True).start()
    yield app
    server.close()


def _split(token):
    import base64
    import json
    head, body, sig = token.split(".")
    dec = lambda p: json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))  # noqa: E731
    return dec(head), dec(body), sig


def _every_forgery(client, alg):
    """(name, token) for every recipe and option the forge tab offers on this lab."""
    genuine = jwt_login(client)["access_token"]
    header, payload, signature = _split(genuine)
    payload = dict(payload, role="admin", username="alice-as-admin")
    info = client.get("/api/lab/forge/info").get_json()
    variants = [("keep", {})]
    variants += [("none", {"casing": c}) for c in info["none_casings"]]
    variants += [("secret", {"secret": s}) for s in ("secret", "", "password123")]
    variants += [("public-key", {"encoding": e}) for e in info["encodings"]]
    variants += [("embed-jwk", {}), ("jku", {}), ("kid-path", {}), ("strip", {}),
                 ("truncate", {})]
    variants += [("preset", {"preset": p}) for p in info["presets"]]
    offered = set(recipes.RECIPES) - ({"public-key"} if alg.startswith("HS") else set())
    assert {v[0] for v in variants} == offered  # nothing the tab offers is left out
    assert bool(info["encodings"]) == (alg != "HS256")
    made = []
    for recipe, options in variants:
        res = client.post("/api/lab/forge/make", json={
            "recipe": recipe, "header": header, "payload": payload, "options": options,
            "signature": signature})
        assert res.status_code == 200, (recipe, options, res.get_json())
        made.append((f"{recipe} {options}", res.get_json()["token"]))
    return genuine, made


def _verify(client, token, verifier, flaws=()):
    res = client.post("/api/lab/forge/verify",
                      json={"token": token, "verifier": verifier, "flaws": list(flaws)})
    assert res.status_code == 200, res.get_json()
    body = res.get_json()
    assert set(body) >= {"accepted", "reason", "steps"}
    assert body["steps"][-1] in ("ACCEPT", "REJECT")
    return body


def test_the_real_verifier_refuses_every_token_the_forge_tab_can_make(lab):
    client = lab.test_client()
    genuine, made = _every_forgery(client, lab.config["JWT_ALGORITHM"])
    assert _verify(client, genuine, "real")["accepted"]
    for name, token in made:
        answer = _verify(client, token, "real")
        assert not answer["accepted"], name
        assert answer["reason"] in ("algorithm_not_allowed", "unknown_key", "bad_signature",
                                    "malformed", "expired", "not_yet_valid", "wrong_audience",
                                    "wrong_issuer", "wrong_type"), (name, answer)
        # The same token on a real API and on the lab's admin door: refused there too.
        assert client.get("/api/jwt/me", headers=bearer(token)).status_code == 401, name
        res = client.post("/api/lab/forge/admin", json={"verifier": "real"},
                          headers=bearer(token))
        assert res.status_code == 401 and res.get_json()["admin"] is False, name


def test_the_naive_verifier_with_no_flaw_is_correct(lab):
    client = lab.test_client()
    genuine, made = _every_forgery(client, lab.config["JWT_ALGORITHM"])
    assert _verify(client, genuine, "naive")["accepted"]
    for name, token in made:
        answer = _verify(client, token, "naive")
        assert not answer["accepted"], (name, answer)


def _forge(client, recipe, options=None, role="admin"):
    header, payload, signature = _split(jwt_login(client)["access_token"])
    res = client.post("/api/lab/forge/make", json={
        "recipe": recipe, "header": header, "payload": dict(payload, role=role),
        "options": options or {}, "signature": signature})
    assert res.status_code == 200, res.get_json()
    return res.get_json()["token"]


def _admin(client, token, verifier, flaws):
    return client.post("/api/lab/forge/admin", json={"verifier": verifier, "flaws": flaws},
                       headers=bearer(token))


ATTACKS = [  # (flaws switched on, recipe, options, a step the naive trace must show)
    (["accept-none"], "none", {"casing": "nOnE"}, "alg=nOnE: signature skipped"),
    (["key-from-jwk"], "embed-jwk", {}, "key from header jwk (kty EC)"),
    (["fetch-jku"], "jku", {}, "fetched jku"),
    (["kid-as-path"], "kid-path", {}, "kid read as a path: /dev/null → 0 bytes as the key"),
    (["skip-exp"], "preset", {"preset": "expired"}, "exp and nbf not checked"),
]


@pytest.mark.parametrize("flaws,recipe,options,step", ATTACKS)
def test_each_flaw_lets_its_attack_reach_the_admin_answer(lab, flaws, recipe, options, step):
    client = lab.test_client()
    token = _forge(client, recipe, options)
    assert not _verify(client, token, "naive")["accepted"]  # the flaw is what lets it in
    answer = _verify(client, token, "naive", flaws)
    assert answer["accepted"], answer
    assert any(s.startswith(step) for s in answer["steps"]), answer["steps"]
    res = _admin(client, token, "naive", flaws)
    assert res.status_code == 200 and res.get_json()["admin"] is True
    real = _verify(client, token, "real")
    assert not real["accepted"] and real["steps"][-1] == "REJECT"
    assert _admin(client, token, "real", []).status_code == 401


def test_every_none_casing_is_refused_by_the_real_verifier(lab):
    client = lab.test_client()
    for casing in recipes.NONE_CASINGS:
        token = _forge(client, "none", {"casing": casing})
        answer = _verify(client, token, "real")
        assert answer["reason"] == "algorithm_not_allowed"
        naive_answer = _verify(client, token, "naive", ["accept-none"])
        assert naive_answer["accepted"] and naive_answer["steps"][0] == f"header alg={casing}"


def test_key_confusion_with_the_published_public_key(make_app):
    client = make_app(JWT_ALGORITHM="RS256").test_client()
    pem = _forge(client, "public-key", {"encoding": "pem"})
    # Correct (and alg-from-header alone): a public key is never an HMAC secret.
    assert _verify(client, pem, "naive")["reason"] == "algorithm_not_allowed"
    assert _verify(client, pem, "naive", ["alg-from-header"])["reason"] == "key_mismatch"
    for flaws in (["public-key-as-hmac"], ["alg-from-header", "public-key-as-hmac"]):
        answer = _verify(client, pem, "naive", flaws)
        assert answer["accepted"], answer
        assert "the public key's PEM text used as the HMAC secret" in answer["steps"]
        assert _admin(client, pem, "naive", flaws).status_code == 200
    # The naive server uses the PEM text it stores: other encodings give other HMAC secrets.
    for encoding in ("pkcs1", "der", "jwk"):
        token = _forge(client, "public-key", {"encoding": encoding})
        assert _verify(client, token, "naive", ["public-key-as-hmac"])["reason"] == "bad_signature"
        assert _verify(client, token, "real")["reason"] == "algorithm_not_allowed"
    assert _verify(client, pem, "real")["reason"] == "algorithm_not_allowed"


def test_an_hs_lab_has_no_public_key_to_confuse(client):
    res = client.post("/api/lab/forge/make", json={"recipe": "public-key", "header": {},
                                                   "payload": {}, "options": {}})
    assert res.status_code == 400 and "JWT_ALGORITHM=RS256" in res.get_json()["message"]


def test_jku_is_fetched_only_from_the_labs_own_attacker_origin(lab):
    client = lab.test_client()
    token = _forge(client, "jku")
    jwks = lab.test_client()  # the header points at the lab's attacker origin, 127.0.0.1
    port = lab.config["ATTACKER_PORT"]
    assert _split(token)[0]["jku"] == f"http://127.0.0.1:{port}/forge/jwks.json"
    header, payload, _sig = _split(token)
    for url in ("http://example.com/forge/jwks.json", "http://10.0.0.1:1/forge/jwks.json",
                f"http://127.0.0.1:{lab.config['ATTACKER_PORT'] + 1}/forge/jwks.json",
                "file:///etc/passwd"):
        forged = client.post("/api/lab/forge/make", json={
            "recipe": "secret", "header": dict(header, jku=url, alg="HS256"), "payload": payload,
            "options": {"secret": "x"}}).get_json()["token"]
        answer = _verify(jwks, forged, "naive", ["fetch-jku"])
        assert answer["reason"] == "jku_not_fetched", url


def test_a_kid_path_outside_the_lab_is_never_read(client):
    token = _forge(client, "kid-path", {"kid": "../../../../../../etc/passwd"})
    answer = _verify(client, token, "naive", ["kid-as-path"])
    assert answer["reason"] == "path_not_read" and "/etc/passwd" in answer["message"]


def test_a_non_admin_token_gets_403_from_the_admin_door(client):
    token = _forge(client, "none", {"casing": "none"}, role="user")
    res = _admin(client, token, "naive", ["accept-none"])
    assert res.status_code == 403 and res.get_json()["reason"] == "not_admin"
    genuine = jwt_login(client, "admin", "admin123")["access_token"]
    assert _admin(client, genuine, "real", []).status_code == 200
    assert _admin(client, jwt_login(client)["access_token"], "real", []).status_code == 403


@pytest.mark.parametrize("body", [
    {"token": "a.b.c", "verifier": "other"},
    {"token": "a.b.c", "verifier": "naive", "flaws": ["trust-me"]},
    {"token": "a.b.c", "verifier": "naive", "flaws": "accept-none"},
    {"token": "", "verifier": "real"},
    {"token": "x" * 20000, "verifier": "real"},
])
def test_bad_verify_requests_are_400(client, body):
    assert client.post("/api/lab/forge/verify", json=body).status_code == 400


def test_bad_make_requests_are_400(client):
    for body in ({"recipe": "magic"}, {"recipe": "none", "options": {"casing": "nada"}},
                 {"recipe": "secret", "options": {"secret": 5}}, {"recipe": "keep", "header": []},
                 {"recipe": "preset", "options": {"preset": "forever"}}):
        assert client.post("/api/lab/forge/make", json=body).status_code == 400, body


def test_garbage_tokens_are_refused_not_500(client):
    for token in ("a.b.c", "...", "eyJhbGciOiJub25lIn0.e30.", "x"):
        for verifier, flaws in (("real", []), ("naive", list(naive.FLAWS))):
            answer = _verify(client, token, verifier, flaws)
            assert not answer["accepted"]


def test_the_naive_verifier_is_never_imported_by_the_real_flow():
    for path in (ROOT / "auth").rglob("*.py"):
        if "labs/forge" in path.as_posix():
            continue
        text = path.read_text()
        assert "naive" not in text or "forge" not in text or path.name == "forge.py", path
        assert "labs.forge.naive" not in text and "forge import naive" not in text, path
