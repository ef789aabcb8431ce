"""Cleaning a case (form, API, import row alike): each problem named by its field, in Japanese."""

import math
from urllib.parse import urlparse

from chiiki.core.codes import InvalidCode, normalize_code
from chiiki.core.errors import Invalid
from chiiki.core.fiscal import InvalidFiscalYear, parse_fiscal_year
from chiiki.regions.models import Municipality
from chiiki.roadmap.models import Sector, SectorModel

from .models import CaseStatus, FundingKind

MAX_OUTCOMES = 10
# The import/export columns (Japanese headers) and the fields they carry.
COLUMNS = [
    ("id", "ID"), ("version", "版"), ("municipality", "団体コード"), ("partners", "連携団体コード"), ("title", "事例名"),
    ("summary", "概要"), ("sectors", "分野"), ("sector_models", "モデル"), ("funding_kinds", "財源"),
    ("programs", "支援制度ID"), ("sharing_economy", "シェアリングエコノミー"), ("outcomes", "成果"), ("cost", "事業費（円）"),
    ("operator", "運営主体"), ("lessons", "教訓・工夫"), ("contact_organisation", "問い合わせ先"), ("source_url", "出典URL"),
    ("status", "公開状況"),
]
COLUMN_OF = dict(COLUMNS)
REQUIRED_COLUMNS = ["団体コード", "事例名", "概要", "分野"]
FUNDING_BY_LABEL = {label: value for value, label in FundingKind.choices}
STATUS_BY_LABEL = {label: value for value, label in CaseStatus.choices}
LIST_SEPARATORS = (";", "；", "、", "\n")


def split_list(raw) -> list[str]:
    if isinstance(raw, list | tuple):
        return [str(v).strip() for v in raw if str(v).strip()]
    text = str(raw or "")
    for separator in LIST_SEPARATORS[1:]:
        text = text.replace(separator, ";")
    return [part.strip() for part in text.split(";") if part.strip()]



def _text(raw, label, max_length, required=False) -> str:
    value = str(raw or "").strip()
    if required and not value:
        raise ValueError(f"{label}を入力してください")
    if len(value) > max_length:
        raise ValueError(f"{label}は{max_length}文字以内で入力してください")
    return value


def municipality(raw) -> Municipality:
    try:
        code = normalize_code(str(raw or "").strip())
    except InvalidCode as exc:
        raise ValueError(str(exc)) from None
    found = Municipality.objects.select_related("prefecture").filter(pk=code).first()
    if found is None:
        raise ValueError(f"団体コード {code} の団体は登録されていません")
    return found


# How many items one case may list: checked before any lookup, which then is one query for them all.
MAX_LISTED = 50


def _at_most(items: list, label: str) -> list:
    if len(items) > MAX_LISTED:
        raise ValueError(f"{label}は{MAX_LISTED}件までです（{len(items):,}件あります）")
    return items


def _partners(raw) -> list[Municipality]:
    codes, bad = [], []
    for item in _at_most(split_list(raw), "連携団体"):
        try:
            codes.append(normalize_code(item))
        except InvalidCode as exc:
            bad.append(str(exc))
    if bad:
        raise ValueError("、".join(dict.fromkeys(bad)))
    codes = list(dict.fromkeys(codes))
    found = Municipality.objects.select_related("prefecture").in_bulk(codes)
    missing = [code for code in codes if code not in found]
    if missing:
        raise ValueError(f"団体コード {', '.join(missing)} の団体は登録されていません")
    return [found[code] for code in codes]


def _sectors(raw) -> list[str]:
    names = dict(Sector.objects.values_list("name", "code"))
    codes = set(names.values())
    result = []
    for item in split_list(raw):
        code = item if item in codes else names.get(item)
        if code is None:
            raise ValueError(f"分野が正しくありません: {item}（分野コードか分野名）")
        if code not in result:
            result.append(code)
    if not result:
        raise ValueError("分野を1つ以上選んでください")
    return result


def _funding(raw) -> list[str]:
    result = []
    for item in split_list(raw):
        value = item if item in FundingKind.values else FUNDING_BY_LABEL.get(item)
        if value is None:
            raise ValueError(f"財源は {'・'.join(FUNDING_BY_LABEL)} のいずれかです: {item}")
        if value not in result:
            result.append(value)
    return result


