"""Measure what the trace costs: the same requests through the app with and without tracing.

Runs the WSGI app in-process (no network), alternating traced and untraced rounds so that a
busy machine disturbs both alike, and prints the median per-request time of each.
Usage: .venv/bin/python -m bench.trace_overhead [requests-per-round]
"""
import statistics
import sys
import tempfile
import time

from werkzeug.test import EnvironBuilder

from app import create_app


def _call(wsgi, environ):
    out = []
    body = wsgi(environ, lambda status, headers, exc_info=None: out.append(status))
    b"".join(body)
    if hasattr(body, "close"):
        body.close()
    return out[0]


def main(n=2000, rounds=7):
    app = create_app({"INSTANCE_PATH": tempfile.mkdtemp(prefix="trace-bench-")})
    token = app.test_client().post("/api/jwt/login", json={"username": "alice",
                                                           "password": "alice123"}).json
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    traced = app.wsgi_app
    untraced = traced.wsgi_app  # the app inside TraceMiddleware
    client = app.extensions["lab_redis"]
    traced_exec = client.execute_command  # set on the instance by trace.instrument_redis
    plain_exec = type(client).execute_command.__get__(client)
    results = {"traced": [], "untraced": []}
    for _ in range(rounds):
        for label in ("untraced", "traced"):
            wsgi = traced if label == "traced" else untraced
            # Untraced also means the Redis client's per-command wrapper is taken off.
            client.execute_command = traced_exec if label == "traced" else plain_exec
            started = time.perf_counter()
            for _ in range(n):
                env = EnvironBuilder(path="/api/jwt/me", headers=headers).get_environ()
                assert _call(wsgi, env).startswith("200")
            results[label].append((time.perf_counter() - started) / n * 1e6)
    for label, values in results.items():
        print(f"{label:9s} median {statistics.median(values):8.1f} µs/request "
              f"(rounds: {', '.join(f'{v:.0f}' for v in values)})")
    t, u = statistics.median(results["traced"]), statistics.median(results["untraced"])
    print(f"trace overhead: {t - u:+.1f} µs/request ({(t - u) / u * 100:+.1f}%)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
