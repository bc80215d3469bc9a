"""The smallest Flask-JWT-Extended app: login returns an access token, /me verifies it.
No revocation check (no token_in_blocklist_loader): the library's default, and its floor."""
import os
import secrets

from flask import Flask, jsonify
from flask_jwt_extended import JWTManager, create_access_token, get_jwt, jwt_required


def create_app():
    app = Flask(__name__)
    app.config.update(JWT_SECRET_KEY=secrets.token_hex(32), JWT_ALGORITHM="HS256")
    JWTManager(app)

    @app.get("/api/baseline")
    def baseline():
        return jsonify({"ok": True})

    @app.post("/login")
    def login():
        return jsonify({"access_token": create_access_token(
            identity="1", additional_claims={"username": "alice", "role": "user"})})

    @app.get("/api/jwt/me")
    @jwt_required()
    def me():
        claims = get_jwt()
        return jsonify({"user": {"id": claims["sub"], "username": claims["username"],
                                 "role": claims["role"]}})

    return app


if __name__ == "__main__":
    from waitress import serve
    serve(create_app(), host="127.0.0.1", port=int(os.environ["PORT"]),
          threads=int(os.environ.get("THREADS", "8")), ident="peer")
