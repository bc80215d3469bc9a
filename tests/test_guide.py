"""Guided steps (auth/labs/guide/): the signed ticket, crediting a step from the server's own
answer (ok, bad, after, check), the per-lab reset (loopback, LAN, admin), and the class view's
per-lab progress."""
import pytest

from auth.labs.guide import Done, Guide, Step, records
from tests.helpers import bearer, csrf_token, jwt_login, session_login

LAN = {"REMOTE_ADDR": "192.168.1.20"}
RESETS = []


def _alice_only(request, response):
    body = request.get_json(silent=True) or {}
    return True if body.get("username") == "alice" else None


DEMO = Guide(lab="demo", title="Demo", steps=[
    Step(id="login", title="alice logs in", will="w", why="y", hint="h",
         done=[Done("jwt_flow.login", "POST", (200,), check=_alice_only)]),
    Step(id="me", title="me", done=[Done("jwt_flow.me", "GET", (200,), after="login")]),
    Step(id="both", title="both flows",
         done=[Done("session_flow.login", "POST", (200, 303)), Done("jwt_flow.refresh", "POST")]),
], reset=lambda: RESETS.append(1))


@pytest.fixture
def demo_app(app):
    app.extensions["guides"]["demo"] = DEMO
    app.extensions["guide_index"] = records.build_index(app.extensions["guides"])
    RESETS.clear()
    return app


def ticket_of(client, header=True):
    """The client's ticket; with header=True the client then sends it on every request, as
    wire.js does on every call a page makes."""
    response = client.get("/api/guide/ticket")
    assert response.status_code == 200
    ticket = response.get_json()["ticket"]
    if header:
        client.environ_base["HTTP_X_LAB_GUIDE"] = ticket
    return ticket


def steps(client, lab="demo", headers=None):
    body = client.get(f"/api/guide/{lab}", headers=headers or {}).get_json()
    return {s["id"]: s for s in body["steps"]}, body


def test_ticket_is_signed_and_kept(demo_app):
    client = demo_app.test_client()
    first = client.get("/api/guide/ticket")
    body = first.get_json()
    assert body["actor"].startswith("anon:")
    cookie = first.headers["Set-Cookie"]
    assert f"lab_guide={body['ticket']}" in cookie and "HttpOnly" in cookie
    # Only for the guide's API: never in the Cookie headers the flows measure and show.
    assert "SameSite=Lax" in cookie and "Path=/api/guide/" in cookie
    # The same browser asks again: the same actor, no new cookie.
    again = client.get("/api/guide/ticket")
    assert again.get_json()["actor"] == body["actor"] and "Set-Cookie" not in again.headers
    # The header wins over the cookie; a forged one names nobody (a new anonymous actor).
    other = demo_app.test_client()
    assert other.get("/api/guide/ticket", headers={"X-Lab-Guide": body["ticket"]}).get_json()[
        "actor"] == body["actor"]
    forged = body["ticket"][:-3] + ("AAA" if not body["ticket"].endswith("AAA") else "BBB")
    assert records.actor_of(forged, demo_app) is None
    assert demo_app.test_client().get("/api/guide/ticket", headers={"X-Lab-Guide": forged}) \
        .get_json()["actor"] != body["actor"]


def test_unknown_lab_is_404(client):
    assert client.get("/api/guide/nope").status_code == 404
    assert client.post("/api/guide/nope/reset", headers={"X-Lab-Guide": "x"}).status_code == 404


def test_a_step_turns_ok_from_the_servers_answer(demo_app, r):
    client = demo_app.test_client()
    ticket = ticket_of(client)
    found, body = steps(client)
    assert body["done"] == 0 and body["total"] == 3 and found["login"]["state"] == ""
    jwt_login(client)
    found, body = steps(client)
    assert found["login"]["state"] == "ok" and isinstance(found["login"]["at"], int)
    assert body["done"] == 1
    actor = records.actor_of(ticket, demo_app)
    assert r.ttl(records.key(actor, "demo")) > 6 * 86400
    # Nobody without a ticket is credited, and a forged ticket credits nobody.
    stranger = demo_app.test_client()
    jwt_login(stranger)
    assert {k.split(b"}")[0] for k in r.keys("guide:*")} == {f"guide:{{{actor}".encode()}


