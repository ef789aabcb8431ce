"""iCalendar feeds of challenge deadlines and events (the frame: chiiki.core.ics)."""

from django.conf import settings
from django.http import HttpResponse

from chiiki.core import ics


def challenge_deadlines(challenges) -> bytes:
    events = []
    for c in challenges:
        url = settings.SITE_URL + c.get_absolute_url()
        events.append(ics.all_day(
            f"challenge-{c.pk}@chiiki", updated=c.created_at, day=c.deadline,
            summary=f"【提案締切】{c.municipality.name} {c.title}", description="\n".join([c.problem, url]),
            url=url, sequence=c.version))
    return ics.calendar("自治体の課題（提案締切）", "推進体制", events)


def _event_lines(e, *, uid: str, location: str, lead: tuple[str, ...] = ()) -> list[str]:
    url = settings.SITE_URL + e.get_absolute_url()
    return [
        f"UID:{uid}", f"DTSTAMP:{ics.stamp(e.created_at)}", f"DTSTART:{ics.stamp(e.starts_at)}",
        f"DTEND:{ics.stamp(e.ends_at)}", f"SUMMARY:{ics.escape(f'【{e.get_format_display()}】{e.title}')}",
        "DESCRIPTION:" + ics.escape("\n".join([*lead, f"主催: {e.organiser_name}", e.description, url])),
        *([f"LOCATION:{ics.escape(location)}"] if location else []), f"URL:{url}", f"SEQUENCE:{e.version}",
    ]


def event_calendar(events_) -> bytes:
    events = []
    for e in events_:
        # A public feed: the join link is for those registered (the event's page shows it to them), so an online-only
        # event says where to find it rather than handing it to anyone subscribed.
        location = e.venue or ("オンライン（参加のURLは申込後にイベントのページに表示）" if e.online_url else "")
        events.append(_event_lines(e, uid=f"event-{e.pk}@chiiki", location=location))
    return ics.calendar("推進体制のイベント・オンライン説明会", "推進体制", events)


def event_with_join_link(e) -> bytes:
    """One event with its join link, for one registrant or organiser (access rule promotion.event_join). Its own
    UID: a calendar that already holds the event from the public feed would otherwise take this file for the same
    entry and keep the copy without the link."""
    location = e.venue or e.online_url  # an online-only event takes place at its link (calendar apps link it)
    lead = (f"オンライン参加のURL: {e.online_url}",) if e.online_url else ()
    return ics.calendar(e.title, "推進体制",
                        [_event_lines(e, uid=f"event-{e.pk}-registrant@chiiki", location=location, lead=lead)])


def personal_response(body: bytes, filename: str) -> HttpResponse:
    """A calendar file for one user: the join link in it is theirs alone, so no cache (the public page cache, a
    shared proxy) may keep it for anyone else."""
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
