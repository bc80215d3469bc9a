"""Every user-facing string has a Korean translation, and the catalogue matches the source."""
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
METHODS = [("app.py", "python"), ("auth/**.py", "python"), ("templates/**.html", "jinja2")]


def catalogue():
    with open(ROOT / "translations/ko/LC_MESSAGES/messages.po", encoding="utf-8") as fh:
        return read_po(fh)


def source_messages():
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map=METHODS, keywords={"_": None, "gettext": None,
                                                     "ngettext": (1, 2), "_l": None}):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_source_string_is_in_the_catalogue():
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in catalogue() if m.id}
    missing = sorted(source_messages() - ids)
    assert not missing, f"run `make extract-messages` and translate: {missing}"


def test_every_entry_is_translated():
    untranslated = [m.id for m in catalogue() if m.id and (not m.string or m.fuzzy)]
    assert not untranslated, f"translate these in translations/ko/LC_MESSAGES/messages.po: {untranslated}"
