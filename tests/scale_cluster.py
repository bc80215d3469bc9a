"""`python app.py --nodes N` started by the tests, and plain HTTP helpers that carry cookies the
way a browser does for one host: whatever port set a cookie, every port of the host gets it."""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

from bench.app_process import ROOT, alive


def _free(port):
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_base(count):
    """A base port with base..base+count-1, base+10 (HAProxy) and base+100 (attacker) free."""
    import random

    for _ in range(200):
        base = random.randrange(20000, 40000)
        if all(_free(p) for p in [*range(base, base + count), base + 10, base + 100]):
            return base
    raise RuntimeError("no free ports")


class Jar:
    """Cookies of one host, sent to every port of it (RFC 6265 §8.5: cookies ignore ports)."""

    def __init__(self):
        self.cookies = {}

    def header(self):
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def take(self, headers):
        for line in headers.get_all("Set-Cookie") or []:
            pair = line.split(";", 1)[0]
            name, _sep, value = pair.partition("=")
            if "max-age=0" in line.lower() or "expires=thu, 01 jan 1970" in line.lower():
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value.strip()


def request(url, method="GET", body=None, headers=None, jar=None, form=None):
    """(status, headers, parsed JSON or text); a refused connection is (0, {}, None)."""
    headers = dict(headers or {})
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    elif form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    headers.setdefault("Accept", "application/json")
    headers.setdefault("Accept-Language", "en")
    if jar is not None and jar.cookies:
        headers["Cookie"] = jar.header()
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            status, got, raw = response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        status, got, raw = exc.code, exc.headers, exc.read()
    except OSError:
        return 0, {}, None
    if jar is not None:
        jar.take(got)
    try:
        return status, got, json.loads(raw)
    except ValueError:
        return status, got, raw.decode("utf-8", "replace")


def session_login(base_url, jar, username="alice", password="alice123", suffix=""):
    status, _h, data = request(f"{base_url}/session/csrf{suffix}", jar=jar)
    assert status == 200, data
    status, headers, data = request(f"{base_url}/session/login{suffix}", "POST", jar=jar,
                                    form={"username": username, "password": password},
                                    headers={"X-CSRFToken": data["csrf_token"]})
    assert status == 200, data
    return headers["X-Lab-Node"]


def jwt_login(base_url, username="alice", password="alice123"):
    return request(f"{base_url}/api/jwt/login", "POST",
                   body={"username": username, "password": password})


class Cluster:
    """`python app.py --nodes N ...` in its own instance folder, until stop()."""

    def __init__(self, instance_path, nodes=3, args=(), env=None, timeout=180):
        self.count = nodes
        self.base = free_base(nodes)
        self.urls = [f"http://127.0.0.1:{self.base + i}" for i in range(nodes)]
        self.balancer = f"http://127.0.0.1:{self.base + 10}"
        self.log_path = instance_path.rstrip("/") + ".log"
        environment = {k: v for k, v in os.environ.items()
                       if k not in ("REDIS_URL", "INSTANCE_PATH", "PORT", "HOST", "JWT_ALGORITHM")}
        environment.update(INSTANCE_PATH=instance_path, PYTHONUNBUFFERED="1", **(env or {}))
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "app.py", "--nodes", str(nodes), "--port", str(self.base),
                 *args], cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)
        self._wait_ready(timeout)

    def log(self):
        with open(self.log_path, errors="replace") as fh:
            return fh.read()

    def _wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"app.py --nodes exited {self.proc.returncode}: {self.log()}")
            if "Cluster ready" in self.log():
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the cluster did not start: {self.log()}")

    def node(self, i):
        """GET /api/lab/scale/node of node i (0-based): its pid, store, keys."""
        return request(f"{self.urls[i]}/api/lab/scale/node")[2]

    def wait_up(self, i, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if request(f"{self.urls[i]}/api/lab/scale/ping")[0] == 200:
                return
            time.sleep(0.2)
        raise RuntimeError(f"node {i + 1} did not come back: {self.log()}")

    def wait_balanced(self, count=None, timeout=60):
        """Until HAProxy's health checks route to `count` live nodes (round-robin)."""
        count = count or self.count
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            seen = [request(f"{self.balancer}/api/lab/scale/ping") for _ in range(count)]
            if all(s == 200 for s, _h, _d in seen) and \
                    len({h["X-Lab-Node"] for _s, h, _d in seen}) == count:
                return
            time.sleep(0.3)
        raise RuntimeError("HAProxy does not route to every node")

    def wait_down(self, pid, timeout=30):
        deadline = time.monotonic() + timeout
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        return not alive(pid)

    def descendants(self):
        """Every pid under the supervisor (nodes, redis-server, haproxy)."""
        out = subprocess.run(["ps", "-eo", "pid=,ppid="], capture_output=True, text=True).stdout
        children = {}
        for line in out.splitlines():
            pid, ppid = map(int, line.split())
            children.setdefault(ppid, []).append(pid)
        found, todo = [], [self.proc.pid]
        while todo:
            for child in children.get(todo.pop(), []):
                found.append(child)
                todo.append(child)
        return found

    def stop(self, signum=signal.SIGTERM, timeout=60):
        if self.proc.poll() is None:
            self.proc.send_signal(signum)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


def login_form_token(html):
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
