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
    # (The session column shows the bytes of the on-load 401 too: wait for the login's answers.)
    page.wait_for_function(
        "() => document.getElementById('status').textContent.includes('Logged in to both flows')")
    page.wait_for_function("() => document.getElementById('j-sent').textContent.includes('bytes')")
    page.wait_for_function("() => document.getElementById('s-sent').textContent.includes('bytes')")
    # The byte counts the page shows are the real header sizes the browser sent.
    cookie_line = len(f"Cookie: {sent['session/me']['cookie']}\r\n")
    auth_line = len(f"Authorization: {sent['jwt/me']['authorization']}\r\n")
    assert f"{cookie_line} bytes" in page.inner_text("#s-sent")
    assert f"{auth_line} bytes" in page.inner_text("#j-sent")
    assert "HttpOnly" in page.inner_text("#s-browser")
    assert '"username": "alice"' in page.inner_text("#j-readable")
    session_trace = page.inner_text("#s-trace")  # the session's read, from Redis or the view
    assert "jwt-verify" in page.inner_text("#j-trace")
    assert "Redis PIPELINE" in session_trace or "local-view" in session_trace
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


# --- Every panel follows the server's last answer (compare page, JWT page) ---------------------
def text(page, selector):
    return page.inner_text(selector).strip()


def wait_text(page, element_id, needle):
    page.wait_for_function(
        "([id, needle]) => document.getElementById(id).textContent.includes(needle)",
        arg=[element_id, needle])


def test_compare_follows_login_call_logout_replay_and_login_again(page, live_server):
    page.goto(f"{live_server}/compare")
    # On load: the server is asked about the session (401: nobody logged in); no token, no call.
    wait_text(page, "status", "Session flow: not logged in.")
    assert "JWT flow: this page holds no token." in text(page, "#status")
    assert text(page, "#s-call-result").startswith("401 not_logged_in")
    assert text(page, "#j-call-result") == ""
    assert page.is_disabled("#s-logout") and page.is_disabled("#j-logout")
    assert page.is_disabled("#s-replay") and page.is_disabled("#j-replay")
    assert "401" in text(page, "#load-note")  # the page says why the console shows a 401

    # Log in: both columns and both call results are the server's 200s.
    with page.expect_response("**/api/session/me") as s_me, \
            page.expect_response("**/api/jwt/me") as j_me:
        page.click("#login-both")
    assert s_me.value.status == 200 and j_me.value.status == 200
    wait_text(page, "status", "Logged in to both flows as alice.")
    wait_text(page, "j-expiry", "valid for")
    assert text(page, "#s-call-result") == "200 OK" and text(page, "#j-call-result") == "200 OK"
    assert "access_token" in text(page, "#j-browser")
    assert "What the server sent at login:" in text(page, "#s-browser")  # not "received"
    assert "received:" not in text(page, "#s-browser")
    assert page.is_enabled("#s-logout") and page.is_enabled("#j-logout")

    # Log out JWT: no cell claims tokens, no countdown, the call result is the server's 401.
    with page.expect_response("**/api/jwt/logout") as logout:
        page.click("#j-logout")
    assert logout.value.status == 200
    wait_text(page, "status", "JWT flow: this page holds no token.")
    assert "Session flow: logged in as alice." in text(page, "#status")
    assert "Logged in to both flows" not in text(page, "#status")
    for cell in ("#j-browser", "#j-sent", "#j-readable", "#j-expiry"):
        assert "access_token" not in text(page, cell) and "Bearer" not in text(page, cell)
    assert "No tokens" in text(page, "#j-browser")
    assert "valid for" not in text(page, "#j-expiry")
    assert text(page, "#j-call-result") == ""
    assert "POST /api/jwt/logout → 200" in text(page, "#j-trace")
    wait_text(page, "j-server", "For the old token")
    deny = next(line for line in text(page, "#j-server").splitlines() if line.startswith("jwt:deny:"))
    assert "present" in deny  # the server's denylist entry for the old token, read from Redis
    assert page.is_disabled("#j-logout") and page.is_enabled("#j-replay")
    with page.expect_response("**/api/jwt/me") as call:
        page.click("#j-call")
    assert call.value.status == 401 and "authorization" not in call.value.request.headers
    wait_text(page, "j-call-result", f"401 {call.value.json()['error']}")
    assert call.value.json()["message"] in text(page, "#j-call-result")

    # Replay the old token: the server's own refusal, with its reason.
    with page.expect_response("**/api/jwt/me") as replay:
        page.click("#j-replay")
    assert replay.value.status == 401
    wait_text(page, "j-after", replay.value.json()["message"])
    assert "401 invalid_token" in text(page, "#j-after")

    # Log out the session: its column follows the server's 401 too.
    with page.expect_response("**/api/session/me") as after:
        page.click("#s-logout")
    assert after.value.status == 401
    wait_text(page, "status", "Session flow: not logged in.")
    wait_text(page, "s-call-result", "401 not_logged_in")
    assert "lab_session (" not in text(page, "#s-browser")
    assert "Set-Cookie" not in text(page, "#s-browser")
    assert text(page, "#s-expiry").endswith("—")
    assert "Set-Cookie" in text(page, "#s-after")  # what the server sent to drop the cookie
    assert page.is_disabled("#s-logout") and page.is_enabled("#s-replay")
    with page.expect_response("**/api/session/me") as replay:
        page.click("#s-replay")
    assert replay.value.status == 401
    wait_text(page, "s-after", "401 not_logged_in")

    # Log in again: everything about the old login is gone.
    with page.expect_response("**/api/jwt/me"):
        page.click("#login-both")
    wait_text(page, "status", "Logged in to both flows as alice.")
    wait_text(page, "s-call-result", "200 OK")
    assert text(page, "#s-after") == "" and text(page, "#j-after") == ""
    assert page.is_disabled("#s-replay") and page.is_disabled("#j-replay")
    assert "access_token" in text(page, "#j-browser")


