"""Session vs JWT Lab: one Flask app serving both ways a server remembers who you are.

Where things are (see also the README's file map):
  auth/session/store.py   where the session is stored (Redis, via Flask-Session)
  auth/tokens/verify.py   where a token is verified (PyJWT); keys.py holds the key ring
  auth/labs/              where a new lab goes (one sub-package each, one line in LABS)
  auth/core/              what all of them share; auth/config.py every default
"""
import argparse
import os

from flask import Flask

from auth import config, labs, pages, session, tokens
from auth.attacker import create_attacker_app
from auth.labs import guide
from auth.labs.classroom import asvs
from auth.core import checkmode, errors, i18n, jsonio, limits, redis_conn, server, trace, users
from auth.core.extensions import csrf
from auth.core.http import add_security_headers, refuse_cross_site
from auth.session import store as session_store
from auth.session.store import LabSessionInterface
from auth.tokens import keys as token_keys, revocation, store as token_store

ROOT = os.path.dirname(os.path.abspath(__file__))
# Every blueprint of the app: the pages around both flows, the two flows, then the labs.
FEATURES = [pages.FEATURE, session.FEATURE, tokens.FEATURE, *labs.LABS, guide.FEATURE]


class LabFlask(Flask):
    json_provider_class = jsonio.JSONProvider  # JSON answers written by orjson


def create_app(test_config=None):
    """Build the app; `test_config` overrides the defaults and anything read from the environment."""
    test_config = dict(test_config or {})
    instance = (test_config.pop("INSTANCE_PATH", None) or os.environ.get("INSTANCE_PATH")
                or os.path.join(ROOT, "instance"))
    app = LabFlask(__name__, instance_path=os.path.abspath(instance))
    os.makedirs(app.instance_path, mode=0o700, exist_ok=True)
    app.config.from_mapping(config.DEFAULTS)
    app.config.update(config.from_env())
    app.config["DATABASE"] = os.path.join(app.instance_path, "users.db")
    app.config.update(test_config)
    config.check(app.config)
    for name in ("SECRET_KEY", "JWT_SECRET_KEY"):
        if not app.config.get(name):
            app.config[name] = config.load_secret(app.instance_path, name)
    # Each feature names the paths that never need a session; the store skips them.
    app.config["SESSION_SKIP_PREFIXES"] = tuple(app.config["SESSION_SKIP_PREFIXES"]) + tuple(
        prefix for feature in FEATURES for prefix in feature.stateless)

    client = app.config.get("REDIS_CLIENT") or redis_conn.connect(app.config, app.instance_path)
    app.extensions["lab_redis"] = trace.instrument_redis(client)
    app.extensions["lab_keyring"] = token_keys.load(app.config, app.instance_path)
    token_store.init_app(app, client)
    revocation.init_app(app, client)
    limits.init_app(app, client)
    app.session_interface = LabSessionInterface(app, client)
    # This process's copy of the keys every request checks, kept true by Redis itself.
    checkmode.init_app(app, client, (session_store.KEY_PREFIX, *token_store.TRACKED_PREFIXES,
                                     *revocation.TRACKED_PREFIXES))

    users.init_app(app)
    i18n.init_app(app)
    app.before_request(refuse_cross_site)  # Fetch Metadata: no cross-site changes
    csrf.init_app(app)
    # Every lab's guided steps, by slug, from the features' declarations (auth/labs/guide/).
    app.extensions["guides"] = guide.collect(FEATURES)
    for feature in FEATURES:
        app.register_blueprint(feature.blueprint)
        if feature.csrf_exempt:
            csrf.exempt(feature.blueprint)
        for view in feature.csrf_exempt_views:
            csrf.exempt(view)
        if feature.setup:
            feature.setup(app)
    # The nav, drawn from the declarations: the bar, then the Labs menu; and per page the
    # OWASP ASVS 5.0 requirements its feature demonstrates (auth/labs/classroom/asvs.py).
    shown = [f for f in FEATURES if f.nav and f.name != "pages"]
    app.jinja_env.globals["nav"] = [f.nav for f in shown if f.menu == "main"]
    app.jinja_env.globals["nav_labs"] = [f.nav for f in shown if f.menu != "main"]
    app.jinja_env.globals["signup_nav"] = pages.FEATURE.nav
    app.jinja_env.globals["asvs_of"] = asvs.for_blueprint({f.blueprint.name: f.name
                                                           for f in FEATURES})
    errors.init_app(app)
    app.after_request(add_security_headers)
    # Outermost, so the Server-Timing header also covers the session save after the view.
    app.wsgi_app = trace.TraceMiddleware(app.wsgi_app, app.config["SESSION_COOKIE_NAME"])
    return app


