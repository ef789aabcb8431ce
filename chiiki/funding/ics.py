"""iCalendar feed of crowdfunding end dates (the programs app's RFC 5545 helpers, one all-day event each)."""

import datetime as dt

from django.conf import settings

from chiiki.programs.ics import _escape, _fold


def campaign_calendar(campaigns) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Chiiki//クラウドファンディング//JA", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", f"X-WR-CALNAME:{_escape('クラウドファンディングの募集終了日')}",
             "X-WR-TIMEZONE:Asia/Tokyo"]
    for c in campaigns:
        url = settings.SITE_URL + c.get_absolute_url()
        stamp = c.updated_at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        description = f"{c.municipality.full_name}: {c.title}\n目標金額 {c.target_amount:,}円\n寄附ページ: {c.donation_url}\n{url}"
        lines += ["BEGIN:VEVENT", f"UID:campaign-{c.pk}-end@chiiki", f"DTSTAMP:{stamp}",
                  f"DTSTART;VALUE=DATE:{c.end_date:%Y%m%d}",
                  f"DTEND;VALUE=DATE:{c.end_date + dt.timedelta(days=1):%Y%m%d}",
                  f"SUMMARY:{_escape(f'【募集終了】{c.title}（{c.municipality.name}）')}",
                  f"DESCRIPTION:{_escape(description)}", f"URL:{url}", f"SEQUENCE:{c.version}",
                  "TRANSP:TRANSPARENT", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(_fold(line) for line in lines) + "\r\n").encode()
