"""Every write to the national register: permission check, validation, one transaction, history, data version.

Management commands act as `SYSTEM` (full rights, recorded as 「システム」) unless they are given `--user`,
in which case that user's permissions apply exactly as on the web.
"""

import hashlib
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

from django.conf import settings
from django.db import transaction

from chiiki import access
from chiiki.core import budget, bulk, history
from chiiki.core.codes import InvalidCode, is_ascii_digits, normalize_code
from chiiki.core.errors import Conflict, Invalid, RowProblem
from chiiki.core.fiscal import InvalidFiscalYear, parse_fiscal_year
from chiiki.core.imports import ImportResult
from chiiki.core.numbers import MAX_POPULATION, finite_decimal
from chiiki.core.tabular import Table
from chiiki.core.text import nfkc

from .models import BoundaryFile, Municipality, Prefecture, settlement_label

COMPUTED_AREA_SOURCE = "境界データから算出（概算）"
DEFAULT_AREA_SOURCE = "国土地理院「全国都道府県市区町村別面積調」"
OWN_FISCAL_SOURCE = "団体による登録"
ATTRIBUTE_FIELDS = ["fiscal_strength_index", "depopulated", "remote_island", "mountainous"]
FLAG_FIELDS = ["depopulated", "remote_island", "mountainous"]


AREA = "regions"


def _source_of(actor, source: str) -> str:
    return source or (history.COMMAND if actor is access.SYSTEM else history.WEB)


# ---- Attributes the municipality maintains ----------------------------------------------------------------


def clean_attributes(data: dict) -> dict:
    """Validate the attribute values (None = unknown); raises Invalid naming every bad field (Japanese)."""
    cleaned, problems = {}, []
    unknown = set(data) - set(ATTRIBUTE_FIELDS)
    if unknown:
        raise Invalid(f"変更できない項目です: {', '.join(sorted(unknown))}")
    if "fiscal_strength_index" in data:
        value = data["fiscal_strength_index"]
        if value in (None, ""):
            cleaned["fiscal_strength_index"] = None
        else:
            try:
                number = Decimal(str(value)).quantize(Decimal("0.01"))
            except InvalidOperation:
                problems.append(("fiscal_strength_index", "財政力指数は数値で入力してください（例: 0.45）"))
            else:
                if Decimal("0") <= number <= Decimal("9.99"):
                    cleaned["fiscal_strength_index"] = number
                else:
                    problems.append(("fiscal_strength_index", "財政力指数は0.00〜9.99の範囲で入力してください"))
    for name in FLAG_FIELDS:
        if name in data:
            value = data[name]
            if value not in (True, False, None):
                problems.append((name, f"{Municipality._meta.get_field(name).verbose_name}は「該当」「非該当」「未登録」から選んでください"))
            else:
                cleaned[name] = value
    if problems:
        raise Invalid(problems)
    return cleaned


def update_municipality_attributes(actor, municipality: Municipality, data: dict, version: int | None = None,
                                   *, source: str = "") -> Municipality:
    """Save 財政力指数/過疎/離島/中山間. `version` (as read by the editor) guards against overwriting others."""
    access.require(actor, "municipality.edit_attributes", municipality)
    cleaned = clean_attributes(data)
    with transaction.atomic():
        current = Municipality.objects.select_for_update().get(pk=municipality.pk)
        if version is not None and int(version) != current.version:
            raise Conflict("ほかの利用者がこの団体の情報を先に更新しました。最新の内容を確認してから、もう一度保存してください。",
                           current=current)
        before = {k: history.jsonable(getattr(current, k)) for k in cleaned if getattr(current, k) != cleaned[k]}
        if not before:
            return current
        if "fiscal_strength_index" in before:
            # The officer's figure replaces the published one: it no longer carries that table's year and source.
            own = {"fiscal_strength_year": None,
                   "fiscal_strength_source": OWN_FISCAL_SOURCE if cleaned["fiscal_strength_index"] is not None else ""}
            for name, value in own.items():
                if getattr(current, name) != value:
                    before[name] = history.jsonable(getattr(current, name))
                    cleaned[name] = value
        for name in before:
            setattr(current, name, cleaned[name])
        current.version += 1
        current.save(update_fields=[*before, "version"])
        history.record(actor, history.UPDATE, current, before, {k: history.jsonable(cleaned[k]) for k in before},
                       municipality=current, source=_source_of(actor, source))
        history.bump(AREA, part=current.code)  # other municipalities' pages stay cached
    return current


