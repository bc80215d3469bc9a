"""A node-local view of the JWT denylist, kept fresh by a Redis push (pub/sub), and the bug that
comes with it.

Asking Redis on every request (today's behaviour, auth/tokens/revocation.py) costs one round trip
per request. The common optimisation: each node keeps the revoked jtis and families in memory,
loaded once, and every revocation is *published* on a channel all nodes subscribe to. The check
is then a set lookup. The catch: Redis pub/sub is fire-and-forget. A node that is not subscribed
at the moment of a PUBLISH (a dropped connection, a restart of its subscriber, a network blip)
never gets that message, and keeps accepting the revoked token until it expires: "a revoked
session keeps working on any replica that never saw the revocation". The fix: whenever a node
(re)subscribes, it reloads the whole denylist from Redis *after* subscribing, so nothing
published while it was away is missed.

The lab switches, per node (POST /api/lab/scale/push): `connected` (listening) or `broken` (the
subscription dropped), and `resync` on reconnect (the fix) or not (the bug).
This view is read by the lab's own check, GET /api/lab/scale/jwt-me-local; the flows' real check
(verify_access) still asks Redis.
"""
import json
import logging
import threading
import time

import redis

from ..tokens import store as token_store

log = logging.getLogger(__name__)
CHANNEL = "lab:revocations"


def publish(client, claims):
    """Tell every node that this access token (and its family) is revoked."""
    message = json.dumps({"jti": claims["jti"], "fam": claims["fam"], "exp": claims["exp"]})
    return client.publish(CHANNEL, message)


class LocalView:
    """The revoked jtis and families as this node knows them, and its subscription."""

    def __init__(self, client):
        self.client = client
        self.jtis, self.fams = set(), set()
        self.connected, self.resync_on_reconnect = False, True
        self.received, self.loaded_at, self.reloads = 0, None, 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = None

    # --- The subscription ------------------------------------------------------------------

    def connect(self, resync=None):
        """(Re)subscribe; with resync (the fix) reload the whole denylist from Redis after."""
        if resync is not None:
            self.resync_on_reconnect = resync
        if self.connected:
            return
        self._stop.clear()
        ready = threading.Event()
        self._thread = threading.Thread(target=self._listen, args=(ready,), daemon=True,
                                        name="lab-revocation-push")
        self._thread.start()
        ready.wait(5)
        if self.resync_on_reconnect or self.loaded_at is None:
            self.reload()

    def disconnect(self):
        """The push breaks: this node stops hearing revocations (nothing tells it so)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        self.connected = False

    def _listen(self, ready):
        pubsub = self.client.pubsub(ignore_subscribe_messages=True)
        try:
            pubsub.subscribe(CHANNEL)
            self.connected = True
            ready.set()
            while not self._stop.is_set():
                message = pubsub.get_message(timeout=0.5)
                if message and message.get("type") == "message":
                    self._apply(message["data"])
        except redis.RedisError as exc:  # Redis went away: the push is broken until reconnect
            log.warning("revocation push lost: %s", exc)
        finally:
            self.connected = False
            ready.set()
            try:
                pubsub.close()
            except redis.RedisError:
                pass

    def _apply(self, data):
        try:
            item = json.loads(data)
        except (TypeError, ValueError):
            return
        with self._lock:
            if isinstance(item.get("jti"), str):
                self.jtis.add(item["jti"])
            if isinstance(item.get("fam"), str):
                self.fams.add(item["fam"])
            self.received += 1

    def reload(self):
        """The whole denylist from Redis (SCAN, once): what a node reads when it (re)joins."""
        jtis, fams = set(), set()
        for key in self.client.scan_iter(match=token_store.deny_key("*"), count=500):
            jtis.add(key.decode().rsplit(":", 1)[1])
        for key in self.client.scan_iter(match=token_store.revoked_key("*"), count=500):
            fams.add(token_store.family_of(key))  # the family is the key's hash tag
        with self._lock:
            self.jtis, self.fams = jtis, fams
            self.loaded_at, self.reloads = time.time(), self.reloads + 1

    # --- The check -------------------------------------------------------------------------

    def revoked(self, claims):
        with self._lock:
            return claims["jti"] in self.jtis or claims["fam"] in self.fams

    def status(self):
        with self._lock:
            return {"connected": self.connected, "resync_on_reconnect": self.resync_on_reconnect,
                    "revoked_jtis": len(self.jtis), "revoked_families": len(self.fams),
                    "messages_received": self.received, "reloads": self.reloads,
                    "loaded_at": self.loaded_at}
