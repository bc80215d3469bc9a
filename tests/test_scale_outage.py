"""The store going away: "pull the plug on Redis" really stops the shared redis-server. Sessions
are refused for the outage (fail closed by nature); the JWT revocation check fails closed by
default and, on a node switched to fail-open, lets a revoked token back in. Once Redis is back,
nothing is lost."""
import signal
import time

import redis

from bench.app_process import alive
from tests.helpers import bearer, jwt_login as inprocess_jwt_login
from tests.scale_cluster import Cluster, Jar, jwt_login, request, session_login


def test_the_revocation_check_fails_closed_by_default(make_app):
    app = make_app()
    client = app.test_client()
    token = inprocess_jwt_login(client)["access_token"]
    assert client.post("/api/jwt/logout", headers=bearer(token)).status_code == 200
    assert "LAB_REVOCATION_FAIL_OPEN" not in app.config  # never a default, never from the env
    app.extensions["lab_redis"] = redis.Redis(unix_socket_path="/nonexistent/redis.sock",
                                              socket_timeout=0.2)
    response = client.get("/api/jwt/me", headers=bearer(token))
    assert response.status_code == 503 and response.get_json()["error"] == "store_unavailable"
    lab = client.get("/api/lab/scale/jwt-me-fail-mode", headers=bearer(token))
    assert lab.status_code == 503  # the lab's endpoint, fail-closed like the real one by default
    app.config["LAB_REVOCATION_FAIL_OPEN"] = True  # the lab switch: the bug, on purpose
    # The real check has no such switch: it still refuses.
    assert client.get("/api/jwt/me", headers=bearer(token)).status_code == 503
    response = client.get("/api/lab/scale/jwt-me-fail-mode", headers=bearer(token))
    assert response.status_code == 200  # a revoked token, accepted by the fail-open lab check
    assert response.get_json()["revocation"] == "skipped"
    assert "revocation-fail-open" in response.headers["Server-Timing"]


def _wait_health(url, status, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if request(f"{url}/healthz")[0] == status:
            return
        time.sleep(0.2)
    raise AssertionError(f"{url}/healthz never answered {status}")


def test_pull_the_plug_on_redis(tmp_path_factory):
    cluster = Cluster(str(tmp_path_factory.mktemp("outage") / "instance"), nodes=2,
                      args=["--no-balancer"])
    try:
        one, two = cluster.urls
        jar = Jar()
        session_login(one, jar)
        live = jwt_login(one)[2]["access_token"]
        revoked = jwt_login(one)[2]["access_token"]
        assert request(f"{one}/api/jwt/logout", "POST", body={},
                       headers={"Authorization": f"Bearer {revoked}"})[0] == 200
        for url in (one, two):
            assert request(f"{url}/api/jwt/me", headers={"Authorization": f"Bearer {revoked}"}
                           )[0] == 401
        assert request(f"{two}/api/lab/scale/fail-mode", "POST", body={"mode": "open"})[1] \
            is not None
        assert cluster.node(1)["fail_mode"] == "open" and cluster.node(0)["fail_mode"] == "closed"
        redis_pid = next(pid for pid in cluster.descendants() if "redis-server" in
                         open(f"/proc/{pid}/cmdline").read())

        assert request(f"{one}/api/lab/scale/redis-outage", "POST", body={"seconds": 120})[0] \
            == 202
        _wait_health(one, 503)
        assert not alive(redis_pid)  # really stopped
        # Sessions: nobody is logged in while the store is away.
        assert request(f"{one}/api/session/me", jar=jar)[0] != 200
        # JWT, fail-closed node: even the good token is refused (503), and so is the revoked one.
        for token in (live, revoked):
            status, _h, data = request(f"{one}/api/jwt/me",
                                       headers={"Authorization": f"Bearer {token}"})
            assert status == 503 and data["error"] == "store_unavailable"
        # JWT, fail-open node: through the lab's check, the revoked token is back to life; the
        # real /api/jwt/me on that same node still fails closed.
        status, headers, data = request(f"{two}/api/lab/scale/jwt-me-fail-mode",
                                        headers={"Authorization": f"Bearer {revoked}"})
        assert status == 200 and "revocation-fail-open" in headers["Server-Timing"]
        assert request(f"{two}/api/jwt/me",
                       headers={"Authorization": f"Bearer {revoked}"})[0] == 503

        assert request(f"{one}/api/lab/scale/redis-restore", "POST", body={})[0] == 202
        _wait_health(one, 200)
        _wait_health(two, 200)
        # Nothing lost: the session, and the revocation, are still there.
        status, _h, data = request(f"{two}/api/session/me", jar=jar)
        assert status == 200 and data["user"]["username"] == "alice"
        for url in (one, two):
            assert request(f"{url}/api/jwt/me", headers={"Authorization": f"Bearer {revoked}"}
                           )[0] == 401
            assert request(f"{url}/api/jwt/me", headers={"Authorization": f"Bearer {live}"}
                           )[0] == 200
    finally:
        # Even a supervisor killed outright (SIGKILL: no handler runs) takes its children with
        # it: each was started with PR_SET_PDEATHSIG, so the nodes, HAProxy and redis-server
        # get SIGTERM from the kernel and shut down as usual.
        tree = cluster.descendants()
        assert len(tree) >= 3
        assert cluster.stop(signal.SIGKILL) == -signal.SIGKILL
        assert not [pid for pid in tree if alive(pid) and not cluster.wait_down(pid, 15)]
