"""The verify-only node's key ring: only public keys, fetched from the issuer's JWKS.

PyJWT's PyJWKClient fetches and parses the JWK Set; this ring keeps it for JWKS_CACHE_SECONDS
(the issuer's Cache-Control max-age) and refetches at once when a token names a `kid` it does
not hold (a rotation), at most once per REFETCH_MIN_INTERVAL so random kids cannot make it
hammer the issuer. Every lookup shows in the node's trace: the cache's age, or the refetch.

It has no signing key (`current` is None): this node can verify a token but never mint one.
"""
import threading
import time
from time import perf_counter

import jwt
from cryptography.hazmat.primitives import serialization

from ..core import trace
from ..tokens.keys import Key

JWKS_CACHE_SECONDS = 60  # = the Cache-Control max-age the issuer publishes the JWKS with
REFETCH_MIN_INTERVAL = 1.0


class JwksRing:
    """Looks like tokens.keys.KeyRing to the verifier: `alg`, `find(kid)`, `keys`."""

    current = None  # nothing to sign with

    def __init__(self, alg, url, max_age=JWKS_CACHE_SECONDS):
        self.alg, self.url, self.max_age = alg, url, max_age
        self._client = jwt.PyJWKClient(url, cache_jwk_set=False, cache_keys=False, timeout=5)
        self._keys, self.fetched_at, self._lock = {}, None, threading.Lock()
        self.fetches, self.last_error = 0, None

    def _fetch(self, why):
        started = perf_counter()
        try:
            jwk_set = self._client.get_jwk_set()
            keys = {}
            for jwk in jwk_set.keys:
                use = (getattr(jwk, "_jwk_data", None) or {}).get("use", "sig")
                if jwk.key_id and use == "sig":  # an encryption key never verifies a signature
                    alg = jwk.algorithm_name
                    pem = jwk.key.public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
                    keys[jwk.key_id] = Key(jwk.key_id, alg, None, jwk.key, pem.decode())
            self._keys, self.fetched_at, self.last_error = keys, time.time(), None
            self.fetches += 1
            trace.add("jwks-fetch", started, f"GET {self.url} ({why}): {len(keys)} keys")
        except (jwt.PyJWKClientError, jwt.PyJWKError, OSError) as exc:
            self.last_error = str(exc)
            trace.add("jwks-fetch", started, f"GET {self.url} failed ({why})")

    def age(self):
        """Seconds since the JWKS was fetched (None: never)."""
        return None if self.fetched_at is None else time.time() - self.fetched_at

    def find(self, kid):
        if not isinstance(kid, str):
            return None
        with self._lock:
            age = self.age()
            if age is None or age >= self.max_age:
                self._fetch("cache empty" if age is None else f"cache expired after {age:.0f}s")
            elif kid not in self._keys and age >= REFETCH_MIN_INTERVAL:
                self._fetch("unknown kid: refetch")
            else:
                trace.add("jwks-cache", perf_counter(),
                          f"cached JWKS, age {age:.0f}s of {self.max_age}s: kid "
                          f"{'found' if kid in self._keys else 'unknown'}")
            return self._keys.get(kid)

    @property
    def keys(self):
        return list(self._keys.values())

    def public_jwks(self):
        return {"keys": [k.public_jwk() for k in self.keys]}

    def status(self):
        """For the lab page: what this node holds now."""
        age = self.age()
        return {"url": self.url, "kids": sorted(self._keys), "age": None if age is None
                else round(age, 1), "max_age": self.max_age, "fetches": self.fetches,
                "error": self.last_error}
