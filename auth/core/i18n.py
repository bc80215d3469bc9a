"""Language: a header toggle remembered in a cookie, else Accept-Language, else Korean.

The catalogues are compiled from translations/*.po into the instance folder when the app starts
(and again whenever a .po is newer), so the app is bilingual however it is started: `make run`,
`python app.py`, or a test, with no separate compile step to forget.
"""
import os

from flask.globals import _cv_app

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Blueprint, redirect, request, url_for
from flask_babel import get_locale

from .extensions import babel
from .http import local_path

LANGUAGES = ("ko", "en")
LANG_COOKIE = "lang"
SOURCE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__)))), "translations")
bp = Blueprint("lang", __name__)


def select_locale():
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or "ko"


@bp.get("/lang/<code>")
def set_language(code):
    """Switch the interface language and go back where the user was (a local path only)."""
    response = redirect(local_path(request.args.get("next")) or url_for("pages.index"), code=303)
    if code in LANGUAGES:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 86400, samesite="Lax")
    return response


def compile_catalogues(source, target):
    """Compile every source/<lang>/LC_MESSAGES/messages.po that is newer than its .mo in target."""
    for lang in os.listdir(source):
        po = os.path.join(source, lang, "LC_MESSAGES", "messages.po")
        if not os.path.isfile(po):
            continue
        folder = os.path.join(target, lang, "LC_MESSAGES")
        mo = os.path.join(folder, "messages.mo")
        if os.path.exists(mo) and os.path.getmtime(mo) >= os.path.getmtime(po):
            continue
        os.makedirs(folder, exist_ok=True)
        with open(po, "rb") as fh:
            catalog = read_po(fh, locale=lang)
        partial = f"{mo}.{os.getpid()}"  # written aside, then renamed: never half a file
        with open(partial, "wb") as fh:
            write_mo(fh, catalog)
        os.replace(partial, mo)
    return target


def init_attacker(app):
    """The attacker app speaks the learner's language too (same catalogues, same choice)."""
    from flask_babel import Babel

    Babel(app, locale_selector=select_locale)
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale())


def init_app(app):
    target = compile_catalogues(SOURCE, os.path.join(app.instance_path, "translations"))
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = target
    babel.init_app(app, locale_selector=select_locale)
    _memoize_translations(app)
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale())
    # Between a number and its unit: "43 characters", but "43자" (Korean writes no space).
    app.jinja_env.globals["unit_gap"] = lambda: "" if str(get_locale()) == "ko" else " "
    app.register_blueprint(bp)


def _memoize_translations(app):
    """One translations lookup per request, not one per string.

    Flask-Babel finds the catalogue again for every string it translates (three context lookups,
    the locale, a cache key): a lab page has ~200 strings, which cost ~2 ms of every page view -
    half of it, and what a class of 500 felt. The catalogue is kept on Flask-Babel's own
    per-request namespace, next to the locale it belongs to (a language switched within the
    request, by refresh(), is noticed: the locale object changes)."""
    with app.app_context():  # (Flask-Babel builds its domain from the app's config)
        domain = babel.domain_instance
    if not getattr(domain, "_lab_memoized", False):
        original = domain.get_translations

        def get_translations():
            app_ctx = _cv_app.get(None)
            space = getattr(app_ctx.g, "_flask_babel", None) if app_ctx is not None else None
            if space is not None:
                kept = getattr(space, "lab_translations", None)
                if kept is not None and kept[0] is getattr(space, "babel_locale", None):
                    return kept[1]
            found = original()
            space = getattr(app_ctx.g, "_flask_babel", None) if app_ctx is not None else None
            if space is not None:
                space.lab_translations = (getattr(space, "babel_locale", None), found)
            return found

        domain.get_translations = get_translations
        domain._lab_memoized = True
    # Templates straight to it (Flask-Babel's callables would first look the domain up again).
    get = domain.get_translations
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: get().ugettext(s),
        ngettext=lambda s, p, n: get().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: get().upgettext(c, s),
        npgettext=lambda c, s, p, n: get().unpgettext(c, s, p, n))
