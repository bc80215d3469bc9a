"""Small HTTP helpers every feature uses: safe local redirects, no-store, security headers."""
import re

# A path on this site: one leading slash, then no second slash or backslash (which browsers read
# as "another host"), and no control character or whitespace anywhere (browsers silently drop a
# tab or newline, so "/\t/evil.example" would become "//evil.example").
_LOCAL = re.compile(r"/(?![/\\])[^\x00-\x20\x7f\\]*")

# Every response: no framing (clickjacking the logout or login buttons), no MIME sniffing, no
# full URLs leaking in Referer, and a CSP that allows only this origin's own files. No inline
# script runs (pages put their texts in <script type="application/json">, which is data); no
# upgrade-insecure-requests, so an http classroom on a LAN still works.
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; script-src 'self'; style-src 'self'; "
                                "img-src 'self' data:; connect-src 'self'; object-src 'none'; "
                                "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def local_path(target):
    """`target` if it is a path on this site, else None (never an open redirect)."""
    if isinstance(target, str) and _LOCAL.fullmatch(target):
        return target
    return None


def no_store(response):
    """Never cache this response: it shows a credential or live per-user state."""
    response.headers["Cache-Control"] = "no-store"
    return response


def add_security_headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


# --- Fetch Metadata: the cheapest modern CSRF defence (on top of Flask-WTF's token) -----------
# Browsers tell the server where a request came from in Sec-Fetch-Site: same-origin, same-site,
# cross-site or none (typed in the address bar). A state-changing request another site made the
# browser send is refused before any view runs. GET, HEAD and OPTIONS never change state here,
# and a request that carries a bearer token and no cookie has no ambient credential to ride on.
# A browser that sends no Sec-Fetch-Site (an old one, curl) is left to the CSRF token.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_CROSS_SITE_OK = "_lab_cross_site_ok"


def cross_site_allowed(view):
    """Mark a view the Fetch-Metadata check lets through (the attack labs' deliberate targets,
    which must be reachable from the attacker's site to show what each defence does)."""
    setattr(view, _CROSS_SITE_OK, True)
    return view


def refuse_cross_site():
    """before_request hook: 403 for a cross-site, state-changing, cookie-carrying request."""
    from flask import current_app, request

    if request.method in SAFE_METHODS:
        return None
    if request.headers.get("Sec-Fetch-Site", "").lower() != "cross-site":
        return None
    if request.headers.get("Authorization") and not request.headers.get("Cookie"):
        return None  # bearer only: the browser never adds it by itself
    view = current_app.view_functions.get(request.endpoint)
    if view is not None and getattr(view, _CROSS_SITE_OK, False):
        return None
    from flask_babel import gettext as _

    from .errors import respond

    return respond(403, "cross_site_refused", _(
        "Refused: another site made your browser send this request (Sec-Fetch-Site: "
        "cross-site). A change is only accepted from this site's own pages."))


# --- Content-Security-Policy for a page that needs its own (the attack labs) ------------------

def csp_nonce():
    """A fresh nonce for one response's CSP (script-src 'nonce-…')."""
    import secrets

    return secrets.token_urlsafe(18)


def set_csp(response, policy):
    """Give one response its own CSP; add_security_headers keeps it (it only sets a default)."""
    response.headers["Content-Security-Policy"] = policy
    return response
