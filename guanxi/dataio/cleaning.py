"""Cell-level parsing for imports: dates, numbers, yes/no, the spreadsheet formula guard.

These are the fast paths of the import: a regex parser for the date forms people type
(2024-03-05, 2024/3/5, 2024年3月5日, 20240305, Excel serial numbers) instead of a general
date parser, which is thirty times slower and guesses.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from django.utils import timezone
from django.utils.translation import gettext as _

_DATE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:(?:\s+|T|\s*日?\s*)(\d{1,2})\s*[:：时]\s*(\d{1,2})(?:\s*[:：分]\s*(\d{1,2})(?:\.\d+)?)?\s*秒?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?$"
)
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_EXCEL_SERIAL = re.compile(r"^\d{1,6}(?:\.\d+)?$")
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)  # noqa: DTZ001 - a calendar origin, not a moment
# Values the export prefixes with ' so that spreadsheets do not run them as formulas.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_TRUE = frozenset({"1", "true", "yes", "y", "是", "对", "√", "✓", "x", "primary", "主要"})
_FALSE = frozenset({"0", "false", "no", "n", "否", "不是", "", "-"})


class CellError(ValueError):
    """A cell could not be understood; the message says why, for the user."""


def unguard(text: str) -> str:
    """Remove the ' an export put in front of a value a spreadsheet would take for a formula.

    Only a ' followed by = + - @ (or another ') is removed, so that export then import gives back
    the very same text and a name such as 's-Hertogenbosch is left alone.
    """
    if len(text) > 1 and text[0] == "'" and (text[1] in FORMULA_TRIGGERS or text[1] == "'"):
        return text[1:]
    return text


def guard(text: str) -> str:
    """The value as a spreadsheet cell that cannot run as a formula (see :func:`unguard`)."""
    if text and (text[0] in FORMULA_TRIGGERS or (text[0] == "'" and len(text) > 1)):
        return "'" + text
    return text


def _excel_serial(text: str) -> dt.datetime | None:
    if not _EXCEL_SERIAL.match(text):
        return None
    serial = float(text)
    # 1 = 1900-01-01 ... 2958465 = 9999-12-31; small numbers are more likely typos than dates.
    if not 1000 <= serial <= 2958465:
        return None
    return _EXCEL_EPOCH + dt.timedelta(days=serial)


def parse_date(raw: str) -> dt.date | None:
    """A date from the forms people type; None for an empty cell; CellError otherwise."""
    text = unicodedata.normalize("NFKC", raw).strip() if not raw.isascii() else raw.strip()
    if not text:
        return None
    match = _DATE.match(text) or _COMPACT_DATE.match(text)
    try:
        if match:
            return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        serial = _excel_serial(text)
        if serial is not None:
            return serial.date()
    except ValueError as exc:
        raise CellError(_("This date does not exist.")) from exc
    raise CellError(_("Not a date: write it as 2024-03-05, 2024/3/5 or 2024年3月5日."))


def parse_datetime(raw: str) -> dt.datetime | None:
    """A date with an optional time (in the server's time zone unless the value names one)."""
    text = unicodedata.normalize("NFKC", raw).strip() if not raw.isascii() else raw.strip()
    if not text:
        return None
    try:
        match = _DATE.match(text)
        if match:
            year, month, day, hour, minute, second, zone = match.groups()
            value = dt.datetime(  # noqa: DTZ001 - made aware just below
                int(year),
                int(month),
                int(day),
                int(hour or 0),
                int(minute or 0),
                int(second or 0),
            )
            if zone:
                offset = zone.replace(":", "")
                if offset == "Z":
                    return value.replace(tzinfo=dt.UTC)
                sign = 1 if offset[0] == "+" else -1
                delta = dt.timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5]))
                return value.replace(tzinfo=dt.timezone(sign * delta))
            return timezone.make_aware(value)
        match = _COMPACT_DATE.match(text)
        if match:
            return timezone.make_aware(
                dt.datetime(int(match.group(1)), int(match.group(2)), int(match.group(3)))  # noqa: DTZ001
            )
        serial = _excel_serial(text)
        if serial is not None:
            return timezone.make_aware(serial.replace(microsecond=0))
    except ValueError as exc:
        raise CellError(_("This date does not exist.")) from exc
    raise CellError(_("Not a date and time: write it as 2024-03-05 14:30."))


def parse_bool(raw: str) -> bool:
    text = raw.strip().casefold()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellError(_("Write yes or no."))


def parse_int(raw: str) -> int | None:
    text = unicodedata.normalize("NFKC", raw).strip().replace(",", "")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError as exc:
        raise CellError(_("Not a number.")) from exc
    if not value.is_integer():
        raise CellError(_("Write a whole number."))
    return int(value)


_SCIENTIFIC = re.compile(r"^\d(?:\.\d+)?[eE]\+?\d+$")


def phone_cell(raw: str) -> str:
    """The phone as typed, after catching what spreadsheets do to long numbers."""
    text = raw.strip()
    if _SCIENTIFIC.match(text):
        raise CellError(
            _(
                "The spreadsheet shortened this number to %(value)s: format the column as text "
                "and export the file again."
            )
            % {"value": text}
        )
    if text.endswith(".0") and text[:-2].isdigit():
        return text[:-2]
    return text


def split_list(raw: str) -> list[str]:
    """Tags and other lists: separated by commas, semicolons, 、 or |, in either width."""
    return [item.strip() for item in re.split(r"[,，;；、|]", raw) if item.strip()]
