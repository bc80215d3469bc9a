"""Who did a step, and the server's record of it.

The actor is a signed ticket (itsdangerous, the app's SECRET_KEY): "anon:<random>" for a learner
on their own, "student:<name>" for a student who joined the class. The page sends it as the
X-Lab-Guide header (static/js/wire.js, on every wireFetch), and as a `lab_guide` field of the
forms it posts (static/js/guide.js adds it on submit). The `lab_guide` cookie (HttpOnly) keeps it
for GET /api/guide/ticket only (Path=/api/guide/): a cookie sent with every request would sit in
the very Cookie headers the session flow measures and shows. A bad signature credits nobody,
never an error.

A `request_finished` hook looks up the finished request's (endpoint, method) in a dict built
once at start: nothing else happens for a request no step names, or that carries no ticket.
Records: hash `guide:{<actor>}:<lab>`, field `<step>/<part>` -> "ok:<ts>" or "bad:<ts>:<status>",
TTL 7 days, refreshed on write. A red ("bad") record is written only for a request made from a
page that shows that lab's guide (the X-Lab-Guide-Labs header wire.js sends), and not when the
same request completed another step of that lab: the request a lab's page made for one step
never turns another step, or another lab, red. A green record counts from anywhere.
"""
import re
import secrets
import time

from flask import current_app, request
from itsdangerous import BadData, URLSafeSerializer

COOKIE = "lab_guide"
COOKIE_PATH = "/api/guide/"
FIELD = "lab_guide"  # the form field guide.js adds to the forms a page posts
HEADER = "X-Lab-Guide"
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")
CONTEXT_HEADER = "X-Lab-Guide-Labs"
TTL = 7 * 24 * 3600
COOKIE_AGE = 365 * 24 * 3600
_ACTOR = re.compile(r"(anon|student):[A-Za-z0-9_.-]{1,80}")


# --- The ticket ------------------------------------------------------------------------------

def _signer(app=None):
    app = app or current_app
    signer = app.extensions.get("guide_signer")
    if signer is None:
        signer = app.extensions["guide_signer"] = URLSafeSerializer(
            app.config["SECRET_KEY"], salt="lab-guide-ticket")
    return signer


def sign(actor, app=None):
    return _signer(app).dumps(actor)


def actor_of(ticket, app=None):
    """The actor a ticket names, or None (missing, forged, or not one of ours)."""
    if not ticket or len(ticket) > 300:
        return None
    try:
        actor = _signer(app).loads(ticket)
    except (BadData, ValueError, TypeError):
        return None
    return actor if isinstance(actor, str) and _ACTOR.fullmatch(actor) else None


def new_anon():
    return "anon:" + secrets.token_urlsafe(12)


def student(name):
    return f"student:{name}"


def request_ticket():
    """The ticket this request carries: the header first, then a posted form's field, then the
    cookie."""
    ticket = request.headers.get(HEADER)
    if not ticket and request.method == "POST" and request.mimetype in _FORMS:
        ticket = request.form.get(FIELD)
    return ticket or request.cookies.get(COOKIE)


def request_actor():
    return actor_of(request.headers.get(HEADER)) or actor_of(request.cookies.get(COOKIE))


def set_cookie(response, ticket):
    """The ticket as the `lab_guide` cookie, for GET /api/guide/ticket to find again (a page
    whose localStorage was cleared gets the same actor back), unless the browser holds it."""
    if request.cookies.get(COOKIE) != ticket:
        response.set_cookie(COOKIE, ticket, max_age=COOKIE_AGE, path=COOKIE_PATH, httponly=True,
                            samesite="Lax", secure=request.is_secure)
    return response


# --- What is kept ----------------------------------------------------------------------------

def key(actor, lab):
    # The braces are a Redis Cluster hash tag: one actor's labs share a slot.
    return f"guide:{{{actor}}}:{lab}"


def _client(app=None):
    return (app or current_app).extensions["lab_redis"]


def raw_records(actor, lab, app=None):
    """{field: value} as stored (empty when nobody or nothing)."""
    if not actor:
        return {}
    found = _client(app).hgetall(key(actor, lab))
    return {_text(k): _text(v) for k, v in found.items()}


def clear(actor, lab, app=None):
    if actor:
        _client(app).delete(key(actor, lab))


def clear_actors(actors, labs, app=None):
    """Forget these actors' records in these labs (the class reset)."""
    keys = [key(a, lab) for a in actors for lab in labs]
    client = _client(app)
    for start in range(0, len(keys), 200):  # one DEL per hash slot group, in small batches
        with client.pipeline(transaction=False) as pipe:
            for k in keys[start:start + 200]:
                pipe.delete(k)
            pipe.execute()


def _text(value):
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _parse(value):
    """("ok"|"bad"|"", ts or None, status or None) of one stored part."""
    if not value:
        return "", None, None
    kind, _sep, rest = value.partition(":")
    ts, _sep, status = rest.partition(":")
    try:
        ts = int(ts)
    except ValueError:
        return "", None, None
    if kind == "ok":
        return "ok", ts, None
    if kind == "bad":  # the status code, or what a check said the server saw (text)
        return "bad", ts, int(status) if status.isdigit() else (status or None)
    return "", None, None


