"""The test suite (a package, so tests share tests/helpers.py)."""
