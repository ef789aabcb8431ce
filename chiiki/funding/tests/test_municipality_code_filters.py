"""A 団体コード typed as people type it (5 digits, full-width digits, a hyphen) names the same municipality in every
funding list and registration (page, CSV, ICS and API); one that is not a code is said, in Japanese, with nothing
listed, as the other bad filters are; 年度 in the plan API is read as the pages read it (令和8, R8)."""

import csv
import datetime as dt
import io

import pytest

from chiiki import access
from chiiki.funding import actions
from chiiki.funding.models import ImplementationPlan
from chiiki.roadmap.models import Sector

from .conftest import CONFIRMED, GENERAL

pytestmark = pytest.mark.django_db

TYPED = ["13201", "１３２０１２", "13-2012"]


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _campaign(register, code="132012", title="高尾山の見守りIoT"):
    today = dt.date.today()
    return actions.create_campaign(access.SYSTEM, register["municipalities"][code], title=title,
                                   use_of_funds="センサー", target_amount=1_000_000, start_date=today,
                                   end_date=today + dt.timedelta(days=30), donation_url="https://example.jp/cf")


@pytest.fixture
def hachioji_and_sapporo(plan_factory):
    return (plan_factory([(2026, "people_knowhow", 100, [(GENERAL, 100, CONFIRMED, None)])], status="published",
                         title="八王子の計画"),
            plan_factory([(2026, "people_knowhow", 100, [(GENERAL, 70, CONFIRMED, None)])], status="published",
                         municipality="011002", title="札幌の計画"))


@pytest.mark.parametrize("typed", ["13-2012", " 13201 "])
def test_the_plan_list_reads_a_hyphenated_code(client, hachioji_and_sapporo, typed):
    page = client.get("/funding/plans/", {"municipality": typed}).content.decode()
    assert ">八王子の計画</a>" in page and ">札幌の計画</a>" not in page


def test_a_bad_code_in_the_plan_list_is_said_with_nothing_listed(client, hachioji_and_sapporo):
    response = client.get("/funding/plans/", {"municipality": "132013"})  # check digit 2
    page = response.content.decode()
    assert "団体コードが正しくありません" in page
    assert ">八王子の計画</a>" not in page and ">札幌の計画</a>" not in page
    assert len(_csv(client.get("/funding/plans/", {"municipality": "1320x", "format": "csv"}))) == 1  # header only
    api = client.get("/api/v1/plans", {"municipality": "1320x"})
    assert api.status_code == 422 and api.json()["detail"].startswith("団体コードが正しくありません")


@pytest.mark.parametrize("typed", TYPED)
def test_the_line_list_and_fund_flow_read_a_typed_code(client, hachioji_and_sapporo, typed):
    page = client.get("/funding/lines/", {"municipality": typed})
    assert page.status_code == 200
    assert [r[1] for r in _csv(client.get("/funding/lines/", {"municipality": typed, "format": "csv"}))[1:]] == [
        "八王子の計画"]
    listed = client.get("/api/v1/funding/lines", {"municipality": typed}).json()
    assert (listed["count"], listed["total_amount"]) == (1, 100)
    flows = client.get("/api/v1/funding/flows", {"municipality": typed}).json()
    assert flows["total"]["planned"] == 100


def test_a_bad_code_in_the_line_list_is_refused(client, hachioji_and_sapporo):
    page = client.get("/funding/lines/", {"municipality": "99999"})
    assert page.status_code == 422 and "団体コードが正しくありません" in page.content.decode()
    assert page.context["totals"]["count"] == 0
    for url in ("/api/v1/funding/lines", "/api/v1/funding/flows"):
        api = client.get(url, {"municipality": "99999"})
        assert api.status_code == 422 and api.json()["detail"].startswith("団体コードが正しくありません"), url


@pytest.mark.parametrize("typed", TYPED)
def test_the_campaign_lists_read_a_typed_code(client, register, typed):
    _campaign(register)
    _campaign(register, "011002", title="札幌のCF")
    page = client.get("/funding/campaigns/", {"municipality": typed}).content.decode()
    assert "高尾山の見守りIoT" in page and "札幌のCF" not in page
    calendar = client.get("/funding/campaigns.ics", {"municipality": typed}).content.decode()
    assert "高尾山の見守りIoT" in calendar and "札幌のCF" not in calendar
    assert [c["title"] for c in client.get("/api/v1/campaigns", {"municipality": typed}).json()["items"]] == [
        "高尾山の見守りIoT"]


def test_a_bad_code_in_the_campaign_lists_is_refused(client, register):
    _campaign(register)
    page = client.get("/funding/campaigns/", {"municipality": "abc"}).content.decode()
    assert "団体コードが正しくありません" in page and "高尾山の見守りIoT" not in page
    calendar = client.get("/funding/campaigns.ics", {"municipality": "abc"})
    assert calendar.status_code == 422 and "団体コードが正しくありません" in calendar.content.decode()
    api = client.get("/api/v1/campaigns", {"municipality": "abc"})
    assert api.status_code == 422 and api.json()["detail"].startswith("団体コードが正しくありません")


