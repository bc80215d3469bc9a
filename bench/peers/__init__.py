"""Minimal peer apps for `make bench`: what most tutorials ship, measured beside the lab.

Each is the smallest honest use of its library on the same server (waitress, same threads) and
the same Redis: `flask_session_app` (Flask-Session on Redis: the session is read on each request)
and `jwt_extended_app` (Flask-JWT-Extended: a signed token, no revocation check at all).
"""
