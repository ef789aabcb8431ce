"""年度 (April–March) and 和暦 helpers."""

import datetime as dt
import re

from django.utils import timezone

from .text import nfkc

# Era name → first Gregorian year (元年).
ERAS = {"令和": 2019, "平成": 1989, "昭和": 1926}
ERA_LETTERS = {"R": "令和", "H": "平成", "S": "昭和"}
MIN_FISCAL_YEAR, MAX_FISCAL_YEAR = 1990, 2100


class InvalidFiscalYear(ValueError):
    pass


def fiscal_year_of(day: dt.date | dt.datetime) -> int:
    return day.year if day.month >= 4 else day.year - 1


def current_fiscal_year() -> int:
    return fiscal_year_of(timezone.localdate())


def fiscal_year_bounds(fiscal_year: int) -> tuple[dt.date, dt.date]:
    return dt.date(fiscal_year, 4, 1), dt.date(fiscal_year + 1, 3, 31)


_ERA_RE = re.compile(r"^(令和|平成|昭和|R|H|S)\s*(元|\d{1,2})\s*(年度|年)?$", re.IGNORECASE)
_YEAR_RE = re.compile(r"^(\d{4})\s*(年度|年)?$")


def parse_fiscal_year(raw) -> int:
    """Parse 2026, '2026年度', '令和8年度', 'R8', 'Ｒ８', '２０２６'. Raises InvalidFiscalYear."""
    if raw is None:
        raise InvalidFiscalYear("年度が空です")
    if isinstance(raw, bool):
        raise InvalidFiscalYear(f"年度を読み取れません: {raw!r}")
    if isinstance(raw, int):
        year = raw
    else:
        text = nfkc(str(raw)).strip().replace(" ", "")
        if isinstance(raw, float) and text.endswith(".0"):
            text = text[:-2]
        if not text:
            raise InvalidFiscalYear("年度が空です")
        if m := _YEAR_RE.match(text):
            year = int(m.group(1))
        elif m := _ERA_RE.match(text):
            era = ERA_LETTERS.get(m.group(1).upper(), m.group(1))
            number = 1 if m.group(2) == "元" else int(m.group(2))
            if number < 1:
                raise InvalidFiscalYear(f"年度を読み取れません: {raw!r}")
            year = ERAS[era] + number - 1
        else:
            raise InvalidFiscalYear(f"年度を読み取れません: {raw!r}（例: 2026, 令和8年度, R8）")
    if not MIN_FISCAL_YEAR <= year <= MAX_FISCAL_YEAR:
        raise InvalidFiscalYear(f"年度が範囲外です: {raw!r}")
    return year


def fiscal_year_filter(raw) -> tuple[int | None, str]:
    """A 年度 filter from a query string (2026, 令和8年度, R8: read as the API reads it): the year (None if nothing
    is typed) and why it cannot be read ("" when it can), for the page to say instead of listing every 年度."""
    if raw is None or not str(raw).strip():
        return None, ""
    try:
        return parse_fiscal_year(raw), ""
    except InvalidFiscalYear as exc:
        return None, str(exc)


def wareki(year: int) -> str:
    """2026 → '令和8年', 2019 → '令和元年' (年度 2019 is called 令和元年度 in official use)."""
    for era, start in sorted(ERAS.items(), key=lambda item: -item[1]):
        if year >= start:
            number = year - start + 1
            return f"{era}{'元' if number == 1 else number}年"
    return f"{year}年"


def fiscal_year_label(fiscal_year: int) -> str:
    """2026 → '2026年度（令和8年度）'."""
    return f"{fiscal_year}年度（{wareki(fiscal_year)}度）"
