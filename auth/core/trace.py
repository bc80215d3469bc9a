"""The server's trace: every step a request made (Redis, SQLite, crypto), timed, sent back as a
standard `Server-Timing` header, plus what the server saw on the wire (X-Lab-* headers).

Cheap by design: a step is two perf_counter() calls and a list append; the headers are built
once per response in a WSGI wrapper, after Flask has saved the session, so nothing is missed.

The wire facts are sent twice: as X-Lab-* headers (fetch() can read them) and as extra
Server-Timing entries named lab-* (a page can read its own navigation's Server-Timing through
performance.getEntriesByType("navigation"), never its response headers). lab-* entries are facts,
not steps: they have no duration and the sequence diagram skips them.
"""
import logging
import re
from contextlib import contextmanager
from time import perf_counter

from flask import has_request_context, request
from flask.globals import _cv_request

log = logging.getLogger(__name__)
_SAFE = re.compile(r"[^A-Za-z0-9 _:./=+*,()'-]")  # a desc stays a plain quoted-string
_UNPRINTABLE = re.compile(r'[^\x20-\x7e]')


def mask(secret):
    """`9N0V…-tE`: enough to recognise an id in DevTools, not enough to replay it."""
    if not secret:
        return ""
    return secret[:4] + "…" + secret[-3:] if len(secret) > 10 else "…"


def _ascii_mask(value):
    # Response headers are latin-1 on the wire: "..." rather than "…".
    return mask(value).replace("…", "...")


def add(name, started, desc=""):
    """Record a finished step that began at `started` (perf_counter) on the current request."""
    ctx = _cv_request.get(None)  # (what has_request_context() and `request` both look up)
    if ctx is not None:
        steps = ctx.request.environ.get("lab.trace")
        if steps is not None:
            steps.append((name, perf_counter() - started, desc))


@contextmanager
def step(name, desc=""):
    started = perf_counter()
    try:
        yield
    finally:
        add(name, started, desc)


def after_wire(callback):
    """Call `callback(wire)` once this request's response headers are final (after the session
    save), with the facts the lab-* entries report: a view can keep a record of what it sent."""
    if has_request_context():
        request.environ.setdefault("lab.after_wire", []).append(callback)


def instrument_redis(client):
    """Trace every command this client sends (pipelines are traced where they are used)."""
    send = client.execute_command

    def traced(*args, **options):
        started = perf_counter()
        try:
            return send(*args, **options)
        finally:
            command = str(args[0]).upper()
            key = args[1] if len(args) > 1 and command not in ("EVALSHA", "EVAL") else ""
            if isinstance(key, bytes):
                key = key.decode("utf-8", "replace")
            add(f"redis-{command.lower()}", started, f"{command} {mask_key(str(key))}".strip())

    client.execute_command = traced
    return client


def mask_key(key):
    # Keys hold session ids: mask the id part so a projected trace never leaks a credential.
    prefix, _sep, ident = key.rpartition(":")
    return f"{prefix}:{mask(ident).replace('…', '...')}" if prefix and len(ident) > 10 else key


def _quoted(text):
    """A Server-Timing desc as an HTTP quoted-string: printable ASCII, with \\ and " escaped."""
    text = _UNPRINTABLE.sub("?", text)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def server_timing(steps, total, wire=None):
    parts = [f'{name};dur={seconds * 1000:.3f};desc="{_SAFE.sub("", desc)[:80]}"'
             for name, seconds, desc in steps]
    if wire is not None:
        # Facts, not steps (no dur): what crossed the wire, readable by the page for its own
        # navigation, where response headers are out of a script's reach.
        request_line = f"{wire['method']} {wire['status']}"
        parts.append(f"lab-request;desc={_quoted(request_line)}")
        parts.append(f"lab-bytes;desc={_quoted(' '.join(f'{k}={v}' for k, v in wire['bytes'].items()))}")
        parts.append(f"lab-cookie;desc={_quoted(wire['cookie_seen'])}")
        parts.extend(f"lab-set-cookie;desc={_quoted(line)}" for line in wire["set_cookie"])
    parts.append(f"total;dur={total * 1000:.3f}")
    return ", ".join(parts)


