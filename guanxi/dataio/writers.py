"""Writers for exported files: CSV (UTF-8 with BOM, streamed), XLSX (openpyxl write-only) and
vCard 3.0. Every cell goes through the formula guard (``cleaning.guard``): a value starting with
= + - @ is written with a leading ' so that a spreadsheet shows it instead of running it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from guanxi.dataio.cleaning import guard

BOM = "\ufeff"
XLSX_MAX_ROWS = 1_048_575


def csv_stream(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    """The CSV file, a few hundred rows per chunk (for a streaming response)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow([guard(str(cell)) for cell in header])
    for count, row in enumerate(rows, start=1):
        writer.writerow([guard("" if cell is None else str(cell)) for cell in row])
        if count % 500 == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    count = 0

    def counted() -> Iterator[Sequence[Any]]:
        nonlocal count
        for row in rows:
            count += 1
            yield row

    with open(path, "wb") as handle:
        for chunk in csv_stream(header, counted()):
            handle.write(chunk)
    return count


def write_xlsx(
    path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str = "Sheet1"
) -> int:
    """An XLSX workbook written row by row (openpyxl write-only: memory stays flat)."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def cell(value: Any) -> str:
        text = guard("" if value is None else str(value))
        return ILLEGAL_CHARACTERS_RE.sub("", text)

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31] or "Sheet1")
    sheet.append([cell(h) for h in header])
    count = 0
    for row in rows:
        count += 1
        if count > XLSX_MAX_ROWS:
            raise OverflowError("too many rows for one sheet")
        sheet.append([cell(v) for v in row])
    workbook.save(path)
    return count


def vcard(fields: dict[str, Any]) -> str:
    """One contact as a vCard 3.0 (``fields``: name, company, title, mobile, phone, email,
    wechat, birthday, province, city, address, notes)."""
    import vobject

    card = vobject.vCard()
    name = fields.get("name") or ""
    card.add("fn").value = name
    card.add("n").value = vobject.vcard.Name(family=name, given="")
    if fields.get("company"):
        card.add("org").value = [fields["company"]]
    if fields.get("title"):
        card.add("title").value = fields["title"]
    for key, kind in (("mobile", "CELL"), ("phone", "WORK")):
        if fields.get(key):
            tel = card.add("tel")
            tel.value = fields[key]
            tel.type_param = kind
    if fields.get("email"):
        email = card.add("email")
        email.value = fields["email"]
        email.type_param = "INTERNET"
    if fields.get("wechat"):
        card.add("x-wechat").value = fields["wechat"]
    if fields.get("birthday"):
        card.add("bday").value = str(fields["birthday"])
    if fields.get("province") or fields.get("city") or fields.get("address"):
        card.add("adr").value = vobject.vcard.Address(
            street=fields.get("address") or "",
            city=fields.get("city") or "",
            region=fields.get("province") or "",
        )
    if fields.get("notes"):
        card.add("note").value = fields["notes"]
    return card.serialize()


def vcard_stream(cards: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    chunk: list[str] = []
    for fields in cards:
        chunk.append(vcard(fields))
        if len(chunk) >= 200:
            yield "".join(chunk).encode("utf-8")
            chunk = []
    yield "".join(chunk).encode("utf-8")
