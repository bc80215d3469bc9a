"""The labs, and the one list that registers them.

Where a new lab goes:
  1. a sub-package here, `auth/labs/<name>/`, with `views.py` (its blueprint) and a `FEATURE`
     in its `__init__.py` (blueprint, nav entry, stateless URL prefixes, CSRF exemption);
  2. one line in LABS below;
  3. its templates in `templates/labs/<name>/`, its script in `static/js/<name>.js`;
  4. its tests in `tests/test_<name>.py`.
A lab with a deliberately weak variant keeps it in its own module next to the safe one (as
DVWA does), never as a flag inside the real session store or verifier.
"""
from .attacks import CSRF as attacks_csrf, FIXATION as attacks_fixation, XSS as attacks_xss
from .classroom import FEATURE as classroom
from .compare import FEATURE as compare
from .cost import FEATURE as cost
from .forge import FEATURE as forge
from .inspector import FEATURE as inspector
from .refresh import FEATURE as refresh
from .revocation import FEATURE as revocation
from .scale import FEATURE as scale
from .weaksecret import FEATURE as weaksecret

# In nav order: the order a learner is best taken through them (the Labs menu); compare,
# inspector and classroom sit in the bar itself (their FEATURE says menu="main").
LABS = [compare, inspector, revocation, scale, attacks_csrf, attacks_xss, attacks_fixation,
        forge, weaksecret, refresh, cost, classroom]