# ---- Imports of official figures -----------------------------------------------------------------------------


# A row without 団体コード is a 合計行 only when a name cell is exactly such a name: a word merely containing
# 計 (推計人口, 統計, 会計) in a note is a municipality row whose code was left blank, and is refused.
_TOTAL_NAMES = {"全国", "合計", "総数", "総計", "計"}
_TOTAL_PARTS = {"全国", "都道府県", "市部", "郡部", "町村", "区部", "特別区部"}  # 「市部計」, 「都道府県計」…
_TOTAL_SUFFIXES = ("合計", "総数", "計")
_NAME_COLUMN = re.compile(r"名|地域|市区町村|都道府県|団体")  # 団体名, 市区町村, 都道府県名, 名称, 地域…
_SPACES_AND_BRACKETS = re.compile(r"[\s()（）［］\[\]「」『』【】〔〕<>＜＞]")


def _is_total_name(value: str, prefectures: set[str]) -> bool:
    """全国, 合計, 総数, 計, 都道府県計, 東京都計… as a whole cell, spaces and brackets aside."""
    name = _SPACES_AND_BRACKETS.sub("", value or "")
    if name in _TOTAL_NAMES:
        return True
    return any(name.endswith(suffix) and name[:-len(suffix)] in _TOTAL_PARTS | prefectures
               for suffix in _TOTAL_SUFFIXES)


def _ward_codes() -> set[str]:
    path = Path(settings.BASE_DIR) / "data" / "wards.csv"
    if not path.exists():
        return set()
    return {line.split(",", 1)[0] for line in path.read_text(encoding="utf-8").splitlines()[1:] if line}


def _is_ward_code(code: str, wards: set[str], designated: list[str], registered) -> bool:
    """A 行政区 of a designated city: listed in data/wards.csv, or (for wards since reorganised, e.g. 浜松市's
    seven wards before 2024) an unregistered code numbered just after its city's, as JIS X 0402 assigns them."""
    if code in wards:
        return True
    if code in registered:
        return False
    number = int(code[:5])
    city = max((int(d[:5]) for d in designated if d[:3] == code[:3] and int(d[:5]) < number), default=None)
    return city is not None and number - city < 30


def _row_code(raw: str, wards: set[str], designated: list[str], registered) -> tuple[str | None, str | None]:
    """(code, skip_reason) for a 団体コード cell; raises InvalidCode for a bad one.

    Skipped: the national total (00000), prefecture rows (PP000), wards of designated cities.
    """
    digits = nfkc(raw).replace("-", "").strip()
    if is_ascii_digits(digits) and int(digits) == 0:  # ² or ① pass isdigit() but not int()
        return None, "全国"
    code = normalize_code(raw)
    if code[2:5] == "000":
        return None, "都道府県"
    if _is_ward_code(code, wards, designated, registered):
        return None, "行政区"
    return code, None


def _number_text(value: str) -> str:
    """Numbers as official tables print them: "1,973,395", " 11.66 ", footnote marks (※, *) around them."""
    return re.sub(r"[,\s※*＊]", "", value)


class CellError(ValueError):
    """A value that cannot be read, with the column it is in."""

    def __init__(self, column: str, reason: str, value: str = ""):
        super().__init__(reason)
        self.column, self.value = column, value


def _state(versions) -> str:
    """The fingerprint of the rows a figure import plans against: (code, version) of the file's municipalities."""
    digest = hashlib.sha256()
    for code, version in sorted(versions):
        digest.update(f"{code}:{version};".encode())
    return digest.hexdigest()


