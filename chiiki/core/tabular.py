"""Reading and writing the tables people exchange with the platform.

Reading: CSV in UTF-8, UTF-8 with BOM or CP932/Shift_JIS (detected, never asked; text that is none of these is
refused with the likely encodings named, never guessed into mojibake), and XLSX. Every row keeps its source row
number (as Excel shows it: the header is normally row 1) so error reports can point at it. Full-width digits and
spaces and surrounding blanks are normalised; cells with control characters are refused.

Work is bounded (docs/decisions/0009-bounded-table-reading.md): the size is checked before anything is parsed,
a value beyond IMPORT_MAX_ROWS / IMPORT_MAX_COLUMNS stops the reader where it meets it, sparse sheets are read
cell by cell and never padded, and no check is quadratic in the input.

Writing: CSV for Excel (UTF-8 with BOM, CRLF; a cell a spreadsheet would run as a formula gets a leading ', which
our CSV reader removes again) and XLSX.
"""

import codecs
import csv
import datetime as dt
import io
import itertools
import re
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote
from xml.etree.ElementTree import ParseError, TreeBuilder, XMLParser

from charset_normalizer import from_bytes
from django.conf import settings
from django.http import FileResponse, HttpResponse, StreamingHttpResponse

from . import budget
from .errors import DataFileError, RowProblem
from .text import control_character_problem, normalize_digits, without_control_characters

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv; charset=utf-8"

# An XLSX is a zip: its members may unpack to at most this many times the size limit (declared sizes are
# checked before unpacking, and zipfile never yields more than a member declares). A 139,280-row progress
# export is 4.4 MB packed and 59 MB unpacked; a deflate bomb is ~1,000×.
XLSX_EXPANSION = 10


class TableError(ValueError):
    """The file as a whole cannot be read (encoding, format, header, size)."""


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
    # collect_controls: the cells found with control characters (as read so far), which the rows hold without
    # them, the values under a blank header cell or beyond the header, and the XLSX cells without a value (a
    # formula saved without its result, an error value), which the rows hold as blank; and whether the file may
    # hold a control character or a value under a blank header cell (known before the rows are read: the others
    # show only as the rows are read, so an import writes nothing before it has read them all).
    control_problems: list[RowProblem] | None = None
    may_hold_cell_problems: bool = False


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_rows: int
    max_columns: int

    @classmethod
    def of(cls, max_bytes: int | None = None, max_rows: int | None = None, max_columns: int | None = None):
        """The given limits, the settings' for those not given (settings are read per call: tests override them)."""
        return cls(settings.IMPORT_MAX_BYTES if max_bytes is None else max_bytes,
                   settings.IMPORT_MAX_ROWS if max_rows is None else max_rows,
                   settings.IMPORT_MAX_COLUMNS if max_columns is None else max_columns)


# ---- size ------------------------------------------------------------------------------------------------------

def format_size(size: int) -> str:
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= factor:
            return f"{size // factor}{unit}" if size % factor == 0 else f"{size / factor:.1f}{unit}"
    return f"{size}バイト"


def size_problem(size: int, max_bytes: int | None = None) -> str | None:
    """The message for a file of `size` bytes over the import size limit, else None (forms check upload.size)."""
    limit = Limits.of(max_bytes=max_bytes).max_bytes
    if size > limit:
        return f"ファイルが大きすぎます（{format_size(limit)}まで）"
    return None


def read_limited(file, max_bytes: int | None = None) -> bytes:
    """At most the size limit + 1 bytes of an open file or upload: enough for read_table to refuse an oversized
    file without reading all of it into memory."""
    remaining = Limits.of(max_bytes=max_bytes).max_bytes + 1
    chunks = []
    while remaining > 0:
        chunk = file.read(min(remaining, 1 << 20))  # read(n) would reserve n bytes even for a small file
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


# ---- cells -----------------------------------------------------------------------------------------------------

def _clean(value) -> str:
    if value.__class__ is str:  # nearly every cell: skip the checks in cell_text
        return normalize_digits(value).strip()
    return normalize_digits(cell_text(value)).strip()


def as_read(text: str) -> str:
    """What a text cell holding `text` reads as: an import comparing a stored text with a file's keeps the stored
    one when only this reading tells them apart."""
    return _clean(text or "")


def cell_text(value) -> str:
    """A cell's value as the text Excel shows for it: a date as YYYY-MM-DD (a datetime at midnight is a date), a
    time as hh:mm (hh:mm:ss when it has seconds), a whole number without ".0", TRUE/FALSE; text as it is."""
    if value.__class__ is str:
        return value
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
    if isinstance(value, dt.time):
        return value.isoformat("minutes" if value.second == value.microsecond == 0 else "auto")
    return str(value)


# OWASP "CSV injection": a cell starting with one of these runs as a formula when a spreadsheet opens the CSV.
_FORMULA_START = frozenset("=+-@\t\r")


def _escape_formula(value):
    """'=1+1' → "'=1+1". A value that already starts with quotes before such a character gets one more quote,
    so that _unescape_formula gives back exactly the original (a note "'=x" stays "'=x")."""
    if isinstance(value, str) and value and (
            value[0] in _FORMULA_START or (value[0] == "'" and value.lstrip("'")[:1] in _FORMULA_START)):
        return "'" + value
    return value


