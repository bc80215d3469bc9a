"""The classroom: join by QR code (/join), the class's progress (/class, admin), and "which one
should I choose?" (/choose). `progress.py` records each student's completed steps from the
server's own answers; `asvs.py` names the OWASP ASVS 5.0 requirements each lab demonstrates."""
from flask_babel import lazy_gettext as _l

from ...core.feature import Feature
from . import progress
from .views import api_join, bp

FEATURE = Feature("classroom", bp, nav=("classroom.choose", _l("Which one?")),
                  stateless=("/join/qr.svg",), csrf_exempt_views=(api_join,),
                  setup=progress.setup, menu="main")
