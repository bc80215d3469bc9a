"""The classroom: join by QR code, class progress from the server's records, "which one should I
choose?", presenter mode, the ASVS line, and the redacted HAR recording."""
import base64
import json
import pathlib

import jsonschema
import pytest

from tests.helpers import bearer, csrf_token, jwt_login, session_login

SCHEMA = json.loads((pathlib.Path(__file__).parent / "har-1.2.schema.json").read_text())


def join(client):
    response = client.post("/api/join", json={})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


# --- Join ------------------------------------------------------------------------------------

def test_join_page_and_its_qr_code(client):
    html = client.get("/join", headers={"Host": "192.168.7.20:5000"}).get_data(as_text=True)
    assert "http://192.168.7.20:5000/join" in html and 'src="/join/qr.svg"' in html
    qr = client.get("/join/qr.svg", headers={"Host": "192.168.7.20:5000"})
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml"
    assert b"<svg" in qr.data and b"<script" not in qr.data


def test_join_warns_when_the_lab_listens_on_loopback_only(make_app):
    html = make_app(HOST="127.0.0.1").test_client().get("/join").get_data(as_text=True)
    assert "HOST=0.0.0.0" in html
    html = make_app(HOST="0.0.0.0").test_client().get("/join").get_data(as_text=True)
    assert "HOST=0.0.0.0" not in html


def test_a_crafted_host_header_never_reaches_the_page(client):
    html = client.get("/join", headers={"Host": 'evil"><script>x</script>:5000'}).get_data(
        as_text=True)
    assert "<script>x" not in html


def test_join_gives_a_working_account_once(client, r):
    body = join(client)
    name, password = body["user"]["username"], body["password"]
    assert name.startswith("student-") and len(password) >= 12
    assert r.hexists("class:students", name)
    assert jwt_login(client, name, password)["access_token"]


# --- Progress, from what the server answered -----------------------------------------------------

def admin_client(app):
    admin = app.test_client()
    session_login(admin, "admin", "admin123")
    return admin


def test_class_progress_follows_the_servers_answers(app):
    student = app.test_client()
    body = join(student)
    name, password = body["user"]["username"], body["password"]
    # The student's browser sends the ticket /api/join gave it: a lab_guide field on the login
    # form (guide.js), the X-Lab-Guide header on every call (wire.js).
    assert student.post("/session/login", data={
        "username": name, "password": password, "csrf_token": csrf_token(student),
        "lab_guide": body["ticket"]}).status_code == 303
    student.environ_base["HTTP_X_LAB_GUIDE"] = body["ticket"]
    pair = jwt_login(student, name, password)
    wrong = student.post("/api/jwt/refresh", json={"refresh_token": "not-a-token"})
    assert wrong.status_code == 400  # a failed refresh is no step done
    fresh = student.post("/api/jwt/refresh", json={"refresh_token": pair["refresh_token"]})
    assert fresh.status_code == 200
    admin = admin_client(app)
    found = admin.get("/api/class").get_json()
    me = next(s for s in found["students"] if s["username"] == name)
    assert set(me["steps"]) == {"session-login", "jwt-login", "jwt-refresh"}
    student.post("/api/jwt/logout", headers=bearer(fresh.get_json()["access_token"]))
    me = next(s for s in admin.get("/api/class").get_json()["students"] if s["username"] == name)
    assert "jwt-logout" in me["steps"]


def test_only_students_on_the_roster_are_tracked(app, r):
    session_login(app.test_client())  # alice never joined the class (and holds no ticket)
    assert not r.exists("class:progress:alice")


def test_class_view_is_for_the_admin(app):
    student = app.test_client()
    session_login(student)
    assert student.get("/class").status_code == 403
    assert student.get("/api/class").status_code == 403
    assert app.test_client().get("/class").status_code == 302
    admin = admin_client(app)
    assert admin.get("/class").status_code == 200


