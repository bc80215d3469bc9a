"""The browser attack labs: CSRF from a second site (csrf.py), XSS against every token store
(xss.py), session fixation and login CSRF (fixation.py, with its deliberately weak session in
weak_session.py). Their attacker pages live in auth/attacker/ (the second origin).

Every lab API here is scoped to a run the page started and keeps its own cookies (never the real
session's), so the whole package skips the real session store and Flask-WTF: the lab targets do
their own, switchable, CSRF checks, which is the lesson."""
from flask_babel import lazy_gettext as _l

from ...core.feature import Feature
from .csrf import bp as csrf_bp

CSRF = Feature("attacks-csrf", csrf_bp, nav=("attacks_csrf.page", _l("Attacks")),
               stateless=("/attacks/csrf", "/api/attacks/csrf"), csrf_exempt=True)

from .xss import bp as xss_bp  # noqa: E402

XSS = Feature("attacks-xss", xss_bp, stateless=("/attacks/xss", "/api/attacks/xss"),
              csrf_exempt=True)

from .fixation import bp as fixation_bp  # noqa: E402

FIXATION = Feature("attacks-fixation", fixation_bp,
                   stateless=("/attacks/fixation", "/api/attacks/fixation"), csrf_exempt=True)
