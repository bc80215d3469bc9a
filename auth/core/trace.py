"""The server's trace: every step a request made (Redis, SQLite, crypto), timed, sent back as a
standard `Server-Timing` header, plus what the server saw on the wire (X-Lab-* headers).

Cheap by design: a step is two perf_counter() calls and a list append; the headers are built
once per response in a WSGI wrapper, after Flask has saved the session, so nothing is missed.
"""
import re
from contextlib import contextmanager
from time import perf_counter

from flask import has_request_context, request

_SAFE = re.compile(r'[^A-Za-z0-9 _:./=+*-]')


def mask(secret):
    """`9N0V…-tE`: enough to recognise an id in DevTools, not enough to replay it."""
    if not secret:
        return ""
    return secret[:4] + "…" + secret[-3:] if len(secret) > 10 else "…"


def add(name, started, desc=""):
    """Record a finished step that began at `started` (perf_counter) on the current request."""
    if has_request_context():
        steps = request.environ.get("lab.trace")
        if steps is not None:
            steps.append((name, perf_counter() - started, desc))


@contextmanager
def step(name, desc=""):
    started = perf_counter()
    try:
        yield
    finally:
        add(name, started, desc)


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
            add(f"redis-{command.lower()}", started, f"{command} {_mask_key(str(key))}".strip())

    client.execute_command = traced
    return client


def _mask_key(key):
    # Keys hold session ids: mask the id part so a projected trace never leaks a credential.
    prefix, _sep, ident = key.rpartition(":")
    return f"{prefix}:{mask(ident).replace('…', '...')}" if prefix and len(ident) > 10 else key


def server_timing(steps, total):
    parts = [f'{name};dur={seconds * 1000:.3f};desc="{_SAFE.sub("", desc)[:80]}"'
             for name, seconds, desc in steps]
    parts.append(f"total;dur={total * 1000:.3f}")
    return ", ".join(parts)


def header_line_bytes(name, value):
    # As on an HTTP/1.1 wire: "Name: value\r\n".
    return len(name) + 2 + len(value.encode("latin-1", "replace")) + 2 if value else 0


def wire_headers(environ, cookie_name):
    """What this request carried, measured from what the server received."""
    # WSGI names a header HTTP_USER_AGENT for "User-Agent": same length less the "HTTP_".
    total = sum(len(k) - 5 + 4 + len(v) for k, v in environ.items() if k.startswith("HTTP_"))
    total += sum(len(k) + 4 + len(environ[k]) for k in ("CONTENT_TYPE", "CONTENT_LENGTH")
                 if environ.get(k))
    cookie = environ.get("HTTP_COOKIE", "")
    seen = ""
    if cookie:
        seen = "; ".join(f"{n}={mask(v) if n.strip() == cookie_name else v}"
                         for n, _s, v in (c.partition("=") for c in cookie.split("; ") if c))
    return [
        ("X-Lab-Request-Bytes",
         f"headers={total}; cookie={header_line_bytes('Cookie', cookie)}; "
         f"authorization={header_line_bytes('Authorization', environ.get('HTTP_AUTHORIZATION', ''))}"),
        ("X-Lab-Cookie-Seen", seen.replace("…", "...")),
    ]


class TraceMiddleware:
    """WSGI wrapper: start the step list, and add the headers once the response is final."""

    def __init__(self, wsgi_app, cookie_name):
        self.wsgi_app, self.cookie_name = wsgi_app, cookie_name

    def __call__(self, environ, start_response):
        started = perf_counter()
        steps = environ["lab.trace"] = []

        def start(status, headers, exc_info=None):
            headers.append(("Server-Timing", server_timing(steps, perf_counter() - started)))
            headers.extend(wire_headers(environ, self.cookie_name))
            for name, value in list(headers):
                if name.lower() == "set-cookie" and value.startswith(self.cookie_name + "="):
                    sid = value.split(";", 1)[0].split("=", 1)[1]
                    headers.append(("X-Lab-Set-Cookie",
                                    value.replace(sid, mask(sid).replace("…", "...")) if sid
                                    else value))
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start)
