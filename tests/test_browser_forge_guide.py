"""The inspector page's guided steps in a real browser: "Show me" runs the page's own controls,
and the step's verdict is the server's record (GET /api/guide/<lab>), at 1024x768 in English
and Korean without horizontal overflow."""
import pytest

OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.fixture
def wide_page(browser):
    context = browser.new_context(locale="en-US", viewport={"width": 1024, "height": 768})
    page = context.new_page()
    yield page
    context.close()


def test_show_me_forges_alg_none_and_the_server_records_it(wide_page, live_server):
    page = wide_page
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live_server}/inspect#forge")
    step = "#step-forge-none"
    page.wait_for_selector(f"{step} [data-guide-run]:not([hidden])")
    assert page.inner_text(f"{step} .verdict") == ""
    page.click(f"{step} [data-guide-run]")
    page.wait_for_selector(f"{step}[data-state=ok]")
    assert page.inner_text(f"{step} .verdict").startswith("✓ The server recorded it at")
    assert page.is_visible(f"{step} .why")
    # The page's own panels show what "Show me" did: the naive door open, the real one shut.
    assert page.inner_text("#naive-door").startswith("Admin door: 200")
    assert page.inner_text("#real-door").startswith("Admin door: 401")
    assert "accept-none" in page.inner_text("#naive-flaws")
    assert page.inner_text("#guide-forge .guide-count") == "1 / 4 steps"
    # A step done by hand turns green too: the "keep" forgery with the page's own buttons.
    page.click("#forge-from-login")
    page.wait_for_function("() => document.getElementById('forge-payload').value.includes('admin')")
    page.check("input[name=recipe][value=keep]")
    page.uncheck("input[name=flaw][value=accept-none]")
    page.click("#forge-make")
    page.wait_for_function(
        "() => document.getElementById('forge-status').textContent.includes('keep')")
    page.click("#forge-send")
    page.wait_for_selector("#step-forge-tamper[data-state=ok]")
    assert page.evaluate(OVERFLOW) <= 0
    # Reset: the records go, the steps are blank again.
    page.click("#guide-forge [data-guide-reset]")
    page.wait_for_selector("#step-forge-none[data-state='']")
    assert page.inner_text("#guide-forge .guide-count") == "0 / 4 steps"
    assert errors == []


def test_inspector_show_me_in_korean(browser, live_server):
    context = browser.new_context(locale="ko-KR", viewport={"width": 1024, "height": 768})
    page = context.new_page()
    try:
        page.goto(f"{live_server}/inspect")
        page.wait_for_selector("#step-inspector-tamper [data-guide-run]:not([hidden])")
        page.click("#step-inspector-decode [data-guide-run]")
        page.wait_for_selector("#step-inspector-decode[data-state=ok]")
        # "Show me" of the last step verifies the untouched token first, then the tampered one.
        page.click("#step-inspector-tamper [data-guide-run]")
        page.wait_for_selector("#step-inspector-verify-lab[data-state=ok]")
        page.wait_for_selector("#step-inspector-tamper[data-state=ok]")
        assert page.inner_text("#step-inspector-tamper .verdict").startswith("✓")
        assert page.inner_text("#guide-inspector .guide-count").startswith("3 / 3")
        assert page.evaluate(OVERFLOW) <= 0
    finally:
        context.close()
