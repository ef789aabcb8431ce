"""The forms on the campaign, project and pledge pages answer a refusal with the same page: status 422 (or 409 when
someone saved first), the action's Japanese reason beside its field, what was typed still in the form, and nothing
written — no row, no history. (They used to redirect with a flash message, which dropped what was typed.)"""

import pytest

from chiiki import access
from chiiki.core.errors import Conflict
from chiiki.core.models import ChangeRecord
from chiiki.funding import actions
from chiiki.funding.models import CorporateDonationPledge, RevitalisationProject

from .test_campaigns import _campaign
from .test_corporate import corp  # noqa: F401 - the fixture
from .test_revitalisation_edit import rr  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def test_a_refused_campaign_report_keeps_what_was_typed(client_for, users, register):
    campaign = _campaign(register)
    records = ChangeRecord.objects.count()
    response = client_for(users["hachioji"]).post(f"/funding/campaigns/{campaign.pk}/reports", {
        "posted_on": "6月1日", "text": "登山口に見守りセンサーを10台設置しました"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "登山口に見守りセンサーを10台設置しました</textarea>" in html and 'value="6月1日"' in html
    assert '<ul class="errorlist" id="report-posted_on_error"><li>報告日は YYYY-MM-DD の形式で入力してください' in html
    assert not campaign.reports.exists() and ChangeRecord.objects.count() == records


def test_a_refused_pledge_keeps_the_amount_and_year(client_for, users, corp):  # noqa: F811
    records = ChangeRecord.objects.count()
    project = corp["matsue"]
    response = client_for(users["company"]).post(f"/funding/projects/{project.pk}/pledge", {
        "amount": "4000", "fiscal_year": "令和8年度", "no_return_declared": "1", "idempotency_key": "form-7"})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'value="4000"' in html and 'value="令和8年度"' in html and 'value="form-7"' in html
    assert 'id="pledge-amount_error"><li>寄附額は100,000円以上にしてください' in html
    assert not CorporateDonationPledge.objects.exists() and ChangeRecord.objects.count() == records
    # The declaration not ticked: refused beside its checkbox, the amount kept.
    response = client_for(users["company"]).post(f"/funding/projects/{project.pk}/pledge", {
        "amount": "500000", "fiscal_year": "2026", "idempotency_key": "form-8"})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'value="500000"' in html and 'id="pledge-no_return_declared_error"' in html
    assert not CorporateDonationPledge.objects.exists()


def test_a_refused_project_keeps_what_was_typed(client_for, users, rr):  # noqa: F811
    plan, project = rr
    records = ChangeRecord.objects.count()
    response = client_for(users["hachioji"]).post(f"/funding/projects/{project.pk}/add", {
        "name": "浅川の水位センサー", "sector": "health", "target_amount": "三百万円",
        "description": "河川の水位を常時観測する"})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'value="浅川の水位センサー"' in html and "河川の水位を常時観測する</textarea>" in html
    assert 'value="三百万円"' in html and '<option value="health" selected>' in html
    assert 'id="ap-target_amount_error"' in html
    assert list(plan.projects.all()) == [project] and ChangeRecord.objects.count() == records
    assert RevitalisationProject.objects.count() == 1


def test_a_stale_pledge_state_change_answers_409_with_the_pledge_as_it_is(client_for, users, corp):  # noqa: F811
    made, _ = actions.pledge(users["company"], corp["company"], corp["matsue"], amount=500_000, fiscal_year=2026,
                             no_return_declared=True)
    seen = made.version
    actions.set_pledge_state(access.SYSTEM, made, "received", version=seen)  # another officer, first
    records = ChangeRecord.objects.count()
    c = client_for(users["admin"])
    response = c.post(f"/funding/pledges/{made.pk}/state", {"state": "cancelled", "version": seen})
    assert response.status_code == 409
    html = response.content.decode()
    assert Conflict.DEFAULT in html and "受領" in html
    made.refresh_from_db()
    assert made.state == "received" and ChangeRecord.objects.count() == records
    bad = c.post(f"/funding/pledges/{made.pk}/state", {"state": "cancelled", "version": made.version})
    assert bad.status_code == 422 and "「受領」の申出は変更できません" in bad.content.decode()
    made.refresh_from_db()
    assert made.state == "received" and ChangeRecord.objects.count() == records


def test_the_tax_credit_form_keeps_a_refused_year_and_shows_a_year_saved_meanwhile(client_for, users):
    from chiiki.funding.models import TaxCreditSetting

    c = client_for(users["admin"])
    refused = c.post("/funding/tax-credit", {"credit_end_year": "来年度", "version": "1"})
    assert refused.status_code == 422
    html = refused.content.decode()
    assert 'value="来年度"' in html and 'id="t-credit_end_year_error"' in html
    assert not ChangeRecord.objects.filter(model__endswith="taxcreditsetting").exists()
    actions.set_credit_end_year(access.SYSTEM, 2030, version=1)  # another admin, first
    stale = c.post("/funding/tax-credit", {"credit_end_year": "2031", "version": "1"})
    assert stale.status_code == 409
    html = stale.content.decode()
    assert 'value="2031"' in html and 'name="version" value="2"' in html
    assert "ほかの人が保存した内容:</span> 2030" in html
    assert TaxCreditSetting.objects.get().credit_end_year == 2030
    assert ChangeRecord.objects.filter(model__endswith="taxcreditsetting").count() == 1
    assert c.post("/funding/tax-credit", {"credit_end_year": "2031", "version": "2"}).status_code == 302
