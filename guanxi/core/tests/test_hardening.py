from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

TEMPLATES = Path(settings.BASE_DIR) / "templates"


def test_production_settings_pass_the_deployment_check(tmp_path):
    # Browser tests in the same worker allow Django's sync calls from Playwright's event loop.
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {
        **inherited,
        "GUANXI_VAR_DIR": str(tmp_path),
        "GUANXI_HTTPS": "1",
        "GUANXI_DEBUG": "0",
        "GUANXI_SECRET_KEY": secrets.token_urlsafe(60),
        "GUANXI_ALLOWED_HOSTS": "crm.example.com",
    }
    result = subprocess.run(
        [
            sys.executable,
            str(Path(settings.PROJECT_DIR) / "manage.py"),
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("url", ["/accounts/login/", "/customers/", "/settings/security/"])
def test_every_page_carries_the_security_headers(rep_client, url):
    response = rep_client.get(url)

    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_no_template_has_an_inline_script_or_event_handler():
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
    handler = re.compile(r"\son[a-z]+\s*=\s*[\"']", re.IGNORECASE)
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        if inline_script.search(text) or handler.search(text):
            offenders.append(str(path.relative_to(TEMPLATES)))

    assert offenders == []


def test_https_settings_send_hsts_and_secure_cookies(tmp_path):
    script = (
        "from django.conf import settings as s; "
        "print(s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SECURE_SSL_REDIRECT)"
    )
    env = {**os.environ, "GUANXI_VAR_DIR": str(tmp_path), "GUANXI_HTTPS": "1"}
    result = subprocess.run(
        [sys.executable, str(Path(settings.PROJECT_DIR) / "manage.py"), "shell", "-c", script],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )

    assert result.stdout.strip().splitlines()[-1].split() == ["31536000", "True", "True", "True"]
