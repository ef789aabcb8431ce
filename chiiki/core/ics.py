"""iCalendar (RFC 5545) feeds, written without third-party code: escaping, line folding and the calendar frame
that every app's feed shares (programs: application deadlines; funding: crowdfunding end dates; promotion:
challenge deadlines and events)."""

import datetime as dt


def escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def fold(line: str) -> str:
    """Fold content lines longer than 75 octets (continuation lines start with a space)."""
    if len(line.encode("utf-8")) <= 75:
        return line
    parts, current, size = [], "", 0
    for char in line:
        length = len(char.encode("utf-8"))
        limit = 75 if not parts else 74
        if size + length > limit:
            parts.append(current)
            current, size = "", 0
        current += char
        size += length
    parts.append(current)
    return "\r\n ".join(parts)


def stamp(value: dt.datetime) -> str:
    """A DATE-TIME in UTC (…Z)."""
    return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def all_day(uid: str, *, updated: dt.datetime, day: dt.date, summary: str, description: str, url: str,
            sequence: int) -> list[str]:
    """The lines of one all-day, transparent VEVENT (a deadline, an end date)."""
    # DTEND is exclusive (the next day). On the last representable date (a stored 9999-12-31) there is no next
    # day: the event goes without DTEND, which RFC 5545 reads as the same one day, so one such row cannot fail
    # a feed shared by everyone.
    end = [f"DTEND;VALUE=DATE:{_date(day + dt.timedelta(days=1))}"] if day < dt.date.max else []
    return [f"UID:{uid}", f"DTSTAMP:{stamp(updated)}", f"DTSTART;VALUE=DATE:{_date(day)}", *end,
            f"SUMMARY:{escape(summary)}", f"DESCRIPTION:{escape(description)}", f"URL:{url}",
            f"SEQUENCE:{sequence}", "TRANSP:TRANSPARENT"]


def _date(day: dt.date) -> str:
    # isoformat writes four-digit years always (strftime's %Y does not pad years before 1000 on every platform).
    return day.isoformat().replace("-", "")


def calendar(name: str, product: str, events) -> bytes:
    """VCALENDAR bytes: events are lists of content lines (without BEGIN/END:VEVENT)."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:-//Chiiki//{product}//JA", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", f"X-WR-CALNAME:{escape(name)}", "X-WR-TIMEZONE:Asia/Tokyo"]
    for event in events:
        lines += ["BEGIN:VEVENT", *event, "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(fold(line) for line in lines) + "\r\n").encode("utf-8")
