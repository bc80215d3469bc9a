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


def test_python_app_py_is_bilingual_without_make(tmp_path):
    """Started the way the README says (`python app.py`, no make step, a fresh instance folder
    with no compiled catalogue anywhere in it), the app answers in Korean to a Korean browser."""
    from bench.app_process import Server

    server = Server(str(tmp_path / "instance"))
    try:
        assert (tmp_path / "instance" / "translations" / "ko" / "LC_MESSAGES" / "messages.mo").exists()
        status, korean = server.request("GET", "/", headers={"Accept-Language": "ko-KR,ko;q=0.9"})
        assert status == 200 and "세션" in korean
        status, english = server.request("GET", "/", headers={"Accept-Language": "en-US"})
        assert status == 200 and "How does a server remember who you are?" in english
        status, body = server.request("POST", "/api/jwt/login", {"username": "x", "password": "y"},
                                      headers={"Accept-Language": "ko"})
        assert status == 401 and body["message"] == "아이디 또는 비밀번호가 올바르지 않습니다."
    finally:
        assert server.stop()["redis_gone"]
