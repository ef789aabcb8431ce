"""Dates in texts built in Python (マイページ's items), written as the templates write them (date:"Y年n月j日").
Exports and history keep ISO: they are read by programs, not people."""

import datetime as dt

from django.utils import dateformat, timezone

DATE = "Y年n月j日"
DATETIME = "Y年n月j日 H:i"


def japanese_date(value: dt.date | dt.datetime) -> str:
    """2027年1月17日 for a date; 2027年1月17日 14:30 for a moment, in Japan time (settings.TIME_ZONE), as the
    templates show it (a moment stored in UTC would otherwise read nine hours early)."""
    if isinstance(value, dt.datetime):
        return dateformat.format(timezone.localtime(value), DATETIME)
    return dateformat.format(value, DATE)
