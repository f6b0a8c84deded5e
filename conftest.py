"""Test-wide fixtures; the test environment itself is set by ``guanxi.testing.environment``."""

pytest_plugins = ["guanxi.testing.fixtures"]
