"""iCalendar feed of crowdfunding end dates, one all-day event each (the frame: chiiki.core.ics)."""

from django.conf import settings

from chiiki.core import ics


def campaign_calendar(campaigns) -> bytes:
    events = []
    for c in campaigns:
        url = settings.SITE_URL + c.get_absolute_url()
        events.append(ics.all_day(
            f"campaign-{c.pk}-end@chiiki", updated=c.updated_at, day=c.end_date,
            summary=f"【募集終了】{c.title}（{c.municipality.name}）",
            description=f"{c.municipality.full_name}: {c.title}\n目標金額 {c.target_amount:,}円\n"
                        f"寄附ページ: {c.donation_url}\n{url}",
            url=url, sequence=c.version))
    return ics.calendar("クラウドファンディングの募集終了日", "クラウドファンディング", events)
