"""Readers for the files people import: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030, UTF-16), XLSX
and vCard 3/4. Every reader streams: a row at a time, never the whole file in memory.

A reader is a :class:`Table`: ``headers``, ``rows()`` yielding ``(row_number, cells)`` where the
row number is the one a spreadsheet shows (the header is row 1), and ``fraction()``, the share of
the file read so far. A problem with the file as a whole raises ``ValidationError(field="file")``
with a message for the user; a problem with one row is yielded as a :class:`BadRow` so the import
can report it and go on.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _

from guanxi.core.errors import ValidationError
from guanxi.dataio.models import FileFormat

SNIFF_BYTES = 64 * 1024
MAX_LINE_BYTES = 4 * 1024 * 1024
MAX_CELL_CHARS = 131072
MAX_COLUMNS = 500
MAX_CARD_BYTES = 4 * 1024 * 1024
VCARD_HEADERS = [
    "Name",
    "Company",
    "Title",
    "Mobile",
    "Phone",
    "E-mail",
    "WeChat",
    "Birthday",
    "Province",
    "City",
    "Address",
    "Notes",
]


@dataclass(frozen=True)
class BadRow:
    """A row the reader could not split into cells (the rest of the file is still read)."""

    message: str


def _file_error(message: str) -> ValidationError:
    return ValidationError(message, field="file")


def _max_unpacked_bytes() -> int:
    return int(getattr(settings, "GUANXI_IMPORT_MAX_UNPACKED_BYTES", 2 * 1024**3))


def _max_ratio() -> int:
    return int(getattr(settings, "GUANXI_IMPORT_MAX_ZIP_RATIO", 200))


# --- format detection -----------------------------------------------------------------------

_BINARY_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\xd0\xcf\x11\xe0", "xls"),
    (b"%PDF", "pdf"),
    (b"\x89PNG", "image"),
    (b"\xff\xd8\xff", "image"),
    (b"GIF8", "image"),
    (b"\x1f\x8b", "gzip"),
    (b"Rar!", "rar"),
    (b"7z\xbc\xaf", "7z"),
    (b"SQLite format 3", "sqlite"),
    (b"\x7fELF", "program"),
    (b"MZ", "program"),
)


def detect_format(path: Path | str) -> str:
    """What the file really is, from its first bytes (never from its name)."""
    with open(path, "rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if not head.strip(b"\xef\xbb\xbf\r\n\t "):
        raise _file_error(_("The file is empty."))
    if head.startswith(b"PK\x03\x04"):
        return FileFormat.XLSX
    for signature, kind in _BINARY_SIGNATURES:
        if head.startswith(signature):
            if kind == "xls":
                raise _file_error(
                    _(
                        "Old Excel files (.xls) cannot be read: open the file in Excel or WPS "
                        "and save it as .xlsx or as CSV UTF-8."
                    )
                )
            raise _file_error(
                _(
                    "This is not a spreadsheet, a CSV or a vCard file "
                    "(it looks like a %(kind)s file)."
                )
                % {"kind": kind}
            )
    text_start = head.lstrip(b"\xef\xbb\xbf\r\n\t ")
    if text_start[:11].upper() == b"BEGIN:VCARD":
        return FileFormat.VCARD
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return FileFormat.CSV
    if b"\x00" in head:
        raise _file_error(
            _("This is not a text file: it cannot be read as CSV. Save it as CSV UTF-8 or .xlsx.")
        )
    return FileFormat.CSV


# --- CSV ------------------------------------------------------------------------------------


def _sniff_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    # Cut at the last line break so that a character split by the sniff window is not an error.
    cut = head.rfind(b"\n")
    sample = head[: cut + 1] if cut > 0 and len(head) == SNIFF_BYTES else head
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    # Some lines are UTF-8 with Chinese, others are not: two files pasted together. GB18030 would
    # read the UTF-8 lines without an error, as nonsense, so refuse instead of guessing.
    utf8_lines, first_bad = 0, 0
    for number, line in enumerate(sample.split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            utf8_lines += 1
        except UnicodeDecodeError:
            first_bad = first_bad or number
    if utf8_lines and first_bad:
        raise _file_error(
            _(
                "Row %(row)d cannot be read as UTF-8 text: the file mixes encodings. "
                "Save it as CSV UTF-8 and try again."
            )
            % {"row": first_bad}
        )
    try:
        sample.decode("gb18030")
        return "gb18030"
    except UnicodeDecodeError:
        raise _file_error(
            _(
                "The characters of this file cannot be read (it is neither UTF-8 nor GBK). "
                "Save it as CSV UTF-8."
            )
        ) from None


def _sniff_delimiter(first_line: str) -> str:
    counts = {delimiter: first_line.count(delimiter) for delimiter in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


class _CountingFile(io.RawIOBase):
    """A binary file that counts the bytes handed out (for progress through a text wrapper)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read(len(buffer))
        buffer[: len(data)] = data
        self.count += len(data)
        return len(data)


