"""The scale-out lab with real processes: `python app.py --nodes 3` (three nodes, one shared
Redis, HAProxy), shared vs node-local sessions, sticky vs round-robin, stopping a node, and no
process left behind. One cluster for the whole module (it is restarted once, to switch store)."""
import os

import pytest

from auth.cluster import haproxy
from bench.app_process import alive
from tests.scale_cluster import Cluster, Jar, jwt_login, request, session_login

HAVE_HAPROXY = haproxy.find() is not None
if not HAVE_HAPROXY and os.environ.get("CI") == "true":
    raise RuntimeError("HAProxy is not installed: CI must install it (.ci/run, apt-get haproxy)")
needs_haproxy = pytest.mark.skipif(not HAVE_HAPROXY, reason="HAProxy is not installed")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    c = Cluster(str(tmp_path_factory.mktemp("scale") / "instance"))
    pids = {"supervisor": c.proc.pid, "tree": c.descendants()}
    c.pids = pids
    yield c
    c.stop()
    # No process left behind: every node, haproxy and redis-server the supervisor started.
    left = [pid for pid in c.descendants() + pids["tree"] if alive(pid)]
    assert not left, f"processes left behind: {left}\n{c.log()}"


def test_every_node_answers_with_its_name(cluster):
    for i, url in enumerate(cluster.urls):
        status, headers, data = request(f"{url}/api/lab/scale/ping")
        assert status == 200 and data["node"] == f"node-{i + 1}"
        assert headers["X-Lab-Node"] == f"node-{i + 1}"
        assert f'lab-node;desc="node-{i + 1}"' in headers["Server-Timing"]
    pids = {cluster.node(i)["pid"] for i in range(3)}
    assert len(pids) == 3 and cluster.proc.pid not in pids  # three separate processes


def test_every_page_shows_its_node(cluster):
    status, _h, html = request(f"{cluster.urls[1]}/", headers={"Accept": "text/html"})
    assert status == 200
    assert 'class="node-badge node-c2" id="lab-node"' in html and ">node-2</span>" in html


def test_only_the_first_node_serves_the_attackers_origin(cluster):
    assert request(f"http://127.0.0.1:{cluster.base + 100}/")[0] == 200
    assert request(f"http://127.0.0.1:{cluster.base + 101}/")[0] == 0


def test_shared_store_every_node_knows_the_session_and_the_jwt(cluster):
    jar = Jar()
    assert session_login(cluster.urls[0], jar) == "node-1"
    status, _h, tokens = jwt_login(cluster.urls[0])
    assert status == 200
    for i, url in enumerate(cluster.urls):
        status, headers, data = request(f"{url}/api/session/me", jar=jar)
        assert status == 200 and data["user"]["username"] == "alice"
        assert headers["X-Lab-Node"] == f"node-{i + 1}"
        status, _h, data = request(f"{url}/api/jwt/me",
                                   headers={"Authorization": f"Bearer {tokens['access_token']}"})
        assert status == 200 and data["user"]["username"] == "alice"


def test_cors_only_for_the_clusters_own_origins(cluster):
    own = f"http://127.0.0.1:{cluster.base}"
    _s, headers, _d = request(f"{cluster.urls[1]}/api/session/me", headers={"Origin": own})
    assert headers["Access-Control-Allow-Origin"] == own
    assert headers["Access-Control-Allow-Credentials"] == "true"
    assert "X-Lab-Node" in headers["Access-Control-Expose-Headers"]
    for other in (f"http://127.0.0.1:{cluster.base + 100}",  # the attacker's origin
                  f"http://evil.example:{cluster.base}", "null"):
        _s, headers, _d = request(f"{cluster.urls[1]}/api/session/me", headers={"Origin": other})
        assert "Access-Control-Allow-Origin" not in headers
    # A preflight for the bearer call: the lab's origin may send Authorization.
    status, headers, _d = request(f"{cluster.urls[2]}/api/jwt/me", "OPTIONS", headers={
        "Origin": own, "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization"})
    assert status == 200 and "Authorization" in headers["Access-Control-Allow-Headers"]


def test_the_lab_page_allows_fetches_to_the_other_nodes_only(cluster):
    status, headers, html = request(f"{cluster.urls[0]}/labs/scale",
                                    headers={"Accept": "text/html"})
    assert status == 200 and "scale.js" in html
    csp = headers["Content-Security-Policy"]
    for port in (cluster.base + 1, cluster.base + 2):
        assert f"http://127.0.0.1:{port}" in csp
    assert str(cluster.base + 100) not in csp


@needs_haproxy
def test_haproxy_round_robin_and_sticky(cluster):
    seen = [request(f"{cluster.balancer}/api/lab/scale/ping")[1]["X-Lab-Node"] for _ in range(6)]
    assert set(seen) == {"node-1", "node-2", "node-3"}
    jar = Jar()
    _s, headers, _d = request(f"{cluster.balancer}/api/lab/scale/ping?lb=sticky", jar=jar)
    first = headers["X-Lab-Node"]
    assert jar.cookies[haproxy.STICKY_COOKIE] == first
    again = {request(f"{cluster.balancer}/api/lab/scale/ping?lb=sticky", jar=jar)[1]["X-Lab-Node"]
             for _ in range(5)}
    assert again == {first}
    cfg = open(os.path.join(os.path.dirname(cluster.log_path), "instance", "cluster",
                            "haproxy.cfg")).read()
    assert "balance roundrobin" in cfg and f"cookie {haproxy.STICKY_COOKIE} insert" in cfg


