"""The revocation lab: sessions and devices (/account), the admin (/admin), five strategies for
revoking an access token, and stale claims. `devices.py` reads and ends a user's sessions and
refresh families through the stores' per-user indexes; `views.py` has the pages and the API."""
from flask_babel import lazy_gettext as _l

from ...core.feature import Feature
from .guide import GUIDE, STALE_GUIDE
from .views import bp

# CSRF is checked in the views themselves: only for cookie-authenticated changes (a bearer
# token is never sent by the browser on its own, so it needs none).
FEATURE = Feature("revocation", bp, nav=("revocation.page", _l("Revocation")),
                  stateless=("/api/lab/revocation",), csrf_exempt=True,
                  guide=(GUIDE, STALE_GUIDE))
