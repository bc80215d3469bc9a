"""The attacker's CSRF page: forged requests to the CSRF lab's LAB TARGET, four ways.

It is blind, as a real CSRF attacker is: a form post or a navigation leaves this page, an <img>
and a no-cors fetch() return nothing it may read. What the target received is recorded by the
lab, server-side; the lab page shows it."""
from flask import Blueprint, current_app, make_response, render_template, request
from flask_babel import lazy_gettext as _l

from ..core.http import set_csp

bp = Blueprint("attacker_csrf", __name__)
TITLE = _l("CSRF: forge a request to the lab target")
COLUMNS = ("session", "bearer", "jwt-cookie")
VECTORS = ("form", "fetch", "img", "nav")


def lab_origin():
    return f"http://localhost:{current_app.config['LAB_PORT']}"


def attacker_csp(lab):
    """This page may post forms to, fetch from and load images from the lab: nothing else."""
    return ("default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; "
            f"base-uri 'self'; form-action 'self' {lab}; connect-src 'self' {lab}; "
            f"img-src 'self' data: {lab}; frame-ancestors 'none'")


@bp.get("/csrf")
def index():
    lab = lab_origin()
    run = request.args.get("run", "")
    column = request.args.get("col", "session")
    column = column if column in COLUMNS else "session"
    vector = request.args.get("v", "form")
    vector = vector if vector in VECTORS else "form"
    host = request.host.split(":")[0]
    response = make_response(render_template(
        "attacker/csrf.html", lab=lab, run=run, column=column, vector=vector,
        columns=COLUMNS, vectors=VECTORS, auto=request.args.get("auto") == "1",
        cross_site=host != "localhost"))
    return set_csp(response, attacker_csp(lab))