def test_bob_is_not_this_steps_business(demo_app):
    client = demo_app.test_client()
    ticket = ticket_of(client)
    jwt_login(client, "bob", "bob123")  # check says None: nothing recorded, neither ok nor bad
    found, _ = steps(client)
    assert found["login"]["state"] == ""
    # A wrong password from the lab's page: red, with what the server answered.
    client.post("/api/jwt/login", json={"username": "alice", "password": "nope"},
                headers={"X-Lab-Guide": ticket, "X-Lab-Guide-Labs": "demo"})
    found, _ = steps(client)
    assert found["login"]["state"] == "bad"
    assert found["login"]["detail"] == "401 (expected 200)"


def test_bad_only_from_the_labs_own_page(demo_app):
    client = demo_app.test_client()
    ticket_of(client)
    client.post("/api/jwt/login", json={"username": "alice", "password": "nope"})
    assert steps(client)[0]["login"]["state"] == ""  # not made from this lab's page


def test_after_orders_the_steps(demo_app):
    client = demo_app.test_client()
    ticket = ticket_of(client)
    pair = jwt_login(client, "bob", "bob123")
    headers = {**bearer(pair["access_token"]), "X-Lab-Guide": ticket, "X-Lab-Guide-Labs": "demo"}
    assert client.get("/api/jwt/me", headers=headers).status_code == 200
    assert steps(client)[0]["me"]["state"] == ""  # before login was ok: not counted
    jwt_login(client)
    assert client.get("/api/jwt/me", headers=headers).status_code == 200
    assert steps(client)[0]["me"]["state"] == "ok"
    assert client.get("/api/jwt/me", headers={**headers, "Authorization": "Bearer x.y.z"}) \
        .status_code == 401
    found, _ = steps(client)
    assert found["me"]["state"] == "bad" and found["me"]["detail"].startswith("401")


def form_login(client, ticket, username="alice", password="alice123"):
    """The session login form as guide.js posts it: with the ticket in a lab_guide field."""
    return client.post("/session/login", data={
        "username": username, "password": password, "csrf_token": csrf_token(client),
        "lab_guide": ticket})


def test_every_part_must_be_recorded(demo_app):
    client = demo_app.test_client()
    ticket = ticket_of(client, header=False)
    assert form_login(client, ticket).status_code == 303  # a form: its field carries the ticket
    found, _ = steps(client)
    assert found["both"]["state"] == "" and found["both"]["parts"] == ["ok", ""]
    pair = jwt_login(client)
    client.post("/api/jwt/refresh", json={"refresh_token": pair["refresh_token"]},
                headers={"X-Lab-Guide": ticket})
    assert steps(client)[0]["both"]["state"] == "ok"


def test_no_guide_cookie_rides_along_with_the_flows(demo_app):
    client = demo_app.test_client()
    form_login(client, ticket_of(client, header=False))
    response = client.get("/api/session/me")
    assert "lab_guide" not in response.headers["X-Lab-Cookie-Seen"]


def test_the_hook_stays_out_of_the_trace(demo_app):
    client = demo_app.test_client()
    ticket = ticket_of(client)
    response = client.post("/api/jwt/login", json={"username": "alice", "password": "alice123"},
                           headers={"X-Lab-Guide": ticket})
    assert "guide:" not in response.headers.get("Server-Timing", "")
    assert steps(client)[0]["login"]["state"] == "ok"


# --- Reset -----------------------------------------------------------------------------------

def _did_login(app):
    client = app.test_client()
    ticket = ticket_of(client)
    jwt_login(client)
    return client, ticket


def test_reset_from_loopback_also_resets_the_shared_state(demo_app):
    client, ticket = _did_login(demo_app)
    body = client.post("/api/guide/demo/reset", headers={"X-Lab-Guide": ticket}).get_json()
    assert body["shared_reset"] is True and body["lab"] == "demo" and RESETS == [1]
    assert all(s["state"] == "" for s in body["steps"])


def test_a_student_on_the_lan_clears_only_their_own_steps(demo_app):
    client, ticket = _did_login(demo_app)
    other, other_ticket = _did_login(demo_app)
    body = client.post("/api/guide/demo/reset", headers={"X-Lab-Guide": ticket},
                       environ_base=LAN).get_json()
    assert body["shared_reset"] is False and "instructor" in body["message"] and RESETS == []
    assert body["done"] == 0
    assert steps(other)[0]["login"]["state"] == "ok"  # another learner's steps are untouched