def _import(actor, table: Table, *, code_column: str, value_columns: list[str], parse, apply, dry_run: bool,
            source: str, expected_state: str | None = None) -> ImportResult:
    """All-or-nothing update of a municipality's figures, one row each; totals, prefectures and wards are read past.

    parse(row) → the row's value (raises CellError), or None for a row whose figures are all unknown (left as
    they are); apply(municipality, value) → {field: new value} for the fields that change. A dry run gives the
    fingerprint of the municipalities it read (result.state); a commit given it back (expected_state, the web
    preview's) refuses when any of them was saved since, so the preview's 変更なし or old values are not written
    over an officer's newer edit."""
    access.require(actor, "register.import")
    result = ImportResult(dry_run=dry_run, rows=len(table.rows))
    missing = [c for c in (code_column, *value_columns) if c not in table.header]
    if missing:
        result.reject(table.header_number, "、".join(missing),
                      f"必須の列がありません: {', '.join(missing)}（ヘッダー: {', '.join(table.header)}）")
        return result
    problems = result.problems
    wards = _ward_codes()
    municipalities = {m.code: m for m in Municipality.objects.all()}
    designated = [code for code, m in municipalities.items() if m.kind == "designated_city"]
    seen: dict[str, int] = {}
    prefectures: set[str] | None = None  # names, read at the first row without a code
    planned: list[tuple[Municipality, object]] = []
    for count, row in enumerate(table.rows):
        if count % 512 == 0:
            budget.check()
        raw_code = row.get(code_column)
        if not raw_code or not any(c.isdigit() for c in raw_code):
            others = {column: value for column, value in row.values.items() if column != code_column and value}
            names = [value for column, value in others.items() if _NAME_COLUMN.search(column)]
            if prefectures is None:
                prefectures = set(Prefecture.objects.values_list("name", flat=True))
            # Whole cells only, so any column may say it (its heading varies from file to file).
            if any(_is_total_name(value, prefectures) for value in [raw_code, *others.values()]):
                result.skipped.append(f"{row.number}行目: 合計行")
                continue
            if not raw_code:
                named = f"（{'・'.join(names)}）" if names else ""
                problems.append(RowProblem(row.number, code_column, f"団体コードが空です{named}"))
                continue
        try:
            code, skip = _row_code(raw_code, wards, designated, municipalities)
        except InvalidCode as exc:
            problems.append(RowProblem(row.number, code_column, str(exc), raw_code))
            continue
        if skip:
            result.skipped.append(f"{row.number}行目: {skip}")
            continue
        municipality = municipalities.get(code)
        if municipality is None:
            problems.append(RowProblem(row.number, code_column, f"登録されていない団体コードです: {code}", raw_code))
            continue
        if code in seen:
            problems.append(RowProblem(row.number, code_column,
                                       f"{municipality.name}（{code}）が重複しています（{seen[code]}行目）"))
            continue
        seen[code] = row.number
        try:
            value = parse(row)
        except CellError as exc:
            problems.append(RowProblem(row.number, exc.column, str(exc), exc.value))
            continue
        if value is None:
            result.skipped.append(f"{row.number}行目: {municipality.name}の値が不詳（…・x）")
            continue
        planned.append((municipality, value))
    if not planned and not problems:
        problems.append(RowProblem(None, "", "取り込める市区町村の行がありません"))
    if problems:
        return result
    if dry_run:
        result.state = _state((m.pk, m.version) for m, _value in planned)
    records, changed, fields = [], [], set()
    for municipality, value in planned:
        changes = apply(municipality, value)
        if not changes:
            result.unchanged += 1
            continue
        before = {k: history.jsonable(getattr(municipality, k)) for k in changes}
        for name, new in changes.items():
            setattr(municipality, name, new)
        fields.update(changes)
        changed.append(municipality)
        records.append(history.change_record(actor, history.UPDATE, municipality, before,
                                             {k: history.jsonable(v) for k, v in changes.items()},
                                             municipality=municipality, source=source))
    result.updated = len(changed)
    if dry_run or not (changed or expected_state):
        return result
    with transaction.atomic():
        if expected_state and _state(Municipality.objects.select_for_update().filter(
                pk__in=[m.pk for m, _value in planned]).values_list("pk", "version")) != expected_state:
            result.updated = result.unchanged = 0
            problems.append(RowProblem(None, code_column, "確認の後に、このファイルの団体の登録内容が更新されました。"
                                                          "何も取り込んでいません。内容を確認し直してから取り込んでください"))
            return result
        if not changed:
            return result
        # Planned from rows read before the transaction: a row saved since (an officer's edit of its attributes)
        # would be overwritten with values and history planned from the older row. Checked under the rows' locks
        # (SQLite: BEGIN IMMEDIATE holds the database) and refused whole, so nothing is lost either way.
        planned_versions = {m.pk: m.version for m in changed}
        current = dict(Municipality.objects.select_for_update().filter(pk__in=planned_versions)
                       .values_list("pk", "version"))
        moved = [m for m in changed if current.get(m.pk) != planned_versions[m.pk]]
        if moved:
            names = "、".join(f"{m.name}（{m.code}）" for m in moved[:10]) + (f" ほか{len(moved) - 10}団体"
                                                                            if len(moved) > 10 else "")
            result.updated = 0
            problems.append(RowProblem(None, code_column, f"取込の間に{names}の登録内容が更新されました。"
                                                          "何も取り込んでいません。もう一度取り込んでください。"))
            return result
        bulk.update_rows(Municipality, changed, sorted(fields), bump_version=True)
        history.record_many(records)
        history.bump(AREA)
    result.committed = True
    return result


