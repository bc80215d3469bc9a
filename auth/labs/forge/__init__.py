"""The forge lab: the Forge tab of the inspector. Forged tokens go to a naive verifier
(`naive.py`, one switch per classic flaw, never imported by the real flow) and to the real one
(auth/tokens/verify.py), each answering with its decision path."""
from ...core.feature import Feature
from .guide import GUIDE
from .views import bp

# Stateless: bearer or body only, no cookie is read, so no session and no CSRF token.
FEATURE = Feature("forge", bp, stateless=("/api/lab/forge",), csrf_exempt=True, guide=GUIDE)
