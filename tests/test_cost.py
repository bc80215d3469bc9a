"""The cost lab over HTTP: the baseline floor, the page and stored results, the live run."""
import json
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import redis

from auth.labs.cost import live as cost_live, probe as cost_probe, takeaway as cost_takeaway

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
         "0.2", "--warmup", "0.05", "--concurrency", "2", "--inproc", "20", "--sizes", "200",
             "--ratio-seconds", "1", "--ratio-rounds", "1"],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((out / "results.json").read_text())
    assert {"baseline", "session", "jwt-HS256", "jwt-EdDSA", "refresh"} <= set(results["http"])
    assert results["targets"]["errors"] == 0
    assert results["round_trips"]["baseline"] == 0 and results["round_trips"]["jwt-HS256"] == 1
    # From the local view once warm: no round trip at all (the first of 50 calls may read once).
    assert results["round_trips"]["jwt-view"] < 0.1 and results["round_trips"]["session-view"] < 0.1
    # Beside the peers, through one server and one load tool, each with its own baseline.
    apps = results["ratios"]["apps"]
    assert {"lab session /api/session/me", "lab JWT /api/jwt/me", "Flask-Session /api/session/me",
            "Flask-JWT-Extended /api/jwt/me"} == set(apps)
    assert all(0 < a["ratio_median"] for a in apps.values())
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


def test_live_run_has_one_row_per_revocation_strategy(client, r):
    before = set(r.scan_iter("jwt:*"))
    assert _start(client, {"requests": 5}).status_code == 202
    result = _finished(client)["result"]
    rows = result["strategies"]
    assert result["strategy_order"] == ["none", "denylist", "valid-after", "user-key",
                                        "introspection"]
    # Round trips counted from the trace: "none" asks nothing; every other one asks once.
    assert rows["none"]["round_trips"] == 0 and rows["none"]["redis_bytes"] == 0
    for name in ("denylist", "valid-after", "user-key", "introspection"):
        assert rows[name]["round_trips"] == 1 and rows[name]["redis_bytes"] > 0, name
        assert rows[name]["median_us"] > 0
    # The denylist stores two keys (token and family), the others one each.
    assert rows["denylist"]["redis_bytes"] > rows["valid-after"]["redis_bytes"]
    # The made-up user's markers are gone again; real users were never touched.
    after = set(r.scan_iter("jwt:*"))
    assert not [k for k in after - before if b"cost-probe" in k or b"deny" in k]
    assert not r.exists("jwt:valid-after:1") and not r.exists("jwt:key-version:1")


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


def test_live_run_refuses_deeply_nested_json(client):
    response = client.post("/api/cost/run", data="[" * 100000 + "]" * 100000,
                           content_type="application/json",
                           headers={"X-CSRFToken": _token(client)})
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_request"


# --- The page's structure: a plain takeaway first, long tables folded, targets not a verdict ---

COMMITTED = ROOT / "docs" / "bench" / "results.json"


def _results_dir(tmp_path, change=None):
    """A copy of the committed results.json, optionally changed, in a folder of its own."""
    results = json.loads(COMMITTED.read_text())
    if change:
        change(results)
    folder = tmp_path / "bench-copy"
    folder.mkdir(exist_ok=True)
    (folder / "results.json").write_text(json.dumps(results))
    return folder, results


def _section(html, start, end):
    return html[html.index(start):html.index(end, html.index(start))]


def test_takeaway_is_computed_from_the_results(make_app, tmp_path):
    def change(results):  # numbers nobody would write by hand: they must come from the file
        results["auth_work"]["session"]["work_us"] = 123.4
        results["auth_work"]["jwt-HS256"]["work_us"] = 45.6
        results["http"]["session"]["credential_bytes"] = 77
        results["http"]["jwt-HS256"]["credential_bytes"] = 512
        results["steps"]["HS256"]["jwt_decode"]["median_us"] = 31.0

    folder, _results = _results_dir(tmp_path, change)
    html = make_app(COST_RESULTS_DIR=str(folder)).test_client().get("/cost").get_data(as_text=True)
    assert html.index('id="takeaway"') < html.index('id="bench"')  # first on the page
    box = _section(html, 'id="takeaway"', "</section>")
    assert "What this means" in box
    assert "checking a session took 123 µs" in box and "checking a JWT (HS256) 46 µs" in box
    assert "a few hundred microseconds" in box  # the larger of the two decides the wording
    assert "session cookie is 77 bytes, the JWT header 512 bytes" in box
    assert "signature check (31 µs)" in box
    assert "one Redis round trip" in box and "GETEX" in box and "EXISTS" in box
    assert "what-if" in box


