"""Imports (jobs, saved column mappings, rejected rows), exports, duplicates and merges."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.core.crypto import EncryptedTextField
from guanxi.core.models import BaseModel


class ImportKind(models.TextChoices):
    CUSTOMERS = "customers", _("Customers")
    CONTACTS = "contacts", _("Contacts")
    INTERACTIONS = "interactions", _("Interactions")


class FileFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "Excel (XLSX)"
    VCARD = "vcard", "vCard"


class OnDuplicate(models.TextChoices):
    SKIP = "skip", _("Skip the row")
    UPDATE = "update", _("Update the existing record")
    CREATE = "create", _("Create a new record anyway")


class ImportStatus(models.TextChoices):
    DRAFT = "draft", _("Being prepared")
    QUEUED = "queued", _("Waiting to start")
    RUNNING = "running", _("Running")
    DONE = "done", _("Finished")
    CANCELLED = "cancelled", _("Cancelled")
    FAILED = "failed", _("Stopped by an error")
    UNDONE = "undone", _("Undone")


def _upload_path(instance: ImportJob, filename: str) -> str:
    return f"imports/{timezone.now():%Y/%m}/{secrets.token_hex(16)}"


class ImportMapping(BaseModel):
    """A saved column mapping (file header -> field), reused for files of the same shape."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("records"), max_length=16, choices=ImportKind.choices)
    columns = models.JSONField(_("columns"), default=dict, blank=True)
    on_duplicate = models.CharField(
        _("when a record already exists"),
        max_length=8,
        choices=OnDuplicate.choices,
        default=OnDuplicate.SKIP,
    )

    class Meta:
        verbose_name = _("import mapping")
        verbose_name_plural = _("import mappings")
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["created_by", "kind", "name"], name="import_mapping_unique_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ImportJob(BaseModel):
    """One import of one file: its mapping and options, its progress and its outcome.

    ``checkpoint`` is the number of data rows whose outcome is committed; it is written in the
    same transaction as those rows, so a run that stops for any reason resumes right after it.
    """

    kind = models.CharField(_("records"), max_length=16, choices=ImportKind.choices)
    file = models.FileField(_("file"), upload_to=_upload_path, max_length=255, blank=True)
    original_name = models.CharField(_("file name"), max_length=255)
    file_format = models.CharField(_("format"), max_length=8, choices=FileFormat.choices)
    file_size = models.PositiveBigIntegerField(_("size"), default=0)
    file_sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    encoding = models.CharField(_("encoding"), max_length=32, blank=True)
    sheet = models.CharField(_("sheet"), max_length=100, blank=True)
    headers = models.JSONField(_("columns of the file"), default=list, blank=True)
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    saved_mapping = models.ForeignKey(
        ImportMapping,
        verbose_name=_("saved mapping"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="jobs",
    )
    on_duplicate = models.CharField(
        _("when a record already exists"),
        max_length=8,
        choices=OnDuplicate.choices,
        default=OnDuplicate.SKIP,
    )
    options = models.JSONField(_("options"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.DRAFT
    )
    total_rows = models.PositiveBigIntegerField(_("rows in the file"), null=True, blank=True)
    checkpoint = models.PositiveBigIntegerField(_("rows done"), default=0)
    progress = models.FloatField(_("progress"), default=0.0)
    created_count = models.PositiveBigIntegerField(_("created"), default=0)
    updated_count = models.PositiveBigIntegerField(_("updated"), default=0)
    skipped_count = models.PositiveBigIntegerField(_("skipped duplicates"), default=0)
    error_count = models.PositiveBigIntegerField(_("rows with errors"), default=0)
    rows_per_second = models.FloatField(_("rows per second"), default=0.0)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    runner = models.CharField(max_length=32, blank=True)
    run_seconds = models.FloatField(default=0.0)
    cancel_requested = models.BooleanField(_("cancel requested"), default=False)
    message = models.TextField(_("message"), blank=True)
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("undone by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["created_by", "-id"], name="import_job_actor_idx"),
            models.Index(fields=["status", "heartbeat_at"], name="import_job_status_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.original_name}"

    @property
    def is_active(self) -> bool:
        return self.status in (ImportStatus.QUEUED, ImportStatus.RUNNING)

    @property
    def is_finished(self) -> bool:
        return self.status in (
            ImportStatus.DONE,
            ImportStatus.CANCELLED,
            ImportStatus.FAILED,
            ImportStatus.UNDONE,
        )

    @property
    def percent(self) -> int:
        if self.status == ImportStatus.DONE:
            return 100
        return max(0, min(99, int(self.progress * 100)))

    @property
    def eta_seconds(self) -> int | None:
        """Seconds still to go at the current pace (None before there is a pace)."""
        if self.status != ImportStatus.RUNNING or self.progress <= 0 or self.run_seconds <= 0:
            return None
        return int(self.run_seconds * (1 - self.progress) / self.progress)


class RowProblem(models.TextChoices):
    INVALID = "invalid", _("Invalid")
    DUPLICATE = "duplicate", _("Duplicate, skipped")


class ImportRowError(models.Model):
    """A row that did not go in, with the reason; the downloadable error file is made of these.

    The row's cells are personal data and are stored encrypted like the records themselves.
    """

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="row_errors")
    row_number = models.PositiveBigIntegerField(_("row"))
    problem = models.CharField(max_length=10, choices=RowProblem.choices)
    column = models.CharField(_("column"), max_length=200, blank=True)
    message = models.TextField(_("problem"))
    cells = EncryptedTextField(blank=True)

    class Meta:
        verbose_name = _("rejected row")
        verbose_name_plural = _("rejected rows")
        ordering = ["job", "row_number"]
        indexes = [models.Index(fields=["job", "row_number"], name="import_row_error_idx")]

    def __str__(self) -> str:
        return f"{self.job_id}:{self.row_number} {self.message}"


class ImportChange(models.Model):
    """The values an import overwrote on an existing record, so the import can be undone."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="changes")
    object_type = models.CharField(max_length=64)
    object_id = models.PositiveBigIntegerField()
    before = EncryptedTextField()
    version_after = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["job", "object_type"], name="import_change_job_idx")]

    def __str__(self) -> str:
        return f"{self.job_id}:{self.object_type}#{self.object_id}"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    RUNNING = "running", _("Running")
    DONE = "done", _("Finished")
    FAILED = "failed", _("Stopped by an error")


class ExportJob(BaseModel):
    """An export too big to stream at once: written by the worker, downloaded when ready."""

    kind = models.CharField(_("records"), max_length=16, choices=ImportKind.choices)
    file_format = models.CharField(_("format"), max_length=8, choices=FileFormat.choices)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    row_count = models.PositiveBigIntegerField(_("rows"), default=0)
    file = models.FileField(_("file"), upload_to="exports/%Y/%m/", max_length=255, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    message = models.TextField(_("message"), blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind}.{self.file_format}"


class ScanStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    RUNNING = "running", _("Running")
    DONE = "done", _("Finished")
    FAILED = "failed", _("Stopped by an error")


class DuplicateScan(BaseModel):
    """One run of the duplicate scan over every customer."""

    status = models.CharField(
        _("status"), max_length=10, choices=ScanStatus.choices, default=ScanStatus.QUEUED
    )
    customers_scanned = models.PositiveBigIntegerField(_("customers scanned"), default=0)
    comparisons = models.PositiveBigIntegerField(_("comparisons"), default=0)
    pairs_found = models.PositiveBigIntegerField(_("pairs found"), default=0)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    message = models.TextField(_("message"), blank=True)

    class Meta:
        verbose_name = _("duplicate scan")
        verbose_name_plural = _("duplicate scans")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.status}"


class PairStatus(models.TextChoices):
    OPEN = "open", _("To review")
    MERGED = "merged", _("Merged")
    DISMISSED = "dismissed", _("Not duplicates")


class DuplicatePair(models.Model):
    """Two customers that may be the same, with a score (0-100) and the reasons."""

    customer_a = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    customer_b = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    score = models.PositiveSmallIntegerField(_("score"))
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=PairStatus.choices, default=PairStatus.OPEN
    )
    scan = models.ForeignKey(
        DuplicateScan, null=True, blank=True, on_delete=models.SET_NULL, related_name="pairs"
    )
    found_at = models.DateTimeField(_("found at"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")
        ordering = ["-score", "-id"]
        indexes = [models.Index(fields=["status", "-score"], name="duplicate_pair_queue_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["customer_a", "customer_b"], name="duplicate_pair_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(customer_a__lt=models.F("customer_b")),
                name="duplicate_pair_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_a_id}~{self.customer_b_id} ({self.score})"


class MergeRecord(BaseModel):
    """A merge of one customer into another, with everything needed to undo it.

    ``before`` holds the survivor's fields as they were (encrypted, they include contact data);
    ``moved`` the ids of the related rows that changed hands, per model.
    """

    survivor = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("kept customer"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    merged = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("merged customer"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    fields_from_merged = models.JSONField(default=list, blank=True)
    before = EncryptedTextField(blank=True)
    survivor_version = models.PositiveIntegerField(default=0)
    moved = models.JSONField(default=dict, blank=True)
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("merge")
        verbose_name_plural = _("merges")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.merged_id} -> {self.survivor_id}"


class QualityReport(BaseModel):
    """The data-quality figures over the customers one user may see, computed by the worker."""

    status = models.CharField(
        _("status"), max_length=10, choices=ScanStatus.choices, default=ScanStatus.QUEUED
    )
    data = models.JSONField(default=dict, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("data-quality report")
        verbose_name_plural = _("data-quality reports")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.status}"