# e-Stat's and the ministry's marks for a cell without a figure. 「-」 means "none" (0 persons; for 将来負担比率 no
# burden), 「…」/「x」 mean unknown or withheld: a row with only those is read past and its figures left as they are.
DASH_MARKS = {"-", "－", "‐", "ー", "―", "—"}
UNKNOWN_MARKS = {"…", "...", "x", "X", "ｘ", "Ｘ", "***"}
NONE, UNKNOWN = "none", "unknown"


def _mark(value: str) -> str | None:
    text = (value or "").strip()
    if text in DASH_MARKS:
        return NONE
    if text in UNKNOWN_MARKS:
        return UNKNOWN
    return None


def _parse_population(value: str, column: str = "人口") -> int | None:
    mark = _mark(value)
    if mark == NONE:
        return 0  # e.g. 福島県双葉町 in 2020: entirely evacuated
    if mark == UNKNOWN:
        return None
    text = _number_text(value)
    if not text:
        raise CellError(column, "人口が空です", value)
    number = finite_decimal(text)
    if number is None:
        raise CellError(column, f"人口は整数で入力してください: {value!r}", value)
    # Bounded before int(): beyond the column PostgreSQL refuses the row at commit (a 500), SQLite stores it.
    if not 0 <= number <= MAX_POPULATION or number != number.to_integral_value():
        raise CellError(column, f"人口は0〜{MAX_POPULATION:,}の整数で入力してください: {value!r}", value)
    return int(number)


def _parse_area(value: str, column: str = "面積") -> Decimal:
    text = _number_text(value)
    if not text:
        raise CellError(column, "面積が空です", value)
    number = finite_decimal(text)
    if number is None:
        raise CellError(column, f"面積は数値（km²）で入力してください: {value!r}", value)
    if number <= 0 or number >= Decimal("100000"):
        raise CellError(column, f"面積は0より大きく100,000未満のkm²で入力してください: {value!r}", value)
    return number.quantize(Decimal("0.01"))


def population_year(year, population_column: str) -> int:
    """The census year: given, or the 4-digit year in the population column's name (「総人口（2020年）」)."""
    if year in (None, ""):
        found = re.search(r"(19|20)\d\d", population_column or "")
        if not found:
            raise Invalid([("year", "人口の基準年を指定してください（例: 2020）")])
        year = found.group(0)
    year = int(year)
    if not 1900 <= year <= 2100:
        raise Invalid([("year", f"年が正しくありません: {year}")])
    return year


def import_population(actor, table: Table, *, dry_run: bool = False, source: str = history.IMPORT,
                      year: int | None = None, code_column: str = "団体コード", population_column: str = "人口",
                      data_source: str = "", keep=None, expected_state: str | None = None) -> ImportResult:
    """Set population (with year and its data source) for every municipality row of the table; all or nothing.

    keep(municipality) → the fields to leave as they are (load_reference keeps newer imports).
    e-Stat's 「-」 is 0 persons; a row marked 「…」/「x」 (unknown) is read past."""
    access.require(actor, "register.import")
    try:
        year = population_year(year, population_column)
    except Invalid as exc:
        return ImportResult(problems=[RowProblem(None, "", exc.errors["year"])], dry_run=dry_run)
    data_source = data_source or f"人口（{year}年）"

    population_column = population_column or "人口"

    def apply(m, population):
        kept = set(keep(m)) if keep is not None else set()
        new = {"population": population, "population_year": year, "population_source": data_source}
        return {k: v for k, v in new.items() if k not in kept and getattr(m, k) != v}

    return _import(actor, table, code_column=code_column or "団体コード", value_columns=[population_column],
                   parse=lambda row: _parse_population(row.get(population_column), population_column), apply=apply,
                   dry_run=dry_run, source=source, expected_state=expected_state)


def import_area(actor, table: Table, *, dry_run: bool = False, source: str = history.IMPORT,
                code_column: str = "団体コード", area_column: str = "面積", data_source: str = "",
                expected_state: str | None = None) -> ImportResult:
    """Set the official area (km²); replaces computed values; all or nothing."""
    data_source = data_source or DEFAULT_AREA_SOURCE

    area_column = area_column or "面積"

    def apply(m, area):
        new = {"area_km2": area, "area_source": data_source}
        return {k: v for k, v in new.items() if getattr(m, k) != v}

    return _import(actor, table, code_column=code_column or "団体コード", value_columns=[area_column],
                   parse=lambda row: _parse_area(row.get(area_column), area_column), apply=apply, dry_run=dry_run,
                   source=source, expected_state=expected_state)


