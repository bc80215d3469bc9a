"""Language choice: a header toggle remembered in a cookie, else Accept-Language, else Korean."""
from flask import Blueprint, redirect, request, url_for
from flask_babel import Babel, get_locale

LANGUAGES = ("ko", "en")
LANG_COOKIE = "lang"
bp = Blueprint("lang", __name__)


def select_locale():
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or "ko"


@bp.get("/lang/<code>")
def set_language(code):
    """Switch the interface language and go back where the user was."""
    target = request.args.get("next", "")
    # Only local paths: an open redirect would be a lesson in the wrong thing.
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        target = url_for("pages.index")
    response = redirect(target, code=303)
    if code in LANGUAGES:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 86400, samesite="Lax")
    return response


def init(app):
    Babel(app, locale_selector=select_locale)
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale())
    app.register_blueprint(bp)