def test_reset_the_class(app, r):
    student = app.test_client()
    body = join(student)
    session_login(student, body["user"]["username"], body["password"])
    admin = admin_client(app)
    token = csrf_token(admin, "/session/")
    assert admin.post("/api/class/reset").status_code == 400  # a cookie alone: no CSRF token
    done = admin.post("/api/class/reset", headers={"X-CSRFToken": token})
    assert done.get_json() == {"forgotten": 1}
    assert admin.get("/api/class").get_json()["students"] == []


# --- Which one should I choose? -------------------------------------------------------------------

@pytest.mark.parametrize("answers, design", [
    ({"rendering": "server", "clients": "browser", "domains": "one", "logout": "now"}, "session"),
    ({"rendering": "spa", "clients": "browser", "domains": "one", "logout": "later"}, "bff"),
    ({"rendering": "spa", "clients": "other", "domains": "one", "logout": "later"}, "tokens"),
    ({"rendering": "server", "clients": "browser", "domains": "many", "logout": "now"}, "tokens"),
])
def test_choose_recommends_from_the_four_answers(client, answers, design):
    html = client.get("/choose", query_string=answers).get_data(as_text=True)
    assert f'data-design="{design}"' in html
    if answers["logout"] == "now":
        assert 'href="/labs/revocation"' in html  # the reason links to the lab that shows it


def test_choose_shows_this_labs_own_measurements(client):
    html = client.get("/choose").get_data(as_text=True)
    results = json.loads((pathlib.Path(__file__).parent.parent / "docs/bench/results.json")
                         .read_text())
    assert f"Cookie: {results['http']['session']['credential_bytes']} bytes" in html
    assert "data-design" not in html  # nothing recommended before the four answers
    assert "V7.4.1" in html and "V9.1.2" in html


def test_each_lab_page_names_its_asvs_requirements(client):
    html = client.get("/labs/revocation").get_data(as_text=True)
    assert "V7.4.1" in html and "V7.4.5" in html
    assert "V7.4" not in client.get("/signup").get_data(as_text=True)


# --- In a real browser: presenter mode and the HAR recording ----------------------------------

def test_presenter_mode_at_1024x768(browser, live_server):
    page = browser.new_context(viewport={"width": 1024, "height": 768}).new_page()
    try:
        for path in ("/", "/labs/revocation", "/compare", "/jwt/", "/choose"):
            page.goto(live_server + path)
            if path == "/":
                page.click("#presenter-toggle")
            assert page.evaluate("() => document.documentElement.classList.contains('presenter')")
            size = page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)")
            assert size >= 20
            assert page.evaluate("() => document.documentElement.scrollWidth <= innerWidth"), path
        # The keyboard walks through the steps of the revocation lab.
        page.goto(live_server + "/labs/revocation")
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        current = page.eval_on_selector_all(".presenter-current", "els => els.map(e => e.id)")
        assert current == ["step-revocation-revoke"]
        # Enter runs the current step's "Show me" (here: the first step, alice's login).
        page.keyboard.press("ArrowLeft")
        page.keyboard.press("Enter")
        page.wait_for_function("() => document.getElementById('step-revocation-login').dataset.state === 'ok'")
    finally:
        page.context.close()


