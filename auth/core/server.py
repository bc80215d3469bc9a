"""Serving the app with waitress, hardened for a classroom on a LAN.

- Limits sized for a class: hundreds of browsers, each holding a few keep-alive connections,
  and a short channel timeout so idle or half-sent connections cannot lock everyone out.
- A request with both Content-Length and Transfer-Encoding is refused with 400 and its
  connection closed (RFC 9112 §6.1): waitress 3.0 would otherwise keep the connection open and
  run whatever follows the chunked body as a second request (request smuggling).
- A port already in use is a one-line message naming --port / PORT, not a traceback.
"""
import errno
import sys
import threading

from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser, ParsingError


class StrictRequestParser(HTTPRequestParser):
    """waitress's parser, refusing a request that declares its body length twice."""

    def parse_header(self, header_plus):
        super().parse_header(header_plus)
        if self.chunked and "CONTENT_LENGTH" in self.headers:
            self.connection_close = True
            raise ParsingError("Content-Length and Transfer-Encoding together")


def harden_waitress():
    """Install the strict parser (every waitress server in this process uses it)."""
    HTTPChannel.parser_class = StrictRequestParser


def serve(sites, threads, connection_limit, channel_timeout, banner=()):
    """Serve every (app, host, port) of `sites` until the process is stopped: the first in the
    foreground, the others (the attacker's origin, ...) in threads. Every port is bound before
    anything is served, so a busy one is reported at once, with what to do instead."""
    from waitress.server import create_server

    harden_waitress()
    servers = []
    for app, host, port in sites:
        try:
            servers.append(create_server(app, host=host, port=port, threads=threads,
                                         connection_limit=connection_limit,
                                         channel_timeout=channel_timeout,
                                         ident="session-vs-jwt-lab"))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                sys.exit(f"Port {port} on {host} is already in use (or not allowed). Start on "
                         f"another port: python app.py --port {sites[0][2] + 1}, or "
                         f"PORT={sites[0][2] + 1} make run.")
            raise
    for line in banner:
        print(line, flush=True)
    for extra in servers[1:]:
        threading.Thread(target=extra.run, name=f"waitress-{extra.effective_port}",
                         daemon=True).start()
    servers[0].run()
