"""The scale-out lab: the page, the JWKS, and each node's small API.

Cross-origin on purpose: every node listens on its own port, and a port is part of an origin, so
the page (served by one node) calls the others with fetch() under CORS. Only the cluster's own
origins are allowed: the same host name the request was addressed to, on a port of the cluster
(its nodes and its balancer). Not `*`, and never with another host: with credentials allowed, a
wildcard-like reflection would let any site read a logged-in user's answers.
Cookies, unlike origins, ignore ports (RFC 6265 §8.5), so the browser sends the lab_session
cookie set by one node to every node of the same host: what differs is whether that node's store
knows the session.
"""
import ipaddress
import json
import os
import signal
import threading
import time
from time import perf_counter

import redis
from flask import Blueprint, current_app, jsonify, render_template, request
from flask_babel import gettext as _

from ...cluster import localview, node as cluster_node
from ...cluster.supervisor import CONTROL_KEY, MAX_OUTAGE, restore_flag
from ...core import trace
from ...core.errors import ApiError, json_error
from ...core.http import SECURITY_HEADERS, no_store, set_csp
from ...tokens import keys as token_keys
from ...tokens.keys import ring
from ...tokens.verify import StoreUnavailable, TokenError, decode, verify_access
from ...tokens.views import bearer_token, invalid_token, store_unavailable

bp = Blueprint("scale", __name__)
bp.register_error_handler(TokenError, invalid_token)
bp.register_error_handler(StoreUnavailable, store_unavailable)

JWKS_MAX_AGE = 60  # seconds a verifier may cache the JWKS (auth/cluster/jwks.py uses the same)
# The session login and its CSRF token too: through the balancer a login is cross-origin.
CORS_PATHS = ("/api/session/me", "/api/jwt/me", "/api/lab/scale/", "/.well-known/jwks.json",
              "/session/csrf", "/session/login", "/healthz")
EXPOSED = ("X-Lab-Node, X-Lab-Balancer, Server-Timing, X-Lab-Request-Bytes, X-Lab-Cookie-Seen, "
           "X-Lab-Set-Cookie, WWW-Authenticate")
ISSUING = ("/api/jwt/login", "/api/jwt/refresh")


def _node():
    return current_app.config.get("LAB_NODE")


def _cluster():
    return current_app.config.get("LAB_CLUSTER")


def _ports():
    cluster = _cluster() or {}
    ports = {n["port"] for n in cluster.get("nodes", [])}
    if cluster.get("balancer"):
        ports.add(cluster["balancer"]["port"])
    return ports


def allowed_origin(origin, host):
    """True when `origin` is one of the cluster's own origins, as reached at `host`."""
    if not origin or not origin.startswith("http://"):
        return False
    name, _sep, port = origin[len("http://"):].rpartition(":")
    here = host.rpartition(":")[0] if ":" in host else host
    return bool(name) and name == here and port.isdigit() and int(port) in _ports()


# --- Every node --------------------------------------------------------------------------------

def cors(response):
    """after_app_request: CORS for the lab's calls between the cluster's origins only."""
    if _cluster() is None or not request.path.startswith(CORS_PATHS):
        return response
    origin = request.headers.get("Origin", "")
    if not allowed_origin(origin, request.host):
        return response
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Access-Control-Allow-Credentials"] = "true"
    response.headers["Access-Control-Expose-Headers"] = EXPOSED
    response.vary.add("Origin")
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, POST"
        # X-Lab-Guide(-Labs): who is doing the lab's guided steps (auth/labs/guide/), sent by
        # the page to the other nodes too, since a bearer call carries no cookie.
        response.headers["Access-Control-Allow-Headers"] = ("Authorization, Content-Type, "
                                                            "X-CSRFToken, X-Lab-Guide, "
                                                            "X-Lab-Guide-Labs")
        response.headers["Access-Control-Max-Age"] = "600"
    return response


def refuse_issuing():
    """before_app_request: a verify-only node holds no private key, so it cannot issue."""
    node = _node()
    if node and node.get("verify_only") and request.path in ISSUING:
        return json_error(403, "verify_only", _(
            "This node is verify-only: it holds only the public keys it fetched from the JWKS, "
            "so it can check a token but cannot issue one. Log in on another node."))
    return None


def publish_revocation(response):
    """after_app_request: in a cluster, a successful logout is pushed to every node's local view
    (auth/cluster/localview.py). The proper home of this call is token_store.deny(); until the
    store has that hook, it is made here, from the token the logout just verified."""
    if _cluster() is None or request.path != "/api/jwt/logout" or response.status_code != 200:
        return response
    try:
        with trace.step("redis-publish", f"PUBLISH {localview.CHANNEL} (jti, fam)"):
            localview.publish(current_app.extensions["lab_redis"],
                              decode(bearer_token(), "access"))
    except (TokenError, ApiError, redis.RedisError):
        pass  # nothing verified, or Redis gone: the nodes that ask Redis still see the deny key
    return response