class _LineDecoder:
    """Decodes line after line. A file detected as UTF-8 from its start that turns out to hold
    GBK later (an ASCII header, Chinese further down) switches to GB18030, which agrees with
    UTF-8 on every ASCII byte read so far."""

    def __init__(self, encoding: str) -> None:
        self.encoding = "utf-8" if encoding == "utf-8-sig" else encoding
        self.may_switch = encoding == "utf-8"

    def decode(self, raw: bytes, row: int) -> str:
        try:
            text = raw.decode(self.encoding)
        except UnicodeDecodeError:
            if self.may_switch:
                self.may_switch = False
                self.encoding = "gb18030"
                return self.decode(raw, row)
            raise _file_error(
                _(
                    "Row %(row)d cannot be read as %(encoding)s text: the file mixes encodings. "
                    "Save it as CSV UTF-8 and try again."
                )
                % {"row": row, "encoding": self.encoding.upper()}
            ) from None
        if self.may_switch and not raw.isascii():
            self.may_switch = False
        return text


def _clean_headers(cells: list[str]) -> list[str]:
    cells = list(cells)
    while cells and not (cells[-1] or "").strip():
        # Trailing empty header cells (stray commas at the end of the line) are not columns.
        cells.pop()
    headers: list[str] = []
    seen: dict[str, int] = {}
    for index, cell in enumerate(cells, start=1):
        name = re.sub(r"\s+", " ", (cell or "").replace("\ufeff", "")).strip()[:200]
        if not name:
            name = _("Column %(number)d") % {"number": index}
        if name in seen:
            seen[name] += 1
            name = f"{name} ({seen[name]})"
        else:
            seen[name] = 1
        headers.append(name)
    return headers


