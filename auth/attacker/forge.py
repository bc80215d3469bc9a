"""The attacker origin's part of the forge lab: it publishes the learner's JWK Set, the one a
forged token's "jku" header points at (the lab's naive verifier fetches it from here)."""
from flask import Blueprint, current_app, jsonify, render_template
from flask_babel import lazy_gettext as _l

from ..labs.forge.recipes import learner_jwks

bp = Blueprint("attacker_forge", __name__)


@bp.get("/forge/jwks.json")
def jwks():
    """The learner's public key as a JWK Set (empty until the forge tab made the key)."""
    response = jsonify(learner_jwks(current_app.extensions["lab_redis"]))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/forge/")
def index():
    """What this origin serves for the forge lab, read from the lab's Redis now."""
    return render_template("attacker/forge.html",
                           jwks=learner_jwks(current_app.extensions["lab_redis"]))


ENTRY = (bp, _l("Forge lab: the learner's JWK Set, for a forged token's jku"))