def setup(app):
    """Called by create_app once the blueprint is registered."""
    app.after_request(cors)
    app.after_request(publish_revocation)
    app.before_request(refuse_issuing)


# --- The page ----------------------------------------------------------------------------------

def _origins_for_page():
    host = request.host.rpartition(":")[0] if ":" in request.host else request.host
    return [f"http://{host}:{port}" for port in sorted(_ports())]


@bp.get("/labs/scale")
def page():
    cluster = _cluster()
    node = _node()
    host = request.host.rpartition(":")[0] if ":" in request.host else request.host
    nodes = [dict(cluster_node.describe(n["name"], n["index"]), port=n["port"],
                  url=f"http://{host}:{n['port']}") for n in (cluster or {}).get("nodes", [])]
    balancer = (cluster or {}).get("balancer")
    response = current_app.make_response(render_template(
        "labs/scale/index.html", cluster=cluster, node=node, nodes=nodes,
        balancer_url=f"http://{host}:{balancer['port']}" if balancer else None,
        balancer_hint=(cluster or {}).get("balancer_hint"),
        algorithm=ring().alg, asymmetric=not ring().alg.startswith("HS")))
    if cluster:
        policy = SECURITY_HEADERS["Content-Security-Policy"].replace(
            "connect-src 'self'", "connect-src 'self' " + " ".join(_origins_for_page()))
        set_csp(response, policy)
    return no_store(response)


# --- The node's own API ------------------------------------------------------------------------

@bp.get("/api/lab/scale/ping")
def ping():
    """The health check HAProxy calls (no Redis: a node is up when its process answers)."""
    node = _node() or {"name": None}
    return no_store(jsonify({"node": node["name"], "pid": os.getpid()}))


@bp.get("/api/lab/scale/node")
def node_status():
    """What this node is: name, pid, session store, keys it holds (a verify-only node: the JWKS
    it fetched and how old its copy is)."""
    node = _node() or {}
    keyring = ring()
    info = {"node": node.get("name"), "pid": os.getpid(),
            "session_store": node.get("session_store", "shared"),
            "verify_only": bool(node.get("verify_only")), "algorithm": keyring.alg,
            "kids": [k.kid for k in keyring.keys],
            "signing_kid": keyring.current.kid if keyring.current else None}
    if hasattr(keyring, "status"):
        info["jwks"] = keyring.status()
    info["fail_mode"] = _fail_mode()
    local = current_app.extensions.get("lab_session_redis")
    if local is not None:  # this node's own session store: its redis-server's pid
        try:
            info["session_redis_pid"] = local.info("server")["process_id"]
        except redis.RedisError:
            info["session_redis_pid"] = None
    try:
        current_app.extensions["lab_redis"].ping()
        info["redis"] = "ok"
    except redis.RedisError:
        info["redis"] = "down"
    return no_store(jsonify(info))


def _control_allowed(cluster=True):
    """The controls stop and start processes: only from this machine, never through the
    balancer (which adds X-Lab-Balanced-For), only in a cluster, only as JSON (preflighted)."""
    if cluster and _cluster() is None:
        return json_error(409, "not_a_cluster", _(
            "This app runs as a single process: start the cluster with make cluster "
            "(python app.py --nodes 3) to use these controls."))
    try:
        local = ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        local = False
    if not local or request.headers.get("X-Lab-Balanced-For"):
        return json_error(403, "not_local", _(
            "Only a browser on the machine running the cluster may stop or start its processes."))
    if not request.is_json:
        return json_error(415, "json_only", _("Send this as JSON (Content-Type: application/json)."))
    return None


def _push(command):
    current_app.extensions["lab_redis"].rpush(CONTROL_KEY, json.dumps(command))


@bp.post("/api/lab/scale/stop")
def stop():
    """Stop this node: its process really exits (SIGTERM to itself, after this answer)."""
    refused = _control_allowed()
    if refused:
        return refused
    node = _node()
    response = no_store(jsonify({"node": node["name"], "pid": os.getpid(), "stopping": True}))

    def exit_soon():
        # After waitress has taken the whole answer, and a moment for it to reach the socket.
        timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGTERM))
        timer.daemon = True
        timer.start()

    response.call_on_close(exit_soon)
    return response, 202