# The columns of 総務省「地方公共団体の主要財政指標一覧」 as data/fiscal_indices_r3.csv names them:
# (column, field, bounds, decimal places). 実質公債費比率 can be negative.
FISCAL_STRENGTH_COLUMN = "財政力指数"
FISCAL_COLUMNS = [
    ("経常収支比率", "ordinary_balance_ratio", (Decimal("0"), Decimal("999.9"))),
    ("実質公債費比率", "real_debt_service_ratio", (Decimal("-99.9"), Decimal("999.9"))),
    ("将来負担比率", "future_burden_ratio", (Decimal("0"), Decimal("9999.9"))),
    ("ラスパイレス指数", "laspeyres_index", (Decimal("0"), Decimal("999.9"))),
]
FISCAL_FIELDS = ["fiscal_strength_index", "fiscal_strength_year", "fiscal_strength_source",
                 *[field for _, field, _ in FISCAL_COLUMNS], "future_burden_none", "fiscal_indices_year",
                 "fiscal_indices_source"]


def default_fiscal_source(fiscal_year: int) -> str:
    return f"総務省「地方公共団体の主要財政指標一覧」（{settlement_label(fiscal_year)}）"


def _decimal(value: str, column: str, low: Decimal, high: Decimal, places: str) -> Decimal:
    number = finite_decimal(_number_text(value))
    if number is None:
        raise CellError(column, f"{column}は数値で入力してください: {value!r}", value)
    if not low <= number <= high:
        raise CellError(column, f"{column}は{low}〜{high}の範囲で入力してください: {value!r}", value)
    return number.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def _parse_fiscal(row, present: list[tuple[str, str, tuple]]) -> dict | None:
    """{field: value} of one row; None when every figure is unknown (…・x). 「-」 in 将来負担比率 is "no burden";
    elsewhere it is a figure not published (left blank)."""
    values, marks = {}, []
    raw = row.get(FISCAL_STRENGTH_COLUMN)
    mark = _mark(raw)
    marks.append(mark)
    if mark is None:
        if not _number_text(raw):
            raise CellError(FISCAL_STRENGTH_COLUMN, "財政力指数が空です", raw)
        values["fiscal_strength_index"] = _decimal(raw, FISCAL_STRENGTH_COLUMN, Decimal("0"), Decimal("9.99"), "0.01")
    for column, field, (low, high) in present:
        raw = row.get(column)
        mark = _mark(raw)
        marks.append(mark)
        if mark is None and not _number_text(raw):
            raise CellError(column, f"{column}が空です（値がないときは「-」か「…」）", raw)
        if field == "future_burden_ratio":
            values["future_burden_none"] = mark == NONE
        values[field] = None if mark else _decimal(raw, column, low, high, "0.1")
    if all(m == UNKNOWN for m in marks):
        return None
    return values


def import_fiscal_indices(actor, table: Table, *, dry_run: bool = False, source: str = history.IMPORT,
                          fiscal_year=None, code_column: str = "団体コード", data_source: str = "",
                          keep=None, expected_state: str | None = None) -> ImportResult:
    """Set 財政力指数 and the other 主要財政指標 (those whose columns the table has) with their 決算年度 and source
    for every municipality row; all or nothing. keep(municipality) → the fields to leave as they are (load_reference
    keeps an officer's own 財政力指数 and newer tables)."""
    access.require(actor, "register.import")
    try:
        fiscal_year = parse_fiscal_year(fiscal_year)
    except InvalidFiscalYear as exc:
        return ImportResult(problems=[RowProblem(None, "fiscal_year", f"決算年度: {exc}")], dry_run=dry_run)
    data_source = data_source or default_fiscal_source(fiscal_year)
    present = [c for c in FISCAL_COLUMNS if c[0] in table.header]

    def apply(m, values):
        kept = set(keep(m)) if keep is not None else set()
        new = dict(values)
        if "fiscal_strength_index" in new:
            new.update(fiscal_strength_year=fiscal_year, fiscal_strength_source=data_source)
        if present:
            new.update(fiscal_indices_year=fiscal_year, fiscal_indices_source=data_source)
        return {k: v for k, v in new.items() if k not in kept and getattr(m, k) != v}

    return _import(actor, table, code_column=code_column or "団体コード", value_columns=[FISCAL_STRENGTH_COLUMN],
                   parse=lambda row: _parse_fiscal(row, present), apply=apply, dry_run=dry_run, source=source,
                   expected_state=expected_state)


