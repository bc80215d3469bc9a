"""Session vs JWT Lab: one Flask app serving both ways a server remembers who you are."""
import argparse
import os

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from auth import (compare, config, cost, errors, i18n, inspect, jwt_flow, limits, pages,
                  redis_store, session_flow, session_store, token_keys, token_store, trace, users)

ROOT = os.path.dirname(os.path.abspath(__file__))


def create_app(test_config=None):
    """Build the app; `test_config` overrides anything read from the environment."""
    test_config = dict(test_config or {})
    instance = (test_config.pop("INSTANCE_PATH", None) or os.environ.get("INSTANCE_PATH")
                or os.path.join(ROOT, "instance"))
    app = Flask(__name__, instance_path=os.path.abspath(instance))
    os.makedirs(app.instance_path, mode=0o700, exist_ok=True)
    app.config.from_mapping(config.from_env(app.instance_path))
    app.config.update(
        DATABASE=os.path.join(app.instance_path, "users.db"),
        SESSION_COOKIE_NAME="lab_session",
        SESSION_COOKIE_HTTPONLY=True,  # page scripts cannot read the session id
        SESSION_COOKIE_SAMESITE="Lax",  # not sent on cross-site POSTs: a first CSRF barrier
        SESSION_COOKIE_SECURE=False,  # made True per request when served over HTTPS
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session it is tied to
        BABEL_TRANSLATION_DIRECTORIES=os.path.join(ROOT, "translations"),
    )
    app.config.update(test_config)
    for name in ("SECRET_KEY", "JWT_SECRET_KEY"):
        if not app.config.get(name):
            app.config[name] = config.load_secret(app.instance_path, name)

    client = app.config.get("REDIS_CLIENT") or redis_store.connect(app.config, app.instance_path)
    app.extensions["lab_redis"] = trace.instrument_redis(client)
    alg, sign, verify, public_pem = token_keys.load(app.config, app.instance_path)
    app.extensions["lab_jwt_keys"] = {"alg": alg, "sign": sign, "verify": verify,
                                      "public_pem": public_pem}
    token_store.register(app, client)
    app.session_interface = session_store.LabSessionInterface(app, client)

    users.init_db(app)
    i18n.init(app)
    limits.init(app, client)
    csrf = CSRFProtect(app)
    # Bearer-token and JSON endpoints carry no ambient credential (no cookie is read), so there
    # is nothing for a cross-site request to ride on; only cookie-authenticated forms need CSRF.
    csrf.exempt(jwt_flow.bp)
    csrf.exempt(pages.api_signup)
    csrf.exempt(inspect.bp)  # stateless: reads only the JSON it is sent
    app.register_blueprint(pages.bp)
    app.register_blueprint(session_flow.bp)
    app.register_blueprint(jwt_flow.bp)
    app.register_blueprint(inspect.bp)
    app.register_blueprint(cost.bp)
    app.register_blueprint(compare.bp)
    errors.register(app)
    # Outermost, so the Server-Timing header also covers the session save after the view.
    app.wsgi_app = trace.TraceMiddleware(app.wsgi_app, app.config["SESSION_COOKIE_NAME"])
    return app


def main(argv=None):
    """Serve with waitress (a production WSGI server), not Flask's development server."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "5000")))
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args(argv)
    app = create_app()
    from waitress import serve

    redis_client = app.extensions["lab_redis"]
    print(f"Session vs JWT Lab: http://{args.host}:{args.port}/")
    print(f"  Redis: {redis_client.lab_backend} ({redis_client.lab_location})")
    print("  Demo accounts: " + ", ".join(f"{u}/{p} ({r})" for u, p, r in users.DEMO_USERS))
    serve(app, host=args.host, port=args.port, threads=args.threads, ident="session-vs-jwt-lab")


if __name__ == "__main__":
    main()
