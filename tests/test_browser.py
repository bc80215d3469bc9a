"""Both flows in a real browser: Playwright driving Debian's Chromium against the real server."""
import pytest


def test_session_flow_in_browser(page, live_server, r):
    page.goto(f"{live_server}/session/login")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "alice123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/session/")
    assert "alice" in page.inner_text("h1")
    cookies = {c["name"]: c for c in page.context.cookies()}
    cookie = cookies["lab_session"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    # What the page shows is what Redis holds for this very cookie.
    assert page.inner_text("#redis-key") == f"session:{cookie['value'][:4]}…{cookie['value'][-3:]}"
    assert int(page.inner_text("#redis-bytes")) > 0
    assert r.exists(f"session:{cookie['value']}")
    assert page.evaluate("document.cookie").find("lab_session") == -1  # HttpOnly: invisible to JS
    page.click("#logout")
    page.wait_for_url(f"{live_server}/session/login?logged_out=1")
    assert not r.exists(f"session:{cookie['value']}")


@pytest.mark.parametrize("storage", ["memory", "sessionStorage"])
def test_jwt_flow_in_browser(page, live_server, storage):
    page.goto(f"{live_server}/jwt/")
    page.fill("input[name=username]", "bob")
    page.fill("input[name=password]", "bob123")
    page.select_option("#storage", storage)
    with page.expect_response("**/api/jwt/me") as me:
        page.click("#jwt-login button[type=submit]")
    assert me.value.status == 200
    assert me.value.request.headers["authorization"].startswith("Bearer ey")
    page.wait_for_selector("#tokens:not([hidden])")
    assert '"username": "bob"' in page.inner_text("#access-payload")
    assert '"alg": "HS256"' in page.inner_text("#access-header")
    assert '"username": "bob"' in page.inner_text("#me")
    where = page.inner_text("#access-where")
    assert where == ("memory" if storage == "memory" else "sessionStorage")
    stored = page.evaluate("sessionStorage.getItem('lab.access_token')")
    assert (stored is None) == (storage == "memory")
    left = page.inner_text("#access-left")
    # The countdown moves by itself (waits for the change; no timing is asserted).
    page.wait_for_function("old => document.getElementById('access-left').textContent !== old",
                           arg=left, timeout=15000)
    with page.expect_response("**/api/jwt/refresh") as refresh:
        page.click("#do-refresh")
    assert refresh.value.status == 200
    with page.expect_response("**/api/jwt/logout") as logout:
        page.click("#do-logout")
    assert logout.value.status == 200
    page.wait_for_selector("#tokens", state="hidden")


def test_compare_page_shows_real_wire_sizes(page, live_server):
    page.goto(f"{live_server}/compare")
    sent = {}

    def remember(request):
        if request.url.endswith(("/api/session/me", "/api/jwt/me")):
            sent[request.url.rsplit("/api/", 1)[1]] = request.all_headers()

    page.on("request", remember)
    with page.expect_response("**/api/jwt/me"):
        page.click("#login-both")
    page.wait_for_function("() => document.getElementById('j-sent').textContent.includes('bytes')")
    page.wait_for_function("() => document.getElementById('s-sent').textContent.includes('bytes')")
    # The byte counts the page shows are the real header sizes the browser sent.
    cookie_line = len(f"Cookie: {sent['session/me']['cookie']}\r\n")
    auth_line = len(f"Authorization: {sent['jwt/me']['authorization']}\r\n")
    assert f"{cookie_line} bytes" in page.inner_text("#s-sent")
    assert f"{auth_line} bytes" in page.inner_text("#j-sent")
    assert "HttpOnly" in page.inner_text("#s-browser")
    assert '"username": "alice"' in page.inner_text("#j-readable")
    assert "jwt-verify" in page.inner_text("#j-trace") and "GETEX" in page.inner_text("#s-trace")
    # The wire panel lists the requests; the diagram is drawn from the server's steps.
    wire = page.inner_text("#wire-rows")
    for path in ("/session/login", "/api/jwt/login", "/api/session/me", "/api/jwt/me"):
        assert path in wire
    assert page.locator("#seq line.arrowline").count() >= 2
    # Countdowns move without a reload.
    before = page.inner_text("#j-expiry")
    page.wait_for_function("old => document.getElementById('j-expiry').textContent !== old",
                           arg=before, timeout=15000)
    # Logout, then replay the old credentials: both refused.
    page.click("#s-logout")
    page.wait_for_function("() => !document.getElementById('s-replay').disabled")
    page.click("#s-replay")
    page.wait_for_function("() => document.getElementById('s-after').textContent.includes('401')")
    page.click("#j-logout")
    page.wait_for_function("() => !document.getElementById('j-replay').disabled")
    page.click("#j-replay")
    page.wait_for_function("() => document.getElementById('j-after').textContent.includes('401')")
    assert "revoked" in page.inner_text("#j-after")


def test_refresh_reuse_revokes_family_in_browser(page, live_server):
    page.goto(f"{live_server}/jwt/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "alice123")
    with page.expect_response("**/api/jwt/me"):
        page.click("#jwt-login button[type=submit]")
    with page.expect_response("**/api/jwt/refresh"):
        page.click("#do-refresh")
    with page.expect_response("**/api/jwt/refresh") as reuse:
        page.click("#reuse")
    assert reuse.value.status == 400
    with page.expect_response("**/api/jwt/me") as me:
        page.click("#call-me")
    assert me.value.status == 401  # the legitimate user's newest token died with the family
    assert "revoked" in page.inner_text("#me")
