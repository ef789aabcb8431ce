"""Whether a municipality can use a program: eligible / check (要確認) / excluded, with Japanese reasons.

Unknown municipality attributes (None) never count as a yes or a no: they give `check` with the reason.
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal

from .models import AREA_FLAGS, ENTITY_KINDS

ELIGIBLE, CHECK, EXCLUDED = "eligible", "check", "excluded"
FIT_LABELS = {ELIGIBLE: "利用可能", CHECK: "要確認", EXCLUDED: "対象外"}
FIT_ORDER = {ELIGIBLE: 0, CHECK: 1, EXCLUDED: 2}

PREFECTURE_NAMES = {
    "01": "北海道", "02": "青森県", "03": "岩手県", "04": "宮城県", "05": "秋田県", "06": "山形県", "07": "福島県",
    "08": "茨城県", "09": "栃木県", "10": "群馬県", "11": "埼玉県", "12": "千葉県", "13": "東京都", "14": "神奈川県",
    "15": "新潟県", "16": "富山県", "17": "石川県", "18": "福井県", "19": "山梨県", "20": "長野県", "21": "岐阜県",
    "22": "静岡県", "23": "愛知県", "24": "三重県", "25": "滋賀県", "26": "京都府", "27": "大阪府", "28": "兵庫県",
    "29": "奈良県", "30": "和歌山県", "31": "鳥取県", "32": "島根県", "33": "岡山県", "34": "広島県", "35": "山口県",
    "36": "徳島県", "37": "香川県", "38": "愛媛県", "39": "高知県", "40": "福岡県", "41": "佐賀県", "42": "長崎県",
    "43": "熊本県", "44": "大分県", "45": "宮崎県", "46": "鹿児島県", "47": "沖縄県",
}


def _num(value: Decimal) -> str:
    return format(Decimal(value).normalize(), "f")


@dataclass
class Fit:
    fit: str
    reasons: list[str] = field(default_factory=list)
    rate: str = ""  # the subsidy rate that applies, when it depends on the municipality
    prerequisites: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return FIT_LABELS[self.fit]


def _disadvantaged(municipality, flags) -> bool | None:
    """True if any listed flag is set, None if none is set but some are unknown, False if all are known no."""
    values = [getattr(municipality, flag) for flag in flags]
    if any(v is True for v in values):
        return True
    if any(v is None for v in values):
        return None
    return False


def _flag_names(flags) -> str:
    return "・".join(AREA_FLAGS[f].replace("地域", "") for f in flags)


# ---- Subsidy-rate tiers ----------------------------------------------------------------------------------------

_CONDITION = re.compile(r"^(fiscal_index_le|fiscal_index_lt)=(\d+(?:\.\d+)?)$|^(disadvantaged|depopulated|remote_island|mountainous)$")


def parse_rate_tiers(text: str) -> list[tuple[str, list[str]]]:
    """'2/3:fiscal_index_le=0.4+disadvantaged|1/2' → [('2/3', [...]), ('1/2', [])]. Raises ValueError."""
    tiers = []
    for part in (p.strip() for p in (text or "").split("|")):
        if not part:
            continue
        rate, _, conditions = part.partition(":")
        if not rate.strip():
            raise ValueError(f"補助率がありません: {part}")
        conds = [c.strip() for c in conditions.split("+") if c.strip()]
        bad = [c for c in conds if not _CONDITION.match(c)]
        if bad:
            raise ValueError(f"補助率の条件を読み取れません: {'、'.join(bad)}")
        tiers.append((rate.strip(), conds))
    return tiers


CONDITION_FLAGS = {"disadvantaged": "条件不利地域（過疎・離島・中山間のいずれか）", **AREA_FLAGS}
FISCAL_BOUNDS = {"fiscal_index_le": "以下", "fiscal_index_lt": "未満"}


def condition_label(condition: str) -> str:
    """'fiscal_index_le=0.4' → 財政力指数0.4以下; 'remote_island' → 離島地域 (pages and history never show the code)."""
    m = _CONDITION.match(condition)
    if not m:
        return condition
    if m.group(1):
        return f"財政力指数{m.group(2)}{FISCAL_BOUNDS[m.group(1)]}"
    return CONDITION_FLAGS[m.group(3)]


def describe_rate_tiers(text: str) -> str:
    """'2/3:fiscal_index_le=0.4+disadvantaged|1/2' → 2/3（財政力指数0.4以下かつ条件不利地域…）、1/2（それ以外）."""
    try:
        tiers = parse_rate_tiers(text)
    except ValueError:
        return ""
    parts = []
    for index, (rate, conditions) in enumerate(tiers):
        if conditions:
            parts.append(f"{rate}（{'かつ'.join(condition_label(c) for c in conditions)}）")
        else:
            parts.append(f"{rate}（それ以外）" if index else rate)
    return "、".join(parts)


def _condition_value(condition: str, municipality) -> bool | None:
    m = _CONDITION.match(condition)
    if m.group(1):
        fsi = municipality.fiscal_strength_index
        if fsi is None:
            return None
        bound = Decimal(m.group(2))
        return fsi <= bound if m.group(1) == "fiscal_index_le" else fsi < bound
    flag = m.group(3)
    if flag == "disadvantaged":
        return _disadvantaged(municipality, list(AREA_FLAGS))
    return getattr(municipality, flag)


def applicable_rate(program, municipality) -> str:
    tiers = parse_rate_tiers(program.rate_tiers)
    if not tiers:
        return ""
    possible = []
    for rate, conditions in tiers:
        values = [_condition_value(c, municipality) for c in conditions]
        if all(v is True for v in values):
            if not possible:
                return rate
            possible.append(rate)
            return f"{'・'.join(dict.fromkeys(possible))}のいずれか（団体の属性が未登録のため要確認）"
        if any(v is None for v in values) and not any(v is False for v in values):
            possible.append(rate)
    if possible:
        return f"{'・'.join(dict.fromkeys(possible))}のいずれか（団体の属性が未登録のため要確認）"
    return ""


# ---- Assessment --------------------------------------------------------------------------------------------


def assess(program, municipality) -> Fit:
    excluded: list[str] = []
    check: list[str] = []
    ok: list[str] = []

    # Who may apply
    if program.entity_kinds:
        kind_label = ENTITY_KINDS.get(municipality.kind, municipality.kind)
        if municipality.kind in program.entity_kinds:
            pass
        elif municipality.kind in (program.entity_check_kinds or []):
            check.append(program.entity_check_note or f"{kind_label}が対象となるか要確認")
        else:
            allowed = "・".join(ENTITY_KINDS[k] for k in program.entity_kinds if k in ENTITY_KINDS)
            excluded.append(f"対象は{allowed}のため、{kind_label}は対象外")

    # Population
    if program.population_min is not None or program.population_max is not None:
        population = municipality.population
        if population is None:
            check.append("人口が未登録のため要確認")
        elif program.population_min is not None and population < program.population_min:
            excluded.append(f"人口{program.population_min:,}人以上が対象のため対象外（{population:,}人）")
        elif program.population_max is not None and population > program.population_max:
            excluded.append(f"人口{program.population_max:,}人以下が対象のため対象外（{population:,}人）")
        else:
            ok.append(f"人口要件を満たす（{population:,}人）")

    # 財政力指数 and 条件不利地域
    fsi = municipality.fiscal_strength_index
    fiscal_ok, fiscal_text = None, ""
    has_fiscal_rule = program.fiscal_index_lt is not None or program.fiscal_index_le is not None
    if has_fiscal_rule:
        if program.fiscal_index_lt is not None:
            bound, fiscal_text = program.fiscal_index_lt, f"財政力指数{_num(program.fiscal_index_lt)}未満"
            fiscal_ok = None if fsi is None else fsi < bound
            fail_text = f"財政力指数が{_num(bound)}以上のため対象外（{_num(fsi)}）" if fsi is not None else ""
        else:
            bound, fiscal_text = program.fiscal_index_le, f"財政力指数{_num(program.fiscal_index_le)}以下"
            fiscal_ok = None if fsi is None else fsi <= bound
            fail_text = f"財政力指数が{_num(bound)}を超えるため対象外（{_num(fsi)}）" if fsi is not None else ""
    area_ok = None
    has_area_rule = bool(program.area_conditions)
    if has_area_rule:
        area_ok = _disadvantaged(municipality, program.area_conditions)
    names = _flag_names(program.area_conditions) if has_area_rule else ""
    other_areas = f"{names}のいずれにも該当しないため、半島・豪雪地帯・辺地など他の条件不利地域に該当するか要確認"

    if has_fiscal_rule and has_area_rule and program.area_logic == "any":
        if fiscal_ok is True:
            ok.append(f"{fiscal_text}の要件を満たす（{_num(fsi)}）")
        elif area_ok is True:
            ok.append(f"条件不利地域（{_present_flags(municipality, program.area_conditions)}）に該当")
        else:
            parts = []
            if fiscal_ok is None:
                parts.append("財政力指数が未登録")
            else:
                parts.append(f"財政力指数が{_num(fsi)}で{fiscal_text}に当たらない")
            if area_ok is None:
                parts.append(f"{names}の区分が未登録")
            else:
                parts.append(f"{names}のいずれにも該当しない")
            check.append(f"{fiscal_text}又は条件不利地域が対象。{'、'.join(parts)}のため、"
                         f"他の条件不利地域（半島・豪雪地帯など）への該当を含め要確認")
    else:
        if has_fiscal_rule:
            if fiscal_ok is None:
                check.append(f"財政力指数が未登録のため要確認（{fiscal_text}が対象）")
            elif fiscal_ok:
                ok.append(f"{fiscal_text}の要件を満たす（{_num(fsi)}）")
            else:
                excluded.append(fail_text)
        if has_area_rule:
            if area_ok is True:
                ok.append(f"条件不利地域（{_present_flags(municipality, program.area_conditions)}）に該当")
            elif area_ok is None:
                check.append(f"{names}の区分が未登録のため、条件不利地域に該当するか要確認")
            else:
                check.append(other_areas)

    # Excluded areas (e.g. 三大都市圏の不交付団体)
    if program.excluded_prefectures and municipality.prefecture_id in program.excluded_prefectures:
        label = program.excluded_area_label or "除外地域"
        pref = PREFECTURE_NAMES.get(municipality.prefecture_id, municipality.prefecture_id)
        bound = program.excluded_fiscal_index_ge
        if bound is None:
            excluded.append(f"{label}（{pref}）に所在するため対象外")
        elif fsi is None:
            check.append(f"{label}に当たるか要確認（{pref}に所在し、財政力指数が未登録のため不交付団体か判断できません）")
        elif fsi >= bound:
            excluded.append(f"{label}に該当するため対象外（{pref}に所在し、財政力指数が{_num(bound)}以上"
                            f"（{_num(fsi)}）で不交付団体の目安に当たる）")
        else:
            ok.append(f"{pref}に所在するが、財政力指数{_num(fsi)}で不交付団体の目安（{_num(bound)}以上）に当たらない")

    fit = EXCLUDED if excluded else CHECK if check else ELIGIBLE
    reasons = excluded + check if fit != ELIGIBLE else (ok or ["対象団体の要件を満たす"])
    try:
        rate = applicable_rate(program, municipality)
    except ValueError:
        rate = ""
    return Fit(fit, reasons, rate, list(program.prerequisites or []))


def _present_flags(municipality, flags) -> str:
    return "・".join(AREA_FLAGS[f] for f in flags if getattr(municipality, f) is True)
