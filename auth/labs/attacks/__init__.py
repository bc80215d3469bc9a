"""The browser attack labs: CSRF from a second site (csrf.py), XSS against every token store
(xss.py), session fixation and login CSRF (fixation.py, with its deliberately weak session in
weak_session.py). Their attacker pages live in auth/attacker/ (the second origin).

Every lab API here is scoped to a run the page started and keeps its own cookies (never the real
session's), so the whole package skips the real session store and Flask-WTF: the lab targets do
their own, switchable, CSRF checks, which is the lesson."""
from flask_babel import lazy_gettext as _l

from ...core.feature import Feature
from .csrf import bp as csrf_bp
from .fixation import bp as fixation_bp
from .guide import CSRF_GUIDE, FIXATION_GUIDE, XSS_GUIDE, fixation_setup
from .xss import bp as xss_bp

# Each page's guided steps (guide.py): declared once, judged from the lab's own records.
CSRF = Feature("attacks-csrf", csrf_bp, nav=("attacks_csrf.page", _l("Attacks")),
               stateless=("/attacks/csrf", "/api/attacks/csrf"), csrf_exempt=True,
               guide=CSRF_GUIDE)

XSS = Feature("attacks-xss", xss_bp, stateless=("/attacks/xss", "/api/attacks/xss"),
              csrf_exempt=True, guide=XSS_GUIDE)

FIXATION = Feature("attacks-fixation", fixation_bp,
                   stateless=("/attacks/fixation", "/api/attacks/fixation"), csrf_exempt=True,
                   guide=FIXATION_GUIDE, setup=fixation_setup)