@bp.post("/api/lab/scale/start")
def start():
    """Ask the supervisor (through Redis) to start a stopped node again."""
    refused = _control_allowed()
    if refused:
        return refused
    name = (request.get_json(silent=True) or {}).get("node")
    if name not in {n["name"] for n in _cluster()["nodes"]}:
        return json_error(400, "unknown_node", _("No such node in this cluster."))
    try:
        _push({"cmd": "start", "node": name})
    except redis.RedisError:
        return json_error(503, "store_unavailable", _("Redis is down: the supervisor cannot be "
                                                      "asked right now. Try again in a moment."))
    return no_store(jsonify({"asked": "start", "node": name})), 202


@bp.post("/api/lab/scale/store")
def switch_store():
    """Restart every node with --session-store shared|local (asked through Redis)."""
    refused = _control_allowed()
    if refused:
        return refused
    mode = (request.get_json(silent=True) or {}).get("session_store")
    if mode not in cluster_node.SESSION_STORES:
        return json_error(400, "bad_store", _("session_store must be shared or local."))
    try:
        _push({"cmd": "restart", "session_store": mode})
    except redis.RedisError:
        return json_error(503, "store_unavailable", _("Redis is down: the supervisor cannot be "
                                                      "asked right now. Try again in a moment."))
    return no_store(jsonify({"asked": "restart", "session_store": mode})), 202


@bp.post("/api/lab/scale/fail-mode")
def fail_mode():
    """This node's revocation check when Redis does not answer: closed (503, the default) or
    open (the token is accepted unchecked: the bug). Per node, in memory: it must still be
    readable while Redis is down, and a restart brings the safe default back."""
    refused = _control_allowed(cluster=False)
    if refused:
        return refused
    mode = (request.get_json(silent=True) or {}).get("mode")
    if mode not in ("open", "closed"):
        return json_error(400, "bad_mode", _("mode must be open or closed."))
    current_app.config["LAB_REVOCATION_FAIL_OPEN"] = mode == "open"
    return no_store(jsonify({"node": (_node() or {}).get("name"), "fail_mode": mode}))


@bp.post("/api/lab/scale/redis-outage")
def redis_outage():
    """Pull the plug: the supervisor really stops the shared redis-server, for `seconds` (or
    until /api/lab/scale/redis-restore), then starts it again on the same files."""
    refused = _control_allowed()
    if refused:
        return refused
    if not _cluster().get("outage"):
        return json_error(409, "external_redis", _(
            "This cluster uses REDIS_URL: the lab only stops the Redis it started itself."))
    seconds = (request.get_json(silent=True) or {}).get("seconds", 30)
    if not isinstance(seconds, int) or not 1 <= seconds <= MAX_OUTAGE:
        return json_error(400, "bad_seconds", _("seconds must be a whole number from 1 to "
                                                "%(n)s.", n=MAX_OUTAGE))
    try:
        _push({"cmd": "redis-outage", "seconds": seconds})
    except redis.RedisError:
        return json_error(409, "already_down", _("Redis is already down."))
    return no_store(jsonify({"asked": "redis-outage", "seconds": seconds})), 202


@bp.post("/api/lab/scale/redis-restore")
def redis_restore():
    """Plug Redis back in now. Redis is down, so this goes through a file in the instance
    folder that the supervisor watches during an outage."""
    refused = _control_allowed()
    if refused:
        return refused
    with open(restore_flag(current_app.instance_path), "w") as fh:
        fh.write(str(os.getpid()))
    return no_store(jsonify({"asked": "redis-restore"})), 202


@bp.post("/api/lab/scale/rotate")
def rotate():
    """Rotate the signing key. Normal: the old public keys stay in the JWKS (and verify) until
    every token they signed has expired. Emergency: they are dropped at once."""
    refused = _control_allowed(cluster=False)
    if refused:
        return refused
    keyring = ring()
    if keyring.alg.startswith("HS") or keyring.current is None:
        return json_error(409, "cannot_rotate", _(
            "Only a node that signs with a private key (RS256, ES256, EdDSA) rotates here: an "
            "HS256 secret is configuration, and a verify-only node has no key to rotate."))
    emergency = bool((request.get_json(silent=True) or {}).get("emergency"))
    cfg = current_app.config
    keep_for = max(cfg["ACCESS_TOKEN_TTL"], cfg["REFRESH_TOKEN_TTL"]) + cfg["JWT_LEEWAY"]
    old = [k.kid for k in keyring.keys]
    done = token_keys.rotate(keyring, current_app.instance_path, keep_for, emergency)
    return no_store(jsonify(dict(done, emergency=emergency, before=old,
                                 keys=keyring.describe(), jwks_max_age=JWKS_MAX_AGE)))


