"""Editing a 地域再生計画 (name, 認定日, period) on its page and through PUT /api/v1/revitalisation-plans/{id}:
permission for every role, Japanese validation, stale version → 409, history, and the pledges it must keep valid."""

import datetime as dt
import re

import pytest

from chiiki import access
from chiiki.core.models import ChangeRecord
from chiiki.funding import actions
from chiiki.funding.models import NonGrantStatus, RevitalisationPlan
from chiiki.roadmap.models import Sector

ROLES = ["public", "admin", "tokyo", "hachioji", "aogashima", "sapporo", "advisor", "company"]
EDITORS = {"admin", "tokyo", "hachioji"}
VALID_NUMBER = "7000012050002"


def pledge_to(users, register, project, fiscal_year: int):
    """A company's 企業版ふるさと納税 pledge of ¥1,000,000 to project in fiscal_year (八王子市 may receive it)."""
    company = actions.register_company(users["company"], name="株式会社サンプル", corporate_number=VALID_NUMBER,
                                       head_office=register["municipalities"]["131016"])
    NonGrantStatus.objects.create(code="132012", fiscal_year=fiscal_year, non_grant=False, metropolitan=True)
    made, _created = actions.pledge(users["company"], company, project, amount=1_000_000, fiscal_year=fiscal_year,
                                    no_return_declared=True)
    return made


@pytest.fixture
def rr(register):
    plan = actions.create_revitalisation_plan(access.SYSTEM, register["municipalities"]["132012"],
                                              name="八王子市まち・ひと・しごと創生推進計画",
                                              approved_on=dt.date(2025, 6, 1), start_year=2025, end_year=2027)
    project = actions.add_revitalisation_project(access.SYSTEM, plan, name="八王子 防災センサー",
                                                 sector=Sector.objects.get(pk="disaster"), target_amount=10_000_000)
    return plan, project


def _put(c, plan, **body):
    data = {"version": plan.version, "name": plan.name, "approved_on": str(plan.approved_on),
            "start_year": plan.start_year, "end_year": plan.end_year, **body}
    return c.put(f"/api/v1/revitalisation-plans/{plan.pk}", data=data, content_type="application/json")


def test_recipient_extends_the_period_on_the_page(client_for, users, rr):
    plan, project = rr
    c = client_for(users["hachioji"])
    assert "地域再生計画を編集" in c.get(project.get_absolute_url()).content.decode()
    form = c.get(f"/funding/revitalisation/{plan.pk}/edit").content.decode()
    assert 'value="2027"' in form and "変更認定" in form
    response = c.post(f"/funding/revitalisation/{plan.pk}/edit", {
        "name": plan.name, "approved_on": "2026-03-20", "start_year": "令和7年度", "end_year": "令和11年度",
        "version": 1})
    assert response.status_code == 302 and response["Location"] == project.get_absolute_url()
    plan.refresh_from_db()
    assert (plan.approved_on, plan.start_year, plan.end_year, plan.version) == (dt.date(2026, 3, 20), 2025, 2029, 2)
    record = ChangeRecord.objects.get(model="funding.revitalisationplan", object_id=str(plan.pk), action="update")
    assert record.before["end_year"] == 2027 and record.after["end_year"] == 2029
    assert record.actor == users["hachioji"]
    assert "計画期間 2025〜2029年度" in c.get(project.get_absolute_url()).content.decode()
    # The extended period opens 2029 to donations in the public list.
    assert [p["id"] for p in c.get("/api/v1/revitalisation-projects?fiscal_year=2029").json()["items"]] == [
        project.pk]


def test_page_reports_errors_and_stale_versions(client_for, users, rr):
    plan, _project = rr
    c = client_for(users["hachioji"])
    bad = c.post(f"/funding/revitalisation/{plan.pk}/edit", {"name": "", "approved_on": "昨日", "start_year": "2027",
                                                             "end_year": "2025", "version": 1})
    assert bad.status_code == 422
    page = bad.content.decode()
    for reason in ("地域再生計画の名称を入力してください", "終了年度は開始年度以降にしてください",
                   "認定日は YYYY-MM-DD の形式で入力してください"):
        assert reason in page
    assert c.post(f"/funding/revitalisation/{plan.pk}/edit", {"name": "新名称", "start_year": "2025",
                                                              "end_year": "2027", "approved_on": "2025-06-01",
                                                              "version": 1}).status_code == 302
    stale = c.post(f"/funding/revitalisation/{plan.pk}/edit", {"name": "古い版から", "start_year": "2025",
                                                               "end_year": "2027", "version": 1})
    assert stale.status_code == 409 and "ほかの利用者" in stale.content.decode()
    # What was typed stays (a stale save loses nothing); the stored name is shown beside it.
    assert 'value="古い版から"' in stale.content.decode()
    assert re.search(r'<div class="theirs" id="r-name_theirs">.*新名称</div>', stale.content.decode())
    assert RevitalisationPlan.objects.get().name == "新名称"


def test_api_update_stale_and_validation(client_for, users, rr):
    plan, _project = rr
    c = client_for(users["hachioji"])
    assert c.get(f"/api/v1/revitalisation-plans/{plan.pk}").json()["version"] == 1
    ok = _put(c, plan, end_year=2030)
    assert ok.status_code == 200 and ok.json()["end_year"] == 2030 and ok.json()["version"] == 2
    stale = _put(c, plan, end_year=2031)
    assert stale.status_code == 409 and stale.json()["current"]["end_year"] == 2030
    bad = _put(c, plan, version=2, start_year=2031)
    assert bad.status_code == 422
    assert bad.json()["detail"] == {"end_year": "終了年度は開始年度以降にしてください"}
    no_version = c.put(f"/api/v1/revitalisation-plans/{plan.pk}", data={"name": "x", "start_year": 2025,
                                                                         "end_year": 2027},
                       content_type="application/json")
    assert no_version.status_code == 422
    assert c.get("/api/v1/revitalisation-plans/999999").status_code == 404


def test_period_cannot_drop_a_year_with_live_pledges(client_for, users, rr, register):
    plan, project = rr
    made = pledge_to(users, register, project, 2027)
    c = client_for(users["hachioji"])
    shorter = _put(c, plan, end_year=2026)
    assert shorter.status_code == 422
    assert shorter.json()["detail"] == {"start_year": "2027年度の寄附の申出・受領があるため、その年度を認定された計画期間"
                                                      "から外すことはできません（先に申出を取り消してください）"}
    unapproved = _put(c, plan, approved_on=None)
    assert unapproved.status_code == 422 and "2027年度の寄附の申出・受領があるため" in str(unapproved.json())
    actions.set_pledge_state(users["company"], made, "cancelled", version=made.version)
    assert _put(c, plan, end_year=2026).status_code == 200  # a cancelled pledge no longer holds the year


@pytest.mark.parametrize("role", ROLES)
def test_edit_by_role(client_for, users, rr, role):
    plan, _project = rr
    c = client_for(None if role == "public" else users[role])
    response = _put(c, plan, name="更新後の名称")
    page = c.get(f"/funding/revitalisation/{plan.pk}/edit")
    if role == "public":
        assert response.status_code == 401 and page.status_code == 302  # to the login page
    elif role in EDITORS:
        assert response.status_code == 200, response.content
        assert page.status_code == 200
    else:
        assert response.status_code == 403 and page.status_code == 403
        assert RevitalisationPlan.objects.get().name != "更新後の名称"