@dataclass
class Table:
    """An opened file: its headers and a stream of rows."""

    file_format: str
    headers: list[str]
    encoding: str = ""
    sheet: str = ""
    sheets: list[str] = field(default_factory=list)
    total_rows: int | None = None
    first_data_row: int = 2
    _rows: Iterator[tuple[int, list[str] | BadRow]] | None = None
    _fraction: Any = None
    _close: Any = None

    def rows(self) -> Iterator[tuple[int, list[str] | BadRow]]:
        if self._rows is None:
            raise RuntimeError("table has no rows")
        return self._rows

    def fraction(self) -> float:
        return float(self._fraction()) if self._fraction else 0.0

    def close(self) -> None:
        if self._close:
            self._close()

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _open_csv(path: Path, encoding: str | None) -> Table:
    size = max(path.stat().st_size, 1)
    handle = open(path, "rb")  # noqa: SIM115 - closed by Table.close
    head = handle.read(SNIFF_BYTES)
    handle.seek(0)
    encoding = encoding or _sniff_encoding(head)
    if encoding == "utf-16":
        counter = _CountingFile(handle)
        text = io.TextIOWrapper(io.BufferedReader(counter), encoding="utf-16", newline="")

        def utf16_lines() -> Iterator[str]:
            while True:
                line = text.readline(MAX_LINE_BYTES)
                if not line:
                    return
                yield line

        lines: Iterator[str] = utf16_lines()

        def fraction() -> float:
            return min(counter.count / size, 1.0)

        def current_encoding() -> str:
            return "utf-16"

    else:
        decoder = _LineDecoder(encoding)
        state = {"read": 0, "line": 0}

        def byte_lines() -> Iterator[str]:
            first = True
            while True:
                raw = handle.readline(MAX_LINE_BYTES + 1)
                if not raw:
                    return
                state["read"] += len(raw)
                state["line"] += 1
                if len(raw) > MAX_LINE_BYTES:
                    raise _file_error(
                        _(
                            "Line %(line)d is longer than 4 MB: this is not a CSV file a "
                            "spreadsheet would write."
                        )
                        % {"line": state["line"]}
                    )
                if first:
                    raw = raw.removeprefix(codecs.BOM_UTF8)
                    first = False
                yield decoder.decode(raw, state["line"])

        lines = byte_lines()

        def fraction() -> float:
            return min(state["read"] / size, 1.0)

        def current_encoding() -> str:
            return decoder.encoding

    # The first non-blank line holds the headers.
    header_line = ""
    row_number = 0
    for line in lines:
        row_number += 1
        if line.strip():
            header_line = line
            break
    if not header_line:
        handle.close()
        raise _file_error(_("The file is empty."))
    delimiter = _sniff_delimiter(header_line)

    def chained() -> Iterator[str]:
        yield header_line
        yield from lines

    reader = csv.reader(chained(), delimiter=delimiter, strict=False)
    try:
        header_cells = next(reader)
    except csv.Error as exc:
        handle.close()
        raise _file_error(
            _("The header row cannot be read: %(problem)s.") % {"problem": exc}
        ) from None
    headers = _clean_headers(header_cells)
    if len(headers) > MAX_COLUMNS:
        handle.close()
        raise _file_error(
            _("The file has %(count)d columns; at most %(limit)d can be imported.")
            % {"count": len(headers), "limit": MAX_COLUMNS}
        )
    header_row = row_number

    def rows() -> Iterator[tuple[int, list[str] | BadRow]]:
        number = header_row
        while True:
            number += 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                if "field larger than field limit" in str(exc):
                    message = _("A cell is longer than %(limit)d characters.") % {
                        "limit": MAX_CELL_CHARS
                    }
                else:
                    message = _("This row cannot be read: %(problem)s.") % {"problem": exc}
                yield number, BadRow(message)
                continue
            yield number, cells

    return Table(
        file_format=FileFormat.CSV,
        headers=headers,
        encoding=current_encoding(),
        _rows=rows(),
        _fraction=fraction,
        _close=handle.close,
    )


# --- XLSX -----------------------------------------------------------------------------------


