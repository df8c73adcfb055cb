"""Schemathesis against the running product: every operation of its OpenAPI schema fuzzed, and sequences of
linked calls, each answer judged by every check that applies (see test_openapi_fuzz.py; the settings and
profiles are in config.py)."""
