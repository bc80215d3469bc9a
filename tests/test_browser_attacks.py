"""The attack labs in a real browser (Chromium), with both origins served for real: the lab on
http://localhost:<port> and the attacker's app on 127.0.0.1 (cross-site) and localhost
(same-site) on another port. Every assertion is on the server's record, or on the lab page's
verdict, which comes from that record."""
import threading

import pytest

from auth.attacker import create_attacker_app


@pytest.fixture
def sites(app):
    """(lab, attacker_port): the lab app and the attacker app behind waitress on free ports."""
    from waitress.server import create_server

    lab_server = create_server(app, host="127.0.0.1", port=0, threads=4)
    app.config["PORT"] = lab_server.effective_port
    attacker_app = create_attacker_app(app)
    attacker_server = create_server(attacker_app, host="127.0.0.1", port=0, threads=4)
    app.config["ATTACKER_PORT"] = attacker_server.effective_port
    attacker_app.config["ATTACKER_PORT"] = attacker_server.effective_port
    for server in (lab_server, attacker_server):
        threading.Thread(target=server.run, daemon=True).start()
    yield f"http://localhost:{lab_server.effective_port}", attacker_server.effective_port
    lab_server.close()
    attacker_server.close()


@pytest.fixture
def tab(browser):
    context = browser.new_context(locale="en-US", viewport={"width": 1024, "height": 768})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    context.close()
    assert not errors


def run_step(page, step, lab="csrf"):
    """Click a guided step's "Show me"; return its state once the server's verdict is painted."""
    with page.context.expect_page() as popup:
        page.click(f"#step-{lab}-{step} [data-guide-run]")
    attacker = popup.value
    page.wait_for_function(
        f"() => document.getElementById('step-{lab}-{step}').dataset.state !== ''", timeout=20000)
    attacker.close()
    li = page.locator(f"#step-{lab}-{step}")
    return li.get_attribute("data-state"), li.get_attribute("data-outcome"), li.inner_text()


CSRF_STEPS = ["all-off", "lax", "lax-nav", "same-site", "token", "fetchmeta", "origin",
              "bearer", "jwt-cookie", "double", "double-same"]


def test_csrf_guided_steps_from_both_origins(sites, tab):
    lab, _port = sites
    tab.goto(f"{lab}/attacks/csrf")
    assert tab.is_hidden("#where-bad")
    results = {step: run_step(tab, step) for step in CSRF_STEPS}
    for step, (state, outcome, text) in results.items():
        print(step, state, outcome, text.replace("\n", " | "))
    assert {s: r[0] for s, r in results.items()} == {s: "ok" for s in CSRF_STEPS}


STORES = ["localStorage", "sessionStorage", "memory", "cookie", "refresh-cookie", "bff"]


def ladder(page):
    return {s: [page.get_attribute(f"#row-{s} [data-cell={p}]", "data-result")
                for p in ("steal", "mint", "ride")] for s in STORES}


def run_rows(page):
    for store in STORES:
        page.click(f"[data-row='{store}']")
        page.wait_for_function(
            f"() => document.querySelector('#row-{store} [data-cell=ride]').dataset.result"
            " !== 'pending' && !document.querySelector('[data-row]').disabled", timeout=60000)


def test_xss_storage_ladder_filled_from_real_runs(sites, tab):
    lab, _port = sites
    tab.goto(f"{lab}/attacks/xss")
    run_rows(tab)
    for s in STORES:
        print(s, [tab.inner_text(f"#row-{s} [data-cell={p}]") for p in ("steal", "mint", "ride")])
    assert ladder(tab) == {
        "localStorage": ["yes", "yes", "yes"], "sessionStorage": ["yes", "yes", "yes"],
        "memory": ["yes", "no", "yes"], "cookie": ["no", "no", "yes"],
        "refresh-cookie": ["yes", "yes", "yes"], "bff": ["no", "no", "yes"]}


@pytest.mark.parametrize("switch, text", [("#csp", "died: the CSP blocked"),
                                          ("#vulnerable", "no answer: the payload never ran")])