@bp.get("/api/lab/scale/keys")
def keys_status():
    """The ring as this node holds it now: which key signs, until when each one verifies."""
    keyring = ring()
    if hasattr(keyring, "status"):
        return no_store(jsonify({"verify_only": True, "jwks": keyring.status()}))
    if keyring.alg.startswith("HS"):
        return no_store(jsonify({"verify_only": False, "algorithm": keyring.alg, "keys": []}))
    return no_store(jsonify({"verify_only": False, "algorithm": keyring.alg,
                             "keys": keyring.describe(), "now": time.time()}))


# --- Revocation across nodes: a node-local view kept fresh by a push -------------------------

def _view():
    view = current_app.extensions.get("lab_localview")
    if view is None:
        view = current_app.extensions["lab_localview"] = localview.LocalView(
            current_app.extensions["lab_redis"])
        view.connect()
    return view


@bp.get("/api/lab/scale/push")
def push_status():
    """This node's local view of the denylist and whether its subscription is alive."""
    try:
        view = _view()
    except redis.RedisError:
        return json_error(503, "store_unavailable", _("Redis is down: the local view cannot "
                                                      "be loaded now."))
    return no_store(jsonify(dict(view.status(), node=(_node() or {}).get("name"))))


@bp.post("/api/lab/scale/push")
def push_switch():
    """Break this node's push (it stops hearing revocations), or reconnect it, with or without
    the fix (reload the whole denylist after subscribing)."""
    refused = _control_allowed(cluster=False)
    if refused:
        return refused
    body = request.get_json(silent=True) or {}
    if not isinstance(body.get("connected"), bool) or not isinstance(body.get("resync", True),
                                                                     bool):
        return json_error(400, "bad_switch", _("Send connected (true or false) and, to "
                                               "reconnect, resync (true or false)."))
    try:
        view = _view()
        if body["connected"]:
            view.connect(resync=body.get("resync", True))
        else:
            view.disconnect()
    except redis.RedisError:
        return json_error(503, "store_unavailable", _("Redis is down: the local view cannot "
                                                      "be loaded now."))
    return no_store(jsonify(dict(view.status(), node=(_node() or {}).get("name"))))


@bp.get("/api/lab/scale/jwt-me-fail-mode")
def jwt_me_fail_mode():
    """GET /api/jwt/me's check as THIS NODE's lab switch says to behave when Redis is away.
    Fail-closed (the default): exactly the real check, 503 without Redis. Fail-open — WEAK ON
    PURPOSE, the real bug of denylists that "fail open": the signature is checked, the revocation
    is skipped, and a revoked token is accepted again. The real /api/jwt/me never does that."""
    token = bearer_token()
    try:
        claims, checked = verify_access(token), "redis"
    except StoreUnavailable:
        if current_app.config.get("LAB_REVOCATION_FAIL_OPEN") is not True:
            raise
        claims, checked = decode(token, "access"), "skipped"
        trace.add("revocation-fail-open", perf_counter(),
                  "Redis down: revocation NOT checked, token accepted (fail-open)")
    return no_store(jsonify({"user": {"username": claims.get("username")},
                             "revocation": checked, "fail_mode": _fail_mode()}))


def _fail_mode():
    return "open" if current_app.config.get("LAB_REVOCATION_FAIL_OPEN") else "closed"


@bp.get("/api/lab/scale/jwt-me-local")
def jwt_me_local():
    """GET /api/jwt/me, but revocation checked against this node's local view (memory) instead
    of Redis: no round trip, and only as fresh as the push that fed it."""
    claims = decode(bearer_token(), "access")
    try:
        view = _view()
    except redis.RedisError:
        raise StoreUnavailable("local view not loaded") from None
    started = perf_counter()
    revoked = view.revoked(claims)
    trace.add("local-view", started, f"jti/fam in this node's memory: "
                                     f"{'revoked' if revoked else 'not revoked'}")
    if revoked:
        raise TokenError("revoked", _("The token was revoked: this node heard it through the "
                                      "push and keeps it in its local view."))
    return no_store(jsonify({"user": {"username": claims.get("username")},
                             "checked": "local view", "push": view.status()}))


# --- JWKS --------------------------------------------------------------------------------------

@bp.get("/.well-known/jwks.json")
def jwks():
    """The public keys that verify this app's tokens (RFC 7517), for any verifier to fetch.
    404 under HS*: the verifying key is the signing secret, which is never published."""
    keyring = ring()
    if keyring.alg.startswith("HS"):
        return json_error(404, "no_public_keys", _(
            "This server signs with %(alg)s, a shared secret: there is no public key to "
            "publish. Set JWT_ALGORITHM to RS256, ES256 or EdDSA.", alg=keyring.alg))
    response = jsonify(keyring.public_jwks())
    response.headers["Cache-Control"] = f"public, max-age={JWKS_MAX_AGE}"
    return response
