"""The campaign list's calendar link (ICS) holds the campaigns the list shows with its filters, as the event and
challenge lists' calendars do; a filter it cannot read is answered 422, as the list leaves every campaign out."""

import html
import re

import pytest
from django.utils import timezone

from chiiki import access
from chiiki.funding import actions

from .test_campaigns import _campaign

pytestmark = pytest.mark.django_db


def _calendar_link(page) -> str:
    return html.unescape(re.search(r'href="(/funding/campaigns\.ics[^"]*)"', page.content.decode()).group(1))


def test_campaign_calendar_follows_the_lists_status_filter(client, register):
    running = _campaign(register, title="募集中のCF", days_from_start=-10, days_to_end=20)
    upcoming = _campaign(register, title="募集前のCF", days_from_start=5, days_to_end=40)
    page = client.get("/funding/campaigns/?status=open")
    assert [c.pk for c, _p in page.context["page"].object_list] == [running.pk]
    link = _calendar_link(page)
    assert "status=open" in link  # the page hands its filter to the calendar
    body = client.get(link).content.decode()
    assert f"UID:campaign-{running.pk}-end@chiiki" in body
    assert f"UID:campaign-{upcoming.pk}-end@chiiki" not in body, f"{link} holds a campaign the list leaves out"


def test_campaign_calendar_follows_the_lists_received_year_filter(client, register):
    today = timezone.localdate()
    year = today.year if today.month >= 4 else today.year - 1
    received = _campaign(register, title="寄附を受けたCF")
    _campaign(register, title="寄附のないCF")
    silent = _campaign(register, title="寄附のないCF2")
    actions.record_receipt(access.SYSTEM, received, received_on=today, amount=5000, external_id="r-1")
    page = client.get(f"/funding/campaigns/?received_year={year}")
    assert [c.pk for c, _p in page.context["page"].object_list] == [received.pk]
    body = client.get(_calendar_link(page)).content.decode()
    assert f"UID:campaign-{received.pk}-end@chiiki" in body
    assert f"UID:campaign-{silent.pk}-end@chiiki" not in body


@pytest.mark.parametrize("query", ["received_year=二千年", "municipality=12"])
def test_campaign_calendar_refuses_a_filter_the_list_cannot_read(client, register, query):
    _campaign(register)
    page = client.get(f"/funding/campaigns/?{query}")
    assert not page.context["page"].object_list  # the list: nothing, and why
    response = client.get(f"/funding/campaigns.ics?{query}")
    assert response.status_code == 422
    assert not response["Content-Type"].startswith("text/calendar")
    assert "BEGIN:VEVENT" not in response.content.decode()