def test_takeaway_wording_follows_the_magnitude(make_app, tmp_path):
    def change(results):
        results["auth_work"]["session"]["work_us"] = 40
        results["auth_work"]["jwt-HS256"]["work_us"] = 60

    folder, _results = _results_dir(tmp_path, change)
    html = make_app(COST_RESULTS_DIR=str(folder)).test_client().get("/cost").get_data(as_text=True)
    assert "tens of microseconds" in _section(html, 'id="takeaway"', "</section>")


def test_takeaway_leaves_out_what_the_results_lack(app):
    results = json.loads(COMMITTED.read_text())
    with app.test_request_context("/cost"):
        full = cost_takeaway.sentences(results, "HS256")
        del results["auth_work"], results["server_time"]["whatif-jwt-no-revocation"]
        partial = cost_takeaway.sentences(results, "HS256")
        assert cost_takeaway.sentences({}, "HS256") == []
        assert cost_takeaway.sentences(None, "HS256") == []
    assert len(full) == 5 and len(partial) == 3  # no guessing: those sentences are left out
    assert not any("checking a session took" in line for line in partial)


def test_targets_are_for_developers_not_a_verdict(client):
    html = client.get("/cost").get_data(as_text=True)
    assert "not met" not in html and ">met<" not in html
    assert 'class="bad"' not in html and 'class="ok"' not in html
    targets = _section(html, 'id="targets"', "</details>")
    assert html[:html.index('id="targets"')].rstrip().endswith("<details class=\"more\"")
    assert "For the lab&#39;s developers" in targets or "For the lab's developers" in targets
    assert "0.85" in targets and "2.0" in targets  # the numbers, stated plainly
    assert " open" not in _section(html, "<details", ">")
    svg = client.get("/cost/chart.svg").get_data(as_text=True)
    assert "target" not in svg and "#b3261e" not in svg  # no red target line for learners


def test_long_tables_are_folded_and_the_main_ones_stay_open(client):
    html = client.get("/cost").get_data(as_text=True)
    for table in ("per-algorithm", "memory", "auth-work", "loadtest-table"):
        start = html.index(f'id="{table}"')
        assert html.rfind("<details", 0, start) > html.rfind("</details>", 0, start), table
    for open_part in ("takeaway", "bench-table"):
        start = html.index(f'id="{open_part}"')
        assert html.rfind("<details", 0, start) <= html.rfind("</details>", 0, start), open_part
    assert html.count("<details") == html.count("</details>")
    assert "<details open" not in html
    assert 'class="chart"' in html


def test_ratio_columns_say_what_they_compare(client):
    html = client.get("/cost").get_data(as_text=True)
    assert "× baseline<" not in html
    bench = _section(html, 'id="bench-table"', "</table>")
    live = _section(html, 'id="live-table"', "</table>")
    assert "Throughput vs baseline" in bench and "Time vs baseline" not in bench
    assert "Time vs baseline" in live and "Throughput vs baseline" not in live


def test_chart_names_every_row_in_the_page_language(app, client):
    """Every row label, unit and title goes through the translator (none falls back to the
    scenario's raw name), and the text is readable when projected."""
    from auth.labs.cost.views import _chart_text

    results = json.loads(COMMITTED.read_text())
    with app.test_request_context("/cost", headers={"Cookie": "lang=ko"}):
        text = _chart_text(results)
    rows = set(results["http"]) | set(results["server_time"])
    assert rows <= set(text) and all(text[name] for name in rows)
    client.set_cookie("lang", "ko")
    html = client.get("/cost").get_data(as_text=True)
    assert 'lang="ko"' in html
    svg = client.get("/cost/chart.svg").get_data(as_text=True)
    labels = re.findall(r'text-anchor="end"[^>]*>([^<]+)</text>', svg)
    assert set(labels) == {text[name] for name in results["http"]}
    assert text["title"] == "흐름별 서버 비용"  # the request was in Korean
    assert text["title"] in svg and text["unit_rps"] in svg
    assert min(int(size) for size in re.findall(r'font-size="(\d+)"', svg)) >= 14