def test_through_the_balancer_the_real_client_counts(demo_app):
    client, ticket = _did_login(demo_app)
    body = client.post("/api/guide/demo/reset", headers={
        "X-Lab-Guide": ticket, "X-Lab-Balanced-For": "192.168.1.20"}).get_json()
    assert body["shared_reset"] is False and RESETS == []


def test_an_admin_on_the_lan_may_reset_the_shared_state(demo_app):
    admin = demo_app.test_client()
    ticket = ticket_of(admin)
    session_login(admin, "admin", "admin123")
    token = csrf_token(admin, "/session/")
    no_token = admin.post("/api/guide/demo/reset", headers={"X-Lab-Guide": ticket},
                          environ_base=LAN).get_json()
    assert no_token["shared_reset"] is False  # a cookie-authenticated admin needs the CSRF token
    body = admin.post("/api/guide/demo/reset", environ_base=LAN,
                      headers={"X-Lab-Guide": ticket, "X-CSRFToken": token}).get_json()
    assert body["shared_reset"] is True and RESETS == [1]


def test_reset_without_the_header_needs_the_csrf_token(demo_app):
    client, _ticket = _did_login(demo_app)
    client.environ_base.pop("HTTP_X_LAB_GUIDE")
    assert client.post("/api/guide/demo/reset").status_code == 400  # the cookie alone
    token = csrf_token(client)
    assert client.post("/api/guide/demo/reset", headers={"X-CSRFToken": token}).status_code == 200


