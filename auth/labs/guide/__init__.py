"""Guided steps, the same in every lab: each lab declares its steps once (text, the action's
"Show me", and the server's record that completes each one), attaches the Guide to its FEATURE
(`Feature(..., guide=GUIDE)`), and renders it with `templates/_guide.html`.

    from auth.labs.guide import Guide, Step, Done
    GUIDE = Guide(lab="revocation", title=_l("Revocation"), steps=[
        Step(id="login", title=_l("..."), will=_l("..."), why=_l("..."), hint=_l("..."),
             done=[Done("session_flow.login", "POST", (200, 303))]),
    ], reset=reset_fn)

`records.py`: who did it (a signed ticket), the request_finished hook that credits a step from
the server's own answer, and what is kept in Redis. `views.py`: /api/guide/ticket,
/api/guide/<lab> and /api/guide/<lab>/reset.
"""
from flask import current_app, request_finished

from ...core.feature import Done, Feature, Guide, Step, done_when
from . import records
from .views import bp, reset as reset_view

__all__ = ["Done", "Guide", "Step", "FEATURE", "collect", "done_when", "guides", "token_claims"]


def collect(features):
    """{lab slug: Guide} from the features' declarations (a Guide or a tuple of Guides each)."""
    found = {}
    for feature in features:
        declared = feature.guide
        if declared is None:
            continue
        for guide in declared if isinstance(declared, (tuple, list)) else (declared,):
            if guide.lab in found:
                raise ValueError(f"two guides named {guide.lab!r}")
            found[guide.lab] = guide
    return found


def guides():
    """The registry of the running app (create_app builds it from FEATURES)."""
    return current_app.extensions.get("guides", {})


def setup(app):
    """Once the blueprints are registered: the (endpoint, method) index the hook looks up, the
    hook itself, and `guides` in every template."""
    registry = app.extensions.setdefault("guides", {})
    app.extensions["guide_index"] = records.build_index(registry)
    request_finished.connect(records.on_finished, app)
    app.context_processor(lambda: {"guides": registry})


FEATURE = Feature("guide", bp, stateless=("/api/guide/ticket",),
                  csrf_exempt_views=(reset_view,), setup=setup)


def token_claims(token):
    """The claims of one of this app's own tokens, its signature checked with the app's key ring
    (expiry aside: a step may look at a token that has expired or been revoked since); {} for
    anything else. A step's check never trusts a token it has not verified."""
    import jwt

    from ...tokens.keys import ring

    try:
        key = ring().find(jwt.get_unverified_header(token).get("kid"))
        if key is None:
            return {}
        return jwt.decode(token, key.verify, algorithms=[key.alg],
                          options={"verify_aud": False, "verify_exp": False})
    except Exception:  # not a token of ours: nothing to credit
        return {}
