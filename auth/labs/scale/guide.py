"""The scale-out lab's guided steps: read the nodes, have another node answer for a login it did
not make, stop a node, then break one node's revocation push and fix it.

Credited from the server's own records, on whichever node answered (the records are in the
Redis every node shares): the nodes' own API, and for "another node answered" the browser's
Origin header, which names the page's origin on a cross-origin call (a port is part of it).
"""
import json
from urllib.parse import urlsplit

import redis
from flask import current_app, request
from flask_babel import lazy_gettext as _l

from ...cluster import node as cluster_node
from ...cluster.supervisor import CONTROL_KEY
from ...tokens import store as token_store
from ..guide import Guide, Step, done_when as _done, token_claims


def _from_another_node(*_args):
    """A cross-origin call: the page that sent it was served by another node (or the
    balancer's port), and this node answered it."""
    origin = request.headers.get("Origin", "")
    try:
        sent_from = urlsplit(origin).port
    except ValueError:
        return False
    here = request.host.rpartition(":")[2]
    return bool(sent_from) and here.isdigit() and sent_from != int(here)


def _live_token_from_another_node(*_args):
    """alice's live token checked by another node (a revoked one is the push steps' business)."""
    return _from_another_node() and not _bearer_revoked()


def _bearer_revoked(*_args):
    """The bearer token of this request is revoked in Redis (denylist or family)."""
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    claims = token_claims(token.strip())
    try:
        return bool(claims.get("fam") and claims.get("jti")) and token_store.is_revoked(claims)
    except Exception:  # Redis away: the step is not credited now
        return False


def _view_connected(want):
    """A revoked bearer token, checked on a node whose own push is (want=True) or is not
    (want=False) connected right now."""
    def when(*_args):
        view = current_app.extensions.get("lab_localview")
        return view is not None and bool(view.connected) is want and _bearer_revoked()
    return when


def _asked(connected):
    def when(*_args):
        body = request.get_json(silent=True)
        return isinstance(body, dict) and body.get("connected") is connected
    return when


def _push(connected):
    def check(req, res):
        data = res.get_json(silent=True) or {}
        return data.get("connected") is connected
    return check


def reset():
    """This lab's switches, back to their defaults: this node's fail-open switch off, its push
    reconnected with the reload, every stopped node started again, and the shared session store.
    The other nodes' in-memory switches are put back by the page (static/js/scale.js), which can
    reach every node."""
    current_app.config["LAB_REVOCATION_FAIL_OPEN"] = False
    view = current_app.extensions.get("lab_localview")
    try:
        if view is not None:
            view.disconnect()
            view.connect(resync=True)
    except redis.RedisError:
        pass
    cluster = current_app.config.get("LAB_CLUSTER")
    if not cluster:
        return
    client = current_app.extensions["lab_redis"]
    for n in cluster.get("nodes", []):
        client.rpush(CONTROL_KEY, json.dumps({"cmd": "start", "node": n["name"]}))
    if cluster.get("session_store", "shared") != "shared" and "shared" in \
            cluster_node.SESSION_STORES:
        client.rpush(CONTROL_KEY, json.dumps({"cmd": "restart", "session_store": "shared"}))


GUIDE = Guide(
    lab="scale",
    title=_l("Scale-out"),
    steps=[
        Step(id="nodes",
             title=_l("Read every node"),
             will=_l("What will happen: the page asks every node for GET /api/lab/scale/node "
                     "on its own port. A port is part of an origin, so these are cross-origin "
                     "requests, allowed by CORS for this cluster's own addresses only."),
             why=_l("Why: the nodes are separate processes with their own pids; what they share "
                    "is Redis (and, in the shared mode, the session store)."),
             hint=_l("Hint: “Read the nodes again”."),
             done=[_done("scale.node_status", "GET", (200,))]),
        Step(id="ask",
             title=_l("Another node answers for alice"),
             will=_l("What will happen: alice logs in once; then GET /api/session/me (with the "
                     "cookie) and GET /api/jwt/me (with the token) go to every node."),
             why=_l("Why: a node that did not make the login knows alice. With one shared store "
                    "every node reads the same session key; the JWT needs no store to be "
                    "verified at all. With node-local stores only one node would know her."),
             hint=_l("Hint: “Log alice in”, then “Send the same request everywhere”."),
             done=[_done("session_flow.me", "GET", (200,), when=_from_another_node),
                   _done("jwt_flow.me", "GET", (200,), when=_live_token_from_another_node)]),
        Step(id="stop",
             title=_l("Stop a node"),
             will=_l("What will happen: one node's process really exits (POST "
                     "/api/lab/scale/stop answers 202, then the process ends itself)."),
             why=_l("Why: round-robin skips the dead node, and sticky routing moves you to "
                    "another one. With a shared store you stay logged in; with node-local "
                    "stores the session died with its node. Reset this lab to start it again."),
             hint=_l("Hint: a “Stop” button in the table of nodes, then send everything again."),
             done=[_done("scale.stop", "POST", (202,))]),
        Step(id="push-broken",
             title=_l("A broken push: a revoked token still accepted"),
             will=_l("What will happen: one node's revocation push is broken, a token is logged "
                     "out, then that node checks it against its local view "
                     "(GET /api/lab/scale/jwt-me-local)."),
             why=_l("Why: it answers 200 for a revoked token. Pub/sub is fire and forget: a "
                    "node that was not listening never hears the revocation, and nothing tells "
                    "it so."),
             hint=_l("Hint: “Break” on one node, “Get a token and revoke it (on this node)”, "
                     "“Ask every node both ways”."),
             done=[_done("scale.push_switch", "POST", (200,), when=_asked(connected=False),
                        check=_push(False)),
                   _done("scale.jwt_me_local", "GET", (200,), when=_view_connected(False))]),
        Step(id="push-fixed",
             title=_l("Reload the denylist: the fix"),
             will=_l("What will happen: the node reconnects and reloads the whole denylist from "
                     "Redis, then checks the same revoked token again."),
             why=_l("Why: now it refuses it (401). Reconnecting alone does not bring a missed "
                    "message back; reloading the state after subscribing does."),
             hint=_l("Hint: “Reload (fix)” on that node, then ask both ways again."),
             done=[_done("scale.push_switch", "POST", (200,), after="push-broken",
                        when=_asked(connected=True),
                        check=lambda req, res: (res.get_json(silent=True) or {}).get(
                            "resync_on_reconnect") is True),
                   _done("scale.jwt_me_local", "GET", (401,), when=_view_connected(True),
                        after="push-broken")]),
    ],
    reset=reset,
)
