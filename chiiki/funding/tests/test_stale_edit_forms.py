"""The plan, campaign, 地域再生計画 and project edit pages: a stale save keeps what was typed, shows beside each field
what the other person saved, and carries the stored version, so saving again overwrites on purpose (not 409 forever)."""
import datetime as dt
import re

from django.utils import timezone

from chiiki import access
from chiiki.funding import actions
from chiiki.funding.models import Campaign, ImplementationPlan, RevitalisationPlan, RevitalisationProject
from chiiki.roadmap.models import Sector


def _version(page: str) -> str:
    return re.search(r'name="version" value="(\d+)"', page).group(1)


def _theirs(page: str, field_id: str) -> str:
    found = re.search(rf'<div class="theirs" id="{field_id}_theirs">(.*?)</div>', page, re.S)
    return found.group(1) if found else ""


def test_a_stale_plan_edit_shows_the_stored_values_and_can_be_saved_over(client_for, users, plan_factory):
    plan = plan_factory([(2026, "people_knowhow", 0, [])], title="元の名前")
    seen = plan.version
    actions.update_plan(access.SYSTEM, plan, version=seen, title="他の人が付けた名前")
    c = client_for(users["hachioji"])
    body = {"title": "わたしの名前", "sector": "education", "vision": "", "start_year": "2026",
            "operator_kind": "direct", "operator_name": "", "operator_corporate_number": "", "kpis": "",
            "version": seen}
    response = c.post(f"/funding/plans/{plan.pk}/edit", body)
    assert response.status_code == 409
    page = response.content.decode()
    assert 'value="わたしの名前"' in page and "あなたの入力は消さずに残しています" in page
    assert "他の人が付けた名前" in _theirs(page, "id_title")
    assert _version(page) == str(seen + 1)
    again = c.post(f"/funding/plans/{plan.pk}/edit", {**body, "version": _version(page)})
    assert again.status_code == 302
    assert ImplementationPlan.objects.get(pk=plan.pk).title == "わたしの名前"


def test_a_stale_campaign_edit_keeps_the_typed_values_and_can_be_saved_over(client_for, users, register):
    today = timezone.localdate()
    campaign = actions.create_campaign(
        access.SYSTEM, register["municipalities"]["132012"], title="元の題名", use_of_funds="登山道のセンサー設置",
        target_amount=1_000_000, start_date=today - dt.timedelta(days=10), end_date=today + dt.timedelta(days=20),
        model="all_in", donation_url="https://example.jp/furusato/123")
    seen = campaign.version
    c = client_for(users["hachioji"])
    body = {"title": "わたしの題名", "use_of_funds": "わたしの使い道", "target_amount": "2000000",
            "start_date": str(campaign.start_date), "end_date": str(campaign.end_date), "model": "all_in",
            "minimum_donation": "2000", "gift_description": "", "gift_tier": "", "gift_cost": "",
            "donation_url": "https://example.jp/furusato/123", "plan": "", "version": seen}
    other = client_for(users["tokyo"])  # the prefecture saves first, from the same version
    assert other.post(f"/funding/campaigns/{campaign.pk}/edit", {**body, "title": "他の人の題名",
                                                                 "use_of_funds": "登山道のセンサー設置"}).status_code == 302
    response = c.post(f"/funding/campaigns/{campaign.pk}/edit", body)
    assert response.status_code == 409
    page = response.content.decode()
    assert 'value="わたしの題名"' in page and "わたしの使い道" in page
    assert "他の人の題名" in _theirs(page, "id_title") and "登山道のセンサー設置" in _theirs(page, "id_use_of_funds")
    assert _theirs(page, "id_target_amount") == ""  # the same as typed
    again = c.post(f"/funding/campaigns/{campaign.pk}/edit", {**body, "version": _version(page)})
    assert again.status_code == 302, "saving the kept input again must overwrite, not answer 409 forever"
    assert Campaign.objects.get(pk=campaign.pk).title == "わたしの題名"


def test_a_stale_revitalisation_plan_edit_keeps_the_typed_values(client_for, users, register):
    plan = actions.create_revitalisation_plan(access.SYSTEM, register["municipalities"]["132012"], name="元の名称",
                                              approved_on=dt.date(2025, 6, 1), start_year=2025, end_year=2027)
    c = client_for(users["hachioji"])
    assert c.post(f"/funding/revitalisation/{plan.pk}/edit", {"name": "他の人の名称", "approved_on": "2025-06-01",
                                                              "start_year": "2025", "end_year": "2027",
                                                              "version": 1}).status_code == 302
    body = {"name": "わたしが入力した名称", "approved_on": "2025-06-01", "start_year": "2025", "end_year": "2029",
            "version": 1}
    stale = c.post(f"/funding/revitalisation/{plan.pk}/edit", body)
    assert stale.status_code == 409
    page = stale.content.decode()
    assert 'value="わたしが入力した名称"' in page and 'value="2029"' in page
    assert "他の人の名称" in _theirs(page, "r-name") and "2027" in _theirs(page, "r-end")
    assert _theirs(page, "r-start") == ""
    assert RevitalisationPlan.objects.get().name == "他の人の名称"
    assert c.post(f"/funding/revitalisation/{plan.pk}/edit", {**body, "version": _version(page)}).status_code == 302
    assert RevitalisationPlan.objects.get().name == "わたしが入力した名称"


def test_a_stale_project_edit_keeps_the_typed_description(client_for, users, register):
    plan = actions.create_revitalisation_plan(access.SYSTEM, register["municipalities"]["132012"], name="計画",
                                              approved_on=dt.date(2025, 6, 1), start_year=2025, end_year=2027)
    project = actions.add_revitalisation_project(access.SYSTEM, plan, name="防災センサー",
                                                 sector=Sector.objects.get(pk="disaster"), target_amount=10_000_000)
    c = client_for(users["hachioji"])
    body = {"name": "防災センサー", "sector": "disaster", "target_amount": "10000000", "version": 1}
    assert c.post(f"/funding/projects/{project.pk}/edit", {**body, "description": "他の人の説明",
                                                           "sector": "education"}).status_code == 302
    stale = c.post(f"/funding/projects/{project.pk}/edit", {**body, "description": "わたしが長く書いた説明"})
    assert stale.status_code == 409
    page = stale.content.decode()
    assert re.search(r'<textarea id="p-description"[^>]*>わたしが長く書いた説明</textarea>', page)
    assert "他の人の説明" in _theirs(page, "p-description")
    assert Sector.objects.get(pk="education").name in _theirs(page, "p-sector")  # its name, not its code
    assert RevitalisationProject.objects.get().description == "他の人の説明"
    assert c.post(f"/funding/projects/{project.pk}/edit",
                  {**body, "description": "わたしが長く書いた説明", "version": _version(page)}).status_code == 302
    assert RevitalisationProject.objects.get().description == "わたしが長く書いた説明"
