"""The inspector's Forge tab in a real browser: forge alg none, watch the two verifiers differ."""


def test_forge_tab_none_token_naive_accepts_real_refuses(page, live_server):
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live_server}/inspect")
    page.click("#tab-forge")
    assert page.is_visible("#panel-forge") and not page.is_visible("#panel-inspect")
    page.click("#forge-from-login")
    page.wait_for_function("() => document.getElementById('forge-payload').value.includes('admin')")
    # On an HS256 lab there is no public key to confuse: the recipe is off, and says why.
    assert page.is_disabled("#recipe-public-key")
    assert page.is_visible("#public-key-note")
    page.check("input[name=recipe][value=none]")
    page.select_option("#opt-casing", "NONE")
    page.click("#forge-make")
    page.wait_for_function("() => document.getElementById('forge-token').value.endsWith('.')")
    page.check("input[name=flaw][value=accept-none]")
    page.click("#forge-send")
    page.wait_for_selector("#naive-side[data-state=accepted]")
    page.wait_for_selector("#real-side[data-state=refused]")
    page.wait_for_function("() => document.getElementById('real-door').textContent !== ''")
    assert "alg=NONE: signature skipped" in page.inner_text("#naive-steps")
    assert page.inner_text("#naive-door").startswith("Admin door: 200")
    assert "algorithm_not_allowed" in page.inner_text("#real-decision")
    assert page.inner_text("#real-door").startswith("Admin door: 401")
    # Without the flaw the naive verifier is correct.
    page.uncheck("input[name=flaw][value=accept-none]")
    page.click("#forge-send")
    page.wait_for_selector("#naive-side[data-state=refused]")
    assert errors == []
