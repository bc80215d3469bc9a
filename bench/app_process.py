"""`python app.py` started the way `make run` serves it: its own port and INSTANCE_PATH, and so
its own embedded Redis. Used by the load test and the fault tests; stopped with a signal."""
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

import redis

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def alive(pid):
    """True while `pid` runs (a zombie waiting to be reaped counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class Server:
    def __init__(self, instance_path, timeout=90):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = instance_path.rstrip("/") + ".log"
        env = {k: v for k, v in os.environ.items()
               if k not in ("REDIS_URL", "INSTANCE_PATH", "PORT", "HOST")}
        env.update(INSTANCE_PATH=instance_path, PYTHONUNBUFFERED="1")
        # A file, not a pipe: a pipe nobody reads would block the server once it is full.
        with open(self.log_path, "w") as log:
            # Its own free port for the attacker origin too (port + 100 may be taken here).
            self.attacker_port = free_port()
            self.proc = subprocess.Popen([sys.executable, "app.py", "--port", str(self.port),
                                          "--attacker-port", str(self.attacker_port)],
                                         cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.socket_file = self._wait_ready(timeout)
        self.redis_pid = redis.Redis(unix_socket_path=self.socket_file).info("server")[
            "process_id"]

    def _wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"app.py exited {self.proc.returncode}: {self.log()}")
            found = re.search(r"Redis: embedded \((.+)\)", self.log())
            if found and self.request("GET", "/healthz")[0] == 200:
                return found.group(1)
            time.sleep(0.2)
        self.proc.kill()
        raise RuntimeError(f"app.py did not become healthy: {self.log()}")

    def redis_version(self):
        return redis.Redis(unix_socket_path=self.socket_file).info("server")["redis_version"]

    def log(self):
        with open(self.log_path, errors="replace") as fh:
            return fh.read()

    def request(self, method, path, body=None, headers=None):
        """(status, parsed JSON or text); a refused connection is status 0."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers=dict(headers or {}, **(
                                         {"Content-Type": "application/json"} if data else {})))
        try:
            with urllib.request.urlopen(req, timeout=30) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        except OSError:
            return 0, None
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw.decode("utf-8", "replace")

    def signup(self, username, password):
        status, body = self.request("POST", "/api/signup",
                                    {"username": username, "password": password})
        if status not in (201, 409):
            raise RuntimeError(f"signup {username}: {status} {body}")

    def warm_up(self, username, password):
        """Visit every page once, logged in, as an instructor would before class: the first
        render of each template compiles it, which is not what a class should measure."""
        import http.cookiejar

        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        html = opener.open(self.url + "/session/login", timeout=30).read().decode()
        token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        form = urllib.parse.urlencode({"username": username, "password": password,
                                       "csrf_token": token}).encode()
        opener.open(self.url + "/session/login", data=form, timeout=30).read()  # -> /session/
        for path in ("/", "/jwt/", "/signup", "/api/session/me"):
            opener.open(self.url + path, timeout=30).read()

    def cpu_seconds(self):
        """CPU time (user + system) used so far by the app and by its redis-server."""
        out = {}
        for name, pid in (("app", self.proc.pid), ("redis", self.redis_pid)):
            try:
                with open(f"/proc/{pid}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
                out[name] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            except OSError:
                out[name] = 0.0
        return out

    def stop(self, signum=signal.SIGTERM, timeout=30):
        """Signal the app, wait for it, and report whether its redis-server is gone too."""
        if self.proc.poll() is None:
            self.proc.send_signal(signum)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        deadline = time.monotonic() + 10
        while alive(self.redis_pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        listing = subprocess.run(["pgrep", "-af", "redis-server"], capture_output=True,
                                 text=True).stdout.strip()
        gone = not alive(self.redis_pid)
        ours = [line for line in listing.splitlines() if line.split()[0] == str(self.redis_pid)]
        return {"signal": signal.Signals(signum).name, "exit_code": code,
                "redis_pid": self.redis_pid, "redis_gone": gone,
                "redis_left": "" if gone else ("\n".join(ours) or f"pid {self.redis_pid}"),
                "pgrep_redis_server_after": listing}
