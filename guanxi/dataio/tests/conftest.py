"""Fixtures of the import/export tests: an importer, files made on the fly, a job runner."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from guanxi.accounts import default_roles
from guanxi.accounts import services as account_services
from guanxi.dataio import services
from guanxi.dataio.models import ImportJob
from guanxi.testing import factories


@pytest.fixture(autouse=True)
def _english() -> Any:
    """Messages are asserted in English (the source language of the catalogue)."""
    with translation.override("en"):
        yield


@pytest.fixture
def importer(db: Any, head_department: Any) -> Any:
    """A sales director who reads Guanxi in English: sees every customer, may import and
    export (imports report in their owner's language)."""
    return factories.UserFactory(
        username="director",
        department=head_department,
        language="en",
        roles=[account_services.role_by_code(default_roles.SALES_DIRECTOR)],
    )


def csv_bytes(rows: Sequence[Sequence[Any]], *, encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def upload(content: bytes, name: str = "customers.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


@pytest.fixture
def run_import(importer: Any) -> Callable[..., ImportJob]:
    """``run_import(content, kind=..., on_duplicate=..., mapping=None, actor=None)``: upload,
    map (the suggestions unless ``mapping`` is given), start and run an import to its end."""

    def run(
        content: bytes,
        *,
        kind: str = "customers",
        name: str = "customers.csv",
        on_duplicate: str = "skip",
        mapping: dict[str, str] | None = None,
        options: dict[str, Any] | None = None,
        actor: Any = None,
        batch_size: int = 1000,
    ) -> ImportJob:
        actor = actor or importer
        job = services.import_job_create(actor=actor, kind=kind, upload=upload(content, name))
        job = services.import_job_configure(
            actor=actor,
            job=job,
            mapping=mapping if mapping is not None else job.mapping,
            on_duplicate=on_duplicate,
            options=options,
        )
        services.import_job_start(actor=actor, job=job, enqueue=False)
        return services.import_job_run(job_id=job.pk, batch_size=batch_size)

    return run


def write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path