def test_controls_refused_through_the_balancer_and_without_json(cluster):
    assert request(f"{cluster.urls[2]}/api/lab/scale/stop", "POST", form={"x": "1"})[0] == 415
    assert request(f"{cluster.urls[2]}/api/lab/scale/stop", "POST", body={},
                   headers={"X-Lab-Balanced-For": "10.0.0.7"})[0] == 403
    assert alive(cluster.node(2)["pid"])


@needs_haproxy
def test_controls_refused_through_the_balancer(cluster):
    status, headers, data = request(f"{cluster.balancer}/api/lab/scale/stop", "POST", body={})
    assert status == 403 and data["error"] == "not_local"


@needs_haproxy
def test_a_stopped_node_really_exits_and_round_robin_skips_it(cluster):
    pid = cluster.node(2)["pid"]
    status, _h, data = request(f"{cluster.urls[2]}/api/lab/scale/stop", "POST", body={})
    assert status == 202 and data["pid"] == pid
    assert cluster.wait_down(pid)
    assert request(f"{cluster.urls[2]}/api/lab/scale/ping")[0] == 0
    answers = [request(f"{cluster.balancer}/api/lab/scale/ping") for _ in range(6)]
    assert all(status == 200 for status, _h, _d in answers)
    assert {h["X-Lab-Node"] for _s, h, _d in answers} == {"node-1", "node-2"}
    # Started again through the control channel (any live node asks the supervisor).
    assert request(f"{cluster.urls[0]}/api/lab/scale/start", "POST", body={"node": "node-3"})[0] \
        == 202
    cluster.wait_up(2)
    assert cluster.node(2)["pid"] != pid
    cluster.wait_balanced()


@needs_haproxy
def test_node_local_sessions_sticky_routing_hides_it_until_the_node_dies(cluster):
    old = [cluster.node(i)["pid"] for i in range(3)]
    status, _h, data = request(f"{cluster.urls[0]}/api/lab/scale/store", "POST",
                               body={"session_store": "local"})
    assert status == 202, (status, data, cluster.log()[-3000:])
    for i in range(3):
        assert cluster.wait_down(old[i])
        cluster.wait_up(i)
    cluster.wait_balanced()
    nodes = [cluster.node(i) for i in range(3)]
    assert all(n["session_store"] == "local" for n in nodes)
    cluster.local_redis = [n["session_redis_pid"] for n in nodes]
    assert len(set(cluster.local_redis)) == 3 and all(map(alive, cluster.local_redis))

    jar = Jar()
    home = session_login(cluster.balancer, jar, suffix="?lb=sticky")
    answers = {f"node-{i + 1}": request(f"{url}/api/session/me", jar=jar)
               for i, url in enumerate(cluster.urls)}
    assert [n for n, (status, _h, _d) in answers.items() if status == 200] == [home]
    others = [a for n, a in answers.items() if n != home]
    assert all(status == 401 and data["error"] == "not_logged_in" for status, _h, data in others)
    # Sticky routing: always the node that has the session, so it looks fine.
    for _ in range(3):
        status, headers, _d = request(f"{cluster.balancer}/api/session/me?lb=sticky", jar=jar)
        assert status == 200 and headers["X-Lab-Node"] == home
    # Round-robin: only one answer in three knows alice.
    rr = [request(f"{cluster.balancer}/api/session/me", jar=jar) for _ in range(3)]
    assert sorted(status for status, _h, _d in rr) == [200, 401, 401]
    # The home node dies: sticky routing moves alice to a node that never saw her session.
    index = int(home.split("-")[1]) - 1
    pid = cluster.node(index)["pid"]
    request(f"{cluster.urls[index]}/api/lab/scale/stop", "POST", body={})
    assert cluster.wait_down(pid)
    status, headers, data = request(f"{cluster.balancer}/api/session/me?lb=sticky", jar=jar)
    assert status == 401 and headers["X-Lab-Node"] != home and data["error"] == "not_logged_in"
    request(f"{cluster.urls[(index + 1) % 3]}/api/lab/scale/start", "POST", body={"node": home})
    cluster.wait_up(index)


def test_sigterm_leaves_no_process_behind(cluster):
    """Last in the module: the supervisor stops every node, HAProxy and every redis-server
    (the shared one and, after the store switch, each node's own)."""
    tree = cluster.descendants()
    assert len(tree) >= 4  # three nodes and the shared redis-server (and haproxy)
    local = getattr(cluster, "local_redis", [])
    code = cluster.stop()
    assert code == 0, cluster.log()
    for pid in tree + local:
        assert cluster.wait_down(pid, timeout=15), f"pid {pid} still running"
