from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from guanxi.customers.models import Customer
from guanxi.ops.setup import setup


class Command(BaseCommand):
    help = (
        "Run Guanxi on this machine: set up the database (demo data the first time), then serve "
        "the web UI and API with gunicorn and run the background worker and scheduler."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("GUANXI_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("GUANXI_PORT", "8000")))
        parser.add_argument(
            "--web-workers", type=int, default=int(os.environ.get("GUANXI_WEB_WORKERS", "2"))
        )
        parser.add_argument("--no-demo", action="store_true", help="do not load demo data")
        parser.add_argument("--demo-customers", type=int, default=200)

    def handle(self, *args: Any, **options: Any) -> None:
        result = setup()
        demo_marker = Path(settings.VAR_DIR) / ".demo-loaded"
        if not options["no_demo"] and not demo_marker.exists():
            if not Customer.all_objects.exists():
                self.stdout.write(_("Loading demo data (first run only)…"))
                call_command("demo", customers=options["demo_customers"], stdout=self.stdout)
            demo_marker.write_text("1\n")

        url = f"http://{options['host']}:{options['port']}"
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(_("Guanxi is running at %(url)s") % {"url": url}))
        if result.admin_password:
            self.stdout.write(
                _(
                    "Log in as admin with password %(password)s (stored in %(file)s; change it "
                    "and delete the file)."
                )
                % {"password": result.admin_password, "file": result.password_file}
            )
        self.stdout.write(_("API documentation: %(url)s/api/docs/") % {"url": url})
        self.stdout.write(_("Press Ctrl+C to stop."))
        self.stdout.flush()

        python = sys.executable
        bindir = Path(python).parent
        gunicorn = shutil.which("gunicorn", path=str(bindir)) or "gunicorn"
        environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "guanxi.settings"}
        processes = [
            subprocess.Popen(
                [
                    gunicorn,
                    "guanxi.wsgi:application",
                    "--bind",
                    f"{options['host']}:{options['port']}",
                    "--workers",
                    str(options["web_workers"]),
                    "--threads",
                    "4",
                    "--access-logfile",
                    "-",
                    "--graceful-timeout",
                    "10",
                ],
                env=environment,
            ),
            subprocess.Popen([python, "-m", "guanxi.cli", "run_huey"], env=environment),
        ]

        def stop(signum: int, frame: Any) -> None:
            for process in processes:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            while all(process.poll() is None for process in processes):
                time.sleep(0.5)
        finally:
            stop(signal.SIGTERM, None)
            for process in processes:
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
        codes = [process.returncode for process in processes]
        sys.exit(0 if all(code in (0, -signal.SIGTERM) for code in codes) else 1)
