"""The scale-out lab page and API in a single process (no cluster): the page says how to start
one, the controls refuse, and no CORS header is ever added outside a cluster."""


def test_page_without_a_cluster_says_how_to_start_one(client):
    response = client.get("/labs/scale")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "make cluster" in html and 'id="not-cluster"' in html
    assert 'id="lab-node"' not in html  # a single process is no node: no badge
    assert "connect-src 'self';" in response.headers["Content-Security-Policy"]


def test_controls_refuse_outside_a_cluster(client):
    for path in ("/api/lab/scale/stop", "/api/lab/scale/start", "/api/lab/scale/store",
                 "/api/lab/scale/redis-outage", "/api/lab/scale/redis-restore"):
        response = client.post(path, json={})
        assert response.status_code == 409 and response.get_json()["error"] == "not_a_cluster"


def test_no_cors_outside_a_cluster(client):
    response = client.get("/api/session/me", headers={"Origin": "http://localhost:5001"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_node_status_and_ping_answer_without_a_cluster(client):
    assert client.get("/api/lab/scale/ping").get_json()["node"] is None
    data = client.get("/api/lab/scale/node").get_json()
    assert data["session_store"] == "shared" and data["fail_mode"] == "closed"
    assert data["redis"] == "ok" and not data["verify_only"]


def test_bad_switch_values_are_400(client):
    assert client.post("/api/lab/scale/fail-mode", json={"mode": "maybe"}).status_code == 400
    assert client.post("/api/lab/scale/push", json={"connected": "yes"}).status_code == 400
    assert client.post("/api/lab/scale/fail-mode", data="x",
                       content_type="text/plain").status_code == 415


def test_fail_open_switch_and_local_view_in_one_process(client, app):
    assert client.post("/api/lab/scale/fail-mode", json={"mode": "open"}).status_code == 200
    assert app.config["LAB_REVOCATION_FAIL_OPEN"] is True
    assert client.post("/api/lab/scale/fail-mode", json={"mode": "closed"}).status_code == 200
    assert app.config["LAB_REVOCATION_FAIL_OPEN"] is False
    status = client.get("/api/lab/scale/push").get_json()
    assert status["connected"] is True and status["reloads"] == 1
    assert client.post("/api/lab/scale/push", json={"connected": False}).get_json()[
        "connected"] is False
