"""The short live run behind /cost: bounded, one at a time, in a background thread.

It calls the app in-process (no network), round-robin over the scenarios so that a busy machine
slows them all alike, and pauses briefly every few calls so that the server's other requests
are only ever delayed by milliseconds, never blocked for the length of the run.
"""
import logging
import threading
import time

import redis

from . import probe as cost_probe

log = logging.getLogger(__name__)
DEFAULT_REQUESTS = 200  # per scenario
MAX_REQUESTS = 1000
DEADLINE = 4.0  # seconds: the run stops there, whatever was asked
_PACE = 20  # calls between short pauses

_lock = threading.Lock()  # held for the whole run: a second POST gets 409
_state = {"state": "idle"}


def status():
    """The current or last run, as JSON-ready data."""
    return dict(_state)


def start(app, requests):
    """Start a run in the background; return False when one is already running."""
    if not _lock.acquire(blocking=False):
        return False
    _state.clear()
    _state.update(state="running", done=0, total=requests * len(cost_probe.SCENARIOS),
                  requests=requests, started=time.time())
    thread = threading.Thread(target=_run, args=(app, requests), name="cost-live", daemon=True)
    try:
        thread.start()
    except RuntimeError:
        _lock.release()
        raise
    return True


def _run(app, requests):
    try:
        result = measure(app, requests, progress=lambda done: _state.update(done=done))
        _state.update(state="done", result=result, done=_state["total"])
    except redis.RedisError as exc:
        log.warning("live cost run: store unavailable: %s", exc)
        _state.update(state="failed", error="store_unavailable")
    except Exception:  # a background thread has nobody to raise to: record and log it
        log.exception("live cost run failed")
        _state.update(state="failed", error="internal_error")
    finally:
        _state["finished"] = time.time()
        _lock.release()


def measure(app, requests, progress=None, deadline=DEADLINE):
    """Time `requests` calls per scenario (fewer if the deadline comes first)."""
    fx = cost_probe.prepare(app)
    try:
        callers = cost_probe.callers(app, fx)
        samples = {name: [] for name in callers}
        errors = {name: 0 for name in callers}
        stop_at, done, truncated = time.monotonic() + deadline, 0, False
        warmup = max(3, requests // 10)  # the first calls after a pause are slow: not kept
        for i in range(-warmup, requests):
            for name, call in callers.items():
                seconds, code, body = call()
                if i >= 0:
                    samples[name].append(seconds)
                    done += 1
                if code != 200:
                    errors[name] += 1
                elif name == "refresh":
                    call.chain_refresh(body)
            if i % _PACE == _PACE - 1:
                if progress:
                    progress(done)
                time.sleep(0.002)  # let waiting request threads take the GIL
            if time.monotonic() > stop_at:
                truncated = True
                break
        steps = cost_probe.steps(app, fx, n=min(200, max(10, requests)))
        strategies = cost_probe.strategies(app, fx, n=min(200, max(10, requests)))
    finally:
        cost_probe.cleanup(app, fx)
    report = _report(app, samples, errors, steps, truncated)
    # JSON objects lose their order on the way (Flask sorts keys): say it explicitly.
    report.update(strategies=strategies, strategy_order=list(strategies))
    return report


def _report(app, samples, errors, steps, truncated):
    scenarios = {}
    for name, seconds in samples.items():
        scenarios[name] = dict(cost_probe.summary(seconds), errors=errors[name])
    base = scenarios["baseline"]["median_us"]
    for name, row in scenarios.items():
        ratio = row["median_us"] / base if base and row["median_us"] else None
        row["vs_baseline"] = round(ratio, 2) if ratio else None
    # JSON objects lose their order on the way (Flask sorts keys): say it explicitly.
    return {"algorithm": app.extensions["lab_keyring"].alg, "scenarios": scenarios,
            "steps": steps, "order": list(scenarios), "step_order": list(steps),
            "truncated": truncated}
