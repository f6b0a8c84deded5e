"""Test-wide set-up: an isolated var/ directory, the task queue run inline, shared fixtures."""

from __future__ import annotations

import os
import tempfile

# Before Django reads its settings: tests never touch the developer's own database, files or
# queue, and tasks run inline so that a test sees their effect.
os.environ.setdefault("GUANXI_VAR_DIR", tempfile.mkdtemp(prefix="guanxi-test-"))
os.environ.setdefault("GUANXI_QUEUE_IMMEDIATE", "1")

pytest_plugins = ["guanxi.testing.fixtures"]
