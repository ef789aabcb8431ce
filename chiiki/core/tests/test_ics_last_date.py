"""An all-day entry ends (exclusively) the day after its date. A row stored with the last date Python can hold
(9999-12-31: typed before the forms bounded dates, or written by an import) has no day after, and the shared
public feeds answered 500 for everyone. Such an entry goes without DTEND (RFC 5545: one day) and the feed stays up."""

import datetime as dt

import pytest
from django.utils import timezone
from icalendar import Calendar

from chiiki import access
from chiiki.funding import actions as funding
from chiiki.funding.models import Campaign
from chiiki.promotion import actions as promotion
from chiiki.promotion.models import Challenge

pytestmark = pytest.mark.django_db


def _entries(client, url: str) -> dict[str, dict]:
    response = client.get(url)
    assert response.status_code == 200, url
    return {str(e["UID"]): e for e in Calendar.from_ical(response.content).walk("VEVENT")}


def test_the_public_feeds_stay_up_with_a_row_at_the_last_date(client, register):
    place, today = register["municipalities"]["132012"], timezone.localdate()
    campaigns = [funding.create_campaign(
        access.SYSTEM, place, title=title, use_of_funds="登山道のセンサー設置", target_amount=1_000_000,
        start_date=today, end_date=today + dt.timedelta(days=20), model="all_in",
        donation_url="https://example.jp/furusato/123") for title in ("高尾山の見守りIoT", "河川の水位センサー")]
    challenges = [promotion.save_challenge(access.SYSTEM, place, None, {
        "sector": "disaster", "title": title, "problem": "p", "requirements": "r",
        "deadline": (today + dt.timedelta(days=30)).isoformat()}) for title in ("島の防災", "避難所の見える化")]
    # As old data could hold it: written past the forms.
    Campaign.objects.filter(pk=campaigns[0].pk).update(end_date=dt.date.max)
    Challenge.objects.filter(pk=challenges[0].pk).update(deadline=dt.date.max)

    for url, far, usual, usual_day in (
        ("/funding/campaigns.ics", f"campaign-{campaigns[0].pk}-end@chiiki", f"campaign-{campaigns[1].pk}-end@chiiki",
         campaigns[1].end_date),
        ("/promotion/challenges/deadlines.ics", f"challenge-{challenges[0].pk}@chiiki",
         f"challenge-{challenges[1].pk}@chiiki", challenges[1].deadline),
    ):
        entries = _entries(client, url)
        assert entries[far].decoded("DTSTART") == dt.date.max and "DTEND" not in entries[far], url
        assert entries[usual].decoded("DTEND") == usual_day + dt.timedelta(days=1), url
