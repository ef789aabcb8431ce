"""自治体標準オープンデータセット: the schemas (data/standard_datasets/*.csv) and the file validator.

A schema is data: one CSV per dataset type listing each column's name, order, whether it is required (◎),
recommended (○) or optional (blank: 任意) and its type. `validate(data, filename, schema, owner=…)` reads a CSV (UTF-8 with or without
BOM, or CP932, detected) or XLSX as imports read it (chiiki.core.tabular: the row and column limits, the time
budget; Excel date and time cells as YYYY-MM-DD and hh:mm) and reports problems per row and column in Japanese,
errors capped per file with a count of the rest. Nothing is stored: the public 「ファイルを検証」 page, the API and resource uploads call it.

Speed (issue: 100,000 rows in ≤ 10 s): one pass over the rows, one precompiled check per column, no
per-cell allocation beyond the csv module's own.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from chiiki.core import budget, tabular
from chiiki.core.codes import is_valid_code
from chiiki.core.text import nfkc

DATA_DIR = Path(settings.BASE_DIR) / "data"
MAX_PROBLEMS = 200  # listed per file; the rest are counted
# Japan's extent (国土地理院「日本の東西南北端点の経度緯度」: 沖ノ鳥島 20.42°N … 択捉島 45.56°N, 与那国島 122.93°E
# … 南鳥島 153.99°E), rounded outward.
LAT_RANGE = (20.0, 46.0)
LNG_RANGE = (122.0, 154.0)
TYPE_LABELS = {
    "text": "文字列", "lgcode": "全国地方公共団体コード（6桁）", "latitude": "緯度", "longitude": "経度",
    "lgcode_place": "所在地の全国地方公共団体コード（6桁）", "number": "数値", "integer": "整数", "time": "時刻（hh:mm）", "date": "日付（YYYY-MM-DD）",
    "flag": "有/無", "flag1": "1 または空欄", "multi": "「;」区切りの複数値", "url": "URL",
}


MARKS = {"◎": "必須項目（◎）", "○": "推奨項目（○）", "": "任意項目"}


@dataclass(frozen=True)
class Column:
    name: str
    order: int
    mark: str  # ◎ required, ○ recommended, "" optional (任意), as in the definition's 必須 column
    type: str

    @property
    def required(self) -> bool:
        return self.mark == "◎"


@dataclass(frozen=True)
class Schema:
    key: str
    title: str
    columns: tuple[Column, ...]
    status: str  # how far the column list was confirmed (data/README.md)

    @property
    def confirmed(self) -> bool:
        return not self.status.startswith("未確認")

    @property
    def public_status(self) -> str:
        """The status as the public page says it: without the trailing note for maintainers, which points
        into the repository."""
        return re.sub(r"（[^（）]*data/README\.md）$", "", self.status)


@functools.lru_cache(maxsize=1)
def schemas() -> dict[str, Schema]:
    out = {}
    with (DATA_DIR / "standard_datasets.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            with (DATA_DIR / row["ファイル"]).open(encoding="utf-8") as f:
                cols = [Column(r["項目名"], int(r["順番"]), r["必須"].strip(), r["型"]) for r in csv.DictReader(f)]
            unknown = {c.type for c in cols} - set(TYPE_LABELS)
            if unknown:
                raise ValueError(f"{row['ファイル']}: 不明な型 {sorted(unknown)}")
            marks = {c.mark for c in cols} - set(MARKS)
            if marks:
                raise ValueError(f"{row['ファイル']}: 必須の欄は ◎・○・空欄のどれかです: {sorted(marks)}")
            out[row["key"]] = Schema(row["key"], row["名称"], tuple(sorted(cols, key=lambda c: c.order)),
                                     row["確認状況"])
    return out


def choices() -> list[tuple[str, str]]:
    return [(key, s.title) for key, s in schemas().items()]


def title_of(key: str) -> str:
    schema = schemas().get(key)
    return schema.title if schema else key


@dataclass
class Problem:
    row: int | None  # as in the file (the header is row 1); None = the file as a whole
    column: str
    message: str
    value: str = ""
    level: str = "error"  # "error" | "warning"

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message, "value": self.value,
                "level": self.level}


@dataclass
class Report:
    schema: str
    encoding: str = ""
    rows: int = 0
    errors: int = 0
    warnings: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.errors == 0

    @property
    def omitted(self) -> int:
        return self.errors + self.warnings - len(self.problems)

    def add(self, row, column, message, value="", level="error"):
        if level == "error":
            self.errors += 1
        else:
            self.warnings += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(row, column, message, value[:100], level))

    def summary(self) -> dict:
        return {"standard_type": self.schema, "ok": self.ok, "encoding": self.encoding, "rows": self.rows,
                "errors": self.errors, "warnings": self.warnings, "omitted": self.omitted,
                "problems": [p.as_dict() for p in self.problems]}


# ASCII only: \d (and float()) also read full-width digits, which the machines reading the published file do not.
_TIME = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d|24:00", re.ASCII)
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
_INT = re.compile(r"-?\d+", re.ASCII)
_URL = re.compile(r"https?://\S+")
# Types written in digits: a value that is right once NFKC makes it half-width is told so, not told its format.
_DIGIT_TYPES = frozenset({"lgcode", "lgcode_place", "latitude", "longitude", "number", "integer", "time", "date",
                          "flag1"})
_FULL_WIDTH_DIGIT = re.compile("[０-９]")
FULL_WIDTH = "数字は半角で記入してください（全角の数字が含まれています）"


def _number(value: str) -> float | None:
    if not value.isascii() or "_" in value:  # float() reads 1_000, which other readers of the file would not
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _valid_date(value: str) -> bool:
    match = _DATE.fullmatch(value)
    if not match:
        return False
    try:
        dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Owner:
    """Who publishes the file: a municipality code, or a prefecture (its code and lg_code); bbox if known."""

    municipality: str = ""
    prefecture: str = ""
    bbox: tuple[float, float, float, float] | None = None  # min_lng, min_lat, max_lng, max_lat


def _check_value(kind: str, value: str, owner: Owner | None) -> tuple[str, str] | None:
    """(level, message) when the value is wrong for its type; None when it is fine."""
    if kind == "text":
        return None
    if kind in _DIGIT_TYPES and not value.isascii() and _FULL_WIDTH_DIGIT.search(value):
        half = nfkc(value)
        if half.isascii() and _check_value(kind, half, None) is None:
            return "error", FULL_WIDTH
    if kind == "lgcode":
        if not (len(value) == 6 and value.isascii() and value.isdigit()):
            return "error", "全国地方公共団体コードは6桁の数字で記入してください"
        if not is_valid_code(value):
            return "error", "全国地方公共団体コードの検査数字（6桁目）が正しくありません"
        if owner is not None:
            if owner.municipality and value != owner.municipality:
                return "error", f"公開する団体のコード（{owner.municipality}）と一致しません"
            if owner.prefecture and not owner.municipality and value[:2] != owner.prefecture:
                return "error", "公開する都道府県の団体コードではありません"
        return None
    if kind == "lgcode_place":  # where the facility is: a ward of a designated city, a municipality of the prefecture
        if not (len(value) == 6 and value.isascii() and value.isdigit()):
            return "error", "全国地方公共団体コードは6桁の数字で記入してください"
        if not is_valid_code(value):
            return "error", "全国地方公共団体コードの検査数字（6桁目）が正しくありません"
        prefecture = (owner.prefecture or owner.municipality[:2]) if owner is not None else ""
        if prefecture and value[:2] != prefecture:
            return "error", "公開する団体の都道府県の外の団体コードです"
        return None
    if kind in ("latitude", "longitude"):
        number = _number(value)
        if number is None:
            return "error", f"{TYPE_LABELS[kind]}は数値（10進数の度）で記入してください"
        low, high = LAT_RANGE if kind == "latitude" else LNG_RANGE
        if not low <= number <= high:
            return "error", f"{TYPE_LABELS[kind]}が日本の範囲（{low}〜{high}）の外です"
        return None
    if kind == "number":
        return None if _number(value) is not None else ("error", "数値で記入してください")
    if kind == "integer":
        return None if _INT.fullmatch(value) else ("error", "整数で記入してください")
    if kind == "time":
        return None if _TIME.fullmatch(value) else ("error", "時刻は hh:mm（例: 09:00）で記入してください")
    if kind == "date":
        return None if _valid_date(value) else ("error", "日付は YYYY-MM-DD（例: 2026-04-01）で記入してください")
    if kind == "flag":
        return None if value in ("有", "無") else ("error", "「有」または「無」で記入してください")
    if kind == "flag1":
        return None if value == "1" else ("error", "「1」または空欄で記入してください")
    if kind == "multi":
        parts = value.split(";")
        if any(not p.strip() for p in parts):
            return "error", "複数の値は「;」（半角セミコロン）で区切り、空の値を含めないでください"
        if "；" in value or "、" in value:
            return "warning", "複数の値の区切りは「;」（半角セミコロン）です"
        return None
    if kind == "url":
        return None if _URL.fullmatch(value) else ("error", "URL は http:// または https:// で始めてください")
    raise ValueError(kind)


ENCODINGS = {"xlsx": "XLSX", "utf-8": "UTF-8", "utf-8-sig": "UTF-8（BOM付き）", "cp932": "Shift_JIS（CP932）"}


def validate(data: bytes, filename: str, schema_key: str, owner: Owner | None = None) -> Report:
    schema = schemas()[schema_key]
    report = Report(schema_key)
    size = tabular.size_problem(len(data), settings.OPENDATA_MAX_UPLOAD_BYTES)
    if size:
        report.add(None, "", size)
        return report
    # Anyone may post a file to the public page: it is read within the import limits and time budget.
    try:
        with budget.budget(settings.IMPORT_TIME_BUDGET):
            _check_rows(data, filename, schema, owner, report)
    except (tabular.TableError, budget.OverBudget) as exc:
        report.add(None, "", str(exc))
    return report


def _check_rows(data: bytes, filename: str, schema: Schema, owner: Owner | None, report: Report) -> None:
    """Check the file's header and rows into report. Raises TableError when the file cannot be read to its end."""
    encoding, rows = tabular.stream_records(data, filename, max_bytes=settings.OPENDATA_MAX_UPLOAD_BYTES)
    report.encoding = ENCODINGS[encoding]
    header_row = next(rows, None)
    if header_row is None:
        report.add(None, "", "ファイルが空です")
        return
    header = header_row[1]
    _check_header(header, schema, report)
    position = {name: i for i, name in enumerate(header)}
    checks = [(c, position[c.name]) for c in schema.columns if c.name in position]
    lat = position.get("緯度")
    lng = position.get("経度")
    bbox = owner.bbox if owner is not None else None
    for number, cells in rows:  # blank rows are not among them
        report.rows += 1
        width = len(cells)
        for column, index in checks:
            value = cells[index] if index < width else ""
            if not value:
                # A blank 1-or-blank flag is its value (「対応していない」): ◎ asks for the column, not a 1.
                if column.required and column.type != "flag1":
                    report.add(number, column.name, "必須項目（◎）が空です")
                continue
            if column.type != "text":
                found = _check_value(column.type, value, owner)
                if found is not None:
                    report.add(number, column.name, found[1], value, found[0])
        if bbox is not None and lat is not None and lng is not None and max(lat, lng) < width:
            y, x = _number(cells[lat]), _number(cells[lng])
            if y is not None and x is not None and not (bbox[0] <= x <= bbox[2] and bbox[1] <= y <= bbox[3]):
                report.add(number, "緯度・経度", "公開する団体の区域（境界の外接矩形）の外にあります",
                           f"{cells[lat]}, {cells[lng]}", "warning")


def _check_header(header: list[str], schema: Schema, report: Report) -> None:
    names = [c.name for c in schema.columns]
    present = set(header)
    for column in schema.columns:
        if column.name not in present:
            level = "error" if column.required else "warning"
            report.add(1, column.name, f"{MARKS[column.mark]}の列がありません", level=level)
    known = set(names)
    for name in header:
        if name and name not in known:
            report.add(1, name, "標準にない列名です（表記の揺れがないか確認してください）", name, "warning")
    ordered = [name for name in header if name in known]
    expected = [name for name in names if name in present]
    if ordered != expected:
        first = next(i for i, (a, b) in enumerate(zip(ordered, expected, strict=True)) if a != b)
        report.add(1, ordered[first], f"列の順番が標準と異なります（この位置には「{expected[first]}」）")
