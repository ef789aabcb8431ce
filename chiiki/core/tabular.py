"""Reading and writing the tables people exchange with the platform.

Reading: CSV in UTF-8, UTF-8 with BOM or CP932/Shift_JIS (detected, never asked), and XLSX.
Every row keeps its source row number (as Excel shows it: the header is normally row 1) so error
reports can point at it. Full-width digits and spaces and surrounding blanks are normalised.

Writing: CSV for Excel (UTF-8 with BOM, CRLF) and XLSX.
"""

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from charset_normalizer import from_bytes
from django.http import HttpResponse
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell

from .text import normalize_digits

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv; charset=utf-8"


class TableError(ValueError):
    """The file as a whole cannot be read (encoding, format, header)."""


@dataclass
class Row:
    number: int  # row number in the file, header = 1
    values: dict[str, str]

    def get(self, key: str, default: str = "") -> str:
        return self.values.get(key, default) or default


@dataclass
class Table:
    header: list[str]
    rows: list[Row] = field(default_factory=list)
    encoding: str = ""
    header_number: int = 1  # row number of the header in the file


def _clean(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        value = value.date()
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return normalize_digits(str(value)).strip()


def decode_csv_bytes(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    for encoding in ("cp932",):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            pass
    best = from_bytes(data).best()
    if best is None:
        raise TableError("ファイルの文字コードを判別できません（UTF-8 または Shift_JIS で保存してください）")
    return str(best), best.encoding


def _is_xlsx(data: bytes, filename: str) -> bool:
    return data[:2] == b"PK" or filename.lower().endswith((".xlsx", ".xlsm"))


_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls (and other OLE2 files)


def _xlsx_rows(data: bytes) -> list[list[str]]:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        raise TableError(f"XLSXファイルを読み込めません: {exc}") from None
    try:
        # Read-only sheets yield blank rows too, so positions are Excel's row numbers.
        return [[_clean(v) for v in row] for row in workbook.worksheets[0].iter_rows(values_only=True)]
    finally:
        workbook.close()


def _csv_rows(data: bytes) -> tuple[list[list[str]], str]:
    text, encoding = decode_csv_bytes(data)
    # One record per row as Excel shows it: a quoted cell spanning lines stays one row, blank lines count.
    records = []
    try:
        for record in csv.reader(io.StringIO(text, newline=""), strict=True):
            records.append([_clean(v) for v in record])
    except csv.Error as exc:
        raise TableError(f"CSVとして読み込めません（{len(records) + 1}行目付近）: {exc}") from None
    return records, encoding


def read_table(data: bytes, filename: str = "", header_aliases: dict[str, str] | None = None) -> Table:
    """Read CSV or XLSX bytes into a Table. header_aliases maps alternative header names to canonical ones.

    The header is the first non-blank row; blank rows are skipped but keep their place in the numbering.
    A value in a column without a header is an error (it would otherwise be lost silently).
    """
    aliases = {normalize_digits(k).strip(): v for k, v in (header_aliases or {}).items()}
    if not data:
        raise TableError("ファイルが空です")
    if data.startswith(_OLE2_MAGIC):
        raise TableError("Excel 97-2003 形式（.xls）は読み込めません。XLSX または CSV で保存し直してください")
    if _is_xlsx(data, filename):
        records, encoding = _xlsx_rows(data), "xlsx"
    else:
        records, encoding = _csv_rows(data)
    numbered = [(number, values) for number, values in enumerate(records, start=1) if any(values)]
    if not numbered:
        raise TableError("ヘッダー行がありません（ファイルに値がありません）")
    header_number, header = numbered[0]
    header = [aliases.get(h, h) for h in header]
    while header and header[-1] == "":
        header.pop()
    duplicates = {h for h in header if header.count(h) > 1 and h}
    if duplicates:
        raise TableError(f"ヘッダーに同じ列名が複数あります: {', '.join(sorted(duplicates))}")
    table = Table(header=header, encoding=encoding, header_number=header_number)
    for number, values in numbered[1:]:
        extra = [index for index, value in enumerate(values[len(header):], start=len(header) + 1) if value]
        if extra:
            raise TableError(f"{number}行目: ヘッダーのない列（{extra[0]}列目）に値があります: {values[extra[0] - 1]!r}")
        padded = values + [""] * (len(header) - len(values))
        table.rows.append(Row(number, dict(zip(header, padded, strict=False))))
    return table


def require_columns(table: Table, required: Iterable[str]) -> None:
    missing = [column for column in required if column not in table.header]
    if missing:
        raise TableError(f"必須の列がありません: {', '.join(missing)}（ヘッダー: {', '.join(table.header)}）")


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def _xlsx_cell(sheet, value):
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def xlsx_bytes(header: Sequence[str], rows: Iterable[Sequence], title: str = "data") -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31] or "data")
    sheet.append(list(header))
    for row in rows:
        # Codes stay text so Excel keeps their leading zeros; text starting with "=" stays text, not a formula.
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def table_response(fmt: str, filename: str, header: Sequence[str], rows: Iterable[Sequence]) -> HttpResponse:
    """An attachment response in csv or xlsx; filename without extension (may be Japanese)."""
    from urllib.parse import quote

    if fmt == "xlsx":
        body, content_type, ext = xlsx_bytes(header, rows), XLSX_MIME, "xlsx"
    elif fmt == "csv":
        body, content_type, ext = csv_bytes(header, rows), CSV_MIME, "csv"
    else:
        raise ValueError(f"unknown format {fmt!r}")
    response = HttpResponse(body, content_type=content_type)
    ascii_name = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "_" for c in filename) or "export"
    response["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}.{ext}\"; filename*=UTF-8''{quote(filename)}.{ext}"
    )
    return response
