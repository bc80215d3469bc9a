"""What makes one `python app.py` process a node of a cluster.

The supervisor (supervisor.py) starts every node with `--node-name` and `--cluster FILE` (the
JSON description of the cluster it wrote into the instance folder); a node started by hand with
`--session-store local` or `--verify-only --jwks-url URL` is a node too. `configure(app, ...)` is
called by app.main() right after create_app().
"""
import json
import os

from ..core import redis_conn, trace

# One colour per node, in order (the badge on every page and the lab's columns use them).
COLOURS = ("#2563eb", "#b45309", "#047857", "#7e22ce", "#b91c1c", "#0e7490")  # = scale.css
SESSION_STORES = ("shared", "local")


def describe(name, index):
    """{"name", "index", "colour"} for node number `index` (1-based)."""
    return {"name": name, "index": index, "colour": COLOURS[(index - 1) % len(COLOURS)],
            "css": f"node-c{(index - 1) % len(COLOURS) + 1}"}


def read_cluster(path):
    """The cluster file the supervisor wrote (None when this node is not part of one)."""
    if not path:
        return None
    with open(path) as fh:
        return json.load(fh)


def local_store(app, name):
    """This node's own embedded Redis for sessions only (the sticky-session problem)."""
    folder = os.path.join(app.instance_path, "nodes", name)
    os.makedirs(folder, mode=0o700, exist_ok=True)
    client = redis_conn.connect({"REDIS_SOCKET_TIMEOUT": app.config["REDIS_SOCKET_TIMEOUT"]},
                                folder)
    return trace.instrument_redis(client)


def configure(app, name, index=1, cluster=None, session_store="shared", verify_only=False,
              jwks_url=None):
    """Make `app` node `name`: its name on every response and page, and its per-node options."""
    if session_store not in SESSION_STORES:
        raise ValueError(f"--session-store must be one of {', '.join(SESSION_STORES)}")
    node = describe(name, index)
    node.update(session_store=session_store, verify_only=bool(verify_only), jwks_url=jwks_url)
    app.config["LAB_NODE"] = node
    app.config["LAB_CLUSTER"] = cluster
    app.wsgi_app.node = name  # trace.TraceMiddleware: X-Lab-Node and the lab-node entry
    app.jinja_env.globals["lab_node"] = node
    if session_store == "local":
        from ..session.store import LabSessionInterface

        client = local_store(app, name)
        app.extensions["lab_session_redis"] = client
        app.session_interface = LabSessionInterface(app, client)
    if verify_only:
        if not jwks_url:
            raise ValueError("--verify-only needs --jwks-url URL (the issuing node's "
                             "/.well-known/jwks.json)")
        if app.config["JWT_ALGORITHM"].startswith("HS"):
            raise ValueError("--verify-only needs an asymmetric JWT_ALGORITHM (RS256, ES256, "
                             "EdDSA): with HS256 the verifying key is the signing secret")
        from .jwks import JwksRing

        app.extensions["lab_keyring"] = JwksRing(app.config["JWT_ALGORITHM"], jwks_url)
    return node
