"""The classroom: join by QR code (/join), the class's progress (/class, admin), and "which one
should I choose?" (/choose). `progress.py` reads each student's steps in every lab from the
guided steps' records (auth/labs/guide/); `asvs.py` names the OWASP ASVS 5.0 requirements each
lab demonstrates."""
from flask_babel import lazy_gettext as _l

from ...core.feature import Feature
from .views import api_join, bp

FEATURE = Feature("classroom", bp, nav=("classroom.choose", _l("Which one?")),
                  stateless=("/join/qr.svg",), csrf_exempt_views=(api_join,),
                  menu="main")