def main(argv=None):
    """Serve with waitress (a production WSGI server), not Flask's development server: the lab
    on --port, and the attacker's origin (auth/attacker/) on --attacker-port."""
    defaults = {**config.DEFAULTS, **config.from_env()}
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=defaults["HOST"],
                        help="0.0.0.0 to let a class on the LAN reach it (default %(default)s)")
    parser.add_argument("--port", type=int, default=defaults["PORT"])
    parser.add_argument("--attacker-port", type=int, default=defaults["ATTACKER_PORT"],
                        help="the attacker's origin (default: --port + 100)")
    parser.add_argument("--threads", type=int, default=defaults["SERVER_THREADS"])
    # --- The scale-out lab (auth/cluster/): several nodes, or this process as one node -----
    parser.add_argument("--nodes", type=int, default=0,
                        help="start this many app nodes on consecutive ports from --port, "
                             "sharing one Redis, with HAProxy in front when installed")
    parser.add_argument("--balancer-port", type=int, default=None,
                        help="HAProxy's port with --nodes (default: --port + 10)")
    parser.add_argument("--no-balancer", action="store_true", help="--nodes without HAProxy")
    parser.add_argument("--session-store", choices=("shared", "local"), default="shared",
                        help="local: each node keeps sessions in its own embedded Redis")
    parser.add_argument("--verify-only", action="store_true",
                        help="hold only public keys fetched from --jwks-url: verify, never issue "
                             "(with --nodes: the last node)")
    parser.add_argument("--jwks-url", default=None)
    parser.add_argument("--node-name", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--node-index", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--cluster", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--no-attacker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.nodes:
        from auth.cluster import supervisor
        return supervisor.run(args, create_app)
    attacker_port = args.attacker_port or args.port + 100
    app = create_app({"PORT": args.port, "ATTACKER_PORT": attacker_port, "HOST": args.host})
    if args.node_name or args.session_store != "shared" or args.verify_only:
        from auth.cluster import node
        node.configure(app, args.node_name or "node-1", args.node_index,
                       node.read_cluster(args.cluster), args.session_store, args.verify_only,
                       args.jwks_url)
    attacker = None if args.no_attacker else create_attacker_app(app)
    redis_client = app.extensions["lab_redis"]
    banner = [f"Session vs JWT Lab: http://{_shown(args.host)}:{args.port}/",
              f"  Attacker's origin: http://127.0.0.1:{attacker_port}/ (cross-site) and "
              f"http://localhost:{attacker_port}/ (same-site)",
              f"  Redis: {redis_client.lab_backend} ({redis_client.lab_location})",
              "  Demo accounts: " + ", ".join(f"{u}/{p} ({r})" for u, p, r in users.DEMO_USERS)]
    if attacker is None:  # one more node of a cluster: node-1 serves the attacker's origin
        banner[1] = f"  Node {args.node_name} (the attacker's origin is served by node-1)"
    sites = [(app, args.host, args.port)] + ([(attacker, args.host, attacker_port)]
                                             if attacker is not None else [])
    server.serve(sites,
                 args.threads, connection_limit=app.config["SERVER_CONNECTION_LIMIT"],
                 channel_timeout=app.config["SERVER_CHANNEL_TIMEOUT"], banner=banner)


def _shown(host):
    # The attack labs need the lab opened as http://localhost (127.0.0.1 is the attacker's name).
    return "localhost" if host in ("127.0.0.1", "localhost") else host


if __name__ == "__main__":
    main()
