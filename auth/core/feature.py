"""What a feature (a flow or a lab) declares about itself, so that no central list names it.

`create_app` registers each declared blueprint, exempts it from CSRF when it says so, adds its
stateless URL prefixes to the session store's skip list, and `base.html` draws the nav from it.
"""
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Feature:
    name: str
    blueprint: object  # a flask.Blueprint
    # (endpoint, label) for the top nav, or None; the label is a lazy_gettext string.
    nav: tuple | None = None
    # Where the nav entry goes: "main" (the bar itself) or "labs" (the Labs menu).
    menu: str = "labs"
    # URL prefixes that never need a session: the session store does not even open one there.
    stateless: tuple = ()
    # True when every view of the blueprint reads no cookie (bearer or body only), so there is
    # no ambient credential for a cross-site request to ride on: Flask-WTF's CSRF check is off.
    csrf_exempt: bool = False
    # Single views exempt from CSRF (JSON-only endpoints of a blueprint that also has forms).
    csrf_exempt_views: tuple = field(default=())
    # Called with the app once the blueprint is registered, for app-wide hooks a feature needs
    # (e.g. the classroom's progress recorder); None for most.
    setup: object = None
