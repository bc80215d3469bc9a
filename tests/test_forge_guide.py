"""The inspector's and the forge tab's guided steps (auth/labs/inspector/guide.py,
auth/labs/forge/guide.py) over HTTP: doing a step's requests makes the server record it ok, a
wrong outcome records it bad, steps that share an endpoint never mark each other, and the forge
lab's reset() puts back its own Redis key only."""
import base64
import json

from tests.helpers import bearer, jwt_login

LAB = "http://localhost:5000"


def guided(client, *labs):
    """Headers of the inspector page's own requests: the learner's ticket, the guides shown."""
    ticket = client.get("/api/guide/ticket", base_url=LAB).get_json()["ticket"]
    return {"X-Lab-Guide": ticket, "X-Lab-Guide-Labs": " ".join(labs)}


def steps(client, lab, headers):
    body = client.get(f"/api/guide/{lab}", base_url=LAB, headers=headers).get_json()
    return {s["id"]: s for s in body["steps"]}


def states(client, lab, headers):
    return {k: v["state"] for k, v in steps(client, lab, headers).items()}


def inspect(client, headers, token, **body):
    res = client.post("/api/inspect", json=dict(body, token=token), base_url=LAB, headers=headers)
    assert res.status_code == 200, res.get_json()
    return res.get_json()


def b64(obj):
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def tampered(token):
    head, body, sig = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return f"{head}.{b64(dict(payload, role='admin'))}.{sig}"


# --- Inspector ----------------------------------------------------------------------------------

def test_inspector_steps_follow_what_the_server_was_asked_and_answered(client):
    headers = guided(client, "inspector", "forge")
    token = jwt_login(client)["access_token"]
    assert set(states(client, "inspector", headers).values()) == {""}
    inspect(client, headers, token)  # no key: decoded only
    assert states(client, "inspector", headers) == {"decode": "ok", "verify-lab": "",
                                                    "tamper": ""}
    # Tampering before the lab's key ever verified: the tamper step waits for its turn ("after").
    inspect(client, headers, tampered(token), lab_key=True)
    found = steps(client, "inspector", headers)
    assert found["tamper"]["state"] == ""
    # ...and the same answer is a wrong outcome for "verify with the lab's key": red, with why.
    assert found["verify-lab"]["state"] == "bad"
    assert "a verified signature" in found["verify-lab"]["detail"]
    inspect(client, headers, token, lab_key=True)
    assert states(client, "inspector", headers)["verify-lab"] == "ok"
    inspect(client, headers, tampered(token), lab_key=True)
    assert states(client, "inspector", headers) == {"decode": "ok", "verify-lab": "ok",
                                                    "tamper": "ok"}


def test_inspector_with_a_pasted_key_credits_neither_key_step(client):
    headers = guided(client, "inspector")
    token = jwt_login(client)["access_token"]
    inspect(client, headers, token, key="not-the-secret")
    assert set(states(client, "inspector", headers).values()) == {""}


# --- Forge --------------------------------------------------------------------------------------

def alice_token(client):
    token = jwt_login(client)["access_token"]
    head, body, sig = token.split(".")
    decode = lambda part: json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return decode(head), dict(decode(body), role="admin"), sig


def forge(client, headers, recipe, **options):
    header, payload, sig = alice_token(client)
    res = client.post("/api/lab/forge/make", base_url=LAB, headers=headers, json={
        "recipe": recipe, "header": header, "payload": payload, "options": options,
        "signature": sig})
    assert res.status_code == 200, res.get_json()
    return res.get_json()["token"]


def door(client, headers, token, verifier, flaws=()):
    return client.post("/api/lab/forge/admin", base_url=LAB, json={
        "verifier": verifier, "flaws": list(flaws)}, headers=dict(headers, **bearer(token)))


def test_forge_none_step_needs_the_naive_door_open_and_the_real_one_shut(client):
    headers = guided(client, "inspector", "forge")
    token = forge(client, headers, "none", casing="nOnE")
    assert door(client, headers, token, "real").status_code == 401
    found = steps(client, "forge", headers)["none"]
    assert found["state"] == "" and found["parts"] == ["", "ok"]  # one of two records
    assert door(client, headers, token, "naive", ["accept-none"]).status_code == 200
    assert states(client, "forge", headers) == {"tamper": "", "none": "ok", "jwk": "",
                                                "expired": ""}


