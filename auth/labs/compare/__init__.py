"""The compare page: one user in both flows, side by side, every cell read from live data."""
from flask_babel import lazy_gettext as _l

from ...core.feature import Feature
from .guide import GUIDE
from .views import bp

FEATURE = Feature("compare", bp, nav=("compare.page", _l("Compare")),
                  stateless=("/api/lab/jwt-store",), menu="main", guide=GUIDE)
