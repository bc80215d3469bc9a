"""The cost lab: a baseline endpoint that touches no store, and the /cost page."""
from flask import Blueprint, jsonify

bp = Blueprint("cost", __name__)


@bp.get("/api/baseline")
def baseline():
    """Unauthenticated and store-free: the floor every measured figure is compared with."""
    return jsonify({"ok": True})
