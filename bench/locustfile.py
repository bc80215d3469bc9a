"""Locust: simulated students in a lesson (see Student).

bench/loadtest.py signs the students up first (STUDENTS accounts, STUDENT_PASSWORD) so that
every simulated student logs in as someone else: failed-login limits never come into it.
"""
import itertools
import os
import re
import time
from urllib.parse import urlencode

from locust import FastHttpUser, between, task

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
STUDENTS = int(os.environ.get("STUDENTS", "50"))
PASSWORD = os.environ.get("STUDENT_PASSWORD", "classroom-pass")
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _form(fields):
    return urlencode(fields)


RELOGIN_SECONDS = float(os.environ.get("RELOGIN_SECONDS", "300"))
LOOP = os.environ.get("STUDENT_LOOP") == "1"
_next = itertools.count()


def student_name(index):
    return f"student{index:02d}"


class Student(FastHttpUser):
    """A student in a lesson: logs in to both flows on arrival, then works - pages, the API,
    a refresh now and then - and logs out and in again about every RELOGIN_SECONDS (a login is
    a deliberately slow password hash: a class logs in at the start of an exercise, not every
    few seconds). With STUDENT_LOOP=1, the older script: both flows end to end, again and again."""
    # FastHttpUser (geventhttpclient): Locust shares this 2-core machine with the server, and
    # its default client spends several times more CPU per request than the server does.
    # A student reads and clicks: 1-3 s between two steps of the script.
    wait_time = between(1, 3)

    def on_start(self):
        self.username = student_name(next(_next) % STUDENTS + 1)
        self.tokens = None
        if not LOOP:
            self.log_in()

    def _expect(self, method, path, status, name=None, **kwargs):
        """One request that fails (for Locust) unless it answers `status`; returns it."""
        with self.client.request(method, path, name=name or f"{method} {path}",
                                 allow_redirects=False, catch_response=True, **kwargs) as r:
            if r.status_code == status:
                r.success()  # also an expected 401, which Locust would count as a failure
            else:
                r.failure(f"expected {status}, got {r.status_code}: {r.text[:120]}")
            return r

    # --- the lesson ----------------------------------------------------------------------

    def log_in(self):
        form = self._expect("GET", "/session/login", 200)
        token = CSRF.search(form.text)
        self._expect("POST", "/session/login", 303, headers=FORM, data=_form({
            "username": self.username, "password": PASSWORD,
            "csrf_token": token.group(1) if token else ""}))
        login = self._expect("POST", "/api/jwt/login", 200,
                             json={"username": self.username, "password": PASSWORD})
        self.tokens = login.json() if login.status_code == 200 else None
        self.logged_in_at = time.monotonic()

    def _bearer(self):
        return {"Authorization": f"Bearer {self.tokens['access_token']}"}

    @task(3)
    def session_page(self):
        if LOOP:
            return self.both_flows()
        self._expect("GET", "/session/", 200)
        self._expect("GET", "/api/session/me", 200)
        self._maybe_log_in_again()

    @task(3)
    def jwt_calls(self):
        if LOOP or not self.tokens:
            return
        # (The session cookie rides along here, unlike on the JWT page: the JWT API ignores it.)
        self._expect("GET", "/api/jwt/me", 200, headers=self._bearer())

    @task(1)
    def refresh(self):
        if LOOP or not self.tokens:
            return
        fresh = self._expect("POST", "/api/jwt/refresh", 200,
                             json={"refresh_token": self.tokens["refresh_token"]})
        if fresh.status_code == 200:
            self.tokens = fresh.json()

    @task(2)
    def pages(self):
        if LOOP:
            return
        self._expect("GET", "/", 200)
        self._expect("GET", "/jwt/", 200)

    def _maybe_log_in_again(self):
        if time.monotonic() - self.logged_in_at < RELOGIN_SECONDS:
            return
        page = self._expect("GET", "/session/", 200)
        token = CSRF.search(page.text)
        self._expect("POST", "/session/logout", 303,
                     headers=FORM, data=_form({"csrf_token": token.group(1) if token else ""}))
        if self.tokens:
            self._expect("POST", "/api/jwt/logout", 200, headers=self._bearer(),
                         json={"refresh_token": self.tokens["refresh_token"]})
            self._expect("GET", "/api/jwt/me", 401, name="GET /api/jwt/me (after logout)",
                         headers=self._bearer())
        self.client.cookiejar.clear()
        self.log_in()

    # --- the older script: both flows end to end, again and again -------------------------

    def both_flows(self):
        self.session_flow()
        self.wait()
        self.jwt_flow()

    def session_flow(self):
        form = self._expect("GET", "/session/login", 200)
        token = CSRF.search(form.text)
        self.wait()
        self._expect("POST", "/session/login", 303, headers=FORM, data=_form({
            "username": self.username, "password": PASSWORD,
            "csrf_token": token.group(1) if token else ""}))
        page = self._expect("GET", "/session/", 200)
        self.wait()
        self._expect("GET", "/api/session/me", 200)
        self._expect("GET", "/", 200)
        self.wait()
        page = self._expect("GET", "/session/", 200)
        token = CSRF.search(page.text)
        self.wait()
        self._expect("POST", "/session/logout", 303,
                     headers=FORM, data=_form({"csrf_token": token.group(1) if token else ""}))

    def jwt_flow(self):
        self._expect("GET", "/jwt/", 200)
        self.wait()
        # The JWT page sends no cookies (fetch with credentials: "omit"): neither do we.
        self.client.cookiejar.clear()
        login = self._expect("POST", "/api/jwt/login", 200,
                             json={"username": self.username, "password": PASSWORD})
        if login.status_code != 200:
            return
        tokens = login.json()
        bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
        for _ in range(2):
            self._expect("GET", "/api/jwt/me", 200, headers=bearer)
            self.wait()
        fresh = self._expect("POST", "/api/jwt/refresh", 200,
                             json={"refresh_token": tokens["refresh_token"]})
        if fresh.status_code != 200:
            return
        tokens = fresh.json()
        bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
        self._expect("GET", "/api/jwt/me", 200, headers=bearer)
        self.wait()
        self._expect("POST", "/api/jwt/logout", 200, headers=bearer,
                     json={"refresh_token": tokens["refresh_token"]})
        self._expect("GET", "/api/jwt/me", 401, name="GET /api/jwt/me (after logout)",
                     headers=bearer)
