"""The rules of the 地域情報化アドバイザー scheme as data and functions (docs/decisions/0016-talent-dispatch.md).

- Applications are taken in monthly rounds (April–December); each closes at 15:00 JST on its deadline date. The
  rounds are rows the national admin sets per 年度 (ApplicationRound).
- One case uses at most 3 days (on-site visits included), or at most 10 hours when it is online only.
- The same project (municipality × sector × 年度) with the same advisor once per 年度.
- The report is due within 7 days of the last visit.
- A visit is recorded once it has happened: never dated after today (Japan time).
"""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from .models import ApplicationRound, Status, TalentRequest, VisitMode

JST = ZoneInfo("Asia/Tokyo")
CLOSING_TIME = dt.time(15, 0)
ROUND_MONTHS = range(4, 13)  # April … December
MAX_DAYS = 3
MAX_ONLINE_HOURS = Decimal("10")
REPORT_DUE_DAYS = 7

# States that hold an advisor for a project (a declined, withdrawn or rejected request does not).
_HOLDING = (Status.ASKED, Status.ACCEPTED, Status.DISPATCHING, Status.REPORTED, Status.RATED, Status.COMPLETED)


def closes_at(round_: ApplicationRound) -> dt.datetime:
    return dt.datetime.combine(round_.deadline, CLOSING_TIME, tzinfo=JST)


def open_round(now: dt.datetime | None = None) -> ApplicationRound | None:
    """The round an application submitted now belongs to: the first whose deadline (15:00 JST) is still ahead."""
    now = now or timezone.now()
    today = now.astimezone(JST).date()
    for round_ in ApplicationRound.objects.filter(deadline__gte=today).order_by("deadline"):
        if now < closes_at(round_):
            return round_
    return None


def round_problem(fiscal_year: int, number: int, deadline: dt.date) -> str | None:
    if number < 1 or number > 12:
        return "回は1〜12で指定してください"
    if deadline.month not in ROUND_MONTHS:
        return "募集回の締切は4月から12月までです"
    start = dt.date(fiscal_year, 4, 1)
    if not (start <= deadline <= dt.date(fiscal_year, 12, 31)):
        return f"締切日が{fiscal_year}年度の4月〜12月に入っていません"
    return None


def visit_problem(visits, new_date: dt.date, new_hours: Decimal, new_mode: str) -> str | None:
    """Why one more visit would break the 3-day / 10-hour limit (None: it fits)."""
    all_visits = [(v.date, Decimal(v.hours), v.mode) for v in visits] + [(new_date, Decimal(new_hours), new_mode)]
    if any(mode == VisitMode.ONSITE for _d, _h, mode in all_visits):
        days = {d for d, _h, _m in all_visits}
        if len(days) > MAX_DAYS:
            return f"1件の派遣は現地訪問を含めて{MAX_DAYS}日までです（この記録で{len(days)}日になります）"
    else:
        hours = sum(h for _d, h, _m in all_visits)
        if hours > MAX_ONLINE_HOURS:
            return f"オンラインのみの派遣は{MAX_ONLINE_HOURS}時間までです（この記録で{hours}時間になります）"
    return None


def limit_used_up(visits) -> str | None:
    """Why the case has nothing left for another talent: a visit on any further day would break the limit (None:
    one still fits). The limit is the request's, so visits a departed talent made count for the next one."""
    recorded = [(v.date, Decimal(v.hours), v.mode) for v in visits]
    days = len({d for d, _h, _m in recorded})
    hours = sum((h for _d, h, _m in recorded), Decimal(0))
    onsite = any(mode == VisitMode.ONSITE for _d, _h, mode in recorded)
    # A further day is refused once the days are used (an on-site visit makes the days count); an online-only case
    # still has its hours, until they are used too.
    if days >= MAX_DAYS and (onsite or hours >= MAX_ONLINE_HOURS):
        return (f"この依頼の派遣の上限（現地訪問を含めて{MAX_DAYS}日、オンラインのみなら{MAX_ONLINE_HOURS}時間）は"
                f"すでに使い切っています（記録済み: {days}日・{hours}時間）。不採択にするか、団体が取り下げてください")
    return None


def same_project_problem(request: TalentRequest, talent) -> str | None:
    clash = (TalentRequest.objects.filter(municipality_id=request.municipality_id, sector_id=request.sector_id,
                                          fiscal_year=request.fiscal_year, talent=talent, status__in=_HOLDING)
             .exclude(pk=request.pk).exists())
    if clash:
        return "同じ事業（団体・分野）への同じ人材の派遣は1年度に1回までです"
    return None


def today() -> dt.date:
    """Today in Japan: the one clock add_visit reads (tests fix it here)."""
    return timezone.localdate(timezone=JST)


def report_due(last_visit: dt.date | None) -> dt.date | None:
    return last_visit + dt.timedelta(days=REPORT_DUE_DAYS) if last_visit else None


def is_overdue(last_visit: dt.date | None, today: dt.date | None = None) -> bool:
    due = report_due(last_visit)
    return due is not None and (today or timezone.localdate()) > due
