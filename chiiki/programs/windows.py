"""Application windows (募集期間) and the status they give a program on a day.

The `windows` text of a program is a ';'-separated list of:
- ``always``                      通年（特別交付税措置・税制など、公募の締切がないもの）
- ``2026-04-01..2026-05-31``      a dated window (年度 = the 年度 of its opening day)
- ``monthly:4-12``                a deadline at the end of every month from April to December of every 年度
- ``monthly:4-12:20``             … on the 20th instead of the month's end
Empty = 募集時期が未登録 (status ``unknown``): we never invent dates.
"""

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from chiiki.core.dates import japanese_date
from chiiki.core.fiscal import fiscal_year_of

OPEN, UPCOMING, CLOSED, UNKNOWN, ENDED = "open", "upcoming", "closed", "unknown", "ended"
STATUS_LABELS = {OPEN: "受付中", UPCOMING: "受付予定", CLOSED: "受付終了", UNKNOWN: "募集時期未登録", ENDED: "募集終了"}
STATUS_ORDER = {OPEN: 0, UPCOMING: 1, UNKNOWN: 2, CLOSED: 3, ENDED: 4}
# Statuses a search shows when none is chosen: an ended program (募集終了) is history, not a recommendation.
DEFAULT_STATUSES = [OPEN, UPCOMING, UNKNOWN, CLOSED]

_DATED = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")
_MONTHLY = re.compile(r"^monthly:(\d{1,2})-(\d{1,2})(?::(\d{1,2}))?$")


@dataclass(frozen=True)
class Window:
    kind: str  # always | dated | monthly
    opens: dt.date | None = None
    closes: dt.date | None = None
    first_month: int = 0
    last_month: int = 0
    day: int | None = None  # None = month end

    def label(self) -> str:
        if self.kind == "always":
            return "通年"
        if self.kind == "dated":
            return f"{japanese_date(self.opens)}〜{japanese_date(self.closes)}"
        if self.day is None:
            return (f"毎年度{self.first_month}月〜{self.last_month}月の毎月締切"
                    "（締切日の記載がないため月末として表示。募集案内で確認してください）")
        return f"毎年度{self.first_month}月〜{self.last_month}月の毎月{self.day}日締切"


def parse_windows(text: str) -> list[Window]:
    """Parse the windows text; raises ValueError with a Japanese message."""
    windows = []
    for part in (p.strip() for p in (text or "").split(";")):
        if not part:
            continue
        if part == "always":
            windows.append(Window("always"))
        elif m := _DATED.match(part):
            try:
                opens, closes = dt.date.fromisoformat(m.group(1)), dt.date.fromisoformat(m.group(2))
            except ValueError:
                raise ValueError(f"日付が正しくありません: {part}") from None
            if closes < opens:
                raise ValueError(f"締切日が開始日より前です: {part}")
            windows.append(Window("dated", opens=opens, closes=closes))
        elif m := _MONTHLY.match(part):
            first, last, day = int(m.group(1)), int(m.group(2)), m.group(3)
            if not (1 <= first <= 12 and 1 <= last <= 12):
                raise ValueError(f"月の指定が正しくありません: {part}")
            if day is not None and not 1 <= int(day) <= 28:
                raise ValueError(f"締切日は1〜28日で指定してください: {part}")
            if not _fiscal_months(first, last):
                # A 年度 runs April to March: 1-4 would silently give no deadline at all.
                suffix = f":{day}" if day else ""
                raise ValueError(f"毎月締切の月は年度の順（4月→翌3月）で指定してください: {part}。4月をまたぐ場合は"
                                 f"2つに分けてください（monthly:{first}-3{suffix};monthly:4-{last}{suffix}）")
            windows.append(Window("monthly", first_month=first, last_month=last, day=int(day) if day else None))
        else:
            raise ValueError(
                f"募集期間を読み取れません: {part}（例: always / 2026-04-01..2026-05-31 / monthly:4-12）")
    return windows


def _fiscal_months(first: int, last: int) -> list[int]:
    """Months of a 年度 from first to last in fiscal order (April = first)."""
    order = [4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3]
    i, j = order.index(first), order.index(last)
    return order[i:j + 1] if i <= j else []


def days_after(day: dt.date, days: int) -> dt.date:
    """day + days, held at the calendar's ends: a far-off date (send_program_alerts --date 9999-06-01) must not
    crash the date arithmetic."""
    try:
        return day + dt.timedelta(days=days)
    except OverflowError:
        return dt.date.max if days > 0 else dt.date.min