def test_xss_payloads_die_under_csp_or_escaping(sites, tab, switch, text):
    lab, _port = sites
    tab.goto(f"{lab}/attacks/xss")
    if switch == "#csp":
        tab.check("#csp")
    else:
        tab.uncheck("#vulnerable")
    # Escaped, nothing ever answers: each payload waits its full time, so one row is enough.
    for store in ("localStorage", "cookie") if switch == "#csp" else ("cookie",):
        tab.click(f"[data-row='{store}']")
        tab.wait_for_function(
            f"() => document.querySelector('#row-{store} [data-cell=ride]').dataset.result"
            " !== 'pending' && !document.querySelector('[data-row]').disabled", timeout=60000)
        for payload in ("steal", "mint", "ride"):
            cell = f"#row-{store} [data-cell={payload}]"
            assert tab.get_attribute(cell, "data-result") == "no"
            assert text in tab.inner_text(cell)


def click_with_popup(page, selector):
    with page.context.expect_page() as popup:
        page.click(selector)
    return popup.value


def show_me(page, lab, step, popup=True):
    """Click a step's "Show me" (closing the attacker's tab it opens); wait for the verdict the
    page paints from the server's answer; return the step's state."""
    selector = f"#step-{lab}-{step} [data-guide-run]"
    other = click_with_popup(page, selector) if popup else page.click(selector)
    page.wait_for_function(
        f"() => document.getElementById('step-{lab}-{step}').dataset.state !== ''", timeout=30000)
    if other:
        other.close()
    print(step, page.inner_text(f"#step-{lab}-{step}").replace("\n", " | "))
    return page.get_attribute(f"#step-{lab}-{step}", "data-state")


def test_fixation_and_login_csrf_real_refuses_weak_falls(sites, tab):
    lab, _port = sites
    tab.goto(f"{lab}/attacks/fixation")
    for step in ("plant", "login", "try", "lcsrf-weak", "lcsrf-real"):
        assert show_me(tab, "fixation", step, popup=step != "login") == "ok", step
    assert tab.get_attribute("#try-real", "data-state") == "refused"
    assert tab.get_attribute("#try-weak", "data-state") == "accepted"
    # The real session is still alice's (the login step), not the attacker's bob.
    assert "alice" in tab.inner_text("#lcsrf-real-verdict")
    assert tab.inner_text("#guide-fixation .guide-count") == "5 / 5 steps"


def test_csrf_free_play_cookie_without_samesite(sites, tab):
    """A cookie with no SameSite attribute: what this Chromium really does with it on a
    cross-site POST, as the server recorded it, and the page naming that behaviour."""
    lab, port = sites
    tab.goto(f"{lab}/attacks/csrf")
    tab.check("input[name=samesite][value=absent]")
    tab.click("#free-form button[type=submit]")
    tab.wait_for_function("() => !document.getElementById('free-links').hidden")
    tab.click("#free-legit")
    tab.wait_for_selector("#free-rows tr[data-outcome=changed]")
    href = tab.get_attribute("#free-cross", "href")
    assert href.startswith(f"http://127.0.0.1:{port}/csrf?")
    attacker = tab.context.new_page()
    attacker.goto(href.replace("v=form", "v=form") + "&auto=1")
    tab.wait_for_function("() => document.querySelectorAll('#free-rows tr').length === 2")
    attacker.close()
    row = tab.locator("#free-rows tr").first
    text = row.inner_text()
    print(row.get_attribute("data-outcome"), text)
    # Chromium treats a cookie without SameSite as Lax, except that a cookie younger than two
    # minutes still goes on a top-level cross-site POST ("Lax+POST"): this one is seconds old.
    assert row.get_attribute("data-outcome") == "changed"
    assert "younger than 2 minutes" in text


