"""One JSON error helper, and handlers so that no error ever reaches a user as a traceback."""
import logging

import redis
from flask import jsonify, make_response, render_template, request, session
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .limits import RateLimited

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An API request refused with a status (400, 401, 415, ...) and a reason, answered as JSON."""

    def __init__(self, status, error, message, headers=None):
        super().__init__(message)
        self.status, self.error, self.message, self.headers = status, error, message, headers


def json_body(*fields):
    """The request's JSON object with string `fields`; ApiError otherwise."""
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type",
                         _("Send the body as JSON (Content-Type: application/json)."))
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # nesting too deep for the parser: as unreadable as bad JSON
        body = None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_request", _("The body must be a JSON object."))
    missing = [f for f in fields if not isinstance(body.get(f), str) or not body.get(f)]
    if missing:
        raise ApiError(400, "invalid_request", _("These fields must be non-empty strings: "
                                                   "%(fields)s.", fields=", ".join(missing)))
    return body


def json_error(status, error, message, headers=None):
    """A JSON error body {"error": code, "message": text} with the given status."""
    response = jsonify({"error": error, "message": message})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def wants_json():
    """API paths and clients that prefer JSON get JSON; browsers get an HTML page."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def _page(status, title, message):
    return render_template("error.html", status=status, title=title, message=message), status


def _messages():
    """User-facing text per status; built per request so it follows the chosen language."""
    return {
        400: _("The request could not be understood."),
        401: _("You need to log in first."),
        403: _("You are not allowed to do that."),
        404: _("There is nothing at this address."),
        405: _("This address does not accept that method."),
        413: _("The request body is larger than 1 MB."),
        415: _("Send the body as JSON (Content-Type: application/json)."),
        429: _("Too many failed attempts. Wait a moment and try again."),
        500: _("Something went wrong on the server. Nothing was changed."),
        503: _("The session store is unavailable. Try again in a moment."),
    }


def respond(status, code, message=None, headers=None):
    """Answer an error in the form the client wants (a Response object either way)."""
    message = message or _messages().get(status, _("The request failed."))
    if wants_json():
        return json_error(status, code, message, headers)
    body, status = _page(status, str(status), message)
    return make_response(body, status, headers or {})


def init_app(app):
    """Install the error handlers on the app."""

    @app.errorhandler(ApiError)
    def bad_request(exc):
        return json_error(exc.status, exc.error, exc.message, exc.headers)

    @app.errorhandler(RateLimited)
    def rate_limited(exc):
        return respond(429, "rate_limited", headers={"Retry-After": str(exc.retry_after)})

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        # The CSRF token lives in the session: with the store down it could not be checked at
        # all, so say what is really wrong (and never hint at the password either way).
        if getattr(session, "store_error", False):
            return respond(503, "store_unavailable", headers={"Retry-After": "5"})
        return respond(400, "csrf_failed",
                       _("The form's CSRF token is missing or wrong. Reload the page and try again."))

    @app.errorhandler(HTTPException)
    def http_error(exc):
        code = (exc.name or "error").lower().replace(" ", "_")
        headers = {}
        if exc.code == 405 and exc.valid_methods:
            headers = {"Allow": ", ".join(exc.valid_methods)}
        return respond(exc.code or 500, code, headers=headers)

    @app.errorhandler(redis.RedisError)
    def store_down(exc):
        # Redis unreachable: say so plainly (503) instead of a 500; the app reconnects by itself.
        log.warning("redis unavailable: %s", exc)
        return respond(503, "store_unavailable", headers={"Retry-After": "5"})

    @app.errorhandler(Exception)
    def unexpected(exc):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return respond(500, "internal_error")
