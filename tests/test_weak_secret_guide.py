"""The weak-secret lab's guided steps (auth/labs/weaksecret/guide.py) over HTTP: the node's
answers and the crack job as the server keeps it record each step; a secret outside the list
records the crack step red; reset() drops the node's secret and the jobs, nothing else."""
import json
import time

import pytest

from auth.labs.weaksecret import crack
from tests.helpers import bearer

LAB = "http://localhost:5000"


@pytest.fixture
def words(tmp_path, monkeypatch):
    path = tmp_path / "words.txt"
    path.write_text("alpha\nkimchi\nzulu\n")
    monkeypatch.setattr(crack, "WORDLIST", str(path))


def guided(client):
    ticket = client.get("/api/guide/ticket", base_url=LAB).get_json()["ticket"]
    return {"X-Lab-Guide": ticket, "X-Lab-Guide-Labs": "weaksecret"}


def steps(client, headers):
    body = client.get("/api/guide/weaksecret", base_url=LAB, headers=headers).get_json()
    return {s["id"]: s for s in body["steps"]}


def states(client, headers):
    return {k: v["state"] for k, v in steps(client, headers).items()}


def run_crack(client, headers, token):
    res = client.post("/api/lab/weak/crack", json={"token": token}, base_url=LAB, headers=headers)
    assert res.status_code == 202
    job = res.get_json()["job"]
    while True:  # bounded: a few hundred guesses
        status = client.get(f"/api/lab/weak/crack/{job}", base_url=LAB, headers=headers).get_json()
        if status["state"] != "running":
            return status
        time.sleep(0.02)


def issue(client, headers):
    res = client.post("/api/lab/weak/node/token", json={}, base_url=LAB, headers=headers)
    assert res.status_code == 200
    return res.get_json()["token"]


def test_issue_crack_forge_and_the_real_token(client, words):
    headers = guided(client)
    token = issue(client, headers)
    assert states(client, headers) == {"issue": "ok", "crack": "", "forge": "", "real": ""}
    status = run_crack(client, headers, token)
    assert status["state"] == "found"
    assert states(client, headers)["crack"] == "ok"
    head, body, _sig = (crack._b64url(p) for p in token.split("."))
    made = client.post("/api/lab/forge/make", base_url=LAB, headers=headers, json={
        "recipe": "secret", "header": json.loads(head),
        "payload": dict(json.loads(body), role="admin"), "options": {"secret": status["found"]},
    }).get_json()["token"]
    knock = client.post("/api/lab/weak/node/admin", base_url=LAB,
                        headers=dict(headers, **bearer(made)))
    assert knock.status_code == 200
    assert states(client, headers)["forge"] == "ok"
    real = client.post("/api/jwt/login", json={"username": "alice", "password": "alice123"},
                       base_url=LAB, headers=headers).get_json()["access_token"]
    assert run_crack(client, headers, real)["state"] == "exhausted"
    assert states(client, headers) == {"issue": "ok", "crack": "ok", "forge": "ok", "real": "ok"}


def test_a_secret_outside_the_list_is_a_red_crack_step(client, words, r):
    headers = guided(client)
    r.set("lab:weak:node-secret", "Zx9!not-in-any-list-4f1c")
    token = issue(client, headers)
    assert run_crack(client, headers, token)["state"] == "exhausted"
    found = steps(client, headers)
    assert found["crack"]["state"] == "bad"
    assert found["crack"]["detail"] == "200 (expected the secret found)"
    # That job was on the node's token: it says nothing about the real app's token.
    assert found["real"]["state"] == ""
    # The node's own (unforged) token at the admin door, after no successful crack: nothing.
    client.post("/api/lab/weak/node/admin", base_url=LAB, headers=dict(headers, **bearer(token)))
    assert states(client, headers)["forge"] == ""


def test_reset_drops_the_nodes_secret_and_the_jobs_only(client, words, r):
    headers = guided(client)
    token = issue(client, headers)
    run_crack(client, headers, token)
    secret = r.get("lab:weak:node-secret")
    assert secret and list(r.scan_iter(match="lab:weak:job:*"))
    r.set("attacker:forge:key", "another lab's")
    answer = client.post("/api/guide/weaksecret/reset", base_url=LAB, headers=headers).get_json()
    assert answer["shared_reset"] is True
    assert not r.exists("lab:weak:node-secret")
    assert not list(r.scan_iter(match="lab:weak:job:*"))
    assert r.get("attacker:forge:key") == b"another lab's"
    assert set(states(client, headers).values()) == {""}
    # The node draws a new secret at its next login (a new word: the old one may come again).
    new = issue(client, headers)
    assert r.exists("lab:weak:node-secret")
    assert client.post("/api/lab/weak/node/admin", base_url=LAB,
                       headers=bearer(new)).status_code == 403
    r.delete("attacker:forge:key")


def test_reset_from_the_lan_leaves_the_secret(client, words, r):
    headers = guided(client)
    issue(client, headers)
    answer = client.post("/api/guide/weaksecret/reset", base_url=LAB, headers=headers,
                         environ_base={"REMOTE_ADDR": "192.168.1.20"}).get_json()
    assert answer["shared_reset"] is False
    assert r.exists("lab:weak:node-secret")