def test_har_export_is_valid_and_redacted(browser, live_server):
    page = browser.new_context(viewport={"width": 1024, "height": 768}, accept_downloads=True).new_page()
    try:
        page.goto(live_server + "/jwt/")
        page.fill("#jwt-login input[name=username]", "alice")
        page.fill("#jwt-login input[name=password]", "alice123")
        page.click("#jwt-login button[type=submit]")
        page.wait_for_function("() => document.getElementById('me').textContent.includes('200')")
        token = page.evaluate("() => window.labWire.entries.find(e => e.authorization).authorization")
        signature = token.split(".")[2]
        with page.expect_download() as download:
            page.click("#har-export")
        har = json.loads(pathlib.Path(download.value.path()).read_text())
        jsonschema.validate(har, SCHEMA)
        text = json.dumps(har)
        assert signature not in text and "REDACTED" in text  # no usable token anywhere
        assert har["log"]["comment"] == "redacted"
        methods = [(e["request"]["method"], e["request"]["url"].split("/", 3)[3]) for e in har["log"]["entries"]]
        assert ("POST", "api/jwt/login") in methods
        login = next(e for e in har["log"]["entries"] if e["request"]["url"].endswith("/api/jwt/login"))
        body = json.loads(login["response"]["content"]["text"])
        assert body["access_token"].endswith(".REDACTED")
        claims = json.loads(base64.urlsafe_b64decode(body["access_token"].split(".")[1] + "=="))
        assert claims["username"] == "alice"  # the readable part stays readable
        assert any(s["name"] == "jwt-sign" for s in login["_serverTiming"])
        # Unredacted only after a warning, and then the file says so.
        page.check("#har-unredacted")
        page.once("dialog", lambda dialog: dialog.accept())
        with page.expect_download() as download:
            page.click("#har-export")
        raw = json.loads(pathlib.Path(download.value.path()).read_text())
        jsonschema.validate(raw, SCHEMA)
        assert signature in json.dumps(raw) and "UNREDACTED" in raw["log"]["comment"]
    finally:
        page.context.close()


def test_class_view_updates_live_as_a_student_completes_steps(browser, live_server):
    """The instructor's /class in one browser, a student who joined via /join in another: the
    student's JWT login turns the class view's cell green without a reload."""
    teacher = browser.new_context(locale="en-US", viewport={"width": 1024, "height": 768}).new_page()
    student = browser.new_context(locale="ko-KR").new_page()
    try:
        teacher.goto(f"{live_server}/session/login?next=/class")
        teacher.fill("input[name=username]", "admin")
        teacher.fill("input[name=password]", "admin123")
        teacher.click("form button[type=submit]")
        teacher.wait_for_url("**/class")
        teacher.wait_for_selector("#class-rows td")
        teacher.evaluate("() => { window.sameLoad = true; }")  # gone if the page reloads

        student.goto(f"{live_server}/join")
        student.click("#join-button")
        student.wait_for_selector("#join-result:not([hidden])")
        name = student.inner_text("#join-name")
        password = student.inner_text("#join-password")
        assert student.evaluate("() => localStorage.getItem('lab.guide')")  # the ticket, kept
        cell = f"tr[data-student='{name}'] td[data-lab=jwt]"
        teacher.wait_for_selector(cell)
        assert teacher.inner_text(f"{cell} .count") == "0/5"

        student.goto(f"{live_server}/jwt/")
        student.fill("#jwt-login input[name=username]", name)
        student.fill("#jwt-login input[name=password]", password)
        student.click("#jwt-login button[type=submit]")
        student.wait_for_function("() => document.getElementById('me').textContent.includes('200')")
        # The bearer calls carry no cookie: the ticket travelled in X-Lab-Guide.
        teacher.wait_for_function(
            "sel => document.querySelector(sel + ' .count')?.textContent === '2/5'", arg=cell)
        assert teacher.evaluate("() => window.sameLoad === true")
        # Open the cell: the steps themselves, the first two ticked; it stays open across polls.
        teacher.click(f"{cell} summary")
        states = teacher.eval_on_selector_all(f"{cell} li", "els => els.map(e => e.dataset.state)")
        assert states == ["ok", "ok", "", "", ""]
        # Mark the row, and wait for the next poll to redraw the table (the mark is gone).
        teacher.evaluate("sel => { document.querySelector(sel).closest('tr').dataset.old = '1'; }", cell)
        teacher.wait_for_function("() => !document.querySelector('tr[data-old]')")
        assert teacher.locator(f"{cell} details[open]").count() == 1
        assert teacher.evaluate("() => document.documentElement.scrollWidth <= innerWidth")
    finally:
        teacher.context.close()
        student.context.close()
