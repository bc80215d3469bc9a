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
    assert "private claim of this lab" in page.inner_text("tr[data-claim=fam]")
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
    assert "no token in sessionStorage or localStorage" in page.inner_text("#mine-status")
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
