"""The revocation lab in a real browser: two browser contexts as two devices (the user and the
administrator), and the lab page's steps under two strategies, each verdict from the server."""
import pytest

ARGS_FETCH = """async ([path, token]) => {
  const res = await fetch(path, {headers: token ? {Authorization: `Bearer ${token}`} : {}});
  return res.status;
}"""


def login_form(page, base, username, password, next_path=None):
    page.goto(f"{base}/session/login" + (f"?next={next_path}" if next_path else ""))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit]")


def test_admin_logs_a_user_out_everywhere_from_another_device(browser, live_server):
    alice = browser.new_context(locale="en-US").new_page()
    admin = browser.new_context(locale="en-US").new_page()
    try:
        login_form(alice, live_server, "alice", "alice123")
        alice.wait_for_url("**/session/")
        token = alice.evaluate("""async () => {
          const res = await fetch('/api/jwt/login', {method: 'POST', headers: {'Content-Type': 'application/json'},
            body: JSON.stringify({username: 'alice', password: 'alice123'})});
          return (await res.json()).access_token;
        }""")
        assert alice.evaluate(ARGS_FETCH, ["/api/session/me", None]) == 200
        assert alice.evaluate(ARGS_FETCH, ["/api/jwt/me", token]) == 200
        # alice's own device list shows this browser's session and her JWT family.
        alice.goto(f"{live_server}/account")
        alice.wait_for_selector("#session-rows tr.current")
        assert alice.locator("#family-rows tr").count() == 1

        login_form(admin, live_server, "admin", "admin123", "/admin")
        admin.wait_for_url("**/admin")
        card = admin.locator(".user-card", has=admin.locator("h3 span", has_text="alice"))
        card.wait_for()
        assert "Sessions (1)" in card.inner_text()
        card.get_by_role("button", name="Log out everywhere").click()
        admin.wait_for_function("() => document.getElementById('admin-status').textContent.includes('alice:')")
        assert "1 session(s) deleted, 1 family(ies) revoked" in admin.inner_text("#admin-status")

        # alice's very next request, in each flow, from her own browser.
        assert alice.evaluate(ARGS_FETCH, ["/api/session/me", None]) == 401
        assert alice.evaluate(ARGS_FETCH, ["/api/jwt/me", token]) == 401  # denylist: at once
        alice.goto(f"{live_server}/account")
        assert "/session/login" in alice.url
    finally:
        alice.context.close()
        admin.context.close()


@pytest.mark.parametrize("strategy, jwt_state", [("none", "accepted"), ("denylist", "refused")])
def test_lab_page_runs_every_step(browser, live_server, strategy, jwt_state):
    page = browser.new_context(locale="en-US", viewport={"width": 1024, "height": 768}).new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{live_server}/labs/revocation")
        page.click("#admin-login")
        page.wait_for_function("() => !document.getElementById('strategy-box').disabled")
        page.check(f"input[name=strategy][value='{strategy}']")
        page.click("#strategy-switch")
        page.wait_for_function("() => document.getElementById('strategy-status').textContent.length > 0")
        # Each step's "Show me"; its green comes from the server's record of the requests.
        for lab, step in (("revocation", "login"), ("revocation", "revoke"), ("revocation", "next"),
                          ("stale-claims", "promote"), ("stale-claims", "demote"),
                          ("stale-claims", "stale")):
            page.click(f"#step-{lab}-{step} [data-guide-run]")
            page.wait_for_function(f"() => document.getElementById('step-{lab}-{step}').dataset.state !== ''")
        states = page.eval_on_selector_all(".step", "els => els.map(e => e.dataset.state)")
        assert states == ["ok"] * 6
        assert page.get_attribute("#next-session", "data-state") == "refused"
        assert page.get_attribute("#next-jwt", "data-state") == jwt_state
        # The check's cost comes from that request's own trace: none asks Redis nothing.
        trips = "0 Redis round trip(s)" if strategy == "none" else "1 Redis round trip(s)"
        assert trips in page.inner_text("#next-cost")
        window = page.inner_text("#next-window")
        assert ("Still accepted for" in window) == (strategy == "none")
        # Stale claims, default fix (trust the token): the session shows "user" at once, the old
        # token is still believed to say "admin".
        assert "role user" in page.inner_text("#stale-session")
        assert page.get_attribute("#stale-jwt", "data-state") == "accepted"
        assert page.inner_text("#stale-claim mark") == '"role": "admin"'
        # Nothing overflows sideways at 1024x768.
        assert page.evaluate("() => document.documentElement.scrollWidth <= innerWidth")
        # "Reset this lab" (from this machine): the steps are cleared on the server, the panels
        # on the page, and the strategy is back to the configured one; the other guide stays.
        page.click("#guide-revocation [data-guide-reset]")
        page.wait_for_function("() => [...document.querySelectorAll('#guide-revocation li.step')].every(e => e.dataset.state === '')")
        assert page.inner_text("#next-session") == "" and page.inner_text("#login-verdict") == ""
        page.wait_for_function("() => document.querySelector('input[name=strategy]:checked')?.value === 'denylist'")
        assert page.eval_on_selector_all("#guide-stale-claims li.step", "els => els.map(e => e.dataset.state)") == ["ok"] * 3
        assert not errors
    finally:
        page.context.close()
