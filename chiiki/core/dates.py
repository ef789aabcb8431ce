"""Dates in texts built in Python (マイページ's items), written as the templates write them (date:"Y年n月j日").
Exports and history keep ISO: they are read by programs, not people.

parse_date() reads a date cell of an imported file, in every form a spreadsheet writes one."""

import datetime as dt
import re

from django.utils import dateformat, timezone

from chiiki.core.text import nfkc

DATE = "Y年n月j日"
DATETIME = "Y年n月j日 H:i"
# The years a stored date may fall in: a typo such as 9999-12-31 is refused here, since the calendar feeds and
# the date arithmetic of the pages that list it (a day after it) would fail on it for every visitor.
FIRST_YEAR, LAST_YEAR = 2000, 2100

# 2026-06-02, 2026/6/2 (Japanese Excel's CSV of a date cell), optionally followed by a time: an XLSX date-time
# cell reads as 2026-06-02T10:30:00, a CSV one as 2026/6/2 10:30. The time is dropped, the date kept as written.
_DATE = re.compile(r"([0-9]{4})([-/])([0-9]{1,2})\2([0-9]{1,2})"
                   r"(?:[T ]([0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?)(?:Z|[+-][0-9]{2}:?[0-9]{2})?)?")


def japanese_date(value: dt.date | dt.datetime) -> str:
    """2027年1月17日 for a date; 2027年1月17日 14:30 for a moment, in Japan time (settings.TIME_ZONE), as the
    templates show it (a moment stored in UTC would otherwise read nine hours early)."""
    if isinstance(value, dt.datetime):
        return dateformat.format(timezone.localtime(value), DATETIME)
    return dateformat.format(value, DATE)


def parse_date(raw, *, label: str = "日付") -> dt.date:
    """YYYY-M-D or YYYY/M/D (full-width digits too), or an ISO date-time (its date), in FIRST_YEAR–LAST_YEAR;
    ValueError in Japanese, naming label, otherwise."""
    if isinstance(raw, dt.date):
        return _in_range(raw.date() if isinstance(raw, dt.datetime) else raw, label)
    text = nfkc(str(raw or "")).strip()
    match = _DATE.fullmatch(text)
    if match is not None and _valid_time(match.group(5)):
        try:
            day = dt.date(int(match.group(1)), int(match.group(3)), int(match.group(4)))
        except ValueError:
            pass  # 2026-02-30: named below like any other bad date
        else:
            return _in_range(day, label)
    shown = f"（入力: {text[:30]}）" if text else ""
    raise ValueError(f"{label}は YYYY-MM-DD の形式で入力してください{shown}")


def _in_range(day: dt.date, label: str) -> dt.date:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValueError(f"{label}は{FIRST_YEAR}〜{LAST_YEAR}年の日付を入力してください（入力: {day.isoformat()}）")
    return day


def _valid_time(text: str | None) -> bool:
    if text is None:
        return True
    hour, minute, *second = text.split(":")
    return int(hour) < 24 and int(minute) < 60 and (not second or float(second[0]) < 60)
