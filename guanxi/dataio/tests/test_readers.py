"""Reading files: every encoding and format, and every kind of bad input, with a clear message."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from guanxi.core.errors import ValidationError
from guanxi.dataio.readers import BadRow, open_table
from guanxi.dataio.tests.conftest import csv_bytes, write

ROWS = [["客户名称", "手机", "城市"], ["北京星辰科技有限公司", "13812345678", "北京"]]


def _read(path: Path, **kwargs: Any) -> tuple[list[str], list[tuple[int, Any]]]:
    with open_table(path, **kwargs) as table:
        return table.headers, list(table.rows())


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("gbk", b""), ("gb18030", b""), ("utf-16", b"")],
)
def test_csv_in_every_encoding_chinese_excel_writes(
    tmp_path: Path, encoding: str, prefix: bytes
) -> None:
    path = write(tmp_path / "f.csv", prefix + csv_bytes(ROWS, encoding=encoding))
    headers, rows = _read(path)
    assert headers == ["客户名称", "手机", "城市"]
    assert rows == [(2, ["北京星辰科技有限公司", "13812345678", "北京"])]


def test_utf16_tab_separated_text_from_excel(tmp_path: Path) -> None:
    text = "客户名称\t城市\r\n星辰科技\t北京\r\n"
    path = write(tmp_path / "f.txt", text.encode("utf-16"))
    assert _read(path) == (["客户名称", "城市"], [(2, ["星辰科技", "北京"])])


def test_gbk_below_an_ascii_header_is_detected_late(tmp_path: Path) -> None:
    # An ASCII header and 70 KB of ASCII rows, then Chinese in GBK: beyond the sniffed window.
    rows = [["name", "city"]] + [[f"company {i}", "x" * 50] for i in range(1200)]
    rows.append(["星辰科技", "北京"])
    path = write(tmp_path / "f.csv", csv_bytes(rows, encoding="gbk"))
    _headers, read = _read(path)
    assert read[-1][1] == ["星辰科技", "北京"]


def test_mixed_encodings_name_the_row(tmp_path: Path) -> None:
    content = csv_bytes(ROWS) + "上海云海,13900001111,上海\r\n".encode("gbk")
    path = write(tmp_path / "f.csv", content)
    with pytest.raises(ValidationError, match="Row 3"):
        _read(path)


def test_semicolon_and_tab_delimiters(tmp_path: Path) -> None:
    path = write(tmp_path / "f.csv", "客户名称;城市\n星辰;北京\n".encode())
    assert _read(path) == (["客户名称", "城市"], [(2, ["星辰", "北京"])])


def test_empty_file(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="empty"):
        _read(write(tmp_path / "f.csv", b""))
    with pytest.raises(ValidationError, match="empty"):
        _read(write(tmp_path / "g.csv", b"\xef\xbb\xbf\r\n\r\n"))


def test_a_binary_file_renamed_csv(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="not a text file"):
        _read(write(tmp_path / "f.csv", b"\x00\x01\x02binary\x00" * 100))
    with pytest.raises(ValidationError, match="image"):
        _read(write(tmp_path / "g.csv", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100))
    with pytest.raises(ValidationError, match=r"\.xls"):
        _read(write(tmp_path / "h.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100))


def test_unreadable_characters(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="neither UTF-8 nor GBK"):
        _read(write(tmp_path / "f.csv", b"name\n" + bytes(range(0x80, 0x100)) * 3))


def test_blank_lines_and_duplicate_or_empty_headers(tmp_path: Path) -> None:
    path = write(tmp_path / "f.csv", b"\r\nname,,name,\r\nA,1,B\r\n\r\nC,2,D\r\n")
    headers, rows = _read(path)
    assert headers == ["name", "Column 2", "name (2)"]
    assert rows == [(3, ["A", "1", "B"]), (4, []), (5, ["C", "2", "D"])]


def test_a_huge_cell_is_a_bad_row_and_reading_goes_on(tmp_path: Path) -> None:
    content = csv_bytes([["name", "notes"], ["A", "x" * 200_000], ["B", "ok"]])
    _headers, rows = _read(write(tmp_path / "f.csv", content))
    assert isinstance(rows[0][1], BadRow)
    assert "131072" in rows[0][1].message
    assert rows[1] == (3, ["B", "ok"])


def test_a_line_longer_than_4_mb_stops_with_its_number(tmp_path: Path) -> None:
    content = b"name\nA\n" + b"x" * (4 * 1024 * 1024 + 10)
    with pytest.raises(ValidationError, match="Line 3"):
        _read(write(tmp_path / "f.csv", content))


def _xlsx(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


def test_xlsx_first_or_chosen_sheet_with_numbers_and_dates(tmp_path: Path) -> None:
    path = _xlsx(
        tmp_path / "f.xlsx",
        {
            "说明": [["这一页不是数据"]],
            "客户": [
                ["客户名称", "手机", "下次跟进", "人数"],
                ["星辰科技", 13812345678, dt.datetime(2024, 3, 5), 120.0],  # noqa: DTZ001 - a spreadsheet date has no zone,
            ],
        },
    )
    assert _read(path)[0] == ["这一页不是数据"]
    headers, rows = _read(path, sheet="客户")
    assert headers == ["客户名称", "手机", "下次跟进", "人数"]
    assert rows == [(2, ["星辰科技", "13812345678", "2024-03-05", "120"])]
    with pytest.raises(ValidationError, match="no sheet called"):
        _read(path, sheet="Nope")


def test_an_xlsx_zip_bomb_is_refused_before_it_is_unpacked(tmp_path: Path) -> None:
    # A real workbook whose sheet is 64 MB of spaces: it packs ~1000 to 1.
    path = _xlsx(tmp_path / "bomb.xlsx", {"S": [["name"], ["A"]]})
    bomb = tmp_path / "bomb2.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                with out.open(item.filename, "w", force_zip64=True) as handle:
                    handle.write(data.replace(b"</worksheet>", b""))
                    chunk = b" " * (1024 * 1024)
                    for _ in range(64):
                        handle.write(chunk)
                    handle.write(b"</worksheet>")
            else:
                out.writestr(item, data)
    assert bomb.stat().st_size < 1024 * 1024
    with pytest.raises(ValidationError, match="zip bomb"):
        _read(bomb)


def test_an_xlsx_over_the_size_limit_is_refused(tmp_path: Path, settings: Any) -> None:
    settings.GUANXI_IMPORT_MAX_UNPACKED_BYTES = 1000
    path = _xlsx(tmp_path / "f.xlsx", {"S": [["name"], ["A"]]})
    with pytest.raises(ValidationError, match="would unpack"):
        _read(path)


def test_a_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(ValidationError, match="not an Excel workbook"):
        _read(write(tmp_path / "f.xlsx", buffer.getvalue()))
    with pytest.raises(ValidationError, match="damaged"):
        _read(write(tmp_path / "g.xlsx", b"PK\x03\x04broken"))


VCARDS = """BEGIN:VCARD
VERSION:3.0
FN:张三
N:张;三;;;
ORG:北京星辰科技有限公司
TITLE:采购经理
TEL;TYPE=CELL:+86 138 1234 5678
TEL;TYPE=WORK:010-62345678
EMAIL;TYPE=INTERNET:zhangsan@example.com
BDAY:1985-06-01
NOTE:老客户
END:VCARD
BEGIN:VCARD
VERSION:4.0
FN:Li Si
TEL;VALUE=uri;TYPE="cell,voice":tel:+86-139-0000-1111
EMAIL:lisi@example.com
X-WECHAT:lisi_wx
END:VCARD
BEGIN:VCARD
VERSION:3.0
this is not a property
END:VCARD
"""


def test_vcard_3_and_4(tmp_path: Path) -> None:
    headers, rows = _read(write(tmp_path / "c.vcf", VCARDS.encode()))
    assert headers[:6] == ["Name", "Company", "Title", "Mobile", "Phone", "E-mail"]
    first = dict(zip(headers, rows[0][1], strict=True))
    assert first["Name"] == "张三"
    assert first["Company"] == "北京星辰科技有限公司"
    assert first["Mobile"] == "+86 138 1234 5678"
    assert first["Phone"] == "010-62345678"
    assert first["Birthday"] == "1985-06-01"
    second = dict(zip(headers, rows[1][1], strict=True))
    assert (second["Name"], second["Mobile"], second["WeChat"]) == (
        "Li Si",
        "+86-139-0000-1111",
        "lisi_wx",
    )
    assert isinstance(rows[2][1], BadRow)
