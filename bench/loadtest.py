"""`make loadtest [STUDENTS=500]`: a class (Locust, headless) against `python app.py` (waitress).

The server runs exactly as `make run` starts it, on a free port, with its own temporary
INSTANCE_PATH (so its own embedded Redis); it is stopped with SIGTERM at the end, and we check
that its redis-server went with it. Writes docs/bench/loadtest.json and loadtest.md.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile

from bench import app_process, locust_report, machine

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PASSWORD = "classroom-pass"


def _locust(url, args, csv_prefix):
    env = dict(os.environ, STUDENTS=str(args.users), STUDENT_PASSWORD=PASSWORD,
               RELOGIN_SECONDS=str(args.relogin_seconds))
    command = [sys.executable, "-m", "locust", "-f", os.path.join(ROOT, "bench", "locustfile.py"),
               "--headless", "--users", str(args.users), "--spawn-rate", str(args.spawn_rate),
               "--run-time", f"{args.seconds}s", "--host", url, "--csv", csv_prefix,
               "--only-summary", "--stop-timeout", "15", "--loglevel", "WARNING"]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=args.seconds + 120)
    if done.returncode not in (0, 1):  # 1: some requests failed (counted in the report)
        raise RuntimeError(f"locust exited {done.returncode}:\n{done.stderr[-3000:]}")
    return done.stderr[-2000:]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=int(os.environ.get("STUDENTS") or 50))
    parser.add_argument("--seconds", type=int, default=None,
                        help="default: 60, or long enough for the whole class to arrive + 60")
    # The class arrives over 10 s, not in one instant: each arrival starts with a login, and a
    # login is a deliberately slow password hash (scrypt, ~0.1 s of CPU).
    # A login costs ~0.1-0.2 s of CPU on purpose, two per student: a class of 500 arriving at
    # 5 a second would keep both cores busy with password hashes alone. Larger classes arrive
    # at 2 a second (500 students in about four minutes, as a room scanning a QR code does).
    parser.add_argument("--spawn-rate", type=float, default=None,
                        help="students arriving per second (default 5, or 2 above 100)")
    parser.add_argument("--relogin-seconds", type=float, default=300,
                        help="how often a student logs out and in again")
    parser.add_argument("--out", default=os.path.join(ROOT, "docs", "bench"))
    args = parser.parse_args(argv)
    if args.spawn_rate is None:
        args.spawn_rate = 5 if args.users <= 100 else 2
    if args.seconds is None:
        args.seconds = max(60, int(args.users / args.spawn_rate) + 60)
    info = machine.describe()
    with tempfile.TemporaryDirectory(prefix="lab-loadtest-") as tmp:
        server = app_process.Server(os.path.join(tmp, "instance"))
        try:
            info["redis"] = server.redis_version()
            print(f"server: {server.url} (pid {server.proc.pid}, redis pid {server.redis_pid})")
            for i in range(1, args.users + 1):
                server.signup(f"student{i:02d}", PASSWORD)
            server.warm_up("student01", PASSWORD)
            cpu_before = server.cpu_seconds()
            print(f"{args.users} students signed up; Locust runs for {args.seconds} s ...")
            tail = _locust(server.url, args, os.path.join(tmp, "locust"))
            cpu = {name: round(after - cpu_before[name], 2)
                   for name, after in server.cpu_seconds().items()}
        finally:
            shutdown = server.stop(signal.SIGTERM)
        rows = locust_report.read(os.path.join(tmp, "locust"))
    settings = {k: v for k, v in vars(args).items() if k != "out"}  # no local paths in results
    result = locust_report.assemble(info, settings, rows, cpu, shutdown)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "loadtest.json"), "w") as fh:
        json.dump(result, fh, indent=1)
        fh.write("\n")
    markdown = locust_report.markdown(result)
    with open(os.path.join(args.out, "loadtest.md"), "w") as fh:
        fh.write(markdown)
    print(tail)
    print(markdown)
    if shutdown["redis_left"]:
        sys.exit("a redis-server was left running after SIGTERM: " + shutdown["redis_left"])


if __name__ == "__main__":
    main()
