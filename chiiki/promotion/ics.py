"""iCalendar feeds of challenge deadlines and events (the frame: chiiki.core.ics)."""

from django.conf import settings

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


def event_calendar(events_) -> bytes:
    events = []
    for e in events_:
        url = settings.SITE_URL + e.get_absolute_url()
        # A public feed: the join link is for those registered (the event's page shows it to them), so an online-only
        # event says where to find it rather than handing it to anyone subscribed.
        location = e.venue or ("オンライン（参加のURLは申込後にイベントのページに表示）" if e.online_url else "")
        events.append([
            f"UID:event-{e.pk}@chiiki", f"DTSTAMP:{ics.stamp(e.created_at)}", f"DTSTART:{ics.stamp(e.starts_at)}",
            f"DTEND:{ics.stamp(e.ends_at)}", f"SUMMARY:{ics.escape(f'【{e.get_format_display()}】{e.title}')}",
            "DESCRIPTION:" + ics.escape("\n".join([f"主催: {e.organiser_name}", e.description, url])),
            *([f"LOCATION:{ics.escape(location)}"] if location else []), f"URL:{url}", f"SEQUENCE:{e.version}",
        ])
    return ics.calendar("推進体制のイベント・オンライン説明会", "推進体制", events)
