"""The catalog's file format: one column spec shared by the reference loader, CSV/XLSX import, export and
the admin edit form, so a file exported from the site re-imports unchanged."""

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from chiiki.core.errors import Invalid
from chiiki.core.numbers import MAX_POPULATION, finite_decimal
from chiiki.core.text import control_character_problem

from .models import (
    AREA_FLAGS,
    ENTITY_KINDS,
    STAGES,
    AreaLogic,
    Kind,
    PackageRole,
    ProviderType,
    SupportProgram,
    SupportType,
)
from .windows import parse_windows

PUBLIC_ID = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,59}$")


def _text(value: str) -> str:
    return value.strip()


def _required(value: str) -> str:
    if not value.strip():
        raise ValueError("必須です")
    return value.strip()


def _choice(choices) -> Callable[[str], str]:
    values = dict(choices)

    def parse(value: str) -> str:
        value = value.strip()
        if value not in values:
            raise ValueError(f"「{value}」は使えません（{', '.join(values)} のいずれか）")
        return value

    return parse


def _int(value: str, maximum: int | None = None):
    """A whole number (up to `maximum`: beyond its column's range the database refused it, a 500)."""
    value = value.replace(",", "").strip()
    if not value:
        return None
    if not re.fullmatch(r"\d+", value):
        raise ValueError(f"0以上の整数で入力してください: {value}")
    if maximum is not None and (len(value) > len(str(maximum)) or int(value) > maximum):
        raise ValueError(f"{maximum:,}以下の整数で入力してください: {value[:30]}")
    return int(value)


def _int_upto(maximum: int) -> Callable[[str], int | None]:
    return lambda value: _int(value, maximum)


MAX_YEN = 10**13  # 10兆円: beyond any single program; the same bound as funding's amounts
MAX_YEARS = 100


def _decimal(value: str):
    value = value.strip()
    if not value:
        return None
    number = finite_decimal(value)
    if number is None:
        raise ValueError(f"数値で入力してください: {value}")
    if not Decimal("0") <= number <= Decimal("9.99"):
        raise ValueError(f"0〜9.99の範囲で入力してください: {value}")
    return number.quantize(Decimal("0.01"))


def _date(value: str):
    from chiiki.core.dates import parse_date

    value = value.strip()
    if not value:
        return None
    # 2026/6/2 is how Excel saves a date cell to CSV; one parser for every import's dates.
    return parse_date(value, label="日付")


def _year(value: str):
    number = _int(value)
    if number is not None and not 1990 <= number <= 2100:
        raise ValueError(f"年度は西暦4桁で入力してください: {value}")
    return number


def parse_ended_year(value: str):
    """The last 年度 of applications: a 4-digit 西暦 年度, from the first programs of this kind to a decade ahead
    (an end announced in advance)."""
    from chiiki.core.fiscal import current_fiscal_year

    value = value.strip()
    if not value:
        return None
    latest = current_fiscal_year() + 10
    if not re.fullmatch(r"\d{4}", value) or not 1990 <= int(value) <= latest:
        raise ValueError(f"募集の最終年度は西暦4桁の年度（1990〜{latest}、例: 2024）で入力してください: {value[:30]}")
    return int(value)


def _successor(value: str) -> str:
    value = value.strip()
    if value and not PUBLIC_ID.match(value):
        raise ValueError(f"後継は支援メニューのID（例: CAO-SHINCHIHO）で入力してください: {value[:60]}")
    return value


def _list_of(allowed: dict | None, sep: str = ";") -> Callable[[str], list]:
    def parse(value: str) -> list:
        items = [v.strip() for v in value.split(sep) if v.strip()]
        if allowed is not None:
            bad = [v for v in items if v not in allowed]
            if bad:
                raise ValueError(f"「{'、'.join(bad)}」は使えません（{', '.join(allowed)} から選択）")
        return list(dict.fromkeys(items))

    return parse


def _prefectures(value: str) -> list:
    items = [v.strip().zfill(2) for v in value.split(";") if v.strip()]
    bad = [v for v in items if not (v.isdigit() and 1 <= int(v) <= 47)]
    if bad:
        raise ValueError(f"都道府県コード（01〜47）ではありません: {'、'.join(bad)}")
    return items


def _windows(value: str) -> str:
    parse_windows(value)
    return value.strip()


def _rate_tiers(value: str) -> str:
    from .eligibility import parse_rate_tiers

    parse_rate_tiers(value)
    return value.strip()


