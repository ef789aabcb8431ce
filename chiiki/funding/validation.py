"""Value checks shared by forms, API and imports; each raises ValueError with a Japanese reason."""

import re

from chiiki.core.fiscal import InvalidFiscalYear, parse_fiscal_year
from chiiki.core.text import control_character_problem, nfkc

MAX_YEN = 10**13  # 10兆円: beyond any single project; stops typos of a few extra zeros
MAX_PLAN_YEARS = 10


def clean_yen(raw, *, label: str = "金額", allow_zero: bool = True) -> int:
    if raw is None or raw == "":
        raise ValueError(f"{label}を入力してください")
    if isinstance(raw, bool):
        raise ValueError(f"{label}は円単位の整数で入力してください")
    if isinstance(raw, int):
        value = raw
    else:
        text = nfkc(str(raw)).strip().replace(",", "").removesuffix("円")
        if not re.fullmatch(r"-?\d+", text):
            raise ValueError(f"{label}は円単位の整数で入力してください（例: 1500000）")
        value = int(text)
    if value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{label}は{'0' if allow_zero else '1'}円以上で入力してください")
    if value > MAX_YEN:
        raise ValueError(f"{label}が大きすぎます")
    return value


def clean_fiscal_year(raw, *, label: str = "年度") -> int:
    try:
        return parse_fiscal_year(raw)
    except InvalidFiscalYear as exc:
        raise ValueError(f"{label}: {exc}") from None



def corporate_number_problem(number: str) -> str | None:
    """None if `number` is a valid 法人番号 (13 digits, the first being the check digit), else the reason.

    Check digit over the 12-digit base P₁…P₁₂ counted from the right: 9 − (Σ Pₙ·Qₙ mod 9), Qₙ = 1 (n odd), 2 (n even).
    """
    if not re.fullmatch(r"\d{13}", number):
        return "法人番号は13桁の数字です"
    base = number[1:]
    total = sum(int(digit) * (1 if n % 2 else 2) for n, digit in enumerate(reversed(base), start=1))
    if int(number[0]) != 9 - total % 9:
        return "法人番号のチェックデジットが一致しません"
    return None


def clean_corporate_number(raw) -> str:
    text = nfkc(str(raw or "")).strip().replace("-", "").replace(" ", "")
    if not text:
        return ""
    problem = corporate_number_problem(text)
    if problem:
        raise ValueError(problem)
    return text


def clean_text(raw, *, label: str, max_length: int, required: bool = False) -> str:
    text = str(raw or "").strip()
    # The pages pass what was posted straight here; PostgreSQL refuses NUL in text (a 500), and other control
    # characters would be invisible on every page and export.
    if problem := control_character_problem(text):
        raise ValueError(f"{label}に{problem}")
    if required and not text:
        raise ValueError(f"{label}を入力してください")
    if len(text) > max_length:
        raise ValueError(f"{label}は{max_length}文字以内で入力してください")
    return text


# A plan's KPIs are read on its page, exports and every history record of it: a few dozen, not thousands.
MAX_KPIS = 30


def clean_kpis(raw) -> list[dict]:
    """KPIs as [{indicator, baseline, target, fiscal_year}]; indicator and target are required."""
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        raise ValueError("KPIの形式が正しくありません")
    if len(raw) > MAX_KPIS:
        raise ValueError(f"KPIは1つの計画に{MAX_KPIS}件までです（{len(raw):,}件あります）")
    cleaned = []
    for number, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            raise ValueError(f"KPI {number}件目の形式が正しくありません")
        indicator = clean_text(item.get("indicator"), label=f"KPI {number}件目の指標", max_length=200, required=True)
        target = clean_text(item.get("target"), label=f"KPI {number}件目の目標値", max_length=100, required=True)
        baseline = clean_text(item.get("baseline"), label=f"KPI {number}件目の基準値", max_length=100)
        year = item.get("fiscal_year")
        year = clean_fiscal_year(year, label=f"KPI {number}件目の年度") if year not in (None, "") else None
        cleaned.append({"indicator": indicator, "baseline": baseline, "target": target, "fiscal_year": year})
    return cleaned