def test_jwt_page_countdown_and_payload_follow_the_server(page, live_server):
    import base64
    import json

    page.goto(f"{live_server}/jwt/")
    assert page.is_disabled("#call-me") and page.is_disabled("#do-logout")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "alice123")
    page.select_option("#storage", "sessionStorage")
    with page.expect_response("**/api/jwt/me") as me:
        page.click("#jwt-login button[type=submit]")
    assert me.value.status == 200
    wait_text(page, "access-left", "valid for")
    # The payload shown is the token's own JSON: it parses, and NumericDates stay numbers.
    token = page.evaluate("() => sessionStorage.getItem('lab.access_token')")
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    shown = json.loads(page.inner_text("#access-payload"))
    assert shown == claims and isinstance(shown["exp"], int)
    # The human dates sit beside the JSON, one row per NumericDate claim.
    assert page.locator("#access-times tr").count() == 3
    assert page.inner_text("#access-times tr[data-claim=exp] td:nth-child(2)") == str(claims["exp"])
    # The leeway the server forgives is said where the countdown ends.
    assert "2 s of clock skew" in text(page, "#leeway-note")
    # Claim categories: registered, public, private, each explained once.
    assert page.locator("#claims-card caption dt").count() == 3
    kinds = page.evaluate("() => Object.fromEntries([...document.querySelectorAll('#claims tr')]"
                          ".map((r) => [r.dataset.claim, r.dataset.kind]))")
    assert kinds["iss"] == kinds["exp"] == "registered"
    assert kinds["username"] == kinds["role"] == kinds["fam"] == kinds["type"] == "private"

    with page.expect_response("**/api/jwt/refresh"):
        page.click("#do-refresh")
    wait_text(page, "jwt-status", "Refreshed")
    assert text(page, "#me") == ""  # the last answer was about the previous access token
    with page.expect_response("**/api/jwt/refresh") as reuse:
        page.click("#reuse")
    assert reuse.value.status == 400
    answer = reuse.value.json()
    # The reuse answer sits right under the buttons, in the server's words.
    wait_text(page, "jwt-status", answer["message"])
    assert page.locator("#token-card #jwt-status").count() == 1
    wait_text(page, "refresh-left", f"refused by the server: 400 {answer['error']}")
    assert "valid for" not in text(page, "#access-left")  # not confirmed since the family died
    with page.expect_response("**/api/jwt/me") as me:
        page.click("#call-me")
    assert me.value.status == 401
    refused = me.value.json()
    wait_text(page, "access-left", f"refused by the server: 401 {refused['error']}: {refused['message']}")
    assert "valid for" not in text(page, "#claims [data-exp]")
    assert "401" in text(page, "#me") and refused["message"] in text(page, "#me")

    page.click("#forget")
    page.wait_for_selector("#tokens", state="hidden")
    assert page.is_disabled("#call-me") and page.is_disabled("#do-refresh")
    assert text(page, "#me") == ""


