"""A verify-only node, with real processes: `python app.py --nodes 2 --verify-only` makes
node-2 hold only the public keys it fetched from node-1's JWKS (PyJWT's PyJWKClient). It
accepts node-1's RS256/ES256/EdDSA tokens and refuses to issue; after a rotation it refetches
on the unknown kid; after an emergency rotation its cached JWKS keeps accepting the dead token."""
import time

import jwt
import pytest

from bench.app_process import alive
from tests.scale_cluster import Cluster, jwt_login, request


def _start(tmp_path_factory, alg):
    return Cluster(str(tmp_path_factory.mktemp(f"jwks-{alg}") / "instance"), nodes=2,
                   args=["--verify-only", "--no-balancer"], env={"JWT_ALGORITHM": alg})


def _me(url, token):
    return request(f"{url}/api/jwt/me", headers={"Authorization": f"Bearer {token}"})


@pytest.mark.parametrize("alg", ["RS256", "ES256", "EdDSA"])
def test_verify_only_node_accepts_the_issuers_tokens_refuses_to_issue_and_rotates(
        tmp_path_factory, alg):
    cluster = _start(tmp_path_factory, alg)
    try:
        issuer, verifier = cluster.urls
        status, _h, data = jwt_login(verifier)
        assert status == 403 and data["error"] == "verify_only"
        status, headers, tokens = jwt_login(issuer)
        assert status == 200 and headers["X-Lab-Node"] == "node-1"
        assert jwt.get_unverified_header(tokens["access_token"])["alg"] == alg
        status, headers, data = _me(verifier, tokens["access_token"])
        assert status == 200 and data["user"]["username"] == "alice"
        assert headers["X-Lab-Node"] == "node-2" and "jwks-fetch" in headers["Server-Timing"]
        status, headers, _d = _me(verifier, tokens["access_token"])
        assert status == 200 and "jwks-cache" in headers["Server-Timing"]  # cached now
        node = cluster.node(1)
        assert node["verify_only"] and node["signing_kid"] is None
        assert node["jwks"]["kids"] == [jwt.get_unverified_header(tokens["access_token"])["kid"]]
        assert request(f"{verifier}/api/jwt/refresh", "POST",
                       body={"refresh_token": tokens["refresh_token"]})[0] == 403

        # Rotation, refetch on the unknown kid, emergency rotation against a cached JWKS.
        old = jwt_login(issuer)[2]["access_token"]
        assert _me(verifier, old)[0] == 200  # the verifier fetched the JWKS once
        status, _h, done = request(f"{issuer}/api/lab/scale/rotate", "POST", body={})
        assert status == 200
        new = jwt_login(issuer)[2]["access_token"]
        assert jwt.get_unverified_header(new)["kid"] == done["new"]
        # The old token still verifies everywhere: its public key stays published.
        assert _me(issuer, old)[0] == 200 and _me(verifier, old)[0] == 200
        # The new kid is unknown to the verifier's cache: it refetches (at most once a second).
        deadline = time.monotonic() + 30
        while True:
            status, headers, data = _me(verifier, new)
            if status == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        assert status == 200, data
        fetches = cluster.node(1)["jwks"]["fetches"]
        assert fetches >= 2

        status, _h, emergency = request(f"{issuer}/api/lab/scale/rotate", "POST",
                                        body={"emergency": True})
        assert status == 200 and jwt.get_unverified_header(old)["kid"] in emergency["dropped"]
        status, headers, data = _me(issuer, old)
        assert status == 401 and 'error_description="unknown_key"' in headers["WWW-Authenticate"]
        # The verifier's cached JWKS still holds the dropped key: the dead token lives on there
        # until the cache expires (the JWKS max-age).
        status, headers, _d = _me(verifier, old)
        assert status == 200 and "jwks-cache" in headers["Server-Timing"]
        jwks = cluster.node(1)["jwks"]
        assert jwks["fetches"] == fetches  # no refetch: a known kid never triggers one
    finally:
        tree = cluster.descendants()
        assert cluster.stop() == 0
        assert not [pid for pid in tree if alive(pid) and not cluster.wait_down(pid, 15)]
