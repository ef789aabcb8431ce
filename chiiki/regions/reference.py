"""Loading the national register (prefectures, municipalities) from data/municipalities.csv.

Loaders follow the REFERENCE_LOADERS contract (see load_reference): load(*, data_dir, force, stdout, progress) → summary.
The file is authoritative for codes, names, kana, kind and office location. Population and area columns are used
only when filled; they never overwrite an imported value unless `force` is given.
"""

from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.db import transaction

from chiiki import access
from chiiki.core import bulk, history
from chiiki.core.codes import is_valid_code
from chiiki.core.commands import NullOut, ProgressBar
from chiiki.core.errors import DataFileError
from chiiki.core.tabular import Row, Table, read_reference_csv
from chiiki.core.text import fold_kana

from . import actions
from .actions import COMPUTED_AREA_SOURCE
from .models import Municipality, MunicipalityKind, Prefecture, with_folded

MUNICIPALITIES_FILE = "municipalities.csv"
COLUMNS = ["code", "prefecture_code", "prefecture", "name", "kana", "kind", "lat", "lng", "population_2020", "area_km2"]
KINDS = {"prefecture", *MunicipalityKind.values}
POPULATION_FILE_SOURCE = "data/municipalities.csv（令和2年国勢調査）"
AREA_FILE_SOURCE = "data/municipalities.csv"
MAX_REPORTED_ERRORS = 30

PREFECTURE_FIELDS = ["lg_code", "name", "kana"]
MUNICIPALITY_FIELDS = ["name", "kana", "kana_folded", "prefecture_id", "kind", "lat", "lng"]


def _float(value: str, errors: list, row: int, column: str):
    if value == "":
        return None
    try:
        return float(value)
    except ValueError:
        errors.append((row, column, f"数値ではありません: {value!r}"))
        return None


def parse_register(path: Path) -> tuple[list[dict], list[dict]]:
    """Validate the whole file; return (prefectures, municipalities) as dicts or raise DataFileError listing every problem."""
    rows = read_reference_csv(path, COLUMNS)
    errors: list[tuple[int, str, str]] = []
    seen: dict[str, int] = {}
    prefectures, municipalities = [], []
    for number, row in rows:
        code, kind = row["code"], row["kind"]
        if not is_valid_code(code):
            reason = "6桁の数字ではありません" if not (len(code) == 6 and code.isdigit()) else "チェックディジットが正しくありません"
            errors.append((number, "code", f"{reason}: {code!r}"))
            continue
        if code in seen:
            errors.append((number, "code", f"団体コード {code} が重複しています（{seen[code]}行目）"))
            continue
        seen[code] = number
        if row["prefecture_code"] != code[:2]:
            errors.append((number, "prefecture_code", f"団体コードの先頭2桁（{code[:2]}）と一致しません: {row['prefecture_code']!r}"))
        if kind not in KINDS:
            errors.append((number, "kind", f"区分が正しくありません: {kind!r}（{', '.join(sorted(KINDS))}）"))
            continue
        if not row["name"]:
            errors.append((number, "name", "名称が空です"))
        if not row["kana"]:
            errors.append((number, "kana", "よみが空です"))
        is_prefecture_code = code[2:5] == "000"
        if kind == "prefecture" and not is_prefecture_code:
            errors.append((number, "kind", f"都道府県の団体コードは PP000x の形です: {code}"))
            continue
        if kind != "prefecture" and is_prefecture_code:
            errors.append((number, "kind", f"団体コード {code} は都道府県のコードですが区分が {kind} です"))
            continue
        if kind == "prefecture":
            if not "01" <= code[:2] <= "47":
                errors.append((number, "code", f"都道府県コードは01〜47です: {code[:2]}"))
            prefectures.append({"code": code[:2], "lg_code": code, "name": row["name"], "kana": row["kana"]})
            continue
        lat = _float(row["lat"], errors, number, "lat")
        lng = _float(row["lng"], errors, number, "lng")
        if lat is not None and not 20 <= lat <= 46:
            errors.append((number, "lat", f"日本の範囲外です: {lat}"))
        if lng is not None and not 122 <= lng <= 154:
            errors.append((number, "lng", f"日本の範囲外です: {lng}"))
        population = area = None
        if row["population_2020"]:
            try:
                population = int(row["population_2020"].replace(",", ""))
                if population < 0:
                    raise ValueError
            except ValueError:
                errors.append((number, "population_2020", f"0以上の整数ではありません: {row['population_2020']!r}"))
        if row["area_km2"]:
            try:
                area = Decimal(row["area_km2"].replace(",", "")).quantize(Decimal("0.01"))
                if area <= 0:
                    raise InvalidOperation
            except InvalidOperation:
                errors.append((number, "area_km2", f"正の数ではありません: {row['area_km2']!r}"))
        municipalities.append({
            "row": number, "code": code, "prefecture_id": code[:2], "name": row["name"], "kana": row["kana"],
            "kana_folded": fold_kana(row["kana"]), "kind": kind, "lat": lat, "lng": lng,
            "population": population, "area_km2": area,
        })
    prefecture_codes = {p["code"] for p in prefectures}
    for m in municipalities:
        if m["prefecture_id"] not in prefecture_codes:
            errors.append((m["row"], "prefecture_code", f"都道府県 {m['prefecture_id']} の行がありません"))
    if errors:
        errors.sort()
        lines = [f"  {number}行目 列「{column}」: {reason}" for number, column, reason in errors[:MAX_REPORTED_ERRORS]]
        if len(errors) > MAX_REPORTED_ERRORS:
            lines.append(f"  …ほか{len(errors) - MAX_REPORTED_ERRORS}件")
        raise DataFileError(f"{len(errors)}件の問題があるため読み込みを中止しました（何も変更していません）:\n"
                            + "\n".join(lines), path=path)
    return prefectures, municipalities


