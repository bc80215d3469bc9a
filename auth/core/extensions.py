"""Flask extensions, created once here and bound to the app with init_app in create_app."""
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
babel = Babel()
