"""A 団体コード typed as people type it (5 digits without the check digit, full-width digits) names the same
municipality in funding as everywhere else (regions, cases, progress): the plan list's 団体コード filter (page, CSV,
API) and the API's plan and campaign registration."""

import csv
import io

import pytest

from .conftest import CONFIRMED, GENERAL

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("typed", ["13201", "１３２０１２", "１３２０１"])
def test_the_plan_list_filter_reads_a_5_digit_or_full_width_code(client, plan_factory, typed):
    plan_factory([(2025, "people_knowhow", 100, [(GENERAL, 100, CONFIRMED, None)])], status="published",
                 title="八王子の計画")
    assert ">八王子の計画</a>" in client.get("/funding/plans/", {"municipality": "132012"}).content.decode()

    page = client.get("/funding/plans/", {"municipality": typed}).content.decode()
    assert ">八王子の計画</a>" in page
    exported = list(csv.reader(io.StringIO(client.get("/funding/plans/", {"municipality": typed, "format": "csv"})
                                           .content.decode("utf-8-sig"))))
    assert [r[1] for r in exported[1:]] == ["八王子の計画"]
    assert client.get("/api/v1/plans", {"municipality": typed}).json()["count"] == 1


@pytest.mark.parametrize("typed", ["13201", "１３２０１２"])
def test_the_api_registers_a_campaign_and_a_plan_for_a_5_digit_or_full_width_code(client_for, users, register,
                                                                                    typed):
    c = client_for(users["hachioji"])
    campaign = c.post("/api/v1/campaigns", content_type="application/json", data={
        "municipality": typed, "title": "CF", "use_of_funds": "見守り", "target_amount": 1_000_000,
        "start_date": "2026-06-01", "end_date": "2026-07-01", "donation_url": "https://example.jp/cf"})
    assert campaign.status_code == 201, campaign.content.decode()  # was 422 「団体コード 13201 の団体は登録されていません」
    assert campaign.json()["municipality"] == "132012"
    plan = c.post("/api/v1/plans", content_type="application/json", data={
        "municipality": typed, "title": "見守り計画", "sector": "education", "start_year": 2026})
    assert plan.status_code == 201, plan.content.decode()  # was 422 「策定団体が見つかりません」
    assert plan.json()["municipality"] == "132012"