def _diff(obj, values: dict, fields: list[str]) -> tuple[dict, dict]:
    before, after = {}, {}
    for name in fields:
        old, new = getattr(obj, name), values[name]
        if old != new:
            before[name], after[name] = history.jsonable(old), history.jsonable(new)
    return before, after


def load(*, data_dir: Path, force: bool = False, stdout=None, progress: bool = False,
         actor=access.SYSTEM) -> str:
    """Load prefectures and municipalities from data_dir/municipalities.csv (idempotent)."""
    stdout = stdout or NullOut()
    path = Path(data_dir) / MUNICIPALITIES_FILE
    prefectures, municipalities = parse_register(path)
    bar = ProgressBar(stdout, len(prefectures) + len(municipalities), "団体", enabled=progress)
    records = []
    created = updated = 0
    with transaction.atomic():
        existing_prefs = {p.code: p for p in Prefecture.objects.all()}
        new_prefs, changed_prefs = [], []
        for values in prefectures:
            obj = existing_prefs.get(values["code"])
            if obj is None:
                new_prefs.append(Prefecture(**values))
            else:
                before, after = _diff(obj, values, PREFECTURE_FIELDS)
                if after:
                    for name in after:
                        setattr(obj, name, values[name])
                    changed_prefs.append(obj)
                    records.append(history.change_record(actor, "update", obj, before, after, prefecture=obj,
                                                         source=history.REFERENCE))
            bar.advance()
        Prefecture.objects.bulk_create(new_prefs)
        records += [history.change_record(actor, "create", obj, None, history.snapshot(obj, PREFECTURE_FIELDS),
                                          prefecture=obj, source=history.REFERENCE) for obj in new_prefs]
        Prefecture.objects.bulk_update(changed_prefs, PREFECTURE_FIELDS)
        created += len(new_prefs)
        updated += len(changed_prefs)

        existing = {m.code: m for m in Municipality.objects.all()}
        new_rows, changed = [], []
        for values in municipalities:
            obj = existing.get(values["code"])
            fields = list(MUNICIPALITY_FIELDS)
            extra = {}
            if values["population"] is not None and (force or obj is None or obj.population is None):
                extra.update(population=values["population"], population_year=2020,
                             population_source=POPULATION_FILE_SOURCE)
            if values["area_km2"] is not None and (force or obj is None or obj.area_km2 is None
                                                   or not _is_official(obj.area_source)):
                extra.update(area_km2=values["area_km2"], area_source=AREA_FILE_SOURCE)
            row = {k: values[k] for k in ["code", *MUNICIPALITY_FIELDS]} | extra
            if obj is None:
                new_rows.append(Municipality(**row))
            else:
                fields += list(extra)
                before, after = _diff(obj, row, fields)
                after.pop("kana_folded", None)
                before.pop("kana_folded", None)
                if after or obj.kana_folded != row["kana_folded"]:
                    for name in fields:
                        setattr(obj, name, row[name])
                    changed.append(obj)
                    if after:
                        records.append(history.change_record(actor, "update", obj, before, after, municipality=obj,
                                                             source=history.REFERENCE))
            bar.advance()
        Municipality.objects.bulk_create(new_rows, batch_size=500)
        records += [history.change_record(actor, "create", obj, None,
                                          history.snapshot(obj, [f for f in MUNICIPALITY_FIELDS if f != "kana_folded"]
                                                           + ["population", "area_km2"]),
                                          municipality=obj, source=history.REFERENCE) for obj in new_rows]
        if changed:
            fields = sorted({*MUNICIPALITY_FIELDS, "population", "population_year", "population_source",
                             "area_km2", "area_source"})
            # Versions move as with every other write: an attribute form or a figure import's preview read
            # before this load is then refused instead of writing over it.
            for obj in changed:
                obj.refresh_folded()  # as Municipality.objects.bulk_update would
            bulk.update_rows(Municipality, changed, with_folded(fields), bump_version=True)
        created += len(new_rows)
        updated += len(changed)
        history.record_many(records)
        unknown = sorted(set(existing) - {m["code"] for m in municipalities})
        if created or updated:
            history.bump("regions")
    bar.finish()
    summary = (f"団体: 都道府県{len(prefectures)}・市区町村{len(municipalities)}件を確認、"
               f"新規{created}件・更新{updated}件")
    if not created and not updated:
        summary += "（変更なし）"
    if unknown:
        summary += f"。ファイルにない団体がデータベースに{len(unknown)}件あります（削除していません: {', '.join(unknown[:5])}…）"
    return summary