def check_zip(path: Path | str) -> None:
    """Refuse a workbook that would unpack to more than the limit (a zip bomb) before any of it
    is unpacked: the sizes declared in the archive are checked, and zipfile never inflates an
    entry past its declared size."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise _file_error(_("This Excel file is damaged and cannot be opened.")) from None
    with archive:
        entries = archive.infolist()
        if len(entries) > 10000:
            raise _file_error(_("This Excel file holds too many parts to be a workbook."))
        names = {entry.filename for entry in entries}
        if "xl/workbook.xml" not in names:
            raise _file_error(
                _("This is a ZIP archive, not an Excel workbook (.xlsx). Save it as .xlsx or CSV.")
            )
        total = sum(entry.file_size for entry in entries)
        if total > _max_unpacked_bytes():
            raise _file_error(
                _(
                    "This Excel file would unpack to %(size)d MB, more than the %(limit)d MB "
                    "allowed. Split it, or save it as CSV."
                )
                % {"size": total // 1024**2, "limit": _max_unpacked_bytes() // 1024**2}
            )
        end = -1
        for entry in sorted(entries, key=lambda e: e.header_offset):
            if entry.header_offset < end:
                raise _file_error(_("This Excel file is malformed (its parts overlap)."))
            end = entry.header_offset + entry.compress_size
            ratio = entry.file_size / max(entry.compress_size, 1)
            if entry.file_size > 10 * 1024**2 and ratio > _max_ratio():
                raise _file_error(
                    _(
                        "This Excel file is packed far more tightly than a real workbook "
                        "(%(ratio)d to 1): it is refused as a possible zip bomb."
                    )
                    % {"ratio": int(ratio)}
                )


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def sheet_names(path: Path | str) -> list[str]:
    check_zip(path)
    from openpyxl import load_workbook

    with open(path, "rb") as handle:
        workbook = load_workbook(handle, read_only=True, data_only=True)
        try:
            return list(workbook.sheetnames)
        finally:
            workbook.close()


def _open_xlsx(path: Path, sheet: str | None) -> Table:
    check_zip(path)
    from openpyxl import load_workbook

    # A file object, not a path: openpyxl judges a path by its extension, and stored uploads
    # have none.
    handle = open(path, "rb")  # noqa: SIM115 - closed by Table.close
    try:
        workbook = load_workbook(handle, read_only=True, data_only=True)
    except Exception:
        handle.close()
        raise _file_error(_("This Excel file is damaged and cannot be opened.")) from None

    def close() -> None:
        workbook.close()
        handle.close()

    names = list(workbook.sheetnames)
    if sheet:
        if sheet not in names:
            close()
            raise _file_error(
                _("The workbook has no sheet called “%(sheet)s” (it has: %(sheets)s).")
                % {"sheet": sheet, "sheets": ", ".join(names)}
            )
        worksheet = workbook[sheet]
    else:
        worksheet = workbook.worksheets[0]
    total = worksheet.max_row if getattr(worksheet, "max_row", None) else None
    iterator = worksheet.iter_rows(values_only=True)
    header_cells: list[str] = []
    row_number = 0
    for values in iterator:
        row_number += 1
        cells = [_cell_text(v) for v in values]
        if any(c.strip() for c in cells):
            header_cells = cells
            break
    if not header_cells:
        close()
        raise _file_error(_("The sheet “%(sheet)s” is empty.") % {"sheet": worksheet.title})
    while header_cells and not header_cells[-1].strip():
        header_cells.pop()
    headers = _clean_headers(header_cells)
    if len(headers) > MAX_COLUMNS:
        close()
        raise _file_error(
            _("The file has %(count)d columns; at most %(limit)d can be imported.")
            % {"count": len(headers), "limit": MAX_COLUMNS}
        )
    state = {"row": row_number}

    def rows() -> Iterator[tuple[int, list[str] | BadRow]]:
        for values in iterator:
            state["row"] += 1
            cells = [_cell_text(v) for v in values]
            while cells and not cells[-1]:
                cells.pop()
            yield state["row"], cells

    def fraction() -> float:
        return min(state["row"] / total, 1.0) if total else 0.0

    return Table(
        file_format=FileFormat.XLSX,
        headers=headers,
        sheet=worksheet.title,
        sheets=names,
        total_rows=(total - row_number) if total else None,
        _rows=rows(),
        _fraction=fraction,
        _close=close,
    )


# --- vCard ----------------------------------------------------------------------------------


def _vcard_cells(card: Any) -> list[str]:
    def first(name: str) -> Any:
        items = card.contents.get(name) or []
        return items[0] if items else None

    def text(name: str) -> str:
        item = first(name)
        if item is None:
            return ""
        value = item.value
        if isinstance(value, list):
            return " ".join(str(v) for v in value if v)
        return str(value or "").strip()

    name = text("fn")
    if not name and first("n") is not None:
        parts = first("n").value
        family, given = str(parts.family or ""), str(parts.given or "")
        joiner = "" if re.search(r"[\u3400-\u9fff]", family + given) else " "
        name = (family + joiner + given).strip() if joiner == "" else f"{given} {family}".strip()
    organisation = ""
    if first("org") is not None:
        value = first("org").value
        organisation = (value[0] if isinstance(value, list) and value else str(value or "")).strip()
    mobile = phone = ""
    for item in card.contents.get("tel", []):
        types = {t.strip().lower() for v in item.params.get("TYPE", []) for t in str(v).split(",")}
        number = str(item.value or "").strip().removeprefix("tel:")
        if ({"cell", "mobile", "iphone"} & types) and not mobile:
            mobile = number
        elif not phone:
            phone = number
    if not mobile and phone and re.fullmatch(r"(?:\+?86)?1[3-9]\d{9}", re.sub(r"\D", "", phone)):
        mobile, phone = phone, ""
    province = city = address = ""
    if first("adr") is not None:
        adr = first("adr").value
        province, city = str(adr.region or "").strip(), str(adr.city or "").strip()
        street = adr.street
        address = (" ".join(street) if isinstance(street, list) else str(street or "")).strip()
    wechat = text("x-wechat") or text("x-weixin")
    for item in card.contents.get("impp", []):
        value = str(item.value or "")
        if value.lower().startswith(("weixin:", "wechat:")) and not wechat:
            wechat = value.split(":", 1)[1]
    return [
        name,
        organisation,
        text("title"),
        mobile,
        phone,
        text("email"),
        wechat,
        text("bday"),
        province,
        city,
        address,
        text("note"),
    ]


def _open_vcard(path: Path, encoding: str | None) -> Table:
    import vobject

    size = max(path.stat().st_size, 1)
    handle = open(path, "rb")  # noqa: SIM115 - closed by Table.close
    head = handle.read(SNIFF_BYTES)
    handle.seek(0)
    encoding = encoding or _sniff_encoding(head)
    decoder = _LineDecoder(encoding if encoding != "utf-16" else "utf-8")
    state = {"read": 0}

    def cards() -> Iterator[tuple[int, list[str] | BadRow]]:
        number = 0
        buffer: list[str] = []
        buffered = 0
        inside = False
        line_number = 0
        while True:
            raw = handle.readline(MAX_CARD_BYTES + 1)
            if not raw:
                break
            state["read"] += len(raw)
            line_number += 1
            line = decoder.decode(raw.removeprefix(codecs.BOM_UTF8), line_number)
            marker = line.strip().upper()
            if marker == "BEGIN:VCARD":
                inside, buffer, buffered = True, [line], len(raw)
                continue
            if not inside:
                continue
            buffered += len(raw)
            if buffered > MAX_CARD_BYTES:
                number += 1
                inside, buffer = False, []
                yield number, BadRow(_("This card is larger than 4 MB."))
                continue
            buffer.append(line)
            if marker == "END:VCARD":
                number += 1
                inside = False
                try:
                    card = vobject.readOne("".join(buffer), allowQP=True)
                    yield number, _vcard_cells(card)
                except Exception as exc:
                    yield (
                        number,
                        BadRow(_("This card cannot be read: %(problem)s.") % {"problem": exc}),
                    )
                buffer = []

    def fraction() -> float:
        return min(state["read"] / size, 1.0)

    return Table(
        file_format=FileFormat.VCARD,
        headers=list(VCARD_HEADERS),
        encoding=decoder.encoding,
        first_data_row=1,
        _rows=cards(),
        _fraction=fraction,
        _close=handle.close,
    )


def open_table(
    path: Path | str,
    *,
    file_format: str | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
) -> Table:
    """Open an import file; raises ValidationError(field="file") for a file that cannot be read."""
    path = Path(path)
    detected = detect_format(path)
    if file_format and file_format != detected:
        file_format = detected
    file_format = file_format or detected
    if file_format == FileFormat.XLSX:
        return _open_xlsx(path, sheet)
    if file_format == FileFormat.VCARD:
        return _open_vcard(path, encoding)
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise _file_error(
                _("Unknown character encoding “%(encoding)s”.") % {"encoding": encoding}
            ) from None
    return _open_csv(path, encoding)
