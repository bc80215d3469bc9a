"""The cost lab over HTTP: the baseline floor, the page and stored results, the live run."""
import json
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import redis

from auth.labs.cost import live as cost_live, probe as cost_probe

ROOT = Path(__file__).resolve().parent.parent


def _token(client):
    html = client.get("/cost").get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)


def _start(client, body=None):
    return client.post("/api/cost/run", json=body if body is not None else {"requests": 5},
                       headers={"X-CSRFToken": _token(client)})


def _finished(client):
    """Poll the run until it is no longer running (bounded: never hang the suite)."""
    for _ in range(1200):
        state = client.get("/api/cost/run").get_json()
        if state["state"] != "running":
            return state
        threading.Event().wait(0.05)
    pytest.fail("the live run never finished")


def _commands(r):
    stats = r.info("commandstats")
    return {k: v["calls"] for k, v in stats.items() if k != "cmdstat_info"}


def test_baseline_touches_no_store(client, r):
    before = _commands(r)
    response = client.get("/api/baseline")
    assert response.status_code == 200 and response.get_json() == {"ok": True}
    assert "Set-Cookie" not in response.headers
    assert _commands(r) == before  # not one Redis command


def test_nav_links_the_cost_page(client):
    assert 'href="/cost"' in client.get("/").get_data(as_text=True)


def test_page_without_results(make_app, tmp_path):
    client = make_app(COST_RESULTS_DIR=str(tmp_path / "none")).test_client()
    page = client.get("/cost")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "No measurements yet" in html
    assert 'id="live"' in html and 'id="i18n"' in html
    missing = client.get("/api/cost/results")
    assert missing.status_code == 404 and missing.get_json()["error"] == "no_results"
    assert client.get("/cost/chart.svg").status_code == 404


def test_bench_writes_results_that_the_page_shows(make_app, tmp_path):
    """`make bench`, tiny: every part runs, and /cost renders what it wrote."""
    out = tmp_path / "bench"
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", "--out", str(out), "--rounds", "1", "--seconds",
         "0.2", "--warmup", "0.05", "--concurrency", "2", "--inproc", "20", "--sizes", "200"],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((out / "results.json").read_text())
    assert {"baseline", "session", "jwt-HS256", "jwt-EdDSA", "refresh"} <= set(results["http"])
    assert results["targets"]["errors"] == 0
    assert results["round_trips"]["baseline"] == 0 and results["round_trips"]["jwt-HS256"] == 1
    assert results["redis_commands"]["jwt-HS256"] == {"exists": 1.0}
    assert results["machine"]["cores"] and results["machine"]["python"]
    svg = (out / "chart.svg").read_text()
    assert svg.startswith("<svg") and "Requests per second" in svg

    client = make_app(COST_RESULTS_DIR=str(out)).test_client()
    html = client.get("/cost").get_data(as_text=True)
    assert 'id="bench-table"' in html and "GET /api/jwt/me" in html and "EdDSA" in html
    chart = client.get("/cost/chart.svg")
    assert chart.status_code == 200 and chart.mimetype == "image/svg+xml"
    stored = client.get("/api/cost/results").get_json()
    assert stored["bench"]["http"]["baseline"]["requests_per_s"] > 0


def test_live_run_measures_every_scenario_and_cleans_up(client, r):
    _token(client)  # the page's own anonymous session exists before the run
    sessions = set(r.scan_iter("session:*"))
    started = _start(client, {"requests": 5})
    assert started.status_code == 202, started.get_json()
    assert started.headers["Location"].endswith("/api/cost/run")
    state = _finished(client)
    assert state["state"] == "done", state
    result = state["result"]
    assert set(result["scenarios"]) == set(cost_probe.SCENARIOS)
    for name, row in result["scenarios"].items():
        assert row["n"] == 5 and row["errors"] == 0, (name, row)
        assert row["median_us"] > 0
    assert result["scenarios"]["baseline"]["vs_baseline"] == 1.0
    assert {"redis_get", "jwt_decode", "verify_access", "open_session"} <= set(result["steps"])
    assert "eyJ" not in json.dumps(state)  # no token is ever shown
    assert set(r.scan_iter("session:*")) == sessions  # the probe's session is gone
    assert client.get("/api/cost/run").headers["Cache-Control"] == "no-store"


def test_second_run_while_one_runs_is_409(client, monkeypatch):
    release, entered = threading.Event(), threading.Event()

    def slow(app, requests, progress=None):
        entered.set()
        release.wait(30)
        return {"scenarios": {}, "steps": {}, "truncated": False, "algorithm": "HS256"}

    monkeypatch.setattr(cost_live, "measure", slow)
    assert _start(client).status_code == 202
    entered.wait(30)
    assert client.get("/api/cost/run").get_json()["state"] == "running"
    second = _start(client)
    assert second.status_code == 409 and second.get_json()["error"] == "busy"
    release.set()
    assert _finished(client)["state"] == "done"
    assert _start(client).status_code == 202  # free again once the first one is over
    assert _finished(client)["state"] == "done"


def test_live_run_when_the_store_is_down(client, monkeypatch):
    def down(app):
        raise redis.ConnectionError("gone")

    monkeypatch.setattr(cost_probe, "prepare", down)
    assert _start(client).status_code == 202
    state = _finished(client)
    assert state["state"] == "failed" and state["error"] == "store_unavailable"


def test_live_run_needs_the_csrf_token(client):
    response = client.post("/api/cost/run", json={"requests": 5})
    assert response.status_code == 400 and response.get_json()["error"] == "csrf_failed"


@pytest.mark.parametrize("body", [{"requests": 0}, {"requests": -3}, {"requests": "5"},
                                  {"requests": True}, {"requests": 10 ** 6}, [5]])
def test_live_run_refuses_bad_sizes(client, body):
    response = _start(client, body)
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_request"