# ---- Boundaries -------------------------------------------------------------------------------------------


@dataclass
class BoundaryResult:
    matched: int
    neighbour_pairs: int
    unmatched: list[str]
    areas_computed: int
    changed_rows: int
    files_changed: int

    def summary(self) -> str:
        text = (f"境界データ: 市区町村{self.matched}件に対応、隣接ペア{self.neighbour_pairs}組、"
                f"面積を算出{self.areas_computed}件、"
                f"団体の更新{self.changed_rows}件、ファイルの更新{self.files_changed}件")
        if not self.changed_rows and not self.files_changed:
            text += "（変更なし）"
        return text


def store_boundaries(actor, loaded, *, source: str = history.COMMAND) -> BoundaryResult:
    """Write what load_boundaries parsed (chiiki.regions.boundaries.LoadedBoundaries) in one transaction.

    Sets Municipality.boundary, replaces the neighbour relation, fills area_km2 where no official figure exists
    (never overwriting an import), and stores the served TopoJSON files.
    """
    access.require(actor, "register.import")
    through = Municipality.neighbours.through
    with transaction.atomic():
        municipalities = {m.code: m for m in Municipality.objects.all()}
        existing_pairs = set(through.objects.values_list("from_municipality_id", "to_municipality_id"))
        wanted_pairs = {(a, b) for a, b in loaded.neighbour_pairs} | {(b, a) for a, b in loaded.neighbour_pairs}
        old_neighbours: dict[str, set[str]] = {}
        for a, b in existing_pairs:
            old_neighbours.setdefault(a, set()).add(b)
        new_neighbours: dict[str, set[str]] = {}
        for a, b in wanted_pairs:
            new_neighbours.setdefault(a, set()).add(b)

        changed, records, areas = [], [], 0
        for code, m in municipalities.items():
            geometry = loaded.geometries.get(code)
            before, after = {}, {}
            if geometry is not None and m.boundary != geometry:
                m.boundary = geometry
                before["boundary"], after["boundary"] = "…", "…"  # geometry itself is too large for history
            if geometry is not None and (m.area_km2 is None or m.area_source == COMPUTED_AREA_SOURCE):
                area = Decimal(str(round(loaded.areas_km2[code], 2)))
                if m.area_km2 != area or m.area_source != COMPUTED_AREA_SOURCE:
                    before["area_km2"], after["area_km2"] = history.jsonable(m.area_km2), str(area)
                    before["area_source"], after["area_source"] = m.area_source, COMPUTED_AREA_SOURCE
                    m.area_km2, m.area_source = area, COMPUTED_AREA_SOURCE
                    areas += 1
            old, new = old_neighbours.get(code, set()), new_neighbours.get(code, set())
            if old != new:
                before["neighbours"], after["neighbours"] = sorted(old), sorted(new)
            if before:
                changed.append(m)
                records.append(history.change_record(actor, history.UPDATE, m, before, after, municipality=m,
                                                     source=source))
        bulk.update_rows(Municipality, changed, ["boundary", "area_km2", "area_source"], bump_version=True)
        stale = existing_pairs - wanted_pairs
        if stale:
            for a, b in stale:
                through.objects.filter(from_municipality_id=a, to_municipality_id=b).delete()
        through.objects.bulk_create(
            [through(from_municipality_id=a, to_municipality_id=b) for a, b in sorted(wanted_pairs - existing_pairs)],
            batch_size=2000,
        )
        files_changed = 0
        for name, (text, sha256, source) in loaded.files.items():
            current = BoundaryFile.objects.filter(name=name).first()
            if current is None or current.sha256 != sha256 or current.topojson != text:
                BoundaryFile.objects.update_or_create(name=name, defaults={"topojson": text, "sha256": sha256,
                                                                           "source": source[:300]})
                files_changed += 1
        history.record_many(records)
        if changed or files_changed:
            history.bump(AREA)
            history.bump("boundaries")
    return BoundaryResult(matched=len(loaded.geometries), neighbour_pairs=len(loaded.neighbour_pairs),
                          unmatched=loaded.unmatched, areas_computed=areas, changed_rows=len(changed),
                          files_changed=files_changed)
