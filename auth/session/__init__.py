"""Flow 1, the server-side session. `store.py` is where the session is stored; `views.py` the
login, logout and the pages that show it."""
from flask_babel import lazy_gettext as _l

from ..core.feature import Feature
from .guide import GUIDE
from .views import bp

FEATURE = Feature("session", bp, nav=("session_flow.home", _l("Session flow")),
                  menu="main", guide=GUIDE)