def test_the_api_takes_participants_as_the_page_does(client_for, users, register):
    c = client_for(users["tokyo"])
    created = c.post("/api/v1/plans", content_type="application/json", data={
        "prefecture": "13", "participants": ["13402", "１３２０１２"], "title": "島しょ計画", "sector": "disaster",
        "start_year": 2026})
    assert created.status_code == 201, created.content.decode()
    assert sorted(created.json()["participants"]) == ["132012", "134023"]
    plan = created.json()
    replaced = c.put(f"/api/v1/plans/{plan['id']}/participants", content_type="application/json",
                     data={"version": plan["version"], "participants": ["13101"]})
    assert replaced.status_code == 200, replaced.content.decode()
    assert replaced.json()["participants"] == ["131016"]
    bad = c.put(f"/api/v1/plans/{plan['id']}/participants", content_type="application/json",
                data={"version": replaced.json()["version"], "participants": ["999999"]})
    assert bad.status_code == 422 and bad.json()["detail"]["participants"].startswith("団体コードが正しくありません")
    unknown = c.post("/api/v1/plans", content_type="application/json", data={
        "prefecture": "13", "participants": ["13103"], "title": "島しょ計画", "sector": "disaster",
        "start_year": 2026})
    assert unknown.status_code == 422
    assert unknown.json()["detail"] == {"participants": "団体コード 13103 の団体は登録されていません"}


def test_a_bad_code_in_a_registration_is_said_as_such(client_for, users):
    c = client_for(users["hachioji"])
    campaign = c.post("/api/v1/campaigns", content_type="application/json", data={
        "municipality": "132013", "title": "CF", "use_of_funds": "見守り", "target_amount": 1_000_000,
        "start_date": "2026-06-01", "end_date": "2026-07-01", "donation_url": "https://example.jp/cf"})
    assert campaign.status_code == 422
    assert campaign.json()["detail"]["municipality"].startswith("団体コードが正しくありません")
    plan = c.post("/api/v1/plans", content_type="application/json", data={
        "municipality": "1320x", "title": "見守り計画", "sector": "education", "start_year": 2026})
    assert plan.status_code == 422
    assert plan.json()["detail"]["municipality"].startswith("団体コードが正しくありません")


def test_the_plan_api_reads_a_japanese_fiscal_year(client_for, users):
    c = client_for(users["hachioji"])
    created = c.post("/api/v1/plans", content_type="application/json", data={
        "municipality": "132012", "title": "見守り計画", "sector": "education", "start_year": "令和8",
        "years": [{"fiscal_year": "R8", "phase": "people_knowhow"}, {"fiscal_year": "令和9年度", "phase": "implementation"},
                  {"fiscal_year": 2028, "phase": "operation"}]})
    assert created.status_code == 201, created.content.decode()
    plan = created.json()
    assert plan["start_year"] == 2026 and [y["fiscal_year"] for y in plan["years"]] == [2026, 2027, 2028]
    updated = c.put(f"/api/v1/plans/{plan['id']}", content_type="application/json",
                    data={"version": plan["version"], "start_year": "R9"})
    assert updated.status_code == 200 and updated.json()["start_year"] == 2027
    added = c.post(f"/api/v1/plans/{plan['id']}/years", content_type="application/json",
                   data={"fiscal_year": "令和11年度", "phase": "operation"})
    assert added.status_code == 201 and added.json()["years"][-1]["fiscal_year"] == 2029

    refused = c.post("/api/v1/plans", content_type="application/json", data={
        "municipality": "132012", "title": "見守り計画", "sector": "education", "start_year": "来年"})
    assert refused.status_code == 422
    assert refused.json()["detail"]["start_year"].startswith("開始年度: 年度を読み取れません")
    assert ImplementationPlan.objects.count() == 1


def test_the_openapi_schema_says_a_fiscal_year_may_be_text(client, db):
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    for schema, field in (("PlanIn", "start_year"), ("YearIn", "fiscal_year")):
        types = {t["type"] for t in schemas[schema]["properties"][field]["anyOf"]}
        assert types == {"integer", "string"}, schema
        assert "令和8" in schemas[schema]["properties"][field]["description"]


def test_the_web_participants_field_still_reads_typed_codes(client_for, users, register):
    plan = actions.create_plan(access.SYSTEM, register["prefectures"]["13"], sector=Sector.objects.get(pk="disaster"),
                               title="東京都 島しょ防災計画", start_year=2026, operator_kind="direct")
    response = client_for(users["tokyo"]).post(f"/funding/plans/{plan.pk}/participants",
                                               {"participants": "１３４０２３、13201", "version": plan.version})
    assert response.status_code == 302
    assert sorted(plan.participants.values_list("code", flat=True)) == ["132012", "134023"]
