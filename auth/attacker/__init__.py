"""The attacker: a separate, small Flask app on a second origin, served by `python app.py` beside
the lab (never a blueprint of the lab, never a third-party site).

It listens on ATTACKER_PORT (default: the lab's port + 100, clear of the scale-out nodes on
port+1, port+2) and is reached under two names, which is the whole point:
  http://127.0.0.1:<port+100>   another host than http://localhost:<port>: a CROSS-SITE origin
  http://localhost:<port+100>   same host, other port: SAME-SITE but cross-origin (cookies ignore
                                ports, so SameSite does not help there; only a CSRF token or an
                                Origin / Fetch-Metadata check does)

Each attack lab adds its attacker pages as a blueprint in BLUEPRINTS below (one line each).
What reaches the attacker (stolen tokens, results of forged requests) is kept in the lab's Redis
under `attacker:*`, so the lab page can show it live.
"""
import os

from flask import Flask, render_template, request

from ..core import i18n
from ..core.http import add_security_headers

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The attacker's pages, one blueprint per attack lab: (blueprint, title) — title is lazy text.
BLUEPRINTS = []
BLUEPRINTS.append(__import__("auth.attacker.forge", fromlist=["ENTRY"]).ENTRY)  # forge lab: jku
BLUEPRINTS.extend(__import__("auth.attacker.attacks", fromlist=["ENTRIES"]).ENTRIES)  # attack labs
BLUEPRINTS.append(__import__("auth.attacker.har", fromlist=["bp"]).ENTRY)  # shared recordings


def create_attacker_app(lab_app):
    """The attacker app for `lab_app` (shares its Redis and its language setting, nothing else:
    no session interface, no CSRF protection, no cookies of its own)."""
    app = Flask("attacker", root_path=ROOT, template_folder="templates", static_folder="static",
                instance_path=lab_app.instance_path)
    app.config.update(
        SECRET_KEY=os.urandom(32),  # never used for anything the lab trusts
        LAB_PORT=lab_app.config["PORT"],
        ATTACKER_PORT=lab_app.config["ATTACKER_PORT"],
        BABEL_TRANSLATION_DIRECTORIES=lab_app.config["BABEL_TRANSLATION_DIRECTORIES"],
        TESTING=lab_app.config.get("TESTING", False),
    )
    app.extensions["lab_redis"] = lab_app.extensions["lab_redis"]
    app.extensions["lab_app"] = lab_app
    i18n.init_attacker(app)
    for blueprint, _title in BLUEPRINTS:
        app.register_blueprint(blueprint)

    @app.get("/")
    def console():
        """The attacker's console: which origin this is, and the attacks it can run."""
        lab_port = app.config["LAB_PORT"]
        host = request.host.split(":")[0]
        return render_template("attacker/index.html", pages=BLUEPRINTS, host=host,
                               cross_site=host not in ("localhost",),
                               lab_url=f"http://localhost:{lab_port}/")

    app.after_request(add_security_headers)
    return app