def _programs(raw):
    from chiiki.programs.models import SupportProgram

    ids = list(dict.fromkeys(_at_most(split_list(raw), "支援制度")))
    found = {p.public_id: p for p in SupportProgram.objects.filter(public_id__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValueError(f"支援制度のIDが見つかりません: {', '.join(missing)}")
    return [found[i] for i in dict.fromkeys(ids)]


def _bool(raw) -> bool:
    if isinstance(raw, bool):
        return raw
    value = str(raw or "").strip().lower()
    if value in ("", "0", "false", "いいえ", "なし", "off"):
        return False
    if value in ("1", "true", "はい", "あり", "on", "○"):
        return True
    raise ValueError("シェアリングエコノミーは「はい」か「いいえ」です")


def _number(raw, label):
    text = str(raw).replace(",", "").strip()
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{label}は数値です: {raw}") from None
    if not math.isfinite(value):  # float() reads "inf", "nan" and 1e999, which no JSON column can hold
        raise ValueError(f"{label}は数値です: {raw}")
    return int(value) if value.is_integer() else value


def _outcomes(raw) -> list[dict]:
    """Outcomes: a list of dicts, or text with one outcome a line: 指標|単位|前|後|年度."""
    items = raw if isinstance(raw, list) else [line for line in str(raw or "").splitlines() if line.strip()]
    result = []
    for item in items:
        if isinstance(item, dict):
            parts = [item.get("indicator", ""), item.get("unit", ""), item.get("before", ""), item.get("after", ""),
                     item.get("fiscal_year", "")]
        else:
            parts = [p.strip() for p in str(item).split("|")]
            if len(parts) != 5:
                raise ValueError("成果は1行に「指標|単位|前|後|年度」の形で書いてください")
        indicator = _text(parts[0], "成果の指標", 100, required=True)
        try:
            year = parse_fiscal_year(parts[4])
        except InvalidFiscalYear:
            raise ValueError(f"成果の年度が正しくありません: {parts[4]}") from None
        result.append({"indicator": indicator, "unit": _text(parts[1], "成果の単位", 20),
                       "before": _number(parts[2], "成果の前の値"), "after": _number(parts[3], "成果の後の値"),
                       "fiscal_year": year})
    if len(result) > MAX_OUTCOMES:
        raise ValueError(f"成果は{MAX_OUTCOMES}件までです")
    return result


def _cost(raw):
    if raw in (None, ""):
        return None
    value = _number(raw, "事業費")
    if not isinstance(value, int) or value < 0 or value > 10**13:
        raise ValueError("事業費は0以上の整数（円）です")
    return value


def _url(raw) -> str:
    value = _text(raw, "出典URL", 500)
    if value and not (urlparse(value).scheme in ("http", "https") and urlparse(value).netloc):
        raise ValueError("出典URLは http:// か https:// で始まるURLです")
    return value


def _status(raw) -> str:
    value = str(raw or CaseStatus.DRAFT).strip()
    value = STATUS_BY_LABEL.get(value, value)
    if value not in CaseStatus.values:
        raise ValueError("公開状況は「公開」か「下書き」です")
    return value


def clean_case(data: dict) -> dict:
    checks = [
        ("municipality", municipality), ("partners", _partners),
        ("title", lambda v: _text(v, "事例名", 200, required=True)),
        ("summary", lambda v: _text(v, "概要", 5000, required=True)), ("sectors", _sectors),
        ("sector_models", lambda v: _at_most(split_list(v), "モデル")), ("funding_kinds", _funding),
        ("programs", _programs),
        ("sharing_economy", _bool), ("outcomes", _outcomes), ("cost", _cost),
        ("operator", lambda v: _text(v, "運営主体", 200)), ("lessons", lambda v: _text(v, "教訓・工夫", 5000)),
        ("contact_organisation", lambda v: _text(v, "問い合わせ先", 200)), ("source_url", _url),
        ("status", _status),
    ]
    cleaned, problems = {}, []
    for name, clean in checks:
        try:
            cleaned[name] = clean(data.get(name))
        except ValueError as exc:
            problems.append((name, str(exc)))
    if not problems:
        known = set(SectorModel.objects.filter(sector_id__in=cleaned["sectors"]).values_list("name", flat=True))
        unknown = [m for m in cleaned["sector_models"] if m not in known]
        if unknown:
            problems.append(("sector_models", f"選んだ分野のモデルではありません: {', '.join(unknown)}"))
        if cleaned["municipality"] in cleaned["partners"]:
            problems.append(("partners", "連携団体に主な団体を含めないでください"))
    if problems:
        raise Invalid(problems)
    return cleaned


def row_data(row) -> dict:
    """An import row (Japanese headers) as the fields clean_case takes."""
    return {field: row.get(header) for field, header in COLUMNS}
