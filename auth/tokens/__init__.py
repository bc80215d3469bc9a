"""Flow 2, the stateless JWT. `keys.py` holds the key ring, `issue.py` makes tokens, `verify.py`
is where a token is verified, `store.py` the little state it keeps (refresh families, denylist)."""
from flask_babel import lazy_gettext as _l

from ..core.feature import Feature
from .guide import GUIDE
from .views import bp

# The JWT API reads only the Authorization header or the JSON body, never a cookie: no session,
# and nothing for a cross-site request to ride on, so no CSRF token either.
FEATURE = Feature("jwt", bp, nav=("jwt_flow.page", _l("JWT flow")), stateless=("/api/jwt/",),
                  csrf_exempt=True, menu="main", guide=GUIDE)
