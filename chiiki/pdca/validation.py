"""Cleaning of PDCA input (forms, API, reference file): each function returns the stored value or raises
ValueError with a Japanese reason."""

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from urllib.parse import urlparse

from chiiki.core.fiscal import InvalidFiscalYear, parse_fiscal_year
from chiiki.core.forms import row_id
from chiiki.core.text import control_character_problem

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")
MAX_LINKS = 20


def text(raw, *, label: str, max_length: int, required: bool = True) -> str:
    value = (raw or "").strip()
    # The review page passes the posted assessment straight here: PostgreSQL refuses NUL in text (a 500).
    if problem := control_character_problem(value):
        raise ValueError(f"{label}に{problem}")
    if required and not value:
        raise ValueError(f"{label}を入力してください")
    if len(value) > max_length:
        raise ValueError(f"{label}は{max_length}文字以内で入力してください")
    return value


def code(raw) -> str:
    value = (raw or "").strip()
    if not CODE_RE.match(value):
        raise ValueError("KPI ID は半角英数字・ハイフン・下線の40文字以内で入力してください（例: DIGIDEN-1500）")
    return value


# The value columns are numeric(16, 2), but SQLite keeps a decimal as a float: with 2 decimals only 15 significant
# digits come back as they were (99999999999999.99 is read back as …98 and then refused by Django's converter).
MAX_VALUE = Decimal(10**13)


def decimal(raw, *, label: str, required: bool = True, positive: bool = False) -> Decimal | None:
    if raw in (None, ""):
        if required:
            raise ValueError(f"{label}を入力してください")
        return None
    try:
        value = Decimal(str(raw).replace(",", "").strip())
    except InvalidOperation:
        raise ValueError(f"{label}は数値で入力してください") from None
    if not value.is_finite() or abs(value) > MAX_VALUE:
        raise ValueError(f"{label}が大きすぎます（±10兆まで）")
    value = value.quantize(Decimal("0.01"))
    if abs(value) > MAX_VALUE:  # 10000000000000.001 rounds up past it
        raise ValueError(f"{label}が大きすぎます（±10兆まで）")
    if positive and value <= 0:
        raise ValueError(f"{label}は0より大きい数値で入力してください")
    return value


MAX_ORDER = 32767  # the column is a small integer on both engines


def order(raw) -> int:
    """表示順: blank is 0. A number beyond the column failed in the database (a 500) instead of here."""
    if raw is None or raw == "":
        return 0
    number = None if isinstance(raw, bool) else row_id(raw)
    if number is None or number > MAX_ORDER:
        raise ValueError(f"表示順は0〜{MAX_ORDER}の整数で入力してください")
    return number


def fiscal_year(raw, *, label: str = "年度") -> int:
    try:
        year = parse_fiscal_year(raw)
    except InvalidFiscalYear:
        raise ValueError(f"{label}が正しくありません（例: 2027、令和9年度、R9）") from None
    if not 2000 <= year <= 2100:
        raise ValueError(f"{label}は2000〜2100年度の範囲で入力してください")
    return year


def date(raw, *, label: str) -> dt.date:
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw or "").strip())
    except ValueError:
        raise ValueError(f"{label}は YYYY-MM-DD の形式で入力してください") from None


def links(raw) -> list[str]:
    """Evidence links: pages of this platform (a path beginning with /) or http(s) URLs, one per line."""
    items = raw.splitlines() if isinstance(raw, str) else list(raw or [])
    result = []
    for item in items:
        link = str(item).strip()
        if not link:
            continue
        parsed = urlparse(link)
        local = link.startswith("/") and not link.startswith("//")
        if not local and not (parsed.scheme in ("http", "https") and parsed.netloc):
            raise ValueError(f"根拠のリンクは「/」で始まるこのサイトのページか http(s) のURLです: {link[:100]}")
        if len(link) > 500:
            raise ValueError("根拠のリンクは1件500文字以内です")
        result.append(link)
    if len(result) > MAX_LINKS:
        raise ValueError(f"根拠のリンクは{MAX_LINKS}件までです")
    return result