def monthly_deadlines(window: Window, fiscal_year: int) -> list[dt.date]:
    days = []
    for month in _fiscal_months(window.first_month, window.last_month):
        year = fiscal_year if month >= 4 else fiscal_year + 1
        if year > dt.MAXYEAR:
            break
        day = window.day or calendar.monthrange(year, month)[1]
        days.append(dt.date(year, month, day))
    return days


@dataclass(frozen=True)
class Deadline:
    day: dt.date
    opens: dt.date | None
    key: str  # stable, for ICS UIDs
    label: str


def deadlines(windows: list[Window], start: dt.date, end: dt.date,
              ended_fiscal_year: int | None = None) -> list[Deadline]:
    """Every application deadline falling within [start, end], none of a 年度 after ended_fiscal_year (the
    program's last 年度 of applications; a dated window belongs to the 年度 of its opening day)."""
    last = fiscal_year_of(end) if ended_fiscal_year is None else min(fiscal_year_of(end), ended_fiscal_year)
    out = []
    for w in windows:
        if w.kind == "dated" and start <= w.closes <= end and fiscal_year_of(w.opens) <= last:
            out.append(Deadline(w.closes, w.opens, f"d{w.opens:%Y%m%d}-{w.closes:%Y%m%d}",
                                f"募集期間 {w.label()}"))
        elif w.kind == "monthly":
            for fy in range(fiscal_year_of(start), last + 1):
                for day in monthly_deadlines(w, fy):
                    if start <= day <= end:
                        note = ESTIMATED_NOTE if w.day is None else ""
                        out.append(Deadline(day, None, f"m{day:%Y%m%d}", f"{day.month}月分の締切{note}"))
    return sorted(out, key=lambda d: d.day)


# A monthly window whose source names no day: its deadlines are shown as the month's end, never as a known date.
ESTIMATED_NOTE = "（月末として表示・締切日は募集案内で確認）"


@dataclass(frozen=True)
class Status:
    code: str
    next_deadline: dt.date | None = None
    next_opening: dt.date | None = None
    always: bool = False
    ended_fiscal_year: int | None = None
    deadline_estimated: bool = False  # next_deadline is a month's end standing in for an unstated day

    @property
    def deadline_note(self) -> str:
        return ESTIMATED_NOTE if self.deadline_estimated else ""

    @property
    def label(self) -> str:
        if self.code == ENDED:
            return f"募集終了（{self.ended_fiscal_year}年度まで）"
        return "通年" if self.always else STATUS_LABELS[self.code]


def status_on(windows: list[Window], today: dt.date, ended_fiscal_year: int | None = None) -> Status:
    """The status on `today`; a program whose last 年度 of applications is before today's 年度 has ended, whatever
    its windows say (a recurring window such as monthly:4-12 would otherwise reopen it every year), and in its last
    年度 nothing opens after that 年度."""
    fy = fiscal_year_of(today)
    if ended_fiscal_year is not None and ended_fiscal_year < fy:
        return Status(ENDED, ended_fiscal_year=ended_fiscal_year)
    if not windows:
        return Status(UNKNOWN)
    if any(w.kind == "always" for w in windows):
        upcoming = deadlines(windows, today, days_after(today, 400), ended_fiscal_year)
        return Status(OPEN, upcoming[0].day if upcoming else None, always=True,
                      deadline_estimated=bool(upcoming) and ESTIMATED_NOTE in upcoming[0].label)
    open_deadlines: list[tuple[dt.date, bool]] = []  # (deadline, estimated)
    openings: list[dt.date] = []
    for w in windows:
        if w.kind == "dated":
            if ended_fiscal_year is not None and fiscal_year_of(w.opens) > ended_fiscal_year:
                continue  # a round the program will not hold
            if w.opens <= today <= w.closes:
                open_deadlines.append((w.closes, False))
            elif w.opens > today:
                openings.append(w.opens)
        else:
            this_year = monthly_deadlines(w, fy)
            if this_year and this_year[0].replace(day=1) <= today <= this_year[-1]:
                open_deadlines.append((min(d for d in this_year if d >= today), w.day is None))
            else:
                following = [d for d in this_year if d.replace(day=1) > today]
                if not following and (ended_fiscal_year is None or fy < ended_fiscal_year):
                    following = monthly_deadlines(w, fy + 1)
                if following:
                    openings.append(following[0].replace(day=1))
    if open_deadlines:
        # A known date wins over an estimated month's end on the same day.
        deadline, estimated = min(open_deadlines, key=lambda d: (d[0], d[1]))
        return Status(OPEN, deadline, None, deadline_estimated=estimated)
    if openings:
        return Status(UPCOMING, None, min(openings))
    return Status(CLOSED)
