"""The scale-out lab (/labs/scale): several nodes, a real load balancer, shared vs node-local
sessions, a verify-only node with JWKS. The processes are auth/cluster/; this is the page, the
JWKS endpoint and the small API the page calls on each node (cross-origin, with CORS)."""
from flask_babel import lazy_gettext as _l

from ...core.feature import Feature
from .guide import GUIDE
from .views import bp, setup

# The API reads no cookie except /api/lab/scale/stop|start|store, which take JSON only (a
# cross-origin JSON POST needs a CORS preflight that only the cluster's own origins pass) and
# are refused unless the caller is on this machine.
FEATURE = Feature("scale", bp, nav=("scale.page", _l("Scale-out")),
                  stateless=("/api/lab/scale", "/.well-known/"), csrf_exempt=True, setup=setup, guide=GUIDE)
