"""Contract tests: the SDK against Stoplight Prism serving the normalised specs (see conftest.py)."""