def _is_official(source: str) -> bool:
    return bool(source) and source != COMPUTED_AREA_SOURCE


# ---- Official figures: 令和2年国勢調査（速報値）, 令和3年度決算 主要財政指標 -------------------------------------------
# Loaded through the same actions as an uploaded table (chiiki.regions.imports), as SYSTEM with source 参照データ.
# A figure is written where the register has none or has this same file's; a newer import or an officer's own
# 財政力指数 is kept unless `force`.

POPULATION_FILE = "census2020_preliminary.csv"
POPULATION_COLUMNS = ["団体コード", "都道府県名", "団体名", "人口", "男", "女"]
CENSUS_YEAR = 2020
CENSUS_SOURCE = "令和2年国勢調査（速報値）"
FISCAL_FILE = "fiscal_indices_r3.csv"
FISCAL_COLUMNS = ["団体コード", "都道府県名", "団体名", "財政力指数", "経常収支比率", "実質公債費比率", "将来負担比率",
                  "ラスパイレス指数"]
FISCAL_YEAR = 2021
FISCAL_SOURCE = actions.default_fiscal_source(FISCAL_YEAR)  # 総務省「地方公共団体の主要財政指標一覧」（令和3年度決算）


def _table(path: Path, columns: list[str]) -> Table:
    rows = read_reference_csv(path, columns)
    return Table(header=list(columns), rows=[Row(number, values) for number, values in rows])


def _check(result, path: Path, what: str) -> str:
    if not result.ok:
        lines = [f"  {p}" for p in result.problems[:MAX_REPORTED_ERRORS]]
        if len(result.problems) > MAX_REPORTED_ERRORS:
            lines.append(f"  …ほか{len(result.problems) - MAX_REPORTED_ERRORS}件")
        raise DataFileError(f"{len(result.problems)}件の問題があるため読み込みを中止しました（何も変更していません）:\n"
                            + "\n".join(lines), path=path)
    summary = f"{what}: 市区町村{result.updated + result.unchanged}件を確認、更新{result.updated}件"
    return summary + ("" if result.updated else "（変更なし）")


def load_population(*, data_dir: Path, force: bool = False, stdout=None, progress: bool = False,
                    actor=access.SYSTEM) -> str:
    """Population of every municipality from data/census2020_preliminary.csv (idempotent)."""
    path = Path(data_dir) / POPULATION_FILE

    def keep(m):
        if force or m.population is None or m.population_source == CENSUS_SOURCE:
            return ()
        return ("population", "population_year", "population_source")

    result = actions.import_population(actor, _table(path, POPULATION_COLUMNS), source=history.REFERENCE,
                                       year=CENSUS_YEAR, data_source=CENSUS_SOURCE, keep=keep)
    return _check(result, path, f"人口（{CENSUS_SOURCE}）")


def load_fiscal_indices(*, data_dir: Path, force: bool = False, stdout=None, progress: bool = False,
                        actor=access.SYSTEM) -> str:
    """財政力指数 and the other 主要財政指標 from data/fiscal_indices_r3.csv (idempotent)."""
    path = Path(data_dir) / FISCAL_FILE

    def keep(m):
        if force:
            return ()
        kept = []
        if m.fiscal_strength_index is not None and m.fiscal_strength_source != FISCAL_SOURCE:
            kept += ["fiscal_strength_index", "fiscal_strength_year", "fiscal_strength_source"]
        if m.fiscal_indices_year is not None and m.fiscal_indices_source != FISCAL_SOURCE:
            kept += [f for f in actions.FISCAL_FIELDS if not f.startswith("fiscal_strength")]
        return kept

    result = actions.import_fiscal_indices(actor, _table(path, FISCAL_COLUMNS), source=history.REFERENCE,
                                           fiscal_year=FISCAL_YEAR, data_source=FISCAL_SOURCE, keep=keep)
    return _check(result, path, "財政指標（令和3年度決算）")
