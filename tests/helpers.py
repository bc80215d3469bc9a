"""What many tests do: scrape a CSRF token, log in to either flow, send a bearer header."""
import re


def csrf_token(client, path="/session/login"):
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def session_cookie(client):
    cookie = client.get_cookie("lab_session")
    return cookie.value if cookie else None


def session_login(client, username="alice", password="alice123"):
    """Log in through the form, CSRF token included; return the response."""
    token = csrf_token(client)
    return client.post("/session/login",
                       data={"username": username, "password": password, "csrf_token": token})


def jwt_login(client, username="alice", password="alice123"):
    """Log in through the JSON API; return the token response body."""
    response = client.post("/api/jwt/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def bearer(token):
    return {"Authorization": f"Bearer {token}"}
