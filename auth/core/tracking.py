"""This process's view of some Redis keys, kept true by Redis itself: server-assisted client-side
caching (Redis 6+ `CLIENT TRACKING`, broadcasting mode).

Why: a session check or a revocation check is one Redis round trip per request, which costs more
than everything else the request does. A local copy makes the check a dictionary lookup, but a
copy is only allowed if it can never say "still valid" after Redis said "gone". So:

- One dedicated connection asks Redis to *tell it* about every change to keys under the tracked
  prefixes (`CLIENT TRACKING ON REDIRECT <itself> BCAST PREFIX session: PREFIX jwt:deny: ...`)
  and subscribes to `__redis__:invalidate`. Whoever changes such a key - this process, another
  node, an admin's redis-cli, a key expiring - Redis sends its name on this connection.
- Every lookup first drains that connection (a non-blocking poll: microseconds). Redis writes the
  invalidation before the writer's reply leaves, so by the time a logout's answer reached the
  browser and its next request reached any node, that node's lookup sees it: revocation stays
  immediate on every node.
- Fail closed. When the link drops (a closed socket, Redis restarted, a missed heartbeat), the
  whole view is flushed and every lookup goes back to a real round trip until the link is back
  and has been confirmed; only then are values cached again.
- A value read while an invalidation arrived is not kept (a sequence number guards each read).

The link is a plain socket speaking RESP2 (below, ~60 lines) so that a student can read exactly
what crosses it; it is never used for commands after its setup. Not used on Redis Cluster or
Sentinel (one tracking link per server would be needed): there every check is a round trip.
"""
import ctypes
import ctypes.util
import logging
import select
import socket
import threading
import time
import weakref

log = logging.getLogger(__name__)

CHANNEL = b"__redis__:invalidate"
ABSENT = object()  # cached "this key does not exist" (a negative answer is worth caching too)


class LinkDown(Exception):
    pass


# --- RESP2, just what the tracking link needs --------------------------------------------------

def _command(*parts):
    out = [b"*%d\r\n" % len(parts)]
    for part in parts:
        part = part if isinstance(part, bytes) else str(part).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(part), part))
    return b"".join(out)


class _Incomplete(Exception):
    pass


def _parse(buf, pos=0):
    """One RESP2 value from buf[pos:]: (value, next position); _Incomplete if not all there."""
    end = buf.find(b"\r\n", pos)
    if end < 0:
        raise _Incomplete
    kind, line = buf[pos:pos + 1], buf[pos + 1:end]
    pos = end + 2
    if kind == b"+":
        return line, pos
    if kind == b"-":
        return LinkDown(line.decode(errors="replace")), pos
    if kind == b":":
        return int(line), pos
    if kind == b"$":
        size = int(line)
        if size < 0:
            return None, pos
        if len(buf) < pos + size + 2:
            raise _Incomplete
        return buf[pos:pos + size], pos + size + 2
    if kind == b"*":
        count = int(line)
        if count < 0:
            return None, pos
        items = []
        for _ in range(count):
            item, pos = _parse(buf, pos)
            items.append(item)
        return items, pos
    raise LinkDown(f"unexpected reply {buf[pos - 2:pos + 20]!r}")


# --- Is anything waiting on the link? ----------------------------------------------------------
# Python's select.poll() lets go of the GIL around the system call, even with a zero timeout; with
# eight server threads another one then takes the GIL, and this request waits for it to come
# back: that wait, once per request, was the largest cost of the whole check under load. The same
# poll(2) called through ctypes.PyDLL keeps the GIL (a zero-timeout poll never blocks, so holding
# it is safe). Where ctypes or libc's poll is missing, select.poll() does the same job, slower.

class _PollFd(ctypes.Structure):
    _fields_ = [("fd", ctypes.c_int), ("events", ctypes.c_short), ("revents", ctypes.c_short)]


try:
    _libc = ctypes.PyDLL(ctypes.util.find_library("c") or "libc.so.6")
    _poll = _libc.poll
    _poll.argtypes = [ctypes.POINTER(_PollFd), ctypes.c_ulong, ctypes.c_int]
    _poll.restype = ctypes.c_int
except (OSError, AttributeError):  # not a libc we can call: the standard library's poll
    _poll = None


class _Poller:
    """One thread's zero-timeout poll of one socket (each thread has its own: the kernel writes
    the answer into the struct)."""

    def __init__(self, sock):
        if _poll is None:
            self._poller = select.poll()
            self._poller.register(sock, select.POLLIN)
        else:
            self._fd = _PollFd(sock.fileno(), select.POLLIN, 0)
            self._ref = ctypes.byref(self._fd)

    def waiting(self):
        if _poll is None:
            return bool(self._poller.poll(0))
        self._fd.revents = 0
        return _poll(self._ref, 1, 0) != 0  # 1 readable (or closed, or an error), -1 an error


# --- The view ---------------------------------------------------------------------------------

