"""The refresh-token lab: a stolen refresh token (victim and attacker in one page), and three tabs
refreshing at the same moment (without coordination, with navigator.locks + BroadcastChannel, and
with the server's reuse grace). Every verdict is the server's answer to a real refresh."""
from flask_babel import lazy_gettext as _l

from ...core.feature import Feature
from .guide import GUIDE
from .views import bp

# Bearer tokens and JSON only: no cookie is read, so no session and no CSRF token.
FEATURE = Feature("refresh", bp, nav=("refresh.page", _l("Refresh tokens")),
                  stateless=("/api/lab/refresh", "/labs/refresh"), csrf_exempt=True, guide=GUIDE)
