"""The cost lab: what each flow costs the server, measured (`make bench`) and re-run live."""
from flask_babel import lazy_gettext as _l

from ...core.feature import Feature
from .views import bp

FEATURE = Feature("cost", bp, nav=("cost.page", _l("Cost")), stateless=("/api/baseline",))