def test_forge_naive_door_shut_is_a_red_step(client):
    """Without the flaw switched on, the naive verifier refuses alg none: the step is red with
    the status the server answered."""
    headers = guided(client, "forge")
    token = forge(client, headers, "none")
    assert door(client, headers, token, "naive", []).status_code == 401
    found = steps(client, "forge", headers)["none"]
    assert found["state"] == "bad" and found["detail"].startswith("401")
    assert door(client, headers, token, "naive", ["accept-none"]).status_code == 200
    assert door(client, headers, token, "real").status_code == 401
    assert states(client, "forge", headers)["none"] == "ok"


def test_forge_every_attack_step(client):
    headers = guided(client, "forge")
    kept = forge(client, headers, "keep")
    assert door(client, headers, kept, "naive").status_code == 401
    assert door(client, headers, kept, "real").status_code == 401
    embedded = forge(client, headers, "embed-jwk")
    assert door(client, headers, embedded, "naive", ["key-from-jwk"]).status_code == 200
    assert door(client, headers, embedded, "real").status_code == 401
    expired = forge(client, headers, "preset", preset="expired")
    assert door(client, headers, expired, "naive", ["skip-exp"]).status_code == 200
    assert door(client, headers, expired, "real").status_code == 401
    assert states(client, "forge", headers) == {"tamper": "ok", "none": "", "jwk": "ok",
                                                "expired": "ok"}


def test_forge_reset_drops_the_learners_key_and_nothing_else(client, r):
    headers = guided(client, "forge")
    forge(client, headers, "embed-jwk")  # makes the learner's (attacker's) key
    assert r.exists("attacker:forge:key")
    r.set("lab:weak:node-secret", "kimchi123")  # another lab's state
    answer = client.post("/api/guide/forge/reset", base_url=LAB, headers=headers).get_json()
    assert answer["shared_reset"] is True
    assert not r.exists("attacker:forge:key")
    assert r.get("lab:weak:node-secret") == b"kimchi123"
    # A new key is made on the next forge: the lab still works.
    forge(client, headers, "embed-jwk")
    assert r.exists("attacker:forge:key")


def test_a_genuine_signature_is_never_the_tamper_step(client):
    """Tampering means the signature no longer matches: a token the server signed itself (an
    unchanged one, or a preset with bad claims) at the door is no evidence of it."""
    headers = guided(client, "forge")
    genuine = jwt_login(client)["access_token"]
    assert door(client, headers, genuine, "naive").status_code == 403  # alice is no admin
    early = forge(client, headers, "preset", preset="not-yet-valid")
    assert door(client, headers, early, "naive").status_code == 401
    assert door(client, headers, early, "real").status_code == 401
    assert set(states(client, "forge", headers).values()) == {""}
    # A stripped signature is a signature that does not match, like a kept one.
    stripped = forge(client, headers, "strip")
    assert door(client, headers, stripped, "naive").status_code == 401
    assert door(client, headers, stripped, "real").status_code == 401
    assert states(client, "forge", headers)["tamper"] == "ok"


def test_tamper_and_expired_steps_on_an_rs256_lab(make_app):
    """With a private/public key pair the genuine-signature test uses the public key."""
    app = make_app(JWT_ALGORITHM="RS256")
    client = app.test_client()
    headers = guided(client, "forge")
    kept = forge(client, headers, "keep")
    assert door(client, headers, kept, "naive").status_code == 401
    assert door(client, headers, kept, "real").status_code == 401
    expired = forge(client, headers, "preset", preset="expired")
    assert door(client, headers, expired, "naive", ["skip-exp"]).status_code == 200
    assert door(client, headers, expired, "real").status_code == 401
    assert states(client, "forge", headers) == {"tamper": "ok", "none": "", "jwk": "",
                                                "expired": "ok"}
