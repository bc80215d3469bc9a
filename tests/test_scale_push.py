"""Revocation across nodes with real processes: each node asking Redis (today's check) versus a
node-local view fed by a Redis push (pub/sub) — and the real bug: a node whose subscription
dropped never hears the revocation and keeps accepting the token; the fix reloads on reconnect."""
import time

from bench.app_process import alive
from tests.scale_cluster import Cluster, jwt_login, request


def _local(url, token):
    return request(f"{url}/api/lab/scale/jwt-me-local",
                   headers={"Authorization": f"Bearer {token}"})


def _push(url, **body):
    status, _h, data = request(f"{url}/api/lab/scale/push", "POST", body=body)
    assert status == 200, data
    return data


def test_a_broken_push_leaves_a_stale_node_and_resync_fixes_it(tmp_path_factory):
    cluster = Cluster(str(tmp_path_factory.mktemp("push") / "instance"), nodes=2,
                      args=["--no-balancer"])
    try:
        one, two = cluster.urls
        for url in cluster.urls:
            assert request(f"{url}/api/lab/scale/push")[2]["connected"] is True

        # The push works: a logout on node-1 reaches node-2's memory.
        good = jwt_login(one)[2]["access_token"]
        assert _local(two, good)[0] == 200
        status, headers, _d = request(f"{one}/api/jwt/logout", "POST", body={},
                                      headers={"Authorization": f"Bearer {good}"})
        assert status == 200 and "redis-publish" in headers["Server-Timing"]
        deadline = time.monotonic() + 30
        while _local(two, good)[0] != 401 and time.monotonic() < deadline:
            time.sleep(0.1)
        status, headers, _d = _local(two, good)
        assert status == 401 and "local-view" in headers["Server-Timing"]
        assert "redis-" not in headers["Server-Timing"].replace("redis-publish", "")

        # The bug: node-2's subscription drops; the revocation is published while it is away.
        token = jwt_login(one)[2]["access_token"]
        assert _push(two, connected=False)["connected"] is False
        assert request(f"{one}/api/jwt/logout", "POST", body={},
                       headers={"Authorization": f"Bearer {token}"})[0] == 200
        assert _local(one, token)[0] == 401
        assert _local(two, token)[0] == 200  # the stale node accepts a revoked token
        assert request(f"{two}/api/jwt/me", headers={"Authorization": f"Bearer {token}"}
                       )[0] == 401  # asking Redis (today's check) is never stale
        # Reconnecting alone does not help: pub/sub does not replay what was missed.
        _push(two, connected=True, resync=False)
        assert _local(two, token)[0] == 200
        # The fix: after (re)subscribing, reload the whole denylist from Redis.
        _push(two, connected=False)
        status = _push(two, connected=True, resync=True)
        assert status["connected"] and status["reloads"] >= 2
        assert _local(two, token)[0] == 401
    finally:
        tree = cluster.descendants()
        assert cluster.stop() == 0
        assert not [pid for pid in tree if alive(pid) and not cluster.wait_down(pid, 15)]


def test_reload_reads_back_revoked_families_and_denied_tokens(r):
    """A node (re)joining reads the whole denylist: family ids come out of the hash-tagged keys."""
    from auth.cluster.localview import LocalView
    from auth.tokens import store as token_store

    r.flushall()  # this test builds no app (which would start from an empty Redis itself)
    fam, jti = "a" * 32, "b" * 32
    r.set(token_store.revoked_key(fam), "1", ex=60)
    r.set(token_store.deny_key(jti, "c" * 32), "1", ex=60)
    view = LocalView(r)
    view.reload()
    assert view.fams == {fam} and view.jtis == {jti}
    assert view.revoked({"jti": "d" * 32, "fam": fam})
    assert not view.revoked({"jti": "d" * 32, "fam": "e" * 32})
