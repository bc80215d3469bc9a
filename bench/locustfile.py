"""Locust: one simulated student going through both flows end to end, again and again.

bench/loadtest.py signs the students up first (STUDENTS accounts, STUDENT_PASSWORD) so that
every simulated student logs in as someone else: failed-login limits never come into it.
"""
import itertools
import os
import re

from locust import HttpUser, between, task

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
STUDENTS = int(os.environ.get("STUDENTS", "50"))
PASSWORD = os.environ.get("STUDENT_PASSWORD", "classroom-pass")
_next = itertools.count()


def student_name(index):
    return f"student{index:02d}"


class Student(HttpUser):
    # A student reads and clicks: 1-3 s between two steps of the script.
    wait_time = between(1, 3)

    def on_start(self):
        self.username = student_name(next(_next) % STUDENTS + 1)

    def _expect(self, method, path, status, name=None, **kwargs):
        """One request that fails (for Locust) unless it answers `status`; returns it."""
        with self.client.request(method, path, name=name or f"{method} {path}",
                                 allow_redirects=False, catch_response=True, **kwargs) as r:
            if r.status_code == status:
                r.success()  # also an expected 401, which Locust would count as a failure
            else:
                r.failure(f"expected {status}, got {r.status_code}: {r.text[:120]}")
            return r

    @task
    def both_flows(self):
        self.session_flow()
        self.wait()
        self.jwt_flow()

    def session_flow(self):
        form = self._expect("GET", "/session/login", 200)
        token = CSRF.search(form.text)
        self.wait()
        self._expect("POST", "/session/login", 303, data={
            "username": self.username, "password": PASSWORD,
            "csrf_token": token.group(1) if token else ""})
        page = self._expect("GET", "/session/", 200)
        self.wait()
        self._expect("GET", "/api/session/me", 200)
        self._expect("GET", "/", 200)
        self.wait()
        page = self._expect("GET", "/session/", 200)
        token = CSRF.search(page.text)
        self.wait()
        self._expect("POST", "/session/logout", 303,
                     data={"csrf_token": token.group(1) if token else ""})

    def jwt_flow(self):
        self._expect("GET", "/jwt/", 200)
        self.wait()
        # The JWT page sends no cookies (fetch with credentials: "omit"): neither do we.
        self.client.cookies.clear()
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