def _unescape_formula(value: str) -> str:
    if value[:1] == "'" and value.lstrip("'")[:1] in _FORMULA_START:
        return value[1:]
    return value


# ---- encodings -------------------------------------------------------------------------------------------------

# Characters a CP932 (Shift_JIS) file holds when it really is Japanese: kana, kanji, full-width and half-width
# forms, CJK punctuation and the JIS X 0208 / NEC / IBM symbols (①, Ⅰ, ㈱, ℃, →, ≒, ■, ★, §, ×, Greek, Cyrillic).
# Latin-1 or Windows-1252 bytes decoded as CP932 give private-use characters, or lone kanji and half-width
# katakana stuck to Latin letters instead (ç + the next letter → one kanji: façade → fa軋de; É → ﾉ: École → ﾉcole).
_JAPANESE = ("\u3000-\u30ff\u3200-\u33ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uffef"
             "\u2010-\u23ff\u2460-\u27bf\u0391-\u03c9\u0401-\u0451\u00a7\u00a8\u00b0\u00b1\u00b4\u00b6\u00d7\u00f7")
_NOT_JAPANESE = re.compile(f"[^\\x00-\\x7f{_JAPANESE}]")
_KANA_OR_KANJI = re.compile("[\u3041-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")
# A lone non-ASCII character that is half-width katakana or touches an ASCII letter.
_ODD_LONE = re.compile(r"(?<![^\x00-\x7f])(?:(?<=[A-Za-z])[^\x00-\x7f]|[\uff61-\uff9f]|[^\x00-\x7f](?=[A-Za-z]))"
                       r"(?![^\x00-\x7f])")


def _plausible_japanese(text: str) -> bool:
    """CP932 text is taken as Japanese when all its non-ASCII characters are Japanese, some are kana or kanji,
    and at most half of them stand alone against Latin letters or as lone half-width katakana (IoT化 is
    fine in a file that also has 団体コード; a file of only ﾉcole and fa軋de is not)."""
    if _NOT_JAPANESE.search(text) or not _KANA_OR_KANJI.search(text):
        return False
    total = sum(map(len, _NON_ASCII_RUN.findall(text)))
    odd = sum(1 for _ in _ODD_LONE.finditer(text))
    return odd * 2 <= total


def decode_csv_bytes(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 with or without BOM, else CP932 when the result reads as Japanese; anything else
    is refused with the likely encodings named (decoding it anyway stores mojibake: café → cafй)."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise TableError(f"UTF-8（BOM付き）として読めないバイトがあります（{exc.start + 4}バイト目）。"
                             "UTF-8 で保存し直してください") from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp932")
    except UnicodeDecodeError:
        text = None
    if text is not None and _plausible_japanese(text):
        return text, "cp932"
    candidates = []
    for match in from_bytes(data):
        if match.encoding not in candidates:
            candidates.append(match.encoding)
    named = "、".join(candidates[:3]) or "不明"
    raise TableError(f"ファイルの文字コードを判別できません（推定される候補: {named}）。"
                     "UTF-8（BOM付き可）または Shift_JIS（CP932）で保存し直してください")


# ---- CSV -------------------------------------------------------------------------------------------------------

# A quoted field (only where a field starts, as the csv module reads it). Replacing each by a placeholder leaves
# the delimiters only, one line per record.
_QUOTED_FIELD = re.compile(r'(?<![^,\r\n])"(?:[^"]|"")*"')
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _columns_problem(row: int, column: int, max_columns: int, letter: str = "") -> str:
    where = f"{column:,}列目" + (f"（{letter}列）" if letter else "")
    return f"{row}行目: {where}に値があります。読み込めるのは{max_columns:,}列目までです（列が多すぎます）"


def _check_csv_width(text: str, max_columns: int) -> None:
    """Refuse a record with a value beyond max_columns before the csv module builds it: one line can hold
    hundreds of thousands of cells. Empty cells beyond it are allowed (Excel writes them for a stale used range)."""
    if text.count(",") < max_columns:
        return  # no record can have more than max_columns cells
    bare = _QUOTED_FIELD.sub("Q", text) if '"' in text else text  # no copy of a file without quoting
    # At a line start: max_columns delimiters, then blank cells, then a character that makes a cell a value.
    beyond = re.compile(rf"(?<![^\r\n])(?:[^,\r\n]*+,){{{max_columns}}}[, \t\u3000]*+[^, \t\u3000\r\n]")
    match = beyond.search(bare)
    if match is None:
        return
    row = len(_LINE_BREAK.findall(bare, 0, match.start())) + 1
    cells = bare[match.start():match.end()].split(",")[max_columns:]
    column = max_columns + next(i for i, cell in enumerate(cells, start=1) if _clean(cell))
    raise TableError(_columns_problem(row, column, max_columns))


def _lines(text: str) -> Iterator[str]:
    """The lines of text with their endings (CR, LF or CRLF), as the csv module wants them. Not StringIO: it
    copies the whole text, at 4 bytes a character for Japanese."""
    start = 0
    for match in _LINE_BREAK.finditer(text):
        yield text[start:match.end()]
        start = match.end()
    if start < len(text):
        yield text[start:]


