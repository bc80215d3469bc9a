"""The scale-out lab's guided steps (auth/labs/scale/guide.py) over HTTP, in one process: the
nodes' own API records each step; "another node answered" is a cross-origin call (its Origin
names another port); the push steps follow the node's own local view; reset() puts this node's
switches back. (The cluster itself: tests/test_browser_scale.py.)"""

from tests.helpers import bearer

LAB = "http://localhost:5000"
OTHER_NODE = {"Origin": "http://localhost:5001"}  # the page was served by another node


def guided(client):
    ticket = client.get("/api/guide/ticket", base_url=LAB).get_json()["ticket"]
    return {"X-Lab-Guide": ticket, "X-Lab-Guide-Labs": "scale"}


def steps(client, headers):
    body = client.get("/api/guide/scale", base_url=LAB, headers=headers).get_json()
    return {s["id"]: s for s in body["steps"]}


def states(client, headers):
    return {k: v["state"] for k, v in steps(client, headers).items()}


def login_both(client, headers):
    csrf = client.get("/session/csrf", base_url=LAB).get_json()["csrf_token"]
    res = client.post("/session/login", base_url=LAB,
                      headers=dict(headers, **{"X-CSRFToken": csrf}),
                      data={"username": "alice", "password": "alice123"})
    assert res.status_code in (200, 303)
    res = client.post("/api/jwt/login", base_url=LAB, headers=headers,
                      json={"username": "alice", "password": "alice123"})
    return res.get_json()["access_token"]


def test_nodes_and_another_node_answering(client):
    headers = guided(client)
    assert client.get("/api/lab/scale/node", base_url=LAB, headers=headers).status_code == 200
    token = login_both(client, headers)
    # Asked on the page's own node (no Origin): that proves nothing about the others.
    client.get("/api/session/me", base_url=LAB, headers=headers)
    client.get("/api/jwt/me", base_url=LAB, headers=dict(headers, **bearer(token)))
    assert states(client, headers) == {"nodes": "ok", "ask": "", "stop": "", "push-broken": "",
                                       "push-fixed": ""}
    cross = dict(headers, **OTHER_NODE)
    assert client.get("/api/session/me", base_url=LAB, headers=cross).status_code == 200
    me = client.get("/api/jwt/me", base_url=LAB, headers=dict(cross, **bearer(token)))
    assert me.status_code == 200
    assert states(client, headers)["ask"] == "ok"


def test_another_node_that_does_not_know_alice_is_red(client):
    """What a node-local store answers: the other node has no such session, 401."""
    headers = guided(client)
    res = client.get("/api/session/me", base_url=LAB, headers=dict(headers, **OTHER_NODE))
    assert res.status_code == 401
    found = steps(client, headers)["ask"]
    assert found["state"] == "bad" and found["detail"].startswith("401")


def test_stop_outside_a_cluster_is_red_with_the_servers_answer(client):
    headers = guided(client)
    stop = client.post("/api/lab/scale/stop", base_url=LAB, json={}, headers=headers)
    assert stop.status_code == 409
    found = steps(client, headers)["stop"]
    assert found["state"] == "bad" and found["detail"].startswith("409")


def revoked_token(client, headers):
    token = client.post("/api/jwt/login", base_url=LAB, headers=headers, json={
        "username": "alice", "password": "alice123"}).get_json()["access_token"]
    assert client.post("/api/jwt/logout", base_url=LAB, json={},
                       headers=dict(headers, **bearer(token))).status_code == 200
    return token


def local_view(client, headers, token):
    return client.get("/api/lab/scale/jwt-me-local", base_url=LAB,
                      headers=dict(headers, **bearer(token))).status_code


def test_a_broken_push_then_the_fix(client):
    headers = guided(client)
    client.get("/api/lab/scale/push", base_url=LAB)  # the local view, connected
    # (One process publishes nothing, so even a connected view misses this revocation; but a
    # connected view's answer is never evidence of a broken push.)
    local_view(client, headers, revoked_token(client, headers))
    assert states(client, headers)["push-broken"] == ""
    res = client.post("/api/lab/scale/push", base_url=LAB, json={"connected": False},
                      headers=headers)
    assert res.get_json()["connected"] is False
    token = revoked_token(client, headers)
    assert local_view(client, headers, token) == 200  # the bug: revoked, accepted
    assert states(client, headers)["push-broken"] == "ok"
    # Reconnecting without the reload: the missed revocation stays missed (a red fix step).
    client.post("/api/lab/scale/push", base_url=LAB, json={"connected": True, "resync": False},
                headers=headers)
    assert local_view(client, headers, token) == 200
    found = steps(client, headers)["push-fixed"]
    assert found["state"] == "bad" and found["detail"].startswith("200")
    client.post("/api/lab/scale/push", base_url=LAB, json={"connected": False}, headers=headers)
    client.post("/api/lab/scale/push", base_url=LAB, json={"connected": True, "resync": True},
                headers=headers)
    assert local_view(client, headers, token) == 401
    assert states(client, headers)["push-fixed"] == "ok"


def test_reset_puts_this_nodes_switches_back(client, app, r):
    headers = guided(client)
    client.post("/api/lab/scale/fail-mode", base_url=LAB, json={"mode": "open"}, headers=headers)
    client.post("/api/lab/scale/push", base_url=LAB, json={"connected": False}, headers=headers)
    assert app.config["LAB_REVOCATION_FAIL_OPEN"] is True
    r.set("lab:refresh-reuse-grace", "9")  # another lab's switch
    answer = client.post("/api/guide/scale/reset", base_url=LAB, headers=headers).get_json()
    assert answer["shared_reset"] is True
    assert app.config["LAB_REVOCATION_FAIL_OPEN"] is False
    status = client.get("/api/lab/scale/push", base_url=LAB).get_json()
    assert status["connected"] is True and status["resync_on_reconnect"] is True
    assert r.get("lab:refresh-reuse-grace") == b"9"
    assert set(states(client, headers).values()) == {""}
    r.delete("lab:refresh-reuse-grace")


def test_a_revoked_token_checked_by_another_node_says_nothing_about_the_ask_step(client):
    """The push steps send a revoked token to every node: its 401 must not turn "another node
    answers for alice" red."""
    headers = guided(client)
    token = login_both(client, headers)
    cross = dict(headers, **OTHER_NODE)
    client.get("/api/session/me", base_url=LAB, headers=cross)
    client.get("/api/jwt/me", base_url=LAB, headers=dict(cross, **bearer(token)))
    assert states(client, headers)["ask"] == "ok"
    revoked = revoked_token(client, headers)
    assert client.get("/api/jwt/me", base_url=LAB,
                      headers=dict(cross, **bearer(revoked))).status_code == 401
    assert states(client, headers)["ask"] == "ok"
