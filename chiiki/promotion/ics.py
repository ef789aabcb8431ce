"""iCalendar feeds of challenge deadlines and events (escaping and folding shared with the programs feed)."""

import datetime as dt

from django.conf import settings

from chiiki.programs.ics import _escape, _fold


def _stamp(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _calendar(name: str, events: list[list[str]]) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Chiiki//推進体制//JA", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", f"X-WR-CALNAME:{_escape(name)}", "X-WR-TIMEZONE:Asia/Tokyo"]
    for event in events:
        lines += ["BEGIN:VEVENT", *event, "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(_fold(line) for line in lines) + "\r\n").encode("utf-8")


def challenge_deadlines(challenges) -> bytes:
    events = []
    for c in challenges:
        url = settings.SITE_URL + c.get_absolute_url()
        events.append([
            f"UID:challenge-{c.pk}@chiiki", f"DTSTAMP:{_stamp(c.created_at)}",
            f"DTSTART;VALUE=DATE:{c.deadline:%Y%m%d}", f"DTEND;VALUE=DATE:{c.deadline + dt.timedelta(days=1):%Y%m%d}",
            f"SUMMARY:{_escape(f'【提案締切】{c.municipality.name} {c.title}')}",
            "DESCRIPTION:" + _escape("\n".join([c.problem, url])), f"URL:{url}", f"SEQUENCE:{c.version}",
            "TRANSP:TRANSPARENT",
        ])
    return _calendar("自治体の課題（提案締切）", events)


def event_calendar(events_) -> bytes:
    events = []
    for e in events_:
        url = settings.SITE_URL + e.get_absolute_url()
        location = e.venue or e.online_url
        events.append([
            f"UID:event-{e.pk}@chiiki", f"DTSTAMP:{_stamp(e.created_at)}", f"DTSTART:{_stamp(e.starts_at)}",
            f"DTEND:{_stamp(e.ends_at)}", f"SUMMARY:{_escape(f'【{e.get_format_display()}】{e.title}')}",
            "DESCRIPTION:" + _escape("\n".join([f"主催: {e.organiser_name}", e.description, url])),
            *([f"LOCATION:{_escape(location)}"] if location else []), f"URL:{url}", f"SEQUENCE:{e.version}",
        ])
    return _calendar("推進体制のイベント・オンライン説明会", events)