def _csv_records(text: str, limits: Limits) -> Iterator[tuple[int, list[str]]]:
    _check_csv_width(text, limits.max_columns)
    # One record per row as Excel shows it: a quoted cell spanning lines stays one row, blank lines count.
    number = 0
    try:
        for number, record in enumerate(csv.reader(_lines(text), strict=True), start=1):
            if len(record) > limits.max_columns:
                extra = next((i for i, v in enumerate(record[limits.max_columns:], start=limits.max_columns + 1)
                              if _clean(v)), None)
                if extra is not None:  # only when the quick check above was misled by odd quoting
                    raise TableError(_columns_problem(number, extra, limits.max_columns))
                del record[limits.max_columns:]
            yield number, record
    except csv.Error as exc:
        raise TableError(f"CSVとして読み込めません（{number + 1}行目付近）: {_csv_problem(exc)}") from None


def _csv_problem(exc: csv.Error) -> str:
    """The csv module's English message as what to fix (in strict mode every other error is a misplaced quote)."""
    if "field larger than field limit" in str(exc):
        return (f"1つのセルが長すぎます（{csv.field_size_limit():,}文字まで）。"
                "閉じられていない引用符（\"）がないか確かめてください")
    return "引用符（\"）の位置が正しくありません。値の途中に \" があるか、閉じられていません"


# ---- XLSX ------------------------------------------------------------------------------------------------------

def _is_xlsx(data: bytes, filename: str) -> bool:
    return data[:2] == b"PK" or filename.lower().endswith((".xlsx", ".xlsm"))


_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls (and other OLE2 files)
# The libraries' own texts are English and name their internals ("File is not a zip file", "not well-formed").
_NOT_XLSX = "XLSX形式のファイルではありません。CSV なら拡張子を .csv にしてください"
_DAMAGED_XLSX = "ファイルが壊れているか、XLSX形式として正しくありません。Excel で開いて保存し直してください"


