"""The weak-secret lab: a lab node that signs HS256 with a short dictionary secret, a dictionary
attack on a token it issued (server-side, one bounded background thread), an admin token forged
with the found secret, and the arithmetic for the real app's 48-byte secret."""
from flask_babel import lazy_gettext as _l

from ...core.feature import Feature
from .guide import GUIDE
from .views import bp

# Bearer tokens and JSON only: no cookie is read, so no session and no CSRF token.
FEATURE = Feature("weaksecret", bp, nav=("weaksecret.page", _l("Weak secret")),
                  stateless=("/api/lab/weak",), csrf_exempt=True, guide=GUIDE)
