"""The weak-secret lab: the lab node's token is cracked from a fixed small word list, an admin
token is forged with the found secret, and the arithmetic for a 48-byte secret is shown."""
import time

import pytest

from auth.labs.weaksecret import crack

from .helpers import bearer


@pytest.fixture
def words(tmp_path, monkeypatch):
    path = tmp_path / "words.txt"
    path.write_text("# a fixed list for the test\nalpha\nkimchi\nzulu\n")
    monkeypatch.setattr(crack, "WORDLIST", str(path))
    return ["alpha", "kimchi", "zulu"]


def _crack(client, token):
    res = client.post("/api/lab/weak/crack", json={"token": token})
    assert res.status_code == 202, res.get_json()
    job = res.get_json()["job"]
    while True:  # the worker is bounded (a few thousand guesses here): it always ends
        status = client.get(f"/api/lab/weak/crack/{job}").get_json()
        if status["state"] != "running":
            return status
        time.sleep(0.02)


def test_crack_the_nodes_token_then_forge_an_admin_token(client, words):
    issued = client.post("/api/lab/weak/node/token", json={}).get_json()
    token = issued["token"]
    # The node's own token opens nothing admin; the real flow refuses it outright.
    assert client.post("/api/lab/weak/node/admin", headers=bearer(token)).status_code == 403
    assert client.get("/api/jwt/me", headers=bearer(token)).status_code == 401
    status = _crack(client, token)
    assert status["state"] == "found" and status["found"]
    assert status["found"].rstrip("0123456789!").lower() in words
    assert status["total"] == 3 * 3 * len(crack.SUFFIXES) and 0 < status["tried"] <= status["total"]
    assert status["rate"] > 0 and status["real_secret"]["bits"] == 384
    header, payload, _sig = (crack._b64url(p) for p in token.split("."))
    import json
    made = client.post("/api/lab/forge/make", json={
        "recipe": "secret", "header": json.loads(header),
        "payload": dict(json.loads(payload), role="admin"),
        "options": {"secret": status["found"]}}).get_json()["token"]
    res = client.post("/api/lab/weak/node/admin", headers=bearer(made))
    assert res.status_code == 200 and res.get_json()["admin"] is True
    # A wrong guess does not open it.
    wrong = client.post("/api/lab/forge/make", json={
        "recipe": "secret", "header": json.loads(header),
        "payload": dict(json.loads(payload), role="admin"),
        "options": {"secret": "not-it"}}).get_json()["token"]
    assert client.post("/api/lab/weak/node/admin", headers=bearer(wrong)).status_code == 401


def test_a_secret_outside_the_list_is_exhausted(client, words, r):
    r.set("lab:weak:node-secret", "Zx9!not-in-any-list-4f1c")
    token = client.post("/api/lab/weak/node/token", json={}).get_json()["token"]
    status = _crack(client, token)
    assert status["state"] == "exhausted" and status["found"] is None
    assert status["tried"] == status["total"]


def test_the_real_apps_token_is_not_cracked(client, words):
    real = client.post("/api/jwt/login", json={"username": "alice", "password": "alice123"})
    status = _crack(client, real.get_json()["access_token"])
    assert status["state"] == "exhausted"


def test_one_crack_at_a_time(client, words):
    token = client.post("/api/lab/weak/node/token", json={}).get_json()["token"]
    assert crack._busy.acquire(blocking=False)
    try:
        res = client.post("/api/lab/weak/crack", json={"token": token})
        assert res.status_code == 429 and res.headers["Retry-After"]
    finally:
        crack._busy.release()


@pytest.mark.parametrize("token", ["a.b", "a.b.c", "eyJhbGciOiJSUzI1NiJ9.e30.AAAA",
                                   "eyJhbGciOiJub25lIn0.e30."])
def test_bad_tokens_are_400(client, token):
    assert client.post("/api/lab/weak/crack", json={"token": token}).status_code == 400


def test_bad_job_ids(client):
    assert client.get("/api/lab/weak/crack/xyz").status_code == 400
    assert client.get("/api/lab/weak/crack/" + "0" * 32).status_code == 404


def test_the_arithmetic():
    reach = crack.out_of_reach(1_000_000)
    assert reach["bits"] == 384 and reach["log10_keys"] == 115.6
    assert reach["log10_years"] == pytest.approx(115.6 - 0.3 - 6 - 7.5, abs=0.2)


def test_the_page_renders(client):
    html = client.get("/labs/weak-secret").get_data(as_text=True)
    assert "48 random bytes" in html
