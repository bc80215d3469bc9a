"""The token inspector: decode any JWT, verify it with a pasted key or this lab's own key."""
from flask_babel import lazy_gettext as _l

from ...core.feature import Feature
from .guide import GUIDE
from .views import bp

# Stateless: it reads only the JSON it is sent (no cookie), so no session and no CSRF token.
FEATURE = Feature("inspector", bp, nav=("inspector.page", _l("Token inspector")),
                  stateless=("/api/inspect",), csrf_exempt=True, menu="main", guide=GUIDE)
