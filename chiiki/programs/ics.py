"""An iCalendar (RFC 5545) feed of application deadlines, written without third-party code."""

import datetime as dt

from django.conf import settings
from django.urls import reverse


def _escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def _fold(line: str) -> str:
    """Fold content lines longer than 75 octets (continuation lines start with a space)."""
    data = line.encode("utf-8")
    if len(data) <= 75:
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


def calendar(pairs, *, name: str = "支援メニューの締切") -> bytes:
    """pairs: (program, Deadline) → VCALENDAR bytes with one all-day VEVENT per deadline."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Chiiki//支援メニュー締切//JA",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_escape(name)}",
        "X-WR-TIMEZONE:Asia/Tokyo",
    ]
    for program, deadline in pairs:
        url = settings.SITE_URL + reverse("programs:detail", args=[program.public_id])
        stamp = program.updated_at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        description = f"{program.name}（{program.provider}）\n{deadline.label}\n{program.summary}\n{url}"
        lines += [
            "BEGIN:VEVENT",
            f"UID:{program.public_id}-{deadline.key}@chiiki",
            f"DTSTAMP:{stamp}",
            f"DTSTART;VALUE=DATE:{deadline.day:%Y%m%d}",
            f"DTEND;VALUE=DATE:{deadline.day + dt.timedelta(days=1):%Y%m%d}",
            f"SUMMARY:{_escape(f'【締切】{program.name}')}",
            f"DESCRIPTION:{_escape(description)}",
            f"URL:{url}",
            f"SEQUENCE:{program.version}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(_fold(line) for line in lines) + "\r\n").encode("utf-8")
