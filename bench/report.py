"""Turn raw measurements into results.json: summaries, ratios, targets, and a text table."""
import statistics

THROUGHPUT_TARGET = 0.85  # authenticated req/s >= 0.85 x baseline (at most 15% more cost)
FLOOR_TARGET = 2.0  # auth work per request <= 2 x the library floor
# Issue #13, measured through wrk beside the peers (bench/ratio.py), with the local view:
LOCAL_VIEW_TARGETS = {"lab JWT /api/jwt/me": 0.85, "lab session /api/session/me": 0.80}
PEERS = {"lab JWT /api/jwt/me": "Flask-JWT-Extended /api/jwt/me",
         "lab session /api/session/me": "Flask-Session /api/session/me"}


def local_view_targets(ratios):
    """Each lab endpoint's median ratio against its target, and against its peer's."""
    apps = ratios["apps"]
    rows = {name: {"target": target, "ratio": apps[name]["ratio_median"],
                   "met": apps[name]["ratio_median"] >= target,
                   "peer": PEERS[name], "peer_ratio": apps[PEERS[name]]["ratio_median"],
                   "ahead_of_peer": apps[name]["ratio_median"] > apps[PEERS[name]]["ratio_median"]}
            for name, target in LOCAL_VIEW_TARGETS.items() if name in apps}
    return {"by_endpoint": rows, "met": bool(rows) and all(r["met"] for r in rows.values()),
            "ahead_of_peers": bool(rows) and all(r["ahead_of_peer"] for r in rows.values())}
CREDENTIALS = ("Cookie", "Authorization")


def _credential_bytes(spec):
    """Bytes of the request that carry the credential: the header line, or the JSON body."""
    for name in CREDENTIALS:
        if name in spec["headers"]:
            return len(f"{name}: {spec['headers'][name]}\r\n")
    return len(spec.get("body") or "")


def http_summary(rounds, specs):
    """Merge the rounds of one scenario: latency percentiles, req/s, errors, bytes."""
    latencies = sorted(x for r in rounds for x in r["latencies"])
    count = len(latencies)
    statuses = {}
    for r in rounds:
        for code, n in r["statuses"].items():
            statuses[code] = statuses.get(code, 0) + n
    per_round = [len(r["latencies"]) / r["elapsed"] for r in rounds]
    return {
        "requests": count,
        "requests_per_s": round(statistics.median(per_round), 1),
        "rounds_requests_per_s": [round(x, 1) for x in per_round],
        "median_ms": round(statistics.median(latencies) * 1e3, 3) if count else None,
        "p99_ms": round(latencies[min(count - 1, int(0.99 * count))] * 1e3, 3) if count else None,
        "statuses": statuses,
        "errors": sum(n for code, n in statuses.items() if code != "200"),
        "request_bytes": round(sum(r["sent"] for r in rounds) / count, 1) if count else None,
        "response_bytes": round(sum(r["received"] for r in rounds) / count, 1) if count else None,
        "credential_bytes": _credential_bytes(specs[0]),
    }


def _auth_work(inproc):
    rows = {}
    for alg, s in inproc["steps"].items():
        floor = s["jwt_decode"]["median_us"] + s["redis_get"]["median_us"]
        work = s["verify_access"]["median_us"]
        rows[f"jwt-{alg}"] = {"work": "verify_access (decode + EXISTS)", "work_us": work,
                              "floor": "bare PyJWT decode + bare Redis GET",
                              "floor_us": round(floor, 1), "ratio": round(work / floor, 2)}
    main = inproc["steps"]["HS256"]
    floor, work = main["redis_get"]["median_us"], main["open_session"]["median_us"]
    rows["session"] = {"work": "open_session (GETEX + decode)", "work_us": work,
                       "floor": "bare Redis GET", "floor_us": floor,
                       "ratio": round(work / floor, 2)}
    return rows


def assemble(info, settings, http, inproc, memory):
    """Everything in one JSON document, with the targets checked."""
    base = http["baseline"]["requests_per_s"]
    for row in http.values():
        row["vs_baseline"] = round(row["requests_per_s"] / base, 3) if base else None
    server_base = inproc["server_time"]["baseline"]["median_us"]
    for row in inproc["server_time"].values():
        row["vs_baseline"] = round(row["median_us"] / server_base, 2)
    auth = _auth_work(inproc)
    protected = [name for name in http if name == "session" or name.startswith("jwt-")]
    throughput = {name: {"ratio": http[name]["vs_baseline"],
                         "met": http[name]["vs_baseline"] >= THROUGHPUT_TARGET}
                  for name in protected}
    floors = {name: {"ratio": row["ratio"], "met": row["ratio"] <= FLOOR_TARGET}
              for name, row in auth.items()}
    return {
        "machine": info, "settings": settings,
        "http": http, "server_time": inproc["server_time"], "steps": inproc["steps"],
        "auth_work": auth, "redis_commands": inproc["redis_commands"],
        "round_trips": inproc["round_trips"], "memory": memory, "profile": inproc["profile"],
        "targets": {
            "throughput_vs_baseline": {"target": THROUGHPUT_TARGET, "by_endpoint": throughput,
                                       "met": all(r["met"] for r in throughput.values())},
            "auth_work_vs_floor": {"target": FLOOR_TARGET, "by_endpoint": floors,
                                   "met": all(r["met"] for r in floors.values())},
            "errors": sum(row["errors"] for row in http.values()),
        },
    }


def text(results):
    """A plain table for the terminal."""
    lines = [f"{'scenario':<26}{'req/s':>9}{'x base':>8}{'p50 ms':>9}{'p99 ms':>9}"
             f"{'server us':>11}{'RTs':>5}{'req B':>7}{'resp B':>8}{'err':>5}"]
    for name, row in results["http"].items():
        server = results["server_time"].get(name, {})
        lines.append(f"{name:<26}{row['requests_per_s']:>9.0f}{row['vs_baseline']:>8.2f}"
                     f"{row['median_ms']:>9.2f}{row['p99_ms']:>9.2f}"
                     f"{server.get('median_us', 0):>11.0f}"
                     f"{results['round_trips'].get(name, 0):>5}{row['request_bytes']:>7.0f}"
                     f"{row['response_bytes']:>8.0f}{row['errors']:>5}")
    lines.append("auth work vs library floor (median us):")
    for name, row in results["auth_work"].items():
        lines.append(f"  {name:<17}{row['work_us']:>8.1f} vs {row['floor_us']:>7.1f}"
                     f"  = {row['ratio']:.2f}x  ({row['work']} / {row['floor']})")
    t = results["targets"]
    local = t.get("local_view_vs_baseline")
    if local:
        for name, row in local["by_endpoint"].items():
            lines.append(f"local view, wrk: {name:<30} {row['ratio']:.2f}x (target "
                         f"{row['target']}x: {'met' if row['met'] else 'NOT met'}; "
                         f"{row['peer']} {row['peer_ratio']:.2f}x)")
    lines.append(f"targets: throughput >= {t['throughput_vs_baseline']['target']}x baseline "
                 f"(every request asking Redis): "
                 f"{'met' if t['throughput_vs_baseline']['met'] else 'NOT met'}; auth work <= "
                 f"{t['auth_work_vs_floor']['target']}x floor: "
                 f"{'met' if t['auth_work_vs_floor']['met'] else 'NOT met'}")
    return "\n".join(lines)
