"""A crowdfunding end date of 9999-12-31 is accepted by the campaign form, and the public calendar of end dates
(/funding/campaigns.ics) then fails for everyone: the all-day event's exclusive DTEND is the day after, which
Python cannot represent (OverflowError → 500). Dates must be range-checked with a Japanese message."""

import pytest

pytestmark = pytest.mark.django_db


def test_a_campaign_end_date_beyond_any_calendar_is_refused_and_the_feed_stays_up(client, client_for, users):
    c = client_for(users["hachioji"])
    data = {"municipality": "132012", "title": "子ども見守り", "use_of_funds": "通学路のセンサー",
            "target_amount": "500000", "start_date": "2026-06-01", "end_date": "9999-12-31", "model": "all_in",
            "minimum_donation": "", "gift_description": "", "gift_tier": "", "gift_cost": "",
            "donation_url": "https://example.jp/cf"}
    response = c.post("/funding/campaigns/new", data)
    assert response.status_code == 422, response.status_code
    assert "募集終了日は2000〜2100年の日付を入力してください" in response.content.decode()
    assert client.get("/funding/campaigns.ics").status_code == 200


def test_the_api_refuses_a_campaign_end_date_beyond_2100(client_for, users, register):
    response = client_for(users["hachioji"]).post("/api/v1/campaigns", content_type="application/json", data={
        "municipality": "132012", "title": "CF", "use_of_funds": "見守り", "target_amount": 1_000_000,
        "start_date": "2026-06-01", "end_date": "9999-12-31", "donation_url": "https://example.jp/cf"})
    assert response.status_code == 422, response.content.decode()
    assert "2000〜2100年" in response.json()["detail"]["end_date"]