def test_csrf_img_vector_cross_site_and_same_site(sites, tab):
    """<img> GET is a subresource: SameSite=Lax keeps the cookie off it cross-site, but not from
    the same site (only the port differs)."""
    lab, _port = sites
    tab.goto(f"{lab}/attacks/csrf")
    tab.click("#free-form button[type=submit]")  # SameSite=Lax, no defences
    tab.wait_for_function("() => !document.getElementById('free-links').hidden")
    for link, count in (("#free-cross", 1), ("#free-same", 2)):
        attacker = tab.context.new_page()
        attacker.goto(tab.get_attribute(link, "href"))
        attacker.click(".attack-col:has(h2:text-is('session')) button[data-vector=img]")
        tab.wait_for_function(
            f"() => document.querySelectorAll('#free-rows tr').length === {count}")
        attacker.close()
    rows = tab.locator("#free-rows tr")
    newest, oldest = rows.nth(0), rows.nth(1)
    assert oldest.get_attribute("data-outcome") == "no_cookie"
    assert "cross-site" in oldest.inner_text() and "SameSite=Lax" in oldest.inner_text()
    assert newest.get_attribute("data-outcome") == "changed"
    assert "same-site" in newest.inner_text()


@pytest.mark.parametrize("locale", ["en-US", "ko-KR"])
def test_csrf_show_me_paints_the_servers_verdict_and_reset_clears_it(sites, browser, app, locale):
    """ "Show me" on one CSRF step: the attack runs for real, the step turns green from the
    server's verdict (GET /api/guide/csrf), in the page's language; "Reset this lab" forgets it,
    server-side too."""
    from flask_babel import gettext

    lab, _port = sites
    context = browser.new_context(locale=locale, viewport={"width": 1024, "height": 768})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{lab}/attacks/csrf")
        lang = locale[:2]
        assert page.get_attribute("html", "lang") == lang
        with app.test_request_context(headers={"Accept-Language": lang}):
            recorded = gettext("✓ The server recorded it at {t}").split("{t}")[0]
            lax_will = gettext("What will happen: SameSite=Lax, no token: the cross-site form "
                               "POST arrives without the cookie, so it is refused.")
        assert page.inner_text("#step-csrf-lax .will") == lax_will
        assert page.is_hidden("#step-csrf-lax .why")
        assert run_step(page, "lax")[:2] == ("ok", "no_cookie")
        assert page.inner_text("#step-csrf-lax .verdict").startswith(recorded)
        assert page.is_visible("#step-csrf-lax .why")
        api = page.evaluate("""async () => (await (await fetch('/api/guide/csrf',
            {headers: {'X-Lab-Guide': localStorage.getItem('lab.guide')}})).json())""")
        assert {s["id"]: s["state"] for s in api["steps"]}["lax"] == "ok"
        assert page.inner_text("#guide-csrf .guide-count").startswith("1")
        page.click("#guide-csrf [data-guide-reset]")
        page.wait_for_function(
            "() => document.getElementById('step-csrf-lax').dataset.state === ''")
        assert page.inner_text("#step-csrf-lax [data-record]") == ""
        assert page.inner_text("#guide-csrf .guide-count").startswith("0")
        assert app.extensions["lab_redis"].keys("attacks:csrf:*") == []
    finally:
        context.close()
    assert not errors


def test_xss_show_me_runs_the_row_and_the_server_judges_it(sites, tab):
    lab, _port = sites
    tab.goto(f"{lab}/attacks/xss")
    tab.check("#csp")  # Show me sets the switches the step needs
    tab.click("#step-xss-cookie [data-guide-run]")
    tab.wait_for_function("() => document.getElementById('step-xss-cookie').dataset.state !== ''",
                          timeout=60000)
    print(tab.inner_text("#step-xss-cookie"))
    assert tab.get_attribute("#step-xss-cookie", "data-state") == "ok"
    assert not tab.is_checked("#csp") and tab.is_checked("#vulnerable")
    results = tab.locator("[data-xss-result=cookie] li")
    assert [results.nth(i).get_attribute("data-result") for i in range(3)] == ["no", "no", "yes"]
