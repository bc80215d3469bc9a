"""The token inspector: decode any JWT, verify it with a given key, explain every claim."""
from flask import Blueprint

bp = Blueprint("inspect", __name__)