class TrackedView:
    """Values of Redis keys under `prefixes`, valid for as long as Redis has not said otherwise."""

    def __init__(self, address, prefixes, password=None, username=None, heartbeat=1.0,
                 max_entries=100_000):
        self.address = address  # ("host", port) or "/path/to/unix.sock"
        self.prefixes = tuple(prefixes)
        self.password, self.username = password, username
        self.heartbeat = heartbeat
        self.max_entries = max_entries
        self._data = {}
        self._lock = threading.Lock()
        self._local = threading.local()  # each thread's own poller of the link (see _waiting)
        self._sock = None
        self._poll = None
        self._buf = b""
        self._ping_sent = None
        self.up = False
        self.seq = 0  # bumped by every invalidation and flush: a read in flight is then not kept
        self.stats = {"hits": 0, "misses": 0, "invalidations": 0, "flushes": 0, "links": 0}
        self._stop = threading.Event()
        self._thread = None

    # -- the link ---------------------------------------------------------------------------

    def start(self):
        """Connect (once, now) and keep the link alive in a daemon thread."""
        self._connect()
        # The thread holds only a weak reference: a view nobody uses any more (an app a test
        # built and dropped) is collected, and its thread and socket go with it.
        self._thread = threading.Thread(target=_keepalive, args=(weakref.ref(self),),
                                        name="redis-tracking", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        with self._lock:
            self._down("stopped")

    def _open(self):
        if isinstance(self.address, str):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        else:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(1.0)
        sock.connect(self.address)
        return sock

    @staticmethod
    def _ask(sock, buf, *parts):
        """Send one command and read its reply (blocking: only during setup)."""
        sock.sendall(_command(*parts))
        while True:
            try:
                value, pos = _parse(buf)
                return value, buf[pos:]
            except _Incomplete:
                chunk = sock.recv(65536)
                if not chunk:
                    raise LinkDown("closed during setup") from None
                buf += chunk

    def _connect(self):
        """Open the link: CLIENT ID, CLIENT TRACKING ... BCAST, SUBSCRIBE. True when up."""
        try:
            sock, buf = self._open(), b""
            if self.password:
                auth = (self.username, self.password) if self.username else (self.password,)
                reply, buf = self._ask(sock, buf, "AUTH", *auth)
                if isinstance(reply, LinkDown):
                    raise reply
            my_id, buf = self._ask(sock, buf, "CLIENT", "ID")
            args = ["CLIENT", "TRACKING", "ON", "REDIRECT", my_id, "BCAST"]
            for prefix in self.prefixes:
                args += ["PREFIX", prefix]
            reply, buf = self._ask(sock, buf, *args)
            if isinstance(reply, LinkDown):
                raise reply
            reply, buf = self._ask(sock, buf, "SUBSCRIBE", CHANNEL)
            if not (isinstance(reply, list) and reply[:1] == [b"subscribe"]):
                raise LinkDown(f"subscribe answered {reply!r}")
        except (OSError, LinkDown, ValueError) as exc:
            log.info("redis tracking link not established: %s", exc)
            return False
        sock.setblocking(False)
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        with self._lock:
            self._sock, self._poll, self._buf = sock, poller, buf
            self._ping_sent = None
            # Anything may have changed while there was no link: start from nothing.
            self._data.clear()
            self.seq += 1
            self.up = True
            self.stats["links"] += 1
        log.info("redis tracking link up (client id %s)", my_id)
        return True

    def _down(self, why):
        """Lock held. Forget everything and stop trusting the view until a new link is up."""
        if self._sock is not None:
            try:
                self._sock.close()
            except OSError:
                pass
        if self.up:
            log.warning("redis tracking link down (%s): every check asks Redis until it is back",
                        why)
        self._sock, self._poll, self._buf = None, None, b""
        self.up = False
        self._data.clear()
        self.seq += 1
        self.stats["flushes"] += 1

    def _drain(self):
        """Lock held. Apply every invalidation already on the link; False if the link is down."""
        if not self.up:
            return False
        if not self._poll.poll(0):
            return True
        try:
            while True:
                chunk = self._sock.recv(65536)
                if not chunk:
                    self._down("closed by the server")
                    return False
                self._buf += chunk
                if len(chunk) < 65536:
                    break
        except BlockingIOError:
            pass
        except OSError as exc:
            self._down(str(exc))
            return False
        buf, pos = self._buf, 0
        try:
            while pos < len(buf):
                value, pos = _parse(buf, pos)
                self._apply(value)
        except _Incomplete:
            pass
        except (LinkDown, ValueError) as exc:
            self._down(f"bad message: {exc}")
            return False
        self._buf = buf[pos:]
        return True

    def _apply(self, message):
        if not isinstance(message, list) or not message:
            raise LinkDown(f"unexpected {message!r}")
        kind = message[0]
        if kind == b"message" and len(message) == 3 and message[1] == CHANNEL:
            keys = message[2]
            self.seq += 1
            self.stats["invalidations"] += 1
            if keys is None:  # FLUSHALL / FLUSHDB: everything goes
                self._data.clear()
                return
            for key in keys:
                self._data.pop(key.decode("utf-8", "replace"), None)
        elif kind == b"pong":
            self._ping_sent = None
        elif kind == b"tracking-redir-broken":
            raise LinkDown("redirect broken")

    def _beat(self):
        """One heartbeat: drain, PING (a link that stops answering is treated as down after two
        beats), or try to bring a down link back."""
        with self._lock:
            if self.up:
                self._drain()
            if self.up:
                if self._ping_sent is not None and \
                        time.monotonic() - self._ping_sent > 2 * self.heartbeat:
                    self._down("no answer to PING")
                elif self._ping_sent is None:
                    try:
                        self._sock.send(_command("PING"))
                        self._ping_sent = time.monotonic()
                    except OSError as exc:
                        self._down(str(exc))
            up = self.up
        if not up and not self._stop.is_set():
            self._connect()

    # -- the view ---------------------------------------------------------------------------

    def begin(self):
        """Before a read from Redis: a ticket that `put` checks (None: do not cache at all)."""
        with self._lock:
            return self.seq if self._drain() else None

    def _waiting(self):
        """Is anything waiting on the link? A poll(0) of this thread's own poller, without the
        lock: nothing is waiting nearly always, and then no thread waits for another."""
        local, sock = self._local, self._sock
        if sock is None:
            return True  # (down, or going down: the slow path says which)
        if getattr(local, "sock", None) is not sock:
            local.poller = _Poller(sock)
            local.sock = sock
        return local.poller.waiting()

    def sync(self):
        """Apply every invalidation already on the link; False when the link is down. A request
        calls it once, first (auth/core/checkmode.view): every lookup after it in the same request
        may skip the drain, because a change that lands later was concurrent with this request."""
        if not self.up:
            return False
        try:
            if not self._waiting():
                return self.up
        except (OSError, ValueError):  # the socket closed meanwhile: the slow path says so
            pass
        with self._lock:
            return self._drain()

    def get(self, key, drain=True):
        """(True, value) from the view (ABSENT for a cached "no such key"), else (False, None).
        A value that carries its own deadline (see put) is not used past it. drain=False: only
        right after sync() in the same request (no syscall, no lock: a dict read is atomic)."""
        if drain and not self.sync():
            return False, None
        entry = self._data.get(key) if self.up else None
        if entry is None:
            self.stats["misses"] += 1
            return False, None
        value, deadline = entry
        if deadline is not None and time.monotonic() >= deadline:
            self.stats["misses"] += 1
            return False, None
        self.stats["hits"] += 1
        return True, value

    def get_many(self, keys, drain=True):
        """get() for several keys with at most one drain: a list of (hit, value)."""
        now = time.monotonic()
        if (drain and not self.sync()) or not self.up:
            return [(False, None)] * len(keys)
        data = self._data
        entries = [data.get(key) for key in keys]
        found = []
        for entry in entries:
            if entry is None or (entry[1] is not None and now >= entry[1]):
                found.append((False, None))
            else:
                found.append((True, entry[0]))
        hits = sum(1 for hit, _v in found if hit)
        self.stats["hits"] += hits
        self.stats["misses"] += len(keys) - hits
        return found

    def put(self, ticket, key, value, deadline=None):
        """Keep `value` (bytes, or ABSENT) for `key` unless anything was invalidated since
        `ticket`: then the value may already be stale, and the next lookup will read again."""
        if ticket is None:
            return False
        with self._lock:
            if not self._drain() or self.seq != ticket:
                return False
            if len(self._data) >= self.max_entries:
                self._data.clear()  # bounded: start over rather than grow without limit
            self._data[key] = (value, deadline)
            return True

    def forget(self, *keys):
        """This process changed these keys: drop them now, without waiting for Redis to say so
        (the next request on this node must not depend on the message's arrival)."""
        with self._lock:
            self.seq += 1
            for key in keys:
                self._data.pop(key, None)

    def describe(self):
        return {"up": self.up, "entries": len(self._data), "prefixes": list(self.prefixes),
                **self.stats}


def _keepalive(ref):
    while True:
        view = ref()
        if view is None or view._stop.is_set():
            return
        wait = view.heartbeat
        del view  # not kept alive while this thread sleeps
        time.sleep(wait)
        view = ref()
        if view is None:
            return
        view._beat()
        del view


def for_client(client, prefixes, heartbeat=1.0):
    """A started TrackedView on the server `client` talks to, or None where tracking is not
    used (Cluster, Sentinel, TLS): there every check is a round trip."""
    pool = getattr(client, "connection_pool", None)
    kwargs = getattr(pool, "connection_kwargs", None)
    if kwargs is None or getattr(client, "lab_backend", "") in ("sentinel", "cluster"):
        return None
    if "sentinel" in type(pool).__name__.lower():
        return None
    address = kwargs.get("path") or (kwargs.get("host", "localhost"), int(kwargs.get("port", 6379)))
    if kwargs.get("ssl") or "ssl" in type(pool.connection_class).__name__.lower():
        return None  # the raw link speaks plain TCP; over TLS every check stays a round trip
    view = TrackedView(address, prefixes, password=kwargs.get("password"),
                       username=kwargs.get("username"), heartbeat=heartbeat)
    return view.start()  # not up yet (Redis away)? then round trips until the thread links it