def step_state(step, raw):
    """(state, at, bad part index, status, parts): ok once every part is ok; bad if any part's
    newest record is bad (the newest bad one is reported); "" otherwise."""
    parts = [_parse(raw.get(f"{step.id}/{i}")) for i in range(len(step.done))]
    bad = [(ts, i, status) for i, (kind, ts, status) in enumerate(parts) if kind == "bad"]
    kinds = [kind for kind, _ts, _status in parts]
    if bad:
        ts, index, status = max(bad)
        return "bad", ts, index, status, kinds
    if parts and all(kind == "ok" for kind in kinds):
        return "ok", max(ts for _k, ts, _s in parts), None, None, kinds
    return "", None, None, None, kinds


# --- The hook --------------------------------------------------------------------------------

def build_index(registry):
    """{(endpoint, method): [(guide, step, part index, done), ...]}, built once at start."""
    index = {}
    for guide in registry.values():
        for step in guide.steps:
            for i, done in enumerate(step.done):
                index.setdefault((done.endpoint, done.method.upper()), []).append(
                    (guide, step, i, done))
    return index


def on_finished(sender, response, **_extra):
    """request_finished: one dict lookup, and nothing more unless a step names this request
    and the request carries a ticket. Never fails the request."""
    environ = request.environ
    # The common case first, from the raw environ: a request with no ticket anywhere (no header,
    # not a form post, no guide cookie) credits nobody. It costs the flows next to nothing.
    if "HTTP_X_LAB_GUIDE" not in environ and environ.get("REQUEST_METHOD") != "POST" \
            and COOKIE + "=" not in environ.get("HTTP_COOKIE", ""):
        return
    parts = sender.extensions["guide_index"].get((request.endpoint, request.method))
    if not parts:
        return
    # Recording is the lab's own bookkeeping, not a step of the flow under study: keep it out
    # of this request's Server-Timing trace (the diagrams and the cost figures).
    trace = request.environ.get("lab.trace")
    request.environ["lab.trace"] = None
    try:
        # (Inside the try: reading a form field can raise, e.g. on a body over the size limit,
        # and the request's own answer - a 413 - must stand.)
        ticket = request_ticket()
        if ticket:
            _record(sender, parts, ticket, response)
    except Exception:  # a step not credited is a pity; a failed request would be a bug
        sender.logger.debug("guide step not recorded", exc_info=True)
    finally:
        request.environ["lab.trace"] = trace


def _verdict(done, response):
    """True (ok), False (bad) or None (not this step's request). A check may also return a
    text: bad, and the text says what the server saw (kept as the record's detail)."""
    ok = response.status_code in done.statuses
    if done.check is not None:
        try:
            checked = done.check(request, response)
        except Exception:  # a check that cannot tell says nothing
            current_app.logger.debug("guide check failed", exc_info=True)
            return None
        if checked is None:
            return None
        if isinstance(checked, str):
            return _Said(checked)
        ok = ok and bool(checked)
    return ok


class _Said(str):
    """A red verdict with the check's own words (falsy, like False)."""

    def __bool__(self):
        return False


def _record(app, parts, ticket, response):
    actor = actor_of(ticket, app)
    if actor is None:
        return
    client = _client(app)
    waiting = sorted({guide.lab for guide, _s, _i, done in parts if done.after})
    current = {}
    if waiting:
        with client.pipeline(transaction=False) as pipe:
            for lab in waiting:
                pipe.hgetall(key(actor, lab))
            for lab, found in zip(waiting, pipe.execute()):
                current[lab] = {_text(k): _text(v) for k, v in found.items()}
    results = {}
    for guide, step, i, done in parts:
        if done.after and step_state(guide.step(done.after), current[guide.lab])[0] != "ok":
            continue
        verdict = _verdict(done, response)
        if verdict is not None:
            results.setdefault(guide.lab, []).append((f"{step.id}/{i}", verdict))
    if not results:
        return
    context = set(request.headers.get(CONTEXT_HEADER, "").split())
    now = int(time.time())
    writes = {}
    for lab, found in results.items():
        any_ok = any(verdict for _f, verdict in found)
        fields = {}
        for field, verdict in found:
            if verdict:
                fields[field] = f"ok:{now}"
            elif not any_ok and lab in context:
                said = verdict if isinstance(verdict, _Said) else ""
                detail = " ".join(said.split())[:80].replace(":", " ") or response.status_code
                fields[field] = f"bad:{now}:{detail}"
        if fields:
            writes[key(actor, lab)] = fields
    if writes:
        with client.pipeline(transaction=False) as pipe:
            for k, fields in writes.items():
                pipe.hset(k, mapping=fields)
                pipe.expire(k, TTL)
            pipe.execute()
