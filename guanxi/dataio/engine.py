"""The import loop: read the file, parse rows, hand batches to the bulk services.

The loop owns no data rule; it streams the file (so memory stays flat whatever its size), skips
the rows a previous run already committed (``ImportJob.checkpoint``), stops at a cancel request,
and reports progress after every batch.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from django.core.files import File

from guanxi.dataio.documents import DocumentBuilder, helper_wanted
from guanxi.dataio.models import ImportJob, ImportKind
from guanxi.dataio.readers import BadRow, Table, open_table
from guanxi.dataio.rows import ImportRow, RowError, RowParser, non_empty, parser_for
from guanxi.dataio.services.bulk import BATCH_SIZE, COMMITS, BatchOutcome, Position

Progress = Callable[[ImportJob], None]


@contextlib.contextmanager
def local_path(file: File) -> Iterator[Path]:
    """A path on this machine for a stored file (a temporary copy for remote storages)."""
    try:
        yield Path(file.path)
        return
    except (NotImplementedError, AttributeError, ValueError):
        pass
    with tempfile.NamedTemporaryFile(prefix="guanxi-import-") as copy:
        file.open("rb")
        try:
            shutil.copyfileobj(file, copy, 1024 * 1024)
        finally:
            file.close()
        copy.flush()
        yield Path(copy.name)


def open_job_table(job: ImportJob, path: Path) -> Table:
    return open_table(
        path,
        file_format=job.file_format,
        encoding=(job.options or {}).get("encoding") or None,
        sheet=job.sheet or None,
    )


def job_parser(job: ImportJob, *, dry_run: bool = False) -> RowParser:
    return parser_for(
        job.kind,
        actor=job.created_by,
        headers=list(job.headers),
        mapping=job.mapping,
        options=job.options or {},
        dry_run=dry_run,
    )


def read_rows(
    table: Table, parser: RowParser, *, skip: int = 0
) -> Iterator[tuple[int, ImportRow | None]]:
    """``(rows read so far, row)`` for every row after the first ``skip``; blank rows come out as
    None so that they still count towards the checkpoint."""
    done = 0
    for number, cells in table.rows():
        done += 1
        if done <= skip:
            continue
        if isinstance(cells, BadRow):
            yield done, ImportRow(number=number, cells=[], error=RowError("", cells.message))
        elif not non_empty(cells):
            yield done, None
        else:
            yield done, parser.parse(number, cells)


def run(
    job: ImportJob,
    *,
    runner: str,
    is_cancelled: Callable[[], bool],
    progress: Progress | None = None,
    batch_size: int = BATCH_SIZE,
) -> str:
    """Import the rest of the job's file; returns "done" or "cancelled".

    Raises ValidationError for a file that can no longer be read; Superseded when another run
    took the job over.
    """
    commit = COMMITS[job.kind]
    actor = job.created_by
    parser = job_parser(job)
    started = time.monotonic()
    base_seconds = job.run_seconds
    expected = job.total_rows or (job.file_size // 100)
    documents = DocumentBuilder(
        helper=job.kind == ImportKind.CUSTOMERS and helper_wanted(expected - job.checkpoint)
    )
    with (
        contextlib.closing(documents),
        local_path(job.file) as path,
        open_job_table(job, path) as table,
    ):
        rows: list[ImportRow] = []
        done = job.checkpoint

        def flush() -> BatchOutcome:
            position = Position(
                rows_done=done,
                fraction=table.fraction(),
                run_seconds=base_seconds + (time.monotonic() - started),
                runner=runner,
            )
            outcome = commit(
                actor=actor,
                job=job,
                parser=parser,
                rows=rows,
                position=position,
                documents=documents,
            )
            rows.clear()
            if progress is not None:
                job.refresh_from_db()
                progress(job)
            return outcome

        for done, row in read_rows(table, parser, skip=job.checkpoint):  # noqa: B007
            if row is not None:
                rows.append(row)
            if len(rows) >= batch_size:
                if is_cancelled():
                    return "cancelled"
                flush()
        if is_cancelled():
            return "cancelled"
        flush()
    return "done"


def preview(job: ImportJob, *, limit: int = 20) -> tuple[list[ImportRow], Table]:
    """The first ``limit`` non-blank rows of the file, parsed without writing anything."""
    parser = job_parser(job, dry_run=True)
    rows: list[ImportRow] = []
    with local_path(job.file) as path, open_job_table(job, path) as table:
        for _done, row in read_rows(table, parser):
            if row is not None:
                rows.append(row)
            if len(rows) >= limit:
                break
    return rows, table


def first_rows(path: Path, job: ImportJob, limit: int = 5) -> tuple[Table, list[list[str]]]:
    """The table and its first ``limit`` non-blank rows of cells (for the mapping screen)."""
    samples: list[list[str]] = []
    with open_job_table(job, path) as table:
        for _number, cells in table.rows():
            if isinstance(cells, BadRow) or not non_empty(cells):
                continue
            samples.append(cells)
            if len(samples) >= limit:
                break
    return table, samples


def sample_values(samples: list[list[str]], width: int) -> list[list[str]]:
    """Per column, the sample values (cut short for display)."""
    columns: list[list[str]] = [[] for _ in range(width)]
    for cells in samples:
        for index in range(width):
            value = cells[index] if index < len(cells) else ""
            if value.strip():
                columns[index].append(value[:60])
    return columns


def describe(job: Any) -> dict[str, Any]:
    """Counters of a job as plain values (for the audit log and the command line)."""
    return {
        "rows": job.checkpoint,
        "created": job.created_count,
        "updated": job.updated_count,
        "skipped": job.skipped_count,
        "invalid": job.error_count,
    }