def test_cross_site_reset_is_refused(demo_app):
    client, _ticket = _did_login(demo_app)
    response = client.post("/api/guide/demo/reset", headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 403


# --- The labs' own guides, over HTTP -----------------------------------------------------------

def test_jwt_refused_step_follows_the_strategy(app, r):
    client = app.test_client()
    ticket = ticket_of(client)
    page = {"X-Lab-Guide": ticket, "X-Lab-Guide-Labs": "jwt"}
    pair = jwt_login(client)
    assert client.get("/api/jwt/me", headers={**bearer(pair["access_token"]), **page}).status_code == 200
    client.post("/api/jwt/logout", headers={**bearer(pair["access_token"]), **page},
                json={"refresh_token": pair["refresh_token"]})
    # The old token once more: refused under the default strategy (denylist).
    assert client.get("/api/jwt/me", headers={**bearer(pair["access_token"]), **page}) \
        .status_code == 401
    found, body = steps(client, "jwt")
    assert [s["state"] for s in body["steps"]] == ["ok", "ok", "", "ok", "ok"]
    assert found["me"]["state"] == "ok"  # the refusal completed "refused": not red for "me"


def test_session_flow_steps_from_the_forms_and_the_calls(app):
    client = app.test_client()
    ticket = ticket_of(client, header=False)
    calls = {"X-Lab-Guide": ticket}  # what wire.js adds; the forms carry a field instead
    assert form_login(client, ticket).status_code == 303
    client.get("/api/session/me", headers=calls)
    client.get("/api/account", headers=calls)
    client.post("/session/logout", data={"csrf_token": csrf_token(client, "/session/"),
                                         "lab_guide": ticket})
    client.get("/api/session/me", headers=calls)
    found, body = steps(client, "session")
    assert body["done"] == 5, body


def _admin_token(client):
    return jwt_login(client, "admin", "admin123")["access_token"]


def test_revocation_steps_verdicts_from_the_server(app):
    """The revocation lab's three steps, as its page's "Show me" makes the requests."""
    client = app.test_client()
    ticket = ticket_of(client)
    page = {"X-Lab-Guide": ticket, "X-Lab-Guide-Labs": "revocation stale-claims"}
    admin = {**bearer(_admin_token(client)), **page}
    assert client.post("/api/admin/revocation-strategy", json={"strategy": "none"},
                       headers=admin).status_code == 200
    token = client.get("/session/csrf").get_json()["csrf_token"]
    client.post("/session/login", data={"username": "alice", "password": "alice123"},
                headers={"X-CSRFToken": token, "Accept": "application/json", **page})
    alice = client.post("/api/jwt/login", json={"username": "alice", "password": "alice123"},
                        headers=page).get_json()
    found, _ = steps(client, "revocation")
    assert found["login"]["state"] == "ok"
    # alice's next call before the revocation is not "the next call after it": nothing recorded.
    client.get("/api/session/me", headers=page)
    assert steps(client, "revocation")[0]["next"]["state"] == ""
    client.post("/api/admin/users/alice/logout-everywhere", headers=admin, json={})
    assert steps(client, "revocation")[0]["revoke"]["state"] == "ok"
    assert client.get("/api/session/me", headers=page).status_code == 401
    assert client.get("/api/jwt/me", headers={**bearer(alice["access_token"]), **page}) \
        .status_code == 200  # none: still accepted, as the strategy says
    found, body = steps(client, "revocation")
    assert found["next"]["state"] == "ok" and body["done"] == 3
    # Under denylist the same 200 would be wrong: red, with the server's answer.
    client.post("/api/admin/revocation-strategy", json={"strategy": "denylist"}, headers=admin)
    fresh = client.post("/api/jwt/login", json={"username": "alice", "password": "alice123"},
                        headers=page).get_json()
    client.get("/api/jwt/me", headers={**bearer(fresh["access_token"]), **page})
    found, _ = steps(client, "revocation")
    assert found["next"]["state"] == "bad"
    assert found["next"]["detail"].startswith("200 (expected what the strategy says")


def test_revocation_reset_is_the_old_lab_reset(app):
    client = app.test_client()
    ticket = ticket_of(client)
    admin = {**bearer(_admin_token(client)), "X-Lab-Guide": ticket}
    client.post("/api/admin/revocation-strategy", json={"strategy": "none"}, headers=admin)
    client.post("/api/admin/users/bob/role", json={"role": "admin"}, headers=admin)
    client.post("/api/admin/stale-claims", json={"fix": "recheck"}, headers=admin)
    # From the LAN: only the learner's own steps; the class's switches stay.
    lan = client.post("/api/guide/revocation/reset", headers={"X-Lab-Guide": ticket},
                      environ_base=LAN).get_json()
    assert lan["shared_reset"] is False
    assert client.get("/api/admin/revocation-strategy", headers=admin).get_json()["strategy"] == "none"
    # From this machine: the strategy back; the stale-claims guide puts the roles and fix back.
    assert client.post("/api/guide/revocation/reset",
                       headers={"X-Lab-Guide": ticket}).get_json()["shared_reset"] is True
    assert client.get("/api/admin/revocation-strategy", headers=admin).get_json()["strategy"] == "denylist"
    assert client.get("/api/admin/users/bob", headers=admin).get_json()["user"]["role"] == "admin"
    client.post("/api/guide/stale-claims/reset", headers={"X-Lab-Guide": ticket})
    assert client.get("/api/admin/users/bob", headers=admin).get_json()["user"]["role"] == "user"
    assert client.get("/api/admin/stale-claims", headers=admin).get_json()["fix"] == "trust-token"
    # The admin API's reset (a contract) still does all of it at once.
    client.post("/api/admin/revocation-strategy", json={"strategy": "none"}, headers=admin)
    client.post("/api/admin/users/bob/role", json={"role": "admin"}, headers=admin)
    assert client.post("/api/admin/lab-reset", json={}, headers=admin).get_json() == {
        "strategy": "denylist", "fix": "trust-token"}
    assert client.get("/api/admin/users/bob", headers=admin).get_json()["user"]["role"] == "user"


# --- The class view: per lab, per student, from the guides' records -------------------------------

def test_class_progress_per_lab(app, r):
    student = app.test_client()
    body = student.post("/api/join", json={}).get_json()
    name, password = body["user"]["username"], body["password"]
    assert records.actor_of(body["ticket"], app) == f"student:{name}"
    assert student.get_cookie("lab_guide", path="/api/guide/").value == body["ticket"]
    assert form_login(student, body["ticket"], name, password).status_code == 303
    pair = student.post("/api/jwt/login", json={"username": name, "password": password},
                        headers={"X-Lab-Guide": body["ticket"]}).get_json()
    student.get("/api/jwt/me", headers={**bearer(pair["access_token"]),
                                        "X-Lab-Guide": body["ticket"]})
    admin = app.test_client()
    session_login(admin, "admin", "admin123")
    found = admin.get("/api/class").get_json()
    assert {lab["lab"] for lab in found["labs"]} >= {"session", "jwt", "revocation"}
    me = next(s for s in found["students"] if s["username"] == name)
    assert me["labs"]["jwt"]["done"] == 2 and me["labs"]["jwt"]["total"] == 5
    assert [s["state"] for s in me["labs"]["jwt"]["steps"]][:2] == ["ok", "ok"]
    assert me["labs"]["session"]["done"] == 1 and me["labs"]["revocation"]["done"] == 0
    assert set(me["steps"]) == {"session-login", "jwt-login"}  # the old columns, kept
    # A new class: the roster and the students' steps in every lab are forgotten.
    token = csrf_token(admin, "/session/")
    assert admin.post("/api/class/reset", headers={"X-CSRFToken": token}).get_json() == {
        "forgotten": 1}
    assert not r.keys(f"guide:{{student:{name}}}:*")


# --- In a real browser: a full guided run of the session flow ------------------------------

@pytest.mark.parametrize("locale, lang", [("en-US", "en"), ("ko-KR", "ko")])
def test_session_flow_guided_run(browser, live_server, locale, lang):
    context = browser.new_context(locale=locale, viewport={"width": 1024, "height": 768})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{live_server}/session/login")
        assert page.get_attribute("html", "lang") == lang
        section = page.locator("section.guide[data-lab=session]")
        section.wait_for()
        page.wait_for_function("() => localStorage.getItem('lab.guide')")
        count = section.locator(".guide-count")
        assert count.inner_text().startswith("0 / 5")
        # The hint waits in a <details> until asked for.
        hint = page.locator("#step-session-login details.hint")
        assert not hint.locator("p").is_visible()
        hint.locator("summary").click()
        assert hint.locator("p").is_visible() and "alice" in hint.inner_text()
        # "Show me" on a step that cannot work yet: the server's 401 turns it red.
        page.click("#step-session-me [data-guide-run]")
        page.wait_for_function("() => document.querySelector('#step-session-me').dataset.state === 'bad'")
        assert "401" in page.inner_text("#step-session-me .verdict")
        assert page.locator("#step-session-me .why").is_visible()
        # Show me: the form logs alice in; the session page shows the step green from the record.
        page.click("#step-session-login [data-guide-run]")
        page.wait_for_url("**/session/")
        page.wait_for_function("() => document.querySelector('#step-session-login').dataset.state === 'ok'")
        assert ":" in page.inner_text("#step-session-login .verdict")  # "recorded at HH:MM:SS"
        for step in ("me", "devices"):
            page.click(f"#step-session-{step} [data-guide-run]")
            page.wait_for_function(f"() => document.querySelector('#step-session-{step}').dataset.state === 'ok'")
        page.click("#step-session-logout [data-guide-run]")
        page.wait_for_url("**/session/login?logged_out=1")
        page.wait_for_function("() => document.querySelector('#step-session-logout').dataset.state === 'ok'")
        page.click("#step-session-refused [data-guide-run]")
        page.wait_for_function("() => document.querySelector('#step-session-refused').dataset.state === 'ok'")
        states = page.eval_on_selector_all("section.guide[data-lab=session] li.step", "els => els.map(e => e.dataset.state)")
        assert states == ["ok"] * 5  # the 401 after the logout did not turn step 2 red again
        assert count.inner_text().startswith("5 / 5")
        # Reset: this learner's steps are cleared (loopback: the shared part too) and repainted.
        page.click("section.guide[data-lab=session] [data-guide-reset]")
        page.wait_for_function("() => [...document.querySelectorAll('section.guide[data-lab=session] li.step')].every(e => e.dataset.state === '')")
        assert count.inner_text().startswith("0 / 5")
        page.reload()
        page.wait_for_function("() => document.querySelector('section.guide[data-lab=session]').dataset.done === '0'")
        assert page.evaluate("() => document.documentElement.scrollWidth <= innerWidth")
        assert not errors
    finally:
        context.close()



def test_jwt_flow_guided_run(page, live_server):
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live_server}/jwt/")
    page.wait_for_function("() => localStorage.getItem('lab.guide')")
    for step in ("login", "me", "refresh", "logout", "refused"):
        page.click(f"#step-jwt-{step} [data-guide-run]")
        page.wait_for_function(f"() => document.getElementById('step-jwt-{step}').dataset.state !== ''")
    states = page.eval_on_selector_all("#guide-jwt li.step", "els => els.map(e => e.dataset.state)")
    assert states == ["ok"] * 5
    assert "401" in page.inner_text("#me")  # the old token, refused after the logout (denylist)
    assert page.locator("#step-jwt-refused .why").is_visible()
    assert not errors