def _url(value: str) -> str:
    value = value.strip()
    if value and not re.match(r"^https?://", value):
        raise ValueError("http:// または https:// で始まるURLを入力してください")
    return value


def _fmt_list(items, sep=";") -> str:
    return sep.join(items or [])


def _fmt(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


@dataclass(frozen=True)
class Column:
    name: str  # file column
    label: str  # Japanese label for forms and error messages
    parse: Callable[[str], object]
    attr: str  # model attribute ("" = handled specially)
    fmt: Callable[[object], str] = _fmt
    help: str = ""


COLUMNS: list[Column] = [
    Column("id", "ID", lambda v: v.strip(), "public_id"),
    Column("name", "名称", _required, "name"),
    Column("provider", "提供者", _required, "provider"),
    Column("provider_type", "提供者の種類", _choice(ProviderType.choices), "provider_type"),
    Column("kind", "種類", _choice(Kind.choices), "kind"),
    Column("support_type", "支援の種類", _choice(SupportType.choices), "support_type"),
    Column("sectors", "分野", lambda v: v.strip(), "", help="all または分野コードを ; 区切り"),
    Column("summary", "概要", _required, "summary"),
    Column("subsidy_rate", "補助率", _text, "subsidy_rate"),
    Column("cap_yen", "上限額（円）", _int_upto(MAX_YEN), "cap_yen"),
    Column("min_project_yen", "最低事業費・最低額（円）", _int_upto(MAX_YEN), "min_project_yen"),
    Column("max_years", "最長年数", _int_upto(MAX_YEARS), "max_years"),
    Column("eligibility", "対象（原文）", _text, "eligibility"),
    Column("source", "出典URL", _url, "source_url"),
    Column("entity_kinds", "対象団体の区分", _list_of(ENTITY_KINDS), "entity_kinds", _fmt_list,
           help="; 区切り: " + " ".join(ENTITY_KINDS)),
    Column("entity_check_kinds", "要確認の団体区分", _list_of(ENTITY_KINDS), "entity_check_kinds", _fmt_list),
    Column("entity_check_note", "要確認の理由", _text, "entity_check_note"),
    Column("population_min", "人口の下限", _int_upto(MAX_POPULATION), "population_min"),
    Column("population_max", "人口の上限", _int_upto(MAX_POPULATION), "population_max"),
    Column("fiscal_index_lt", "財政力指数（未満）", _decimal, "fiscal_index_lt"),
    Column("fiscal_index_le", "財政力指数（以下）", _decimal, "fiscal_index_le"),
    Column("area_conditions", "条件不利地域の要件", _list_of(AREA_FLAGS), "area_conditions", _fmt_list,
           help="いずれかに該当すれば可: " + " ".join(AREA_FLAGS)),
    Column("area_logic", "財政力指数と地域要件の関係", lambda v: _choice(AreaLogic.choices)(v or "all"), "area_logic",
           help="all（両方）/ any（いずれか）"),
    Column("excluded_prefectures", "除外地域の都道府県", _prefectures, "excluded_prefectures", _fmt_list),
    Column("excluded_fiscal_index_ge", "除外: 財政力指数（以上）", _decimal, "excluded_fiscal_index_ge"),
    Column("excluded_area_label", "除外地域の名称", _text, "excluded_area_label"),
    Column("rate_tiers", "補助率の区分", _rate_tiers, "rate_tiers",
           help="例: 2/3:fiscal_index_le=0.4+disadvantaged|1/2"),
    Column("prerequisites", "手続き上の要件", _list_of(None, "|"), "prerequisites", lambda v: _fmt_list(v, "|"),
           help="| 区切り"),
    Column("stages", "適した進捗段階", _list_of(dict.fromkeys(STAGES)), "stages", _fmt_list),
    Column("package_roles", "パッケージでの役割", _list_of(dict(PackageRole.choices)), "package_roles", _fmt_list),
    Column("windows", "募集期間", _windows, "windows", help="always / 2026-04-01..2026-05-31 / monthly:4-12"),
    Column("terms_year", "条件の年度", _year, "terms_year"),
    Column("last_verified", "最終確認日", _date, "last_verified"),
    Column("ended_fiscal_year", "募集の最終年度", parse_ended_year, "ended_fiscal_year",
           help="募集を終えた支援メニューの最後の年度（西暦4桁）。空欄 = 終了は確認されていない"),
    Column("successor", "後継の支援メニュー", _successor, "successor", help="後継の支援メニューのID。空欄 = なし"),
]
# Not a program attribute but the 版 each row was exported at: an import changing a program must carry it, so an
# old file never silently undoes an edit made since (the edit form and the reference file have no such column).
VERSION_COLUMN = "version"
HEADER = [*(c.name for c in COLUMNS), VERSION_COLUMN]
_ENDED = next(c for c in COLUMNS if c.name == "ended_fiscal_year")
_SUCCESSOR = next(c for c in COLUMNS if c.name == "successor")
# A list of programs exported for reading (search results, the navigator): when applications ended and what
# replaced the program — the catalog's own columns, its labels and values, with the successor's name beside its ID.
LIFECYCLE_HEADER = [_ENDED.label, f"{_SUCCESSOR.label}（ID）", f"{_SUCCESSOR.label}（名称）"]


def lifecycle_cells(program, successor) -> list[str]:
    """LIFECYCLE_HEADER's cells; successor: the program the ID names (search.successor_of), None when none."""
    return [_ENDED.fmt(getattr(program, _ENDED.attr)), _SUCCESSOR.fmt(getattr(program, _SUCCESSOR.attr)),
            successor.name if successor is not None else ""]

REQUIRED_COLUMNS = ["id", "name", "provider", "provider_type", "kind", "support_type", "sectors", "summary"]


def parse_row(values: dict[str, str], sector_codes: set[str], known_ids: set[str] | None = None) -> dict:
    """File row (column → text) → model attributes. Raises Invalid naming every bad column.

    known_ids: the catalog IDs a successor may name (the database's plus the file's); None = not checked."""
    data: dict = {}
    problems: list[tuple[str, str]] = []
    for column in COLUMNS:
        raw = values.get(column.name, "") or ""
        problem = control_character_problem(raw)
        if problem:
            problems.append((column.name, problem))
            continue
        try:
            value = column.parse(raw)
        except ValueError as exc:
            problems.append((column.name, str(exc)))
            continue
        # SQLite stores any length; PostgreSQL refuses text beyond the column (a 500 on the edit page and import).
        limit = SupportProgram._meta.get_field(column.attr).max_length if column.attr else None
        if isinstance(value, str) and limit and len(value) > limit:
            problems.append((column.name, f"{limit}文字以内で入力してください（{len(value):,}文字）"))
            continue
        if column.name == "id":
            if not PUBLIC_ID.match(value):
                problems.append(("id", "IDは英大文字・数字・ハイフン（例: MIC-ICT-ADVISOR）で入力してください"))
                continue
        if column.name == "sectors":
            codes = [c.strip() for c in value.split(";") if c.strip()]
            if not codes:
                problems.append(("sectors", "all または分野コードを入力してください"))
            elif codes == ["all"]:
                data["all_sectors"], data["sectors"] = True, []
            else:
                bad = [c for c in codes if c not in sector_codes]
                if bad:
                    problems.append(("sectors", f"未登録の分野コードです: {'、'.join(bad)}"))
                else:
                    data["all_sectors"], data["sectors"] = False, list(dict.fromkeys(codes))
            continue
        data[column.attr] = value
    if not problems:
        if data.get("population_min") is not None and data.get("population_max") is not None \
                and data["population_min"] > data["population_max"]:
            problems.append(("population_min", "人口の下限が上限を超えています"))
        if data.get("entity_check_kinds") and not data.get("entity_check_note"):
            problems.append(("entity_check_note", "要確認の団体区分があるときは理由を入力してください"))
        successor = data.get("successor")
        if successor and successor == data.get("public_id"):
            problems.append(("successor", f"後継に自分自身（{successor}）は指定できません"))
        elif successor and known_ids is not None and successor not in known_ids:
            problems.append(("successor", f"後継のID {successor} は登録されていません（カタログにもこのファイルにもありません）"))
    if problems:
        raise Invalid(problems)
    return data


def row_of(program) -> dict[str, str]:
    """Model → file row (column → text)."""
    row = {}
    for column in COLUMNS:
        if column.name == "sectors":
            row["sectors"] = "all" if program.all_sectors else ";".join(program.sectors)
        else:
            row[column.name] = column.fmt(getattr(program, column.attr))
    return row


def file_cells(program) -> list:
    """Model → the cells of an exported file (HEADER), the program's current version last."""
    row = row_of(program)
    return [*(row[c.name] for c in COLUMNS), program.version]


def content_of(program) -> dict:
    """The attributes the file controls (to compare a file row with the database)."""
    attrs = {c.attr for c in COLUMNS if c.attr} | {"all_sectors", "sectors"}
    return {a: getattr(program, a) for a in sorted(attrs)}
