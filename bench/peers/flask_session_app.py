"""The smallest Flask-Session app on Redis: login puts the user in the session, /me reads it."""
import os
import secrets

import redis
from flask import Flask, jsonify, session
from flask_session import Session


def create_app(redis_url):
    app = Flask(__name__)
    app.config.update(SECRET_KEY=secrets.token_hex(32), SESSION_TYPE="redis",
                      SESSION_REDIS=redis.Redis.from_url(redis_url),
                      SESSION_SERIALIZATION_FORMAT="json", SESSION_KEY_PREFIX="peer-session:")
    Session(app)

    @app.get("/api/baseline")
    def baseline():
        return jsonify({"ok": True})

    @app.post("/login")
    def login():
        session["user"] = {"id": 1, "username": "alice", "role": "user"}
        return jsonify({"ok": True})

    @app.get("/api/session/me")
    def me():
        user = session.get("user")
        if user is None:
            return jsonify({"error": "not_logged_in"}), 401
        return jsonify({"user": user})

    return app


if __name__ == "__main__":
    from waitress import serve
    serve(create_app(os.environ["REDIS_URL"]), host="127.0.0.1", port=int(os.environ["PORT"]),
          threads=int(os.environ.get("THREADS", "8")), ident="peer")
