"""The cost lab: a baseline endpoint that touches no store, the /cost page with the committed
measurements (`make bench`, `make loadtest`), and a short live re-run of the measurement."""
import json
import logging
import os

from flask import (Blueprint, abort, current_app, jsonify, make_response, render_template,
                   request, session, url_for)
from flask_babel import gettext as _

from ...core import checkmode, users
from ...core.errors import json_body, json_error
from ...tokens.keys import ring
from . import chart as cost_chart, live as cost_live, takeaway as cost_takeaway

log = logging.getLogger(__name__)

bp = Blueprint("cost", __name__)


@bp.get("/api/baseline")
def baseline():
    """Unauthenticated and store-free: the floor every measured figure is compared with."""
    return jsonify({"ok": True})


def _folder():
    """Where `make bench` and `make loadtest` write (docs/bench in the repository)."""
    return (current_app.config.get("COST_RESULTS_DIR")
            or os.path.join(current_app.root_path, "docs", "bench"))


def stored(name):
    """A committed JSON result, or None when it was never generated (or is unreadable)."""
    try:
        with open(os.path.join(_folder(), name), encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return None


@bp.get("/cost")
def page():
    """What each flow costs the server: committed measurements, the chart, a live re-run."""
    found = stored("results.json")
    return render_template("labs/cost/index.html", results=found,
                           takeaway=cost_takeaway.sentences(found, ring().alg),
                           loadtest=stored("loadtest.json"),
                           default_requests=cost_live.DEFAULT_REQUESTS,
                           max_requests=cost_live.MAX_REQUESTS)


@bp.get("/cost/chart.svg")
def chart():
    """The committed measurements drawn as an SVG (no plotting library), in the page's language."""
    found = stored("results.json")
    if found is None:
        abort(404)
    try:
        # No target line here: the project's own targets are not a verdict for learners.
        svg = cost_chart.render(found, _chart_text(found), target=False)
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        log.warning("results.json cannot be drawn; regenerate it with make bench")
        abort(404)
    response = make_response(svg)
    response.headers["Content-Type"] = "image/svg+xml; charset=utf-8"
    response.headers["Cache-Control"] = "no-cache"  # it follows the language and the results
    return response


def _row_label(name):
    """A chart row's name in the page's language."""
    if name.startswith("jwt-"):
        return _("JWT %(alg)s", alg=name[4:])
    return {
        "baseline": _("baseline: no credential"),
        "session": _("session"),
        "refresh": _("refresh (HS256)"),
        "whatif-jwt-no-revocation": _("what-if: JWT, no denylist"),
    }.get(name, name)


def _chart_text(found):
    m, s = found["machine"], found["settings"]
    rows = set(found["http"]) | set(found.get("server_time", {}))
    return {
        **{name: _row_label(name) for name in rows},
        "title": _("What each flow costs the server"),
        "throughput": _("Requests per second through waitress (higher is better)"),
        "latency": _("Latency under load, median (solid) and p99 (light), ms"),
        "server": _("Server time per request, in-process call, median µs"),
        "unit_rps": _("req/s"),
        "unit_ms": _("ms"),
        "unit_us": _("µs"),
        "caption": _("%(cpu)s, %(cores)s cores, Python %(python)s, Redis %(redis)s, %(date)s; "
                     "%(connections)s connections, %(rounds)s rounds of %(seconds)s s; "
                     "a shared machine", cpu=m["cpu"], cores=m["cores"], python=m["python"],
                     redis=m["redis"], date=m["date"][:10], connections=s["concurrency"],
                     rounds=s["rounds"], seconds=s["seconds"]),
    }


@bp.get("/api/cost/results")
def results():
    """The committed `make bench` results, with the classroom load test when there is one."""
    found = stored("results.json")
    if found is None:
        return json_error(404, "no_results", _("No measurements yet: run make bench."))
    return _no_store(jsonify({"bench": found, "loadtest": stored("loadtest.json")}))


@bp.post("/api/cost/run")
def run():
    """Start a short live run (202, then poll); 409 while another one is still running."""
    try:
        body = request.get_json(silent=True) if request.get_data() else {}
    except RecursionError:  # nested too deep for the parser: as unreadable as bad JSON
        body = None
    if not isinstance(body, dict):
        return json_error(400, "invalid_request", _("The body must be a JSON object."))
    count = body.get("requests", cost_live.DEFAULT_REQUESTS)
    if (isinstance(count, bool) or not isinstance(count, int)
            or not 1 <= count <= cost_live.MAX_REQUESTS):
        return json_error(400, "invalid_request",
                          _("requests must be a whole number from 1 to %(max)d.",
                            max=cost_live.MAX_REQUESTS))
    if not cost_live.start(current_app._get_current_object(), count):
        return json_error(409, "busy", _("A measurement is already running. Wait for it to "
                                         "finish, then try again."))
    response = _no_store(jsonify(cost_live.status()))
    response.status_code = 202
    response.headers["Location"] = url_for("cost.run_status")
    return response


@bp.get("/api/cost/run")
def run_status():
    """The live run in progress (with how far it got), or the last one that finished."""
    return _no_store(jsonify(cost_live.status()))


@bp.get("/api/cost/check-mode")
def check_mode():
    """How credentials are checked now (the switch), and this process's local view: whether its
    link to Redis is up, how many keys it holds, hits, misses, invalidations Redis sent."""
    view = current_app.extensions.get("lab_view")
    return _no_store(jsonify({"mode": checkmode.current(), "modes": list(checkmode.MODES),
                              "view": view.describe() if view is not None else None}))


@bp.post("/api/cost/check-mode")
def set_check_mode():
    """Switch every process between "ask-redis" and "local-view" ({"mode": ...}). A switch the
    whole class shares: from the machine the lab runs on, or by an administrator."""
    if not _may_switch():
        return json_error(403, "forbidden", _("Only the instructor (on the machine the lab runs "
                                               "on) or an administrator may switch this."))
    mode = json_body("mode")["mode"]
    if mode not in checkmode.MODES:
        return json_error(400, "invalid_request", _("mode must be one of: %(modes)s.",
                                                    modes=", ".join(checkmode.MODES)))
    checkmode.choose(mode)
    return check_mode()


def _may_switch():
    if request.remote_addr in ("127.0.0.1", "::1"):
        return True
    user = session.get("user")
    record = users.get(user.get("id")) if isinstance(user, dict) else None
    return bool(record and record.get("role") == "admin")


def _no_store(response):
    # Live figures change from one run to the next: never serve a cached copy. (Set per view,
    # not in an after_request hook, which would also run for /api/baseline, the floor.)
    response.headers["Cache-Control"] = "no-store"
    return response
