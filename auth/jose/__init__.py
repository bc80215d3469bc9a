"""JOSE without the app's keys: keyless decoding and pasted keys (for the inspector and the
forged-token lab). The real flow never imports this package to verify its own tokens."""
