"""Locust's CSV summary turned into loadtest.json and a short Markdown table."""
import csv

P99_TARGET_MS = 250


def _number(value):
    try:
        return round(float(value), 2)
    except (TypeError, ValueError):
        return None


def read(prefix):
    """Rows of <prefix>_stats.csv (one per request name, and 'Aggregated'), plus failures."""
    rows = []
    with open(prefix + "_stats.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            rows.append({
                "name": row["Name"], "method": row["Type"],
                "requests": int(row["Request Count"]), "failures": int(row["Failure Count"]),
                "requests_per_s": _number(row["Requests/s"]),
                "p50_ms": _number(row["50%"]), "p95_ms": _number(row["95%"]),
                "p99_ms": _number(row["99%"]), "max_ms": _number(row["Max Response Time"]),
            })
    failures = []
    try:
        with open(prefix + "_failures.csv", newline="") as fh:
            failures = [{"request": f"{r['Method']} {r['Name']}", "error": r["Error"],
                         "count": int(r["Occurrences"])} for r in csv.DictReader(fh)]
    except FileNotFoundError:
        pass
    return {"rows": rows, "failures": failures}


LOGINS = ("POST /session/login", "POST /api/jwt/login")  # scrypt-bound: reported apart


def assemble(info, settings, found, cpu, shutdown):
    total = next(r for r in found["rows"] if r["name"] == "Aggregated")
    others = [r for r in found["rows"] if r["name"] != "Aggregated" and r["name"] not in LOGINS
              and r["requests"]]
    worst = max(others, key=lambda r: r["p99_ms"] or 0) if others else None
    seconds = settings["seconds"]
    return {
        "machine": info,
        "settings": dict(settings, think_time_s=[1, 3], server="python app.py (waitress, 8 "
                         "threads, embedded Redis with AOF everysec)"),
        "total": total,
        "endpoints": [r for r in found["rows"] if r["name"] != "Aggregated"],
        "failures": found["failures"],
        "cpu_seconds": cpu,
        "cpu_cores_used": {name: round(value / seconds, 2) for name, value in cpu.items()},
        "shutdown": shutdown,
        "targets": {"errors": {"target": 0, "measured": total["failures"],
                               "met": total["failures"] == 0},
                    "p99_ms": {"target": P99_TARGET_MS, "measured": total["p99_ms"],
                               "met": total["p99_ms"] is not None
                               and total["p99_ms"] < P99_TARGET_MS},
                    # Every request but the logins (a deliberately slow password hash).
                    "p99_ms_each_non_login": {
                        "target": P99_TARGET_MS,
                        "measured": worst["p99_ms"] if worst else None,
                        "worst": worst["name"] if worst else None,
                        "met": bool(worst) and worst["p99_ms"] is not None
                        and worst["p99_ms"] < P99_TARGET_MS}},
    }


def markdown(result):
    s, t, m = result["settings"], result["total"], result["machine"]
    lines = [
        f"### Classroom load: {s['users']} students for {s['seconds']} s",
        "",
        f"{m['cpu']}, {m['cores']} cores, Python {m['python']}, {m['date'][:10]} "
        "(a shared machine, other work running).",
        f"Locust, headless; each student logs in to both flows on arrival (session form with "
        f"its CSRF token, JWT JSON login), then works: session pages and /api/session/me, "
        f"/api/jwt/me, a refresh now and then, the home and JWT pages; logs out of both and "
        f"in again every {s.get('relogin_seconds', 300)} s; {s['think_time_s'][0]}-"
        f"{s['think_time_s'][1]} s between steps; the class arrives at "
        f"{s.get('spawn_rate')} students per second.",
        "",
        "| request | count | failures | req/s | p50 ms | p95 ms | p99 ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in result["endpoints"] + [dict(t, name="**all**")]:
        lines.append(f"| {r['name']} | {r['requests']} | {r['failures']} | "
                     f"{r['requests_per_s']} | {r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} |")
    cores = result["cpu_cores_used"]
    targets = result["targets"]
    lines += [
        "",
        f"Server CPU: app {cores.get('app')} cores, redis-server {cores.get('redis')} cores "
        f"on average. Targets: 0 errors — {'met' if targets['errors']['met'] else 'NOT met'} "
        f"({t['failures']}); p99 < {targets['p99_ms']['target']} ms — "
        f"{'met' if targets['p99_ms']['met'] else 'NOT met'} ({t['p99_ms']} ms); p99 of every "
        f"request but the logins < {targets['p99_ms']['target']} ms — "
        f"{'met' if targets['p99_ms_each_non_login']['met'] else 'NOT met'} (worst: "
        f"{targets['p99_ms_each_non_login']['worst']}, "
        f"{targets['p99_ms_each_non_login']['measured']} ms).",
        f"Shutdown: {result['shutdown']['signal']} → exit code "
        f"{result['shutdown']['exit_code']}, embedded redis-server "
        f"{'gone' if result['shutdown']['redis_gone'] else 'STILL RUNNING'}.",
        "",
    ]
    return "\n".join(lines)