def _xlsx_records(data: bytes, limits: Limits) -> Iterator[tuple[int, list]]:
    """(row number, values) of the first worksheet's rows that hold a value, in sheet order.

    openpyxl's worksheets are not used: in read-only mode opening one scans the whole sheet for its size when the
    <dimension> is missing (our own exports have none) and its row iterator pads every row to the widest column,
    so one cell at XFD20000 costs 20,000 × 16,384 cells. Nor are its shared strings: it reads the whole table
    before the sheet, and 129 KB packed can hold 3 million of them. The package is read with openpyxl's reader
    (styles for dates, the 1904 epoch); the shared strings and the sheet XML are streamed here.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise TableError(f"XLSXファイルを読み込めません: {_NOT_XLSX}") from None
    except (zipfile.LargeZipFile, OSError, ValueError):
        raise TableError(f"XLSXファイルを読み込めません: {_DAMAGED_XLSX}") from None
    if unpacked > limits.max_bytes * XLSX_EXPANSION:
        raise TableError(f"XLSXファイルの展開後の大きさ（{format_size(unpacked)}）が上限"
                         f"（{format_size(limits.max_bytes * XLSX_EXPANSION)}）を超えています")
    # openpyxl's workbook machinery costs every worker ~19 MB; only XLSX reads and writes load it.
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.styles.stylesheet import apply_stylesheet

    try:
        reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=True)
        reader.read_manifest()
        reader.read_workbook()
        apply_stylesheet(reader.archive, reader.wb)
        sheets = [(sheet, rel.target) for sheet, rel in reader.parser.find_sheets()
                  if rel.target in reader.valid_files and "chartsheet" not in rel.Type]
    except Exception:  # openpyxl raises many types for malformed packages, with English texts
        raise TableError(f"XLSXファイルを読み込めません: {_DAMAGED_XLSX}") from None
    try:
        if not sheets:
            raise TableError("XLSXファイルにワークシートがありません")
        reader.shared_strings = _shared_strings(reader, limits)
        _refuse_other_sheets_with_values(reader, sheets)
        with reader.archive.open(sheets[0][1]) as source:
            yield from _sheet_rows(source, reader, limits)
    finally:
        reader.archive.close()


def _refuse_other_sheets_with_values(reader, sheets: list) -> None:
    """Only the first worksheet is read: a value on another one would be dropped silently, so the workbook is
    refused instead. Empty sheets (Excel's Sheet2) are fine, and so are hidden ones: a workbook keeps the lists of
    its drop-downs there, and whoever hid a sheet knows it is not the data."""
    full = [sheet.name for sheet, path in sheets[1:]
            if sheet.state not in ("hidden", "veryHidden") and _holds_a_value(reader, sheet.name, path)]
    if full:
        names = "".join(f"「{name}」" for name in full)
        raise TableError(f"シート{names}にも値があります。読み込むのは1枚目のシート「{sheets[0][0].name}」だけです。"
                         "1枚のシートにまとめるか、シートごとのファイルにしてください")


def _holds_a_value(reader, name: str, path: str) -> bool:
    """Whether a worksheet has a cell with a value (or a formula), read as a stream up to the first such cell."""
    from openpyxl.worksheet._reader import WorkSheetParser

    try:
        with reader.archive.open(path) as source:
            target = _AnyValueTarget(WorkSheetParser(source, reader.shared_strings, data_only=True,
                                                     epoch=reader.wb.epoch, date_formats=reader.wb._date_formats,
                                                     timedelta_formats=reader.wb._timedelta_formats))
            xml = XMLParser(target=target)
            while not (target.found or target.finished):
                chunk = source.read(1 << 16)
                if not chunk:
                    break  # a truncated sheet: what it holds is all that can be said
                budget.check()
                xml.feed(chunk)
    except (ParseError, ValueError, KeyError, IndexError, TypeError, ArithmeticError, OSError, EOFError,
            zlib.error, zipfile.BadZipFile):
        raise TableError(f"XLSXファイルのシート「{name}」を読み込めません: {_DAMAGED_XLSX}") from None
    return target.found


def _shared_strings(reader, limits: Limits) -> list[str]:
    """The package's shared strings, read as openpyxl's read_string_table reads them."""
    from openpyxl.xml.constants import SHARED_STRINGS

    part = reader.package.find(SHARED_STRINGS)
    if part is None:
        return []
    # A cell refers to one string, so a table longer than the cells the limits allow is not a table to import.
    target = _StringsTarget(limits.max_rows * limits.max_columns)
    xml = XMLParser(target=target)
    try:
        with reader.archive.open(part.PartName[1:]) as source:
            while chunk := source.read(1 << 16):
                budget.check()  # 64 KB is a few thousand strings at most
                xml.feed(chunk)
            xml.close()
    except (ParseError, KeyError, OSError, EOFError, zlib.error, zipfile.BadZipFile):
        raise TableError(f"XLSXファイルの共有文字列を読み込めません: {_DAMAGED_XLSX}") from None
    return target.strings


class _StringsTarget:
    """XMLParser target for sharedStrings.xml: keeps no tree, only each <si>'s text as openpyxl's Text.content
    gives it (its <t>, then the <t> of each <r> run; phonetic <rPh> runs and formatting are left out). Child
    elements are matched by local name and a <t>'s text ends at its first child element, as openpyxl's are."""

    def __init__(self, max_strings: int):
        self.max_strings = max_strings
        self.strings: list[str] = []
        self.depth = 0  # 1 inside an <si>, 2 in its child, ...
        self.child = ""  # local name of the <si>'s open child
        self.plain = self.run = ""
        self.runs: list[str] = []
        self.pieces: list[str] = []  # the text of the <t> being read
        self.reading = False  # until the <t>'s first child element: openpyxl takes element.text

    def start(self, tag, attrib):
        depth = self.depth
        if depth == 0:
            if tag == _SI:
                self.depth, self.plain, self.runs = 1, "", []
            return
        self.depth = depth + 1
        if depth == 1:
            self.child = tag.rpartition("}")[2]
            self.reading = self.child == "t"
            if self.child == "r":
                self.run = ""
        else:
            self.reading = depth == 2 and self.child == "r" and tag.rpartition("}")[2] == "t"
        if self.reading:
            self.pieces = []

    def data(self, text):
        if self.reading:
            self.pieces.append(text)

    def end(self, tag):
        self.reading = False
        depth = self.depth
        if depth == 0:
            return
        self.depth = depth - 1
        if depth == 1:
            self._keep((self.plain + "".join(self.runs)).replace("x005F_", ""))
        elif depth == 2:
            if self.child == "t":
                self.plain = "".join(self.pieces)  # the last <t> wins, as in openpyxl
            elif self.child == "r":
                self.runs.append(self.run)
        elif depth == 3 and self.child == "r" and tag.rpartition("}")[2] == "t":
            self.run = "".join(self.pieces)

    def close(self):
        return None

    def _keep(self, text: str):
        if len(self.strings) == self.max_strings:
            raise TableError(f"XLSXファイルの共有文字列が多すぎます（{self.max_strings:,}件まで）。"
                             "CSVで保存し直してください")
        self.strings.append(text)


def _sheet_rows(source, reader, limits: Limits) -> Iterator[tuple[int, list]]:
    from openpyxl.worksheet._reader import WorkSheetParser

    cell_parser = WorkSheetParser(source, reader.shared_strings, data_only=True, epoch=reader.wb.epoch,
                                  date_formats=reader.wb._date_formats,
                                  timedelta_formats=reader.wb._timedelta_formats)
    target = _SheetTarget(cell_parser, limits)
    xml = XMLParser(target=target)
    try:
        while not target.finished:
            chunk = source.read(1 << 16)
            if not chunk:
                xml.close()  # a truncated sheet is an error, not a shorter table
                break
            xml.feed(chunk)
            rows, target.rows = target.rows, []
            yield from rows
        yield from target.rows
    except (ParseError, ValueError, KeyError, IndexError, TypeError, ArithmeticError, zipfile.BadZipFile) as exc:
        if isinstance(exc, TableError):
            raise
        raise TableError(f"XLSXファイルを読み込めません（{target.number}行目付近）: {_DAMAGED_XLSX}") from None


XLSX_MAX_ROW = 1_048_576  # Excel's last row
_ROW_NUMBER = re.compile(r"[0-9]{1,7}")


def _row_number(raw: str) -> int:
    """A <row>'s r as Excel writes it (1 to 1,048,576 in digits); a damaged one ("inf", "1e999", "2.5") is refused,
    not rounded into a row number."""
    number = int(raw) if _ROW_NUMBER.fullmatch(raw) else 0
    if not 1 <= number <= XLSX_MAX_ROW:
        raise TableError(f"XLSXファイルの行番号が正しくありません（{raw[:20]}）。Excel で開いて保存し直してください")
    return number


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_CELL, _ROW, _SHEET_DATA, _DIMENSION = f"{_MAIN}c", f"{_MAIN}row", f"{_MAIN}sheetData", f"{_MAIN}dimension"
_SI, _FORMULA, _VALUE = f"{_MAIN}si", f"{_MAIN}f", f"{_MAIN}v"


class _UnreadCell(str):
    """A cell whose value the file does not hold: a formula saved without its result (files written by programs,
    such as openpyxl or pandas), or an error value (#REF!, #N/A). It reads as the text it holds, but an import names
    it as a problem instead of taking it: read as blank, it would clear what is stored."""

    def __new__(cls, text: str, problem: str, shown: str):
        cell = super().__new__(cls, text)
        cell.problem, cell.shown = problem, shown
        return cell


def _unread_cell(element, cell) -> _UnreadCell | None:
    if cell["data_type"] == "e":
        text = cell_text(cell["value"])
        return _UnreadCell(text, f"セルがエラー値（{text}）です。数式を直すか、値を入れ直してください", text)
    formula = element.find(_FORMULA)
    # A text result may be empty (Excel writes t="str" and an empty <v>); any other result is never empty.
    if formula is None or (element.find(_VALUE) is not None and element.get("t") == "str"):
        return None
    return _UnreadCell("", "数式の計算結果が保存されていません。Excel で開いて保存し直すか、値として貼り付けてください",
                       f"={formula.text or ''}")


class _CellsTarget:
    """XMLParser target that keeps no tree: only each <c> is built (openpyxl's cell parser reads an element) and
    handed to cell_read(element), then dropped. Subclasses add what they do with the other tags."""

    def __init__(self, cell_parser):
        self.cell_parser = cell_parser
        self.cell: TreeBuilder | None = None
        self.depth = 0
        self.finished = False

    def start(self, tag, attrib):
        if self.cell is not None:
            self.depth += 1
            self.cell.start(tag, attrib)
        elif tag == _CELL:
            self.cell, self.depth = TreeBuilder(), 1
            self.cell.start(tag, attrib)
        else:
            self.other_start(tag, attrib)

    def data(self, text):
        if self.cell is not None:
            self.cell.data(text)

    def end(self, tag):
        if self.cell is not None:
            self.cell.end(tag)
            self.depth -= 1
            if self.depth == 0:
                element, self.cell = self.cell.close(), None
                self.cell_read(element)
        elif tag == _SHEET_DATA:
            self.finished = True  # nothing after the cells is needed
        else:
            self.other_end(tag)

    def close(self):
        return None

    def other_start(self, tag, attrib):
        pass

    def other_end(self, tag):
        pass

    def cell_read(self, element):
        raise NotImplementedError


class _SheetTarget(_CellsTarget):
    """The worksheet that is read: cells with a value are kept by column; a value beyond the limits stops the
    reading. Completed rows wait in `rows` until the caller takes them after each chunk."""

    def __init__(self, cell_parser, limits: Limits):
        super().__init__(cell_parser)
        self.limits = limits
        self.rows: list[tuple[int, list]] = []
        self.cells: dict[int, object] = {}
        self.number = self.previous = 0

    def other_start(self, tag, attrib):
        if tag == _ROW:
            raw = attrib.get("r")
            self.number = _row_number(raw) if raw else self.number + 1
            if self.number <= self.previous:
                raise TableError(f"XLSXファイルの行の順序が正しくありません（{self.number}行目）")
            self.cell_parser.row_counter, self.cell_parser.col_counter = self.number, 0
            self.cells = {}
        elif tag == _DIMENSION:
            self._check_dimension(attrib.get("ref") or "")

    def cell_read(self, element):
        cell = self.cell_parser.parse_cell(element)
        if cell["value"] is None or cell["data_type"] == "e":
            unread = _unread_cell(element, cell)
            if unread is not None:  # an empty str: `or` would drop it
                cell["value"] = unread
        self._keep(cell)

    def other_end(self, tag):
        if tag == _ROW:
            self.previous = self.number
            if self.cells:
                values = [None] * max(self.cells)
                for column, value in self.cells.items():
                    values[column - 1] = value
                self.rows.append((self.number, values))
                self.cells = {}

    def _keep(self, cell):
        value = cell["value"]
        if (value is None or value == "") and value.__class__ is not _UnreadCell:
            return
        if cell["row"] != self.number:
            raise TableError(f"XLSXファイルのセルの位置が正しくありません（{self.number}行目）")
        column = cell["column"]
        if column <= self.limits.max_columns:
            self.cells[column] = value
        elif _clean(value):
            from openpyxl.utils import get_column_letter

            raise TableError(_columns_problem(self.number, column, self.limits.max_columns,
                                              get_column_letter(column)))

    def _check_dimension(self, ref: str):
        """The declared used range is cheap to check first; it may lie, so every cell is checked as well."""
        from openpyxl.utils import range_boundaries

        try:
            _min_col, _min_row, max_col, max_row = range_boundaries(ref)
        except (ValueError, TypeError):
            return
        if (max_row or 0) > self.limits.max_rows or (max_col or 0) > self.limits.max_columns:
            raise TableError(f"シートの範囲（{ref}）が読み込める大きさ（{self.limits.max_rows:,}行・"
                             f"{self.limits.max_columns:,}列）を超えています。不要な行・列を削除して保存し直してください")


class _AnyValueTarget(_CellsTarget):
    """A worksheet that is not read: looks for one cell with a value."""

    def __init__(self, cell_parser):
        super().__init__(cell_parser)
        self.found = False

    def cell_read(self, element):
        if not self.found:
            value = self.cell_parser.parse_cell(element)["value"]
            self.found = bool(_clean(value)) or element.find(_FORMULA) is not None


# ---- reading ---------------------------------------------------------------------------------------------------

@dataclass
class TableStream:
    """A table whose header has been read and whose rows are read on demand (once): an import that checks rows
    as they come never holds the whole file as rows. TableError can still come from the rows."""

    header: list[str]
    rows: Iterator[Row]
    encoding: str = ""
    header_number: int = 1
    control_problems: list[RowProblem] | None = None  # as Table's
    may_hold_cell_problems: bool = False


def read_table(data: bytes, filename: str = "", header_aliases: dict[str, str] | None = None, *,
               max_bytes: int | None = None, max_rows: int | None = None, max_columns: int | None = None,
               collect_controls: bool = False) -> Table:
    """Read CSV or XLSX bytes into a Table. header_aliases maps alternative header names to canonical ones.

    The header is the first non-blank row; blank rows are skipped but keep their place in the numbering.
    A value in a column without a header (beyond the header, or under a blank header cell between named ones) is
    an error (it would otherwise be lost silently). The limits default to settings IMPORT_MAX_BYTES /
    IMPORT_MAX_ROWS / IMPORT_MAX_COLUMNS.

    A control character, a value under a blank header cell or beyond the header, or an XLSX formula without its
    result or error value is a TableError at its cell, unless collect_controls: then every such cell (the first
    beyond the header of a row) is a RowProblem in the table's control_problems (a row is read without its control
    characters, and without the values of such formulas) and an import names them all, with the rows' other
    problems, and writes nothing (chiiki.core.imports). A header cell without a value is always a TableError.

    Only the first worksheet of an XLSX is read: a workbook with a value on another visible one is a TableError.
    """
    stream = stream_table(data, filename, header_aliases, max_bytes=max_bytes, max_rows=max_rows,
                          max_columns=max_columns, collect_controls=collect_controls)
    return Table(header=stream.header, rows=list(stream.rows), encoding=stream.encoding,
                 header_number=stream.header_number, control_problems=stream.control_problems,
                 may_hold_cell_problems=stream.may_hold_cell_problems)


def stream_table(data: bytes, filename: str = "", header_aliases: dict[str, str] | None = None, *,
                 max_bytes: int | None = None, max_rows: int | None = None,
                 max_columns: int | None = None, collect_controls: bool = False) -> TableStream:
    """Like read_table, but the rows come one at a time from the returned stream's `rows` (and control_problems
    grows as they are read).

    File-level problems found before the header (size, format, encoding, no header) raise TableError here; those
    found in a later row raise it from the iteration.
    """
    limits = Limits.of(max_bytes, max_rows, max_columns)
    aliases = {normalize_digits(k).strip(): v for k, v in (header_aliases or {}).items()}
    records, encoding, from_csv, check_controls = _open(data, filename, limits)
    found = [] if collect_controls else None
    values_of = _row_values(records, limits, from_csv, check_controls, found)
    header: list[str] = []
    for number, values in values_of:
        header = [aliases.get(h, h) for h in values]
        while header and header[-1] == "":
            header.pop()
        seen, duplicates = set(), set()
        for name in header:
            if name in seen and name:
                duplicates.add(name)
            seen.add(name)
        if duplicates:
            raise TableError(f"ヘッダーに同じ列名が複数あります: {', '.join(sorted(duplicates))}")
        values_of.send(header)  # from here on, control characters are reported with the column's name
        # A blank header cell between named ones may have values under it: like control characters, they are
        # problems found while the rows are read, so the file is checked before anything is written.
        may_hold_problems = check_controls or bool(_blanks_between_names(header))
        return TableStream(header=header, rows=_data_rows(values_of, header, found), encoding=encoding,
                           header_number=number, control_problems=found, may_hold_cell_problems=may_hold_problems)
    raise TableError("ヘッダー行がありません（ファイルに値がありません）")


def stream_records(data: bytes, filename: str = "", *, max_bytes: int | None = None, max_rows: int | None = None,
                   max_columns: int | None = None) -> tuple[str, Iterator[tuple[int, list[str]]]]:
    """(encoding, rows) for a check that reads a file its own way (the standard-dataset validator): the file is
    read within the limits and time budget as stream_table reads it, but every non-blank row comes as
    (row number, values), the header row first. Values are the cells' text as typed (cell_text, stripped):
    digits are not normalised, formula quotes are kept, control characters are not checked.

    File-level problems raise TableError, here or from the rows.
    """
    limits = Limits.of(max_bytes, max_rows, max_columns)
    records, encoding, _from_csv, _check_controls = _open(data, filename, limits)
    return encoding, _text_values(records, limits)


def _open(data: bytes, filename: str, limits: Limits):
    """(records, encoding, from_csv, check_controls) of a CSV or XLSX file; TableError before any row is read
    for an empty, oversized, legacy .xls or undecodable file."""
    if not data:
        raise TableError("ファイルが空です")
    problem = size_problem(len(data), limits.max_bytes)
    if problem:
        raise TableError(problem)
    if data.startswith(_OLE2_MAGIC):
        raise TableError("Excel 97-2003 形式（.xls）は読み込めません。XLSX または CSV で保存し直してください")
    if _is_xlsx(data, filename):
        # XML 1.0 cannot hold control characters (the parser refuses such a sheet), so only CSV is checked.
        return _xlsx_records(data, limits), "xlsx", False, False
    text, encoding = decode_csv_bytes(data)
    check_controls = control_character_problem(text) is not None  # one pass over the text, not per cell
    return _csv_records(text, limits), encoding, True, check_controls  # the records hold the text


def _rows_problem(number: int, max_rows: int) -> str:
    return f"{number}行目に値があります。読み込めるのは{max_rows:,}行目までです（行が多すぎます）"


def _text_values(records, limits: Limits) -> Iterator[tuple[int, list[str]]]:
    for count, (number, raw) in enumerate(records):
        if count % 512 == 0:
            budget.check()
        values = [cell_text(v).strip() for v in raw]
        if not any(values):
            continue
        if number > limits.max_rows:
            raise TableError(_rows_problem(number, limits.max_rows))
        yield number, values


def _row_values(records, limits: Limits, from_csv: bool, check_controls: bool, found: list | None = None):
    """(row number, cleaned values) of each non-blank row. The header is sent in after the first row.
    found: a list to collect control characters in (see read_table) instead of raising at the first."""
    header: list[str] = []
    for count, (number, raw) in enumerate(records):
        if count % 512 == 0:
            budget.check()
        values = [_clean(v) for v in raw]
        unread = ()
        if from_csv:
            values = [_unescape_formula(v) if v[:1] == "'" else v for v in values]
        else:
            unread = [(index, v) for index, v in enumerate(raw, start=1) if v.__class__ is _UnreadCell]
        if not any(values) and not unread:
            continue
        if number > limits.max_rows:
            raise TableError(_rows_problem(number, limits.max_rows))
        if unread:
            for index, cell in unread:
                if found is None or not header:  # a header cell must be a name: the file cannot be read
                    name = f"「{header[index - 1]}」" if index <= len(header) and header[index - 1] else ""
                    raise TableError(f"{number}行目{name}（{index}列目）: {cell.problem}")
                found.append(RowProblem(number, _column_name(index, header), cell.problem, cell.shown))
                values[index - 1] = ""
        if check_controls:
            if found is None:
                _check_controls(number, raw, header)
            else:
                problems = _control_problems(number, raw, header)
                if problems:
                    found.extend(problems)
                    values = [without_control_characters(v) for v in values]
        sent = yield number, values
        if sent is not None:
            header = sent
            yield None  # the value of send()


def _blanks_between_names(header: list[str]) -> list[int]:
    """The blank header cells after the first named one (trailing ones are trimmed before). A blank first column is
    an index of row numbers (pandas writes one by default): no data of the file is in it."""
    first = next((index for index, name in enumerate(header) if name), len(header))
    return [index for index, name in enumerate(header) if not name and index > first]


def _data_rows(values_of, header: list[str], found: list | None = None) -> Iterator[Row]:
    """The rows after the header. A value beyond the header, or under a blank header cell between named ones (its
    heading deleted, or a merged cell), would be lost: it is a TableError, or with found, a problem in found
    (each such cell under a blank header cell; the first beyond the header, one a row) (see read_table)."""
    width = len(header)
    blanks = _blanks_between_names(header)
    for number, values in values_of:
        extra = next((index for index, value in enumerate(values[width:], start=width + 1) if value), None)
        if extra is not None:
            if found is None:
                raise TableError(f"{number}行目: ヘッダーのない列（{extra}列目）に値があります: {values[extra - 1]!r}")
            found.append(RowProblem(number, f"{extra}列目", "見出しのない列に値があります。"
                                    "見出しを入れるか、値を削除してください", values[extra - 1]))
        for index in blanks:
            if index < len(values) and values[index]:
                if found is None:
                    raise TableError(f"{number}行目: {index + 1}列目（見出しが空）に値があります: {values[index]!r}")
                found.append(RowProblem(number, f"{index + 1}列目", "見出しが空の列に値があります。"
                                        "見出しを入れるか、値を削除してください", values[index]))
        padded = values + [""] * (width - len(values))
        yield Row(number, dict(zip(header, padded, strict=False)))


def _check_controls(number: int, raw: list, header: list[str]) -> None:
    for index, value in enumerate(raw, start=1):
        if isinstance(value, str):
            problem = control_character_problem(value)
            if problem:
                name = f"「{header[index - 1]}」" if index <= len(header) and header[index - 1] else ""
                raise TableError(f"{number}行目{name}（{index}列目）: {problem}")


def _control_problems(number: int, raw: list, header: list[str]) -> list[RowProblem]:
    problems = []
    for index, value in enumerate(raw, start=1):
        if isinstance(value, str) and (problem := control_character_problem(value)):
            problems.append(RowProblem(number, _column_name(index, header), problem))
    return problems


def _column_name(index: int, header: list[str]) -> str:
    return header[index - 1] if index <= len(header) and header[index - 1] else f"{index}列目"


def require_columns(table: Table, required: Iterable[str]) -> None:
    missing = [column for column in required if column not in table.header]
    if missing:
        raise TableError(f"必須の列がありません: {', '.join(missing)}（ヘッダー: {', '.join(table.header)}）")


# ---- writing ---------------------------------------------------------------------------------------------------

# Exports with more rows than this are streamed (CSV in chunks, XLSX from a temporary file), so a worker never
# holds a whole large export in memory (docs/decisions/0014-fast-by-default.md). Smaller ones are built at once.
STREAM_AFTER_ROWS = 1000
_CSV_CHUNK_ROWS = 500


def _csv_chunks(header: Sequence[str], rows: Iterable[Sequence]) -> Iterator[bytes]:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_escape_formula(value) for value in header])
    first = True
    for number, row in enumerate(rows, 1):
        writer.writerow(["" if value is None else _escape_formula(value) for value in row])
        if number % _CSV_CHUNK_ROWS == 0:
            yield (b"\xef\xbb\xbf" if first else b"") + buffer.getvalue().encode("utf-8")
            first = False
            buffer.seek(0)
            buffer.truncate()
    yield (b"\xef\xbb\xbf" if first else b"") + buffer.getvalue().encode("utf-8")


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """CSV for Excel. Text that a spreadsheet would run as a formula (= + - @ tab CR first) is written with a
    leading ' (OWASP); numbers are written as numbers. read_table removes the ' again, so exports re-import
    unchanged."""
    return b"".join(_csv_chunks(header, rows))


def _xlsx_cell(sheet, value):
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith("="):
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def _write_xlsx(target, header: Sequence[str], rows: Iterable[Sequence], title: str) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31] or "data")
    sheet.append(list(header))
    for row in rows:
        # Codes stay text so Excel keeps their leading zeros; text starting with "=" stays text, not a formula.
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    workbook.save(target)


def xlsx_bytes(header: Sequence[str], rows: Iterable[Sequence], title: str = "data") -> bytes:
    buffer = io.BytesIO()
    _write_xlsx(buffer, header, rows, title)
    return buffer.getvalue()


def table_response(fmt: str, filename: str, header: Sequence[str], rows: Iterable[Sequence]) -> HttpResponse:
    """An attachment response in csv or xlsx; filename without extension (may be Japanese). Beyond
    STREAM_AFTER_ROWS rows it is a streaming response; exports are never stored by the page cache."""
    if fmt not in ("csv", "xlsx"):
        raise ValueError(f"unknown format {fmt!r}")
    rows = iter(rows)
    head = list(itertools.islice(rows, STREAM_AFTER_ROWS))
    large = len(head) == STREAM_AFTER_ROWS
    if fmt == "xlsx":
        content_type, ext = XLSX_MIME, "xlsx"
        if large:
            # openpyxl's write-only mode keeps rows in its own temporary files; the zip goes to one, too.
            spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it when the answer is sent
            _write_xlsx(spool, header, itertools.chain(head, rows), "data")
            spool.seek(0)
            response = FileResponse(spool, content_type=content_type)
        else:
            response = HttpResponse(xlsx_bytes(header, head), content_type=content_type)
    else:
        content_type, ext = CSV_MIME, "csv"
        if large:
            response = StreamingHttpResponse(_csv_chunks(header, itertools.chain(head, rows)),
                                             content_type=content_type)
        else:
            response = HttpResponse(csv_bytes(header, head), content_type=content_type)
    ascii_name = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "_" for c in filename) or "export"
    response["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}.{ext}\"; filename*=UTF-8''{quote(filename)}.{ext}"
    )
    return response


def read_reference_csv(path, columns: list[str]) -> list[tuple[int, dict[str, str]]]:
    """Rows of a reference file in data/ with their row numbers (header = 1), read like every import.

    Raises DataFileError naming the file (and row) for a missing file, an unreadable table or missing columns.
    """
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise DataFileError("ファイルがありません", path=path) from None
    except OSError as exc:  # a folder in its place, no permission
        raise DataFileError(f"ファイルを読めません（{exc.strerror}）", path=path) from None
    try:
        table = read_table(data, Path(path).name)
    except TableError as exc:
        raise DataFileError(str(exc), path=path) from None
    missing = [c for c in columns if c not in table.header]
    if missing:
        raise DataFileError(f"必須の列がありません: {', '.join(missing)}", path=path, row=table.header_number)
    return [(row.number, row.values) for row in table.rows]
