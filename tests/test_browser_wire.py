"""The wire panel in a real browser: every row shows what crossed the wire, navigations too.

A page cannot read its own response headers, only its Server-Timing entries; the checks here
compare what the panel shows with the headers the server sent (which Playwright can read).
"""


def mask(value):
    return f"{value[:4]}...{value[-3:]}"


def cells(page, source):
    """The six cells of the newest row that came from `source` (navigation, record, fetch)."""
    return [page.locator(f"#wire-rows tr[data-source={source}]").first.locator("td").nth(i)
            .inner_text() for i in range(6)]


def flat(text):
    return " ".join(text.split())


def sizes(response):
    return {k: int(v) for k, v in
            (p.split("=") for p in response.headers["x-lab-request-bytes"].split("; "))}


def test_session_pages_show_what_crossed_the_wire(page, live_server):
    # The login page: its own navigation, with the anonymous session cookie it was given.
    with page.expect_response(f"{live_server}/session/login") as first:
        page.goto(f"{live_server}/session/login")
    page.wait_for_selector("#wire-rows tr[data-source=navigation]")
    anonymous = {c["name"]: c["value"] for c in page.context.cookies()}["lab_session"]
    method, path, status, sent, received, size = cells(page, "navigation")
    assert (method, status) == ("GET", "200") and path.startswith("/session/login")
    assert f"Set-Cookie: lab_session={mask(anonymous)};" in flat(received)
    assert flat(received) == flat(f"Set-Cookie: {first.value.headers['x-lab-set-cookie']}")
    assert size.split(" / ")[0] == str(sizes(first.value)["headers"])
    assert "—" not in sent and "?" not in size

    # Log in with the form: a 303 the page never sees, then GET /session/.
    answers = {}
    page.on("response", lambda r: answers.setdefault(
        (r.request.method, r.url.replace(live_server, "")), r))
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "alice123")
    page.click("form button[type=submit]")
    page.wait_for_url(f"{live_server}/session/")
    page.wait_for_selector("#wire-rows tr[data-source=record]")
    sid = {c["name"]: c["value"] for c in page.context.cookies()}["lab_session"]
    login, home = answers[("POST", "/session/login")], answers[("GET", "/session/")]
    assert login.status == 303

    # The navigation row: the Cookie the server received (masked) and its byte counts.
    method, path, status, sent, received, size = cells(page, "navigation")
    assert (method, path.splitlines()[0], status) == ("GET", "/session/", "200")
    seen = home.headers["x-lab-cookie-seen"]
    assert seen == f"lab_session={mask(sid)}" and sid not in sent
    assert flat(sent) == flat(f"Cookie: {seen} ({sizes(home)['cookie']} bytes)")
    assert size == f"{sizes(home)['headers']} / {home.headers['content-length']}"
    # The same Cookie byte count the page's own table shows.
    assert page.inner_text("#cookie-header-bytes") == str(sizes(home)["cookie"])

    # The server's record of the login: POST /session/login → 303 with its Set-Cookie.
    method, path, status, sent, received, size = cells(page, "record")
    assert (method, path.splitlines()[0], status) == ("POST", "/session/login", "303")
    assert "server record" in path
    assert flat(received) == flat(f"Set-Cookie: {login.headers['x-lab-set-cookie']}")
    assert received.startswith(f"Set-Cookie: lab_session={mask(sid)};")
    assert f"lab_session={mask(anonymous)}" in sent  # the pre-login id went up, a new one came back
    assert "in form body" in sent and "password" in sent
    assert size.split(" / ")[0] == str(sizes(login)["headers"])
    assert sid not in page.inner_text("#wire-rows") and anonymous not in page.inner_text("#wire-rows")
    # Newest first: the page load, then the login that led to it.
    assert page.locator("#wire-rows tr").nth(0).get_attribute("data-source") == "navigation"
    assert page.locator("#wire-rows tr").nth(1).get_attribute("data-source") == "record"
    # The diagram draws the steps, never the lab-* facts.
    labels = page.locator("#seq text.label").all_text_contents()
    # The session read the page load made: into this process's local view (auth/core/tracking.py).
    assert any("GET + PTTL" in label for label in labels)
    assert not any("lab-" in label or "headers=" in label for label in labels)

    # Log out: the cookie is deleted, the login page starts a new anonymous session.
    page.click("#logout")
    page.wait_for_url(f"{live_server}/session/login?logged_out=1")
    page.wait_for_selector("#wire-rows tr[data-source=navigation]")
    fresh = {c["name"]: c["value"] for c in page.context.cookies()}["lab_session"]
    back = answers[("GET", "/session/login?logged_out=1")]
    assert fresh != sid
    assert page.locator("#wire-rows tr").count() == 1  # only this page's own load
    method, path, status, sent, received, size = cells(page, "navigation")
    assert path.startswith("/session/login?logged_out=1")
    assert sent.strip() == "nothing"  # the logout deleted the only cookie
    assert back.headers["x-lab-cookie-seen"] == ""
    assert flat(received) == flat(f"Set-Cookie: {back.headers['x-lab-set-cookie']}")
    assert received.startswith(f"Set-Cookie: lab_session={mask(fresh)};")
    assert size.split(" / ")[0] == str(sizes(back)["headers"])


