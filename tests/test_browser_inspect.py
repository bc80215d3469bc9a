"""The token inspector in a real browser: paste the lab's own token, verify, edit, watch it fail."""
import json


def test_inspector_verifies_then_fails_after_an_edit(page, live_server, app):
    login = page.request.post(f"{live_server}/api/jwt/login",
                              data={"username": "bob", "password": "bob123"})
    assert login.ok
    token = login.json()["access_token"]
    head, payload, signature = token.split(".")

    page.goto(f"{live_server}/inspect")
    page.fill("#token", token)
    page.fill("#key", app.config["JWT_SECRET_KEY"])
    with page.expect_response("**/api/inspect") as sent:
        page.click("#verify")
    assert json.loads(sent.value.request.post_data)["token"] == token
    page.wait_for_selector("#verdict[data-state=verified]")
    assert page.inner_text("#verdict-title") == "Signature verified"
    # Three colour-coded parts, the decoded header, and every claim explained.
    assert page.inner_text("#parts .jwt-header") == head
    assert page.inner_text("#parts .jwt-payload") == payload
    assert page.inner_text("#parts .jwt-signature") == signature
    assert '"alg": "HS256"' in page.inner_text("#header-json")
    assert "Issuer" in page.inner_text("tr[data-claim=iss]")
    # The label comes from the shared claims texts (_claims_i18n.html): "private" (RFC 7519 §4.3).
    fam = page.inner_text("tr[data-claim=fam]")
    assert "private" in fam and "refresh-token family" in fam
    left = page.inner_text("tr[data-claim=exp] .countdown")
    assert left.startswith("valid for 4:") or left == "valid for 5:00"
    page.wait_for_timeout(2100)  # at least one full tick of the one-second countdown
    assert page.inner_text("tr[data-claim=exp] .countdown") != left

    # Edit the payload: the page re-encodes it and keeps the old signature.
    claims = json.loads(page.input_value("#payload-edit"))
    assert claims["username"] == "bob" and claims["role"] == "user"
    claims["role"] = "admin"
    with page.expect_response("**/api/inspect"):
        page.fill("#payload-edit", json.dumps(claims, indent=2))
    page.wait_for_selector("#verdict[data-state=failed]")
    edited = page.input_value("#token")
    assert edited != token and edited.startswith(head + ".") and edited.endswith("." + signature)
    assert "exact bytes of header.payload" in page.inner_text("#verdict-reason")
    assert "only the key holder can sign" in page.inner_text("#edit-note")
    assert page.inner_text("tr[data-claim=role]").count("admin") == 1

    # Restoring the original token makes the same key verify it again.
    page.click("#restore")
    page.wait_for_selector("#verdict[data-state=verified]")
    assert page.input_value("#token") == token


def test_inspect_my_current_token(page, live_server):
    page.goto(f"{live_server}/inspect")
    page.click("#load-mine")
    # Nothing to load: the page says why (memory tokens live only in the JWT page) and what to do.
    said = page.inner_text("#mine-status")
    assert "No token to inspect" in said and "lives only in that page's JavaScript" in said
    assert "Open in the inspector" in said
    assert page.get_attribute("#mine-status a", "href") == "/jwt/"

    login = page.request.post(f"{live_server}/api/jwt/login",
                              data={"username": "alice", "password": "alice123"})
    token = login.json()["access_token"]
    page.evaluate("t => sessionStorage.setItem('lab.access_token', t)", token)
    page.click("#load-mine")
    page.wait_for_selector("#verdict[data-state=unchecked]")
    assert page.input_value("#token") == token
    assert "from sessionStorage" in page.inner_text("#mine-status")
    assert page.inner_text("#verdict-title") == "Decoded only: no key given"
    assert page.evaluate("localStorage.getItem('lab.access_token')") is None  # only read, never kept


def _login(page, live_server, user="alice"):
    login = page.request.post(f"{live_server}/api/jwt/login",
                              data={"username": user, "password": f"{user}123"})
    assert login.ok
    return login.json()["access_token"]


def test_inspect_my_current_token_takes_the_one_time_handoff(page, live_server):
    """The JWT page hands a memory-held token over in sessionStorage: read once, then deleted."""
    token = _login(page, live_server)
    page.goto(f"{live_server}/inspect")
    page.evaluate("t => sessionStorage.setItem('lab.inspect_handoff', t)", token)
    with page.expect_response("**/api/inspect"):
        page.click("#load-mine")
    page.wait_for_selector("#verdict[data-state=unchecked]")
    assert page.input_value("#token") == token
    assert "handed over" in page.inner_text("#mine-status")
    assert page.evaluate("() => sessionStorage.getItem('lab.inspect_handoff')") is None
    assert page.evaluate("() => sessionStorage.length") == 0  # nothing else was written either
    # A second click finds nothing left to take: the hand-off was one-time.
    page.click("#load-mine")
    assert "No token to inspect" in page.inner_text("#mine-status")


def test_handoff_is_taken_when_the_page_opens(page, live_server):
    token = _login(page, live_server, "bob")
    page.goto(f"{live_server}/inspect")
    page.evaluate("t => sessionStorage.setItem('lab.inspect_handoff', t)", token)
    page.reload()  # what the JWT page's button does: write the hand-off, then open /inspect
    page.wait_for_selector("#verdict[data-state=unchecked]")
    assert page.input_value("#token") == token
    assert page.evaluate("() => sessionStorage.getItem('lab.inspect_handoff')") is None


def test_verify_with_this_labs_key_then_edit(page, live_server, app):
    token = _login(page, live_server)
    page.goto(f"{live_server}/inspect")
    page.fill("#token", token)
    with page.expect_response("**/api/inspect") as sent:
        page.click("#verify-lab")
    body = json.loads(sent.value.request.post_data)
    assert body == {"token": token, "lab_key": True}  # no key leaves the page
    assert app.config["JWT_SECRET_KEY"] not in sent.value.text()
    page.wait_for_selector("#verdict[data-state=verified]")
    assert "this lab's key" in page.inner_text("#verdict-reason")
    assert page.get_attribute("#verify-lab", "aria-pressed") == "true"
    assert page.is_visible("#key-mode")
    assert app.config["JWT_SECRET_KEY"] not in page.content()

    # Editing the payload keeps verifying with the lab's key: now it fails.
    claims = json.loads(page.input_value("#payload-edit"))
    claims["role"] = "admin"
    with page.expect_response("**/api/inspect") as sent:
        page.fill("#payload-edit", json.dumps(claims, indent=2))
    assert json.loads(sent.value.request.post_data)["lab_key"] is True
    page.wait_for_selector("#verdict[data-state=failed]")
    assert "does not match" in page.inner_text("#verdict-reason")

    # Typing a key of one's own leaves the lab-key mode.
    page.fill("#key", "x" * 40)
    page.wait_for_function("() => document.getElementById('verify-lab').getAttribute('aria-pressed') === 'false'")
    assert not page.is_visible("#key-mode")