def header_line_bytes(name, value):
    # As on an HTTP/1.1 wire: "Name: value\r\n".
    return len(name) + 2 + len(value.encode("latin-1", "replace")) + 2 if value else 0


def masked_cookies(cookie_header):
    """`lab_session=9N0V...-tE; lang=...`: every cookie's name, every value masked. Other apps
    on the same host share the browser's cookie jar, so any of them may be a credential."""
    pairs = (c.partition("=") for c in cookie_header.split(";") if c.strip())
    return "; ".join(f"{name.strip()}={_ascii_mask(value.strip())}" for name, _s, value in pairs)


def masked_set_cookie(line):
    """A Set-Cookie line with its value masked and its attributes (the flags) as sent."""
    pair, sep, attributes = line.partition(";")
    name, _s, value = pair.partition("=")
    return f"{name}={_ascii_mask(value)}{sep}{attributes}"


def wire_facts(environ, status, headers):
    """What this request carried, measured from what the server received, and the cookies the
    response sets (masked)."""
    # WSGI names a header HTTP_USER_AGENT for "User-Agent": same length less the "HTTP_".
    total = sum(len(k) - 5 + 4 + len(v) for k, v in environ.items() if k.startswith("HTTP_"))
    total += sum(len(k) + 4 + len(environ[k]) for k in ("CONTENT_TYPE", "CONTENT_LENGTH")
                 if environ.get(k))
    cookie = environ.get("HTTP_COOKIE", "")
    try:
        body = max(0, int(environ.get("CONTENT_LENGTH") or 0))
    except ValueError:
        body = 0
    response = next((v for n, v in headers if n.lower() == "content-length"), "")
    facts = {"headers": total, "cookie": header_line_bytes("Cookie", cookie),
             "authorization": header_line_bytes("Authorization",
                                                environ.get("HTTP_AUTHORIZATION", "")),
             "body": body}
    if response.isdigit():
        facts["response"] = int(response)
    return {
        "method": environ.get("REQUEST_METHOD", ""),
        "status": int(status.split(" ", 1)[0]),
        "bytes": facts,
        "cookie_seen": masked_cookies(cookie),
        "set_cookie": [masked_set_cookie(v) for n, v in headers if n.lower() == "set-cookie"],
    }


class TraceMiddleware:
    """WSGI wrapper: start the step list, and add the headers once the response is final."""

    def __init__(self, wsgi_app, cookie_name):
        self.wsgi_app, self.cookie_name = wsgi_app, cookie_name
        # The node's name when this process is one node of a cluster (auth/cluster/node.py sets
        # it): every response then says which process answered (X-Lab-Node, lab-node entry).
        self.node = None

    def __call__(self, environ, start_response):
        started = perf_counter()
        steps = environ["lab.trace"] = []

        def start(status, headers, exc_info=None):
            wire = wire_facts(environ, status, headers)
            for callback in environ.pop("lab.after_wire", []):
                try:  # a record the page shows later must never break the response itself
                    callback(wire)
                except Exception:  # noqa: BLE001
                    log.warning("after_wire callback failed", exc_info=True)
            timing = server_timing(steps, perf_counter() - started, wire)
            if self.node:
                timing += f", lab-node;desc={_quoted(self.node)}"
                headers.append(("X-Lab-Node", self.node))
            headers.append(("Server-Timing", timing))
            sizes = wire["bytes"]
            headers.append(("X-Lab-Request-Bytes",
                            "; ".join(f"{k}={sizes[k]}" for k in
                                      ("headers", "cookie", "authorization", "body"))))
            headers.append(("X-Lab-Cookie-Seen", wire["cookie_seen"]))
            for line in wire["set_cookie"]:
                if line.startswith(self.cookie_name + "="):
                    headers.append(("X-Lab-Set-Cookie", line))
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start)
