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


def serve(app, host, port, threads, connection_limit, channel_timeout, banner=()):
    """Serve `app` until the process is stopped; exit with a clear message if the port is busy."""
    from waitress.server import create_server

    harden_waitress()
    try:
        server = create_server(app, host=host, port=port, threads=threads,
                               connection_limit=connection_limit,
                               channel_timeout=channel_timeout, ident="session-vs-jwt-lab")
    except OSError as exc:
        if exc.errno in (errno.EADDRINUSE, errno.EACCES):
            sys.exit(f"Port {port} on {host} is already in use (or not allowed). Start on another "
                     f"port: python app.py --port {port + 1}, or PORT={port + 1} make run.")
        raise
    for line in banner:
        print(line, flush=True)
    server.run()
