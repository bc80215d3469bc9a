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
