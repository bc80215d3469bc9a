"""OWASP ASVS 5.0 requirements the labs demonstrate (the numbers an instructor grades against).

Titles are this lab's one-line summaries, not the standard's text: read the requirement itself
in ASVS 5.0.0 (github.com/OWASP/ASVS, tag v5.0.0) before grading.
"""
from flask_babel import lazy_gettext as _l

TITLES = {
    "V3.3.1": _l("Cookies are Secure (with a __Host- or __Secure- prefix)"),
    "V3.3.2": _l("Each cookie's SameSite fits its purpose (CSRF)"),
    "V3.3.4": _l("Session cookies are HttpOnly, set only by Set-Cookie"),
    "V7.2.1": _l("Session tokens are verified by a trusted backend"),
    "V7.2.3": _l("Reference tokens come from a CSPRNG, 128 bits or more"),
    "V7.2.4": _l("A new session token at login; the old one ends (fixation)"),
    "V7.3.1": _l("An inactivity timeout"),
    "V7.3.2": _l("An absolute maximum session lifetime"),
    "V7.4.1": _l("Logout ends the session; self-contained tokens need a denylist, a per-user time or a per-user key"),
    "V7.4.2": _l("Disabling an account ends all its sessions"),
    "V7.4.5": _l("Administrators can end a user's sessions"),
    "V9.1.1": _l("Tokens are accepted only after their signature or MAC is verified"),
    "V9.1.2": _l("Only allow-listed algorithms, never none; no key confusion"),
    "V9.1.3": _l("Keys only from trusted, pre-configured sources (jku, x5u, jwk)"),
    "V9.2.1": _l("nbf and exp are verified"),
    "V9.2.2": _l("The token type fits the purpose (access vs refresh)"),
    "V9.2.3": _l("The audience (aud) is this service"),
}

# Which requirements each feature (by its Feature.name) shows live.
BY_FEATURE = {
    "session": ("V3.3.4", "V7.2.1", "V7.2.3", "V7.2.4", "V7.3.1", "V7.3.2", "V7.4.1"),
    "jwt": ("V9.1.1", "V9.1.2", "V9.2.1", "V9.2.2", "V9.2.3", "V7.4.1"),
    "compare": ("V3.3.4", "V7.4.1", "V9.1.1"),
    "inspector": ("V9.1.1", "V9.1.2", "V9.2.1"),
    "revocation": ("V7.4.1", "V7.4.2", "V7.4.5"),
    "scale": ("V7.2.1", "V9.1.1", "V9.1.3"),
    "attacks-csrf": ("V3.3.2",),
    "attacks-xss": ("V3.3.4",),
    "attacks-fixation": ("V7.2.4",),
    "forge": ("V9.1.1", "V9.1.2", "V9.1.3", "V9.2.1", "V9.2.2", "V9.2.3"),
    "weaksecret": ("V9.1.1",),
    "refresh": ("V7.4.1", "V9.2.2"),
}
# How the table on /choose names each feature (its page, in the page's language).
LABELS = {
    "session": _l("Session flow"), "jwt": _l("JWT flow"), "compare": _l("Compare"),
    "inspector": _l("Token inspector"), "revocation": _l("Revocation"),
    "scale": _l("Scale-out"), "attacks-csrf": _l("CSRF lab"), "attacks-xss": _l("XSS lab"),
    "attacks-fixation": _l("Session fixation"), "forge": _l("Forge"),
    "weaksecret": _l("Weak secret"), "refresh": _l("Refresh tokens"),
}


def for_blueprint(feature_of):
    """A template helper: the (id, title) pairs for the page being rendered, by its blueprint."""
    from flask import request

    def lookup():
        blueprint = request.blueprint or ""
        return [(rid, TITLES[rid]) for rid in BY_FEATURE.get(feature_of.get(blueprint, ""), ())]
    return lookup
