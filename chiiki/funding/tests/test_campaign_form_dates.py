"""The クラウドファンディング form reads a date as the action does: 2026/6/1 (what a spreadsheet gives) is saved by
the action, so the form must not call it wrong beside another field's refusal or on a conflict."""
import datetime as dt
import re

from django.utils import timezone

from chiiki import access
from chiiki.funding import actions

from .test_campaign_form_messages import errors


def _body(**extra):
    return {"title": "登山道のセンサー", "use_of_funds": "センサーの設置", "target_amount": "1000000",
            "start_date": "2026/6/1", "end_date": "2026/7/1", "model": "all_in", "minimum_donation": "2000",
            "donation_url": "https://example.jp/furusato/1", "plan": "", **extra}


def test_a_slash_date_is_not_refused_beside_another_fields_refusal(client_for, users):
    c = client_for(users["hachioji"])
    response = c.post("/funding/campaigns/new", _body(municipality="132012", title=""))
    assert response.status_code == 422
    assert errors(response.content.decode()) == {"title": ["プロジェクト名を入力してください"]}
    # Before the action runs (no 団体 chosen), the form says the same about the same date: nothing.
    response = c.post("/funding/campaigns/new", _body(municipality=""))
    assert errors(response.content.decode()) == {"municipality": ["実施団体を選んでください"]}
    # A date neither reads is said once, in the action's words.
    response = c.post("/funding/campaigns/new", _body(municipality="132012", start_date="6月1日"))
    assert errors(response.content.decode()) == {
        "start_date": ["募集開始日は YYYY-MM-DD の形式で入力してください（入力: 6月1日）"]}


def test_a_stale_campaign_edit_with_a_slash_date_shows_no_error(client_for, users, register):
    today = timezone.localdate()
    campaign = actions.create_campaign(
        access.SYSTEM, register["municipalities"]["132012"], title="元の題名", use_of_funds="x", target_amount=1000,
        start_date=today, end_date=today + dt.timedelta(days=20), model="all_in", donation_url="https://example.jp/1")
    actions.update_campaign(access.SYSTEM, campaign, version=campaign.version, title="他の人の題名", use_of_funds="x",
                            target_amount=1000, start_date=today, end_date=today + dt.timedelta(days=20),
                            model="all_in", donation_url="https://example.jp/1")
    c = client_for(users["hachioji"])
    response = c.post(f"/funding/campaigns/{campaign.pk}/edit", _body(version=campaign.version))
    assert response.status_code == 409
    page = response.content.decode()
    assert errors(page) == {} and 'class="errorlist' not in page
    assert 'value="2026/6/1"' in page
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    assert c.post(f"/funding/campaigns/{campaign.pk}/edit", _body(version=version)).status_code == 302
    campaign.refresh_from_db()
    assert campaign.start_date == dt.date(2026, 6, 1)


def test_an_empty_campaign_post_is_refused_in_japanese_not_a_500(users):
    from django.test import Client

    client = Client(raise_request_exception=False)
    client.force_login(users["hachioji"])
    response = client.post("/funding/campaigns/new", {})
    assert response.status_code == 422
    assert "実施団体を選んでください" in response.content.decode()
