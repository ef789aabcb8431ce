"""An iCalendar feed of application deadlines (the frame: chiiki.core.ics)."""

from django.conf import settings
from django.urls import reverse

from chiiki.core import ics


def calendar(pairs, *, name: str = "支援メニューの締切") -> bytes:
    """pairs: (program, Deadline) → VCALENDAR bytes with one all-day VEVENT per deadline."""
    events = []
    for program, deadline in pairs:
        url = settings.SITE_URL + reverse("programs:detail", args=[program.public_id])
        events.append(ics.all_day(
            f"{program.public_id}-{deadline.key}@chiiki", updated=program.updated_at, day=deadline.day,
            summary=f"【締切】{program.name}",
            description=f"{program.name}（{program.provider}）\n{deadline.label}\n{program.summary}\n{url}",
            url=url, sequence=program.version))
    return ics.calendar(name, "支援メニュー締切", events)
