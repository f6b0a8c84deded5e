"""Loaded by pytest as a plugin (``-p guanxi.testing.environment``) before Django's settings.

Tests never touch the developer's own database, files or queue: each test run gets a fresh
``var/`` directory (shared by its xdist workers, whose test databases are suffixed per worker),
and background tasks run inline so that a test sees their effect.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

if "GUANXI_TEST_VAR_DIR" not in os.environ:
    os.environ["GUANXI_TEST_VAR_DIR"] = tempfile.mkdtemp(prefix="guanxi-test-")
    if "PYTEST_XDIST_WORKER" not in os.environ:
        atexit.register(shutil.rmtree, os.environ["GUANXI_TEST_VAR_DIR"], ignore_errors=True)
os.environ["GUANXI_VAR_DIR"] = os.environ["GUANXI_TEST_VAR_DIR"]
os.environ.setdefault("GUANXI_QUEUE_IMMEDIATE", "1")
