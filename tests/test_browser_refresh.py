"""Three tabs refresh one refresh token at the same moment, in a real browser: without
coordination the family is revoked and everyone is logged out; with navigator.locks +
BroadcastChannel nobody is; with the server's reuse grace nobody is either."""
from .helpers import bearer


def _race(page, live_server, mode):
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live_server.replace('127.0.0.1', 'localhost')}/labs/refresh")
    if mode == "coordinated":
        page.check("input[name=mode][value=coordinated]")
    for n in (1, 2, 3):
        page.frame_locator(f"#tab-{n}").locator("#tab-holds").wait_for()
    page.click("#race-login")
    page.wait_for_selector("#race-go:not([disabled])")
    for n in (1, 2, 3):
        holds = page.frame_locator(f"#tab-{n}").locator("#tab-holds")
        assert "holds refresh token" in holds.inner_text()
    page.click("#race-go")
    page.wait_for_function("() => document.getElementById('race-summary').dataset.ok !== undefined")
    assert errors == []
    return page.inner_text("#race-summary"), page.get_attribute("#race-summary", "data-ok")


def test_three_tabs_without_coordination_log_everyone_out(page, live_server):
    summary, ok = _race(page, live_server, "naive")
    assert ok == "1" and "revoked the family: everyone is logged out" in summary
    assert page.locator("#race-keys tr").first.inner_text().split("\t")[1] == "no"
    # The one tab that "won" is logged out too: its new refresh token belongs to a dead family.
    page.evaluate("() => document.getElementById('race-summary').removeAttribute('data-ok')")
    page.click("#race-again")
    page.wait_for_function("() => document.getElementById('race-summary').dataset.ok !== undefined")
    assert page.get_attribute("#race-summary", "data-ok") == "0"


def test_three_tabs_with_locks_and_broadcast_stay_logged_in(page, live_server):
    summary, ok = _race(page, live_server, "coordinated")
    assert ok == "3", summary
    assert "1 refresh request(s) sent, 2 tab(s) took the pair from another tab" in summary
    # Again: still one request, still nobody logged out.
    page.evaluate("() => document.getElementById('race-summary').removeAttribute('data-ok')")
    page.click("#race-again")
    page.wait_for_function("() => document.getElementById('race-summary').dataset.ok !== undefined")
    assert page.get_attribute("#race-summary", "data-ok") == "3"
    tails = {page.frame_locator(f"#tab-{n}").locator("#tab-holds").inner_text() for n in (1, 2, 3)}
    assert len(tails) == 1  # all three hold the same, newest pair


def test_three_tabs_with_the_reuse_grace_stay_logged_in(page, live_server, client):
    admin = client.post("/api/jwt/login", json={"username": "admin", "password": "admin123"})
    res = client.post("/api/lab/refresh/grace", json={"seconds": 30},
                      headers=bearer(admin.get_json()["access_token"]))
    assert res.status_code == 200
    summary, ok = _race(page, live_server, "naive")
    assert ok == "3" and "the grace let the second and third through" in summary


def test_the_jwt_page_in_two_tabs_refreshes_once_and_shares_the_pair(browser, live_server):
    context = browser.new_context(locale="en-US")
    try:
        one, two = context.new_page(), context.new_page()
        one.goto(f"{live_server}/jwt/")
        one.fill("#jwt-login [name=username]", "alice")
        one.fill("#jwt-login [name=password]", "alice123")
        one.select_option("#storage", "localStorage")
        one.click("#jwt-login button[type=submit]")
        one.wait_for_selector("#do-refresh:not([disabled])")
        two.goto(f"{live_server}/jwt/")
        two.wait_for_selector("#do-refresh:not([disabled])")
        refreshes = []
        one.on("request", lambda r: r.url.endswith("/api/jwt/refresh") and refreshes.append(1))
        two.on("request", lambda r: r.url.endswith("/api/jwt/refresh") and refreshes.append(2))
        # Hold tab one's refresh on the wire until tab two has pressed Refresh too, so the two
        # overlap for certain (no timing): without coordination two would send the same token.
        held = []
        context.route("**/api/jwt/refresh",
                      lambda route: held.append(route) if not held else route.continue_())
        one.evaluate("() => document.getElementById('do-refresh').click()")
        while not held:
            one.evaluate("() => 0")  # lets Playwright deliver the route event
        two.evaluate("() => document.getElementById('do-refresh').click()")
        two.evaluate("() => 0")
        assert len(held) == 1  # tab two waits for the lock: it sent nothing
        held[0].continue_()
        for tab in (one, two):
            tab.wait_for_function("() => /Refreshed|Another tab/"
                                  ".test(document.getElementById('jwt-status').textContent)")
        assert len(refreshes) == 1  # one request in all: the other tab took the shared pair
        token = one.evaluate("() => localStorage.getItem('lab.refresh_token')")
        assert token == two.evaluate("() => localStorage.getItem('lab.refresh_token')")
        for tab in (one, two):
            with tab.expect_response("**/api/jwt/me") as me:
                tab.click("#call-me")
            assert me.value.status == 200
    finally:
        context.close()