def test_jwt_logout_result_next_to_the_buttons(page, live_server):
    page.goto(f"{live_server}/jwt/")
    page.fill("input[name=username]", "bob")
    page.fill("input[name=password]", "bob123")
    with page.expect_response("**/api/jwt/me"):
        page.click("#jwt-login button[type=submit]")
    wait_text(page, "access-left", "valid for")
    with page.expect_response("**/api/jwt/logout") as logout:
        page.click("#do-logout")
    assert logout.value.status == 200
    page.wait_for_selector("#tokens", state="hidden")
    assert text(page, "#jwt-status").startswith("Logged out")
    assert page.is_disabled("#do-logout") and page.is_disabled("#call-me")


def test_claim_categories_and_the_leeway_text(page, live_server):
    page.goto(f"{live_server}/jwt/")
    result = page.evaluate("""async () => {
        const c = await import('/static/js/claims.js');
        const t = JSON.parse(document.getElementById('claims-i18n').textContent);
        const live = document.createElement('strong');
        live.dataset.exp = '1000';
        const at = (now, state, reason) => {
            c.setVerdict(live, { state, reason });
            return c.expiryText(live, now, t).text;
        };
        return {
            kinds: ['sub', 'name', 'email', 'scope', 'roles', 'https://example.com/plan', 'fam', 'role']
                .map(c.category),
            accepted: at(900, 'accepted'), unconfirmed: at(900, 'unconfirmed'),
            leeway: at(1001, 'accepted'), past: at(1003, 'accepted'),
            refused: at(900, 'refused', '401 invalid_token: revoked'),
        };
    }""")
    assert result["kinds"] == ["registered", "public", "public", "public", "public", "public",
                               "private", "private"]
    assert result["accepted"] == "valid for 1:40"
    assert "valid for" not in result["unconfirmed"] and "1:40" in result["unconfirmed"]
    assert "still accepts it for 1 s" in result["leeway"] and "2 s" in result["leeway"]
    assert result["past"].startswith("expired")
    assert result["refused"] == "refused by the server: 401 invalid_token: revoked"


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_pages_fit_1024_without_horizontal_scroll(browser, live_server, lang):
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="en-US")
    context.add_cookies([{"name": "lang", "value": lang, "url": live_server}])
    page = context.new_page()
    fits = "() => document.documentElement.scrollWidth <= window.innerWidth"
    try:
        page.goto(f"{live_server}/")
        assert page.locator("ol.path li").count() == 6 and page.evaluate(fits)
        page.goto(f"{live_server}/compare")
        with page.expect_response("**/api/jwt/me"):
            page.click("#login-both")
        page.wait_for_function("() => document.getElementById('s-call-result').textContent.startsWith('200')")
        assert page.evaluate(fits)
        # Every text the script writes comes from the page's i18n block (Korean on a Korean page).
        T = page.evaluate("() => JSON.parse(document.getElementById('i18n').textContent)")
        server = page.inner_text("#s-server")
        assert f"{T['key']}: " in server and f"{T['value']}: " in server
        assert T["name_chars"].replace("{name}", "lab_session").replace("{n}", "43") in page.inner_text("#s-browser")
        # The label column stays narrow: far less than a third of the table.
        widths = page.evaluate("() => [document.querySelector('#compare tbody th').offsetWidth,"
                               " document.getElementById('compare').offsetWidth]")
        assert widths[0] * 5 < widths[1]
        page.click("#j-logout")
        page.wait_for_function("() => !document.getElementById('j-replay').disabled")
        assert page.evaluate(fits)
        page.goto(f"{live_server}/jwt/")
        page.fill("input[name=username]", "alice")
        page.fill("input[name=password]", "alice123")
        with page.expect_response("**/api/jwt/me"):
            page.click("#jwt-login button[type=submit]")
        page.wait_for_selector("#tokens:not([hidden])")
        assert page.evaluate(fits)
    finally:
        context.close()


def test_jwt_page_hands_a_memory_token_to_the_inspector(page, live_server):
    page.goto(f"{live_server}/jwt/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "alice123")
    with page.expect_response("**/api/jwt/me") as me:
        page.click("#jwt-login button[type=submit]")  # memory: no other page can read the token
    token = me.value.request.headers["authorization"].split(" ", 1)[1]
    page.click("#open-inspector")
    page.wait_for_url(f"{live_server}/inspect")
    page.wait_for_function("t => document.getElementById('token').value === t", arg=token)
    assert page.evaluate("() => sessionStorage.getItem('lab.inspect_handoff')") is None
