"""``guanxi import`` and ``guanxi export`` on the command line."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from guanxi.customers.models import Customer
from guanxi.dataio.models import ImportJob
from guanxi.dataio.tests.conftest import csv_bytes, write


def _call(*args: Any) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_shows_the_mapping_a_progress_line_and_a_summary(
    importer: Any, tmp_path: Path
) -> None:
    rows = [["客户名称", "手机", "随便"]] + [[f"公司{i}", f"1391234{i:04d}", "x"] for i in range(5)]
    rows.append(["坏公司", "123", ""])
    path = write(tmp_path / "in.csv", csv_bytes(rows))
    out, err = _call("import", "customers", str(path), "--user", "director", "--batch-size", "2")
    assert "客户名称 -> Customer name" in out
    assert "随便 -> (not imported)" in out
    assert "5 created, 0 updated, 0 skipped, 1 with errors" in out
    assert "rows/s" in err
    assert "100.0%" in err
    errors = tmp_path / "in-errors.csv"
    assert "手机: " in errors.read_text(encoding="utf-8-sig")
    assert Customer.objects.count() == 5


def test_running_the_same_command_after_a_crash_resumes(importer: Any, tmp_path: Path) -> None:
    rows = [["客户名称"]] + [[f"公司{i}"] for i in range(6)]
    path = write(tmp_path / "in.csv", csv_bytes(rows))
    _call("import", "customers", str(path), "--user", "director")
    job = ImportJob.objects.get()
    # as if the process had died after four rows
    ImportJob.objects.filter(pk=job.pk).update(status="failed", checkpoint=4)
    Customer.objects.filter(name__in=["公司4", "公司5"]).delete()
    out, _err = _call("import", "customers", str(path), "--user", "director")
    assert f"Resuming import #{job.pk} after row 4." in out
    assert sorted(Customer.objects.values_list("name", flat=True)) == [f"公司{i}" for i in range(6)]
    assert ImportJob.objects.count() == 1


def test_an_explicit_mapping_and_the_duplicate_choice(importer: Any, tmp_path: Path) -> None:
    path = write(tmp_path / "in.csv", csv_bytes([["Firma", "Ort"], ["Stern", "Berlin"]]))
    _call(
        "import",
        "customers",
        str(path),
        "--user",
        "director",
        "--mapping",
        "Firma=name,Ort=city",
        "--save-mapping",
        "de",
    )
    assert list(Customer.objects.values_list("name", "city")) == [("Stern", "Berlin")]
    path = write(tmp_path / "in2.csv", csv_bytes([["Firma", "Ort"], ["Stern", "Hamburg"]]))
    _call(
        "import",
        "customers",
        str(path),
        "--user",
        "director",
        "--mapping",
        "de",
        "--on-duplicate",
        "update",
    )
    assert list(Customer.objects.values_list("name", "city")) == [("Stern", "Hamburg")]


def test_a_bad_file_is_a_clear_error(importer: Any, tmp_path: Path) -> None:
    path = write(tmp_path / "in.csv", b"\x00\x01\x02" * 100)
    with pytest.raises(CommandError, match="not a text file"):
        _call("import", "customers", str(path), "--user", "director")
    with pytest.raises(CommandError, match="No such file"):
        _call("import", "customers", str(tmp_path / "missing.csv"), "--user", "director")


def test_export_with_filters(importer: Any, tmp_path: Path) -> None:
    path = write(
        tmp_path / "in.csv",
        csv_bytes([["客户名称", "城市"], ["北京公司", "北京"], ["上海公司", "上海"]]),
    )
    _call("import", "customers", str(path), "--user", "director")
    target = tmp_path / "out.csv"
    _out, err = _call(
        "export",
        "customers",
        "--format",
        "csv",
        "--filter",
        "city=北京",
        "--user",
        "director",
        "-o",
        str(target),
    )
    assert "1 records written" in err
    text = target.read_text(encoding="utf-8-sig")
    assert "北京公司" in text
    assert "上海公司" not in text
    vcf = tmp_path / "out.vcf"
    _call("export", "contacts", "--format", "vcf", "--user", "director", "-o", str(vcf))
    assert vcf.exists()
