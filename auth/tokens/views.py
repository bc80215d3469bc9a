"""Flow 2, the stateless JWT: JSON login, a bearer access token, a rotating refresh token."""
from flask import Blueprint, current_app, jsonify, render_template, request
from flask_babel import gettext as _

from ..core import users
from ..core.errors import ApiError, json_body, json_error
from ..core.http import no_store
from ..core.limits import login_attempt
from . import issue as token_issue, revocation, store as token_store
from .verify import StoreUnavailable, TokenError, decode, verify_access

bp = Blueprint("jwt_flow", __name__)
REALM = 'Bearer realm="session-vs-jwt-lab"'


@bp.errorhandler(TokenError)
def invalid_token(exc):
    # RFC 6750 §3: the reason goes in the challenge too (ASCII, no quotes) for non-browser clients.
    challenge = f'{REALM}, error="invalid_token", error_description="{exc.reason}"'
    return json_error(401, "invalid_token", exc.message, {"WWW-Authenticate": challenge})


@bp.errorhandler(StoreUnavailable)
def store_unavailable(exc):
    # Fail closed: if we cannot ask the denylist, we do not accept the token.
    return json_error(503, "store_unavailable",
                      _("The revocation list cannot be checked right now, so the token is not "
                        "accepted (fail closed). Try again in a moment."), {"Retry-After": "5"})


bp.after_request(no_store)  # RFC 6749 §5.1: never cache tokens


def bearer_token():
    """The token from `Authorization: Bearer <token>` (the only place a token is read from)."""
    header = request.headers.get("Authorization", "").strip()
    scheme, _sep, rest = header.partition(" ")
    if not header or scheme.lower() != "bearer":
        raise ApiError(401, "missing_token",
                       _("Send the access token in an Authorization: Bearer header."),
                       {"WWW-Authenticate": REALM})
    parts = rest.split()
    if len(parts) != 1:
        raise ApiError(400, "invalid_request",
                       _("The Authorization header must be exactly 'Bearer <token>'."),
                       {"WWW-Authenticate": f'{REALM}, error="invalid_request"'})
    return parts[0]


@bp.get("/jwt/")
def page():
    """The JWT lab page: its JavaScript logs in with fetch and keeps the tokens client-side."""

    # The leeway is shown where a countdown reaches 0: the server still accepts for those seconds.
    return render_template("jwt/index.html", demo=users.DEMO_USERS,
                           jwt_leeway=current_app.config["JWT_LEEWAY"])


@bp.post("/api/jwt/login")
def login():
    """Check the password once, then hand out a signed access token and a refresh token."""
    body = json_body("username", "password")
    with login_attempt(body["username"]) as attempt:
        user = users.authenticate(body["username"], body["password"])
        attempt.ok = user is not None
    if user is None:
        return json_error(401, "invalid_credentials", _("Wrong username or password."))
    access, refresh, refresh_claims = token_issue.issue_pair(user)
    token_store.start_family(refresh_claims, request.user_agent.string)
    return jsonify(token_issue.token_response(access, refresh))


@bp.get("/api/jwt/me")
def me():
    """Who the token says you are: verified claims only, no database read."""
    claims = verify_access(bearer_token())
    user = {"id": int(claims["sub"]) if claims["sub"].isdigit() else claims["sub"],
            "username": claims.get("username"), "role": claims.get("role")}
    return jsonify({"user": user, "claims": claims})


def _invalid_grant(message):
    return json_error(400, "invalid_grant", message)


@bp.post("/api/jwt/refresh")
def refresh():
    """Rotate: consume the refresh token, return a new pair; reuse revokes the whole family."""
    body = json_body("refresh_token")
    try:
        old = decode(body["refresh_token"], "refresh")
    except TokenError as exc:
        return _invalid_grant(exc.message)
    user = users.get(old["sub"])
    if user is None:
        token_store.revoke_family(old["fam"])
        return _invalid_grant(_("The account no longer exists or is disabled."))
    # The role is read again here: a refresh is where a changed role reaches the token.
    access, new_refresh, new_claims = token_issue.issue_pair(user, old["fam"])
    outcome = token_store.rotate(old, new_claims)
    if outcome == token_store.REUSED:
        return _invalid_grant(_("This refresh token was already used. Reuse means it may be "
                                "stolen, so the whole token family is now revoked."))
    if outcome != token_store.ROTATED:
        return _invalid_grant(_("This refresh token was revoked or has expired."))
    return jsonify(token_issue.token_response(access, new_refresh))


@bp.post("/api/jwt/logout")
def logout():
    """Deny this access token's jti until its exp and revoke its refresh family."""
    claims = verify_access(bearer_token())
    # The body is optional (silent: bad JSON is no body), but silent does not catch the
    # RecursionError of absurd nesting ("[" * 100000), which would be a 500.
    try:
        body = request.get_json(silent=True) if request.is_json else None
    except RecursionError:
        raise ApiError(400, "invalid_request", _("The body must be a JSON object.")) from None
    families = {claims["fam"]}
    given = body.get("refresh_token") if isinstance(body, dict) else None
    if isinstance(given, str) and given:
        try:
            other = decode(given, "refresh")
            if other["sub"] == claims["sub"]:
                families.add(other["fam"])
        except TokenError:
            pass  # an unusable refresh token needs no revoking; the access token's family is
    token_store.deny(claims)
    revocation.logged_out(claims)
    for fam in families:
        token_store.revoke_family(fam)
    return jsonify({"logged_out": True, "denied_jti": claims["jti"],
                    "revoked_families": sorted(families),
                    "message": _("The access token is on the denylist until it expires, and "
                                 "its refresh family is revoked.")})