def test_wire_panel_fits_a_projector(browser, live_server):
    context = browser.new_context(locale="en-US", viewport={"width": 1024, "height": 768})
    page = context.new_page()
    try:
        page.goto(f"{live_server}/session/login")
        page.fill("input[name=username]", "alice")
        page.fill("input[name=password]", "alice123")
        page.click("form button[type=submit]")
        page.wait_for_url(f"{live_server}/session/")
        page.wait_for_selector("#wire-rows tr[data-source=record]")
        assert page.evaluate("() => document.documentElement.scrollWidth <= innerWidth")
        # Table and diagram text at least 16px; the diagram is not scaled down.
        px = page.evaluate("""() => [
            parseFloat(getComputedStyle(document.querySelector('#wire-rows td.sent')).fontSize),
            document.querySelector('#seq text.label').getBoundingClientRect().height]""")
        assert px[0] >= 16 and px[1] >= 16

        # Many requests: newest first, six shown, the rest behind "Show all (N)".
        page.goto(f"{live_server}/jwt/")
        page.fill("input[name=username]", "bob")
        page.fill("input[name=password]", "bob123")
        with page.expect_response("**/api/jwt/me"):
            page.click("#jwt-login button[type=submit]")
        with page.expect_response("**/api/jwt/refresh") as refresh:
            page.click("#do-refresh")
        for _ in range(4):
            with page.expect_response("**/api/jwt/me"):
                page.click("#call-me")
        page.wait_for_function("() => document.querySelectorAll('#wire-rows tr').length === 6")
        rows = page.locator("#wire-rows tr")
        total = page.evaluate("() => labWire.entries.length")
        assert total > 6
        assert page.inner_text("#wire-toggle") == f"Show all ({total})"
        assert "/api/jwt/me" in rows.nth(0).inner_text()
        # The refresh token travelled in the JSON body: the row says so, with its size.
        refresh_row = page.locator("#wire-rows tr", has_text="/api/jwt/refresh")
        body = len(refresh.value.request.post_data.encode())
        assert f"refresh_token in JSON body ({body} bytes)" in flat(refresh_row.inner_text())
        page.click("#wire-toggle")
        assert rows.count() == total
        assert flat(rows.nth(total - 2).inner_text()).startswith("POST /api/jwt/login")
        assert "username/password in JSON body" in flat(rows.nth(total - 2).inner_text())
        assert rows.nth(total - 1).get_attribute("data-source") == "navigation"
        assert page.evaluate("() => document.documentElement.scrollWidth <= innerWidth")
        # No word broken in two inside the table: method, status, path parts and every word of
        # a header value each sit on one line.
        for selector in ("td.method", "td.status", "td.path .seg", "td .tok"):
            lines = page.locator(f"#wire-rows {selector}").evaluate_all("""els => els.map(e => {
                const tops = new Set();
                const walk = document.createTreeWalker(e, NodeFilter.SHOW_TEXT);
                while (walk.nextNode()) {
                    const range = document.createRange();
                    range.selectNodeContents(walk.currentNode);
                    for (const r of range.getClientRects()) tops.add(Math.round(r.top));
                }
                return tops.size;
            })""")
            assert lines and set(lines) == {1}, selector
    finally:
        context.close()


def test_bearer_calls_answer_in_the_pages_language(browser, live_server):
    """A bearer call carries no cookie, hence not the language toggle: the page says its language
    itself, so a refusal reads in Korean on a Korean page even in an English browser."""
    page = browser.new_context(locale="en-US").new_page()
    try:
        page.goto(f"{live_server}/lang/ko?next=/jwt/")
        page.fill("#jwt-login input[name=username]", "alice")
        page.fill("#jwt-login input[name=password]", "wrong-password")
        page.click("#jwt-login button[type=submit]")
        page.wait_for_function("() => document.getElementById('login-status').textContent.includes('401')")
        assert "아이디 또는 비밀번호" in page.inner_text("#login-status")
    finally:
        page.context.close()
