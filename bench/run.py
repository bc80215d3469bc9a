"""`make bench`: baseline, session, JWT (every algorithm) and refresh, side by side in one run.

Through waitress: median/p99 latency and requests/s under concurrency, bytes on the wire.
In-process: server time per request, each auth step next to its library floor, Redis commands
and round trips, a profile, Redis memory per session and per denylist entry at 1k and 100k.
Writes docs/bench/results.json and docs/bench/chart.svg.
"""
import argparse
import json
import os
import subprocess
import sys

from auth.labs.cost import chart as cost_chart, probe as cost_probe
from bench import apps_in_process, machine, ratio, report, steps

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _scenarios(lab, concurrency):
    """Name -> (app, job template): each connection has its own login, like separate users."""
    sids = [lab.session_login() for _ in range(concurrency)]
    cookie = lab.apps[lab.main].config["SESSION_COOKIE_NAME"]
    found = {"baseline": (lab.main, [{"method": "GET", "path": "/api/baseline", "headers": {}}]),
             "session": (lab.main, [{"method": "GET", "path": "/api/session/me",
                                     "headers": {"Cookie": f"{cookie}={sid}"}} for sid in sids])}
    refresh = []
    for alg in lab.apps:
        tokens = [lab.jwt_login(alg) for _ in range(concurrency)]
        found[f"jwt-{alg}"] = (alg, [{"method": "GET", "path": "/api/jwt/me", "headers": {
            "Authorization": f"Bearer {t['access_token']}"}} for t in tokens])
    for _ in range(concurrency):
        token = lab.jwt_login(lab.main)["refresh_token"]
        refresh.append({"method": "POST", "path": "/api/jwt/refresh",
                        "headers": {"Content-Type": "application/json"},
                        "body": json.dumps({"refresh_token": token})})
    found["refresh"] = (lab.main, refresh)
    # What-ifs (bench-only routes, see bench/apps_in_process.py), measured in the same rounds.
    found["whatif-jwt-no-revocation"] = (lab.main, [
        dict(s, path="/api/jwt/bench-no-revocation") for s in found["jwt-HS256"][1]])
    return found


def _job(worker, lab, alg, specs, args, seconds):
    job = {"port": lab.ports[alg], "requests": specs, "concurrency": args.concurrency,
           "seconds": seconds, "chain": specs[0]["path"].endswith("/refresh")}
    worker.stdin.write(json.dumps(job) + "\n")
    worker.stdin.flush()
    result = json.loads(worker.stdout.readline())
    if "error" in result:
        raise RuntimeError(f"load generator: {result['error']}")
    if job["chain"]:  # carry each refresh chain on to the next round (a token is single-use)
        for spec, body in zip(specs, result.pop("last_bodies")):
            spec["body"] = body
    return result


def http_rounds(lab, scenarios, args):
    """Warm up, then `rounds` rounds; within a round every scenario runs once, in rotated order."""
    worker = subprocess.Popen([sys.executable, "-m", "bench.httpload"], cwd=ROOT, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    names, raw = list(scenarios), {name: [] for name in scenarios}
    try:
        for name in names:
            _job(worker, lab, *scenarios[name], args, args.warmup)
        for r in range(args.rounds):
            order = names[r % len(names):] + names[:r % len(names)]
            for name in order:
                raw[name].append(_job(worker, lab, *scenarios[name], args, args.seconds))
                print(f"  round {r + 1}/{args.rounds} {name}: "
                      f"{len(raw[name][-1]['latencies']) / raw[name][-1]['elapsed']:.0f} req/s",
                      flush=True)
    finally:
        worker.stdin.close()
        worker.wait(timeout=30)
    return {name: report.http_summary(rounds, scenarios[name][1]) for name, rounds in raw.items()}


def in_process(lab, args):
    """Server time per request, auth steps, Redis commands/round trips and profiles."""
    main = lab.apps[lab.main]
    fixtures = {alg: cost_probe.prepare(app) for alg, app in lab.apps.items()}
    callers = {}
    for name, call in cost_probe.callers(main, fixtures[lab.main]).items():
        callers[name if name != "jwt" else f"jwt-{lab.main}"] = call
    for alg, app in lab.apps.items():
        if alg != lab.main:
            callers[f"jwt-{alg}"] = cost_probe.callers(app, fixtures[alg])["jwt"]
    for name, path, like in (("whatif-jwt-no-revocation", "/api/jwt/bench-no-revocation",
                              f"jwt-{lab.main}"),):
        method, _path, headers, body = cost_probe.requests_for(main, fixtures[lab.main])[
            like.split("-")[0]]
        callers[name] = cost_probe.Caller(main, method, path, headers, body,
                                        mode="ask-redis")
    out = {"server_time": steps.server_time(callers, args.inproc),
           "steps": {alg: dict(cost_probe.steps(app, fixtures[alg], n=args.inproc),
                               sign=steps.signing(app)) for alg, app in lab.apps.items()},
           "redis_commands": {n: steps.redis_commands(lab.redis, c) for n, c in callers.items()},
           "round_trips": {name: steps.round_trips(c) for name, c in callers.items()},
           "profile": {name: steps.profile(callers[name], n=args.inproc)
                       for name in ("baseline", "session", f"jwt-{lab.main}",
                                    "whatif-jwt-no-revocation", "refresh")}}
    for alg, app in lab.apps.items():
        cost_probe.cleanup(app, fixtures[alg])
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(ROOT, "docs", "bench"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=2.0, help="per scenario per round")
    parser.add_argument("--warmup", type=float, default=0.5)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--inproc", type=int, default=2000, help="in-process calls per scenario")
    parser.add_argument("--sizes", default="1000,100000", help="Redis memory test sizes")
    parser.add_argument("--ratio-seconds", type=int, default=5,
                        help="per endpoint per round, lab beside its peers (bench/ratio.py)")
    parser.add_argument("--ratio-rounds", type=int, default=5)
    args = parser.parse_args(argv)
    lab = apps_in_process.Lab()
    try:
        info = machine.describe(lab.redis_version())
        print(f"bench on {info['cpu']} ({info['cores']} cores), Python {info['python']}")
        scenarios = _scenarios(lab, args.concurrency)
        http = http_rounds(lab, scenarios, args)
        inproc = in_process(lab, args)
        login_value = lab.redis.get(f"session:{lab.session_login()}")  # as a real login stores it
        app = lab.apps[lab.main]
        memory = steps.memory(lab.redis, login_value, app.config["SESSION_LIFETIME"], 300,
                              sizes=tuple(int(s) for s in args.sizes.split(",")))
    finally:
        lab.close()
    print("the lab beside a minimal Flask-Session and Flask-JWT-Extended app:", flush=True)
    ratios = ratio.run(args.ratio_seconds, args.ratio_rounds)
    settings = {k: v for k, v in vars(args).items() if k != "out"}  # no local paths in results
    results = report.assemble(info, settings, http, inproc, memory)
    results["ratios"] = ratios
    results["targets"]["local_view_vs_baseline"] = report.local_view_targets(ratios)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "results.json"), "w") as fh:
        json.dump(results, fh, indent=1)
        fh.write("\n")
    with open(os.path.join(args.out, "chart.svg"), "w") as fh:
        fh.write(cost_chart.render(results))
    print(report.text(results))
    print(f"wrote {args.out}/results.json and chart.svg")


if __name__ == "__main__":
    main()
