"""First-run set-up shared by ``guanxi setup`` and ``guanxi run``."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import transaction

from guanxi.accounts import default_roles
from guanxi.accounts import services as account_services
from guanxi.accounts.models import Department, User
from guanxi.customers.defaults import lookups_seed_defaults

ADMIN_USERNAME = "admin"


@dataclass
class SetupResult:
    admin_created: bool
    admin_password: str | None
    password_file: Path


def password_file() -> Path:
    return Path(settings.VAR_DIR) / "admin-password.txt"


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text + "\n")


def setup(*, verbosity: int = 0) -> SetupResult:
    """Migrate, seed reference lists and create the administrator the first time. Idempotent."""
    call_command("migrate", interactive=False, verbosity=verbosity)
    lookups_seed_defaults()
    path = password_file()
    if User.objects.filter(username=ADMIN_USERNAME).exists():
        stored = path.read_text().strip() if path.exists() else None
        return SetupResult(False, stored, path)
    password = secrets.token_urlsafe(12)
    with transaction.atomic():
        account_services.user_create(
            actor=None,
            username=ADMIN_USERNAME,
            password=password,
            display_name="管理员",
            is_superuser=True,
            check_password=False,
        )
    _write_private(path, password)
    return SetupResult(True, password, path)


def demo_departments_and_users(password: str) -> list[User]:
    """The demo sales team sharing the admin's password: a manager who sees her team, two reps.

    张伟 (zhangwei) manages 华北销售组 and sees its customers; 李娜 (lina) and 王芳 (wangfang) are
    sales reps who see their own.
    """
    root = Department.objects.filter(parent=None, name="销售部").first() or (
        account_services.department_create(actor=None, name="销售部")
    )
    teams = []
    for name in ("华北销售组", "华南销售组"):
        teams.append(
            Department.objects.filter(parent=root, name=name).first()
            or account_services.department_create(actor=None, name=name, parent=root)
        )
    manager = account_services.role_by_code(default_roles.SALES_MANAGER)
    rep = account_services.role_by_code(default_roles.SALES_REP)
    people = [
        ("zhangwei", "张伟", teams[0], manager),
        ("lina", "李娜", teams[0], rep),
        ("wangfang", "王芳", teams[1], rep),
    ]
    users = []
    for username, display, team, role in people:
        user = User.objects.filter(username=username).first() or account_services.user_create(
            actor=None,
            username=username,
            password=password,
            display_name=display,
            department=team,
            check_password=False,
            roles=[role],
        )
        users.append(user)
    return users
