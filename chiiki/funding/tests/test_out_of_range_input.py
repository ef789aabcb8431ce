"""Numbers no column can hold are refused with a Japanese message, never a 500 (SQLite: OverflowError beyond 64
bits; PostgreSQL: integer out of range); amounts up to the validated limit are stored on both engines."""

import io

import pytest

from chiiki.funding.models import Campaign, CorporateDonationPledge, FundingLine, Receipt

from .conftest import GENERAL, PLANNED
from .test_campaigns import _campaign
from .test_corporate import corp  # noqa: F401 - the fixture
from .test_import import _csv, _export, _named
from .test_revitalisation_edit import rr  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db

HUGE = "9" * 30


@pytest.mark.parametrize("column", ["計画ID", "財源ID"])
def test_import_names_a_plan_or_line_by_a_huge_number(client_for, users, plan_factory, column):
    plan = plan_factory([(2026, "implementation", 100, [(GENERAL, 100, PLANNED, None)])], status="published")
    c = client_for(users["hachioji"])
    rows = _export(c, plan)
    rows[1][rows[0].index(column)] = HUGE
    response = c.post("/api/v1/funding/lines/import", {"file": io.BytesIO(_csv(rows)) | _named("x.csv")})
    assert response.status_code == 422
    assert [e["column"] for e in response.json()["errors"]] == [column]
    page = c.post("/funding/lines/import/", {"file": io.BytesIO(_csv(rows)) | _named("x.csv")})
    assert page.status_code in (200, 302, 422)
    if page.status_code == 302:
        page = c.get(page["Location"])
    assert page.status_code in (200, 422) and column in page.content.decode()
    assert FundingLine.objects.get().amount == 100


def test_full_width_ids_in_a_file_still_name_their_rows(client_for, users, plan_factory):
    plan = plan_factory([(2026, "implementation", 100, [(GENERAL, 100, PLANNED, None)])], status="published")
    c = client_for(users["hachioji"])
    rows = _export(c, plan)
    header = rows[0]
    full_width = str.maketrans("0123456789", "０１２３４５６７８９")
    for column in ("計画ID", "財源ID"):
        rows[1][header.index(column)] = rows[1][header.index(column)].translate(full_width)
    rows[1][header.index("金額（円）")] = "300"
    response = c.post("/api/v1/funding/lines/import", {"file": io.BytesIO(_csv(rows)) | _named("x.csv")})
    assert response.status_code == 200, response.content
    assert (response.json()["updated"], response.json()["errors"]) == (1, [])


def test_gift_amounts_up_to_the_validated_limit_are_stored(client_for, users):
    """The checks allow up to 10兆円; the columns used to hold only 21億 (PostgreSQL: a 500)."""
    data = {"municipality": "132012", "title": "大型の寄附", "use_of_funds": "広域の整備", "target_amount": "50000000000",
            "start_date": "2026-06-01", "end_date": "2026-08-31", "model": "all_in", "minimum_donation": "3000000000",
            "gift_description": "記念品", "gift_tier": "3000000000", "gift_cost": "900000000",
            "donation_url": "https://example.jp/cf"}
    response = client_for(users["hachioji"]).post("/funding/campaigns/new", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    campaign = Campaign.objects.get()
    assert (campaign.minimum_donation, campaign.gift_tier) == (3_000_000_000, 3_000_000_000)


def test_a_receipt_count_beyond_the_column_is_refused(client_for, users, register):
    campaign = _campaign(register)
    response = client_for(users["hachioji"]).post(
        f"/api/v1/campaigns/{campaign.pk}/receipts", content_type="application/json",
        data={"external_id": "F-1", "amount": 5000, "count": 3_000_000_000, "received_on": "2026-06-01"})
    assert response.status_code == 422 and set(response.json()["detail"]) == {"count"}
    assert not Receipt.objects.exists()


# ---- NUL on the detail pages' forms (PostgreSQL refuses NUL in text and in a lookup: a 500) -----------------------

NUL = "見守り\x00センサー"


def test_a_campaign_edit_with_nul_is_refused_naming_the_field(client_for, users, register):
    campaign = _campaign(register)
    data = {"municipality": "132012", "title": NUL, "use_of_funds": "通学路の見守り", "target_amount": "1000000",
            "start_date": str(campaign.start_date), "end_date": str(campaign.end_date), "model": "all_in",
            "minimum_donation": "2000", "gift_description": "", "gift_tier": "", "gift_cost": "",
            "donation_url": "https://example.jp/cf/a\x00b", "version": campaign.version}
    page = client_for(users["hachioji"]).post(f"/funding/campaigns/{campaign.pk}/edit", data)
    assert page.status_code == 422
    text = page.content.decode()
    assert "プロジェクト名に制御文字（U+0000 NUL）が含まれています" in text
    assert "寄附ページのURL（https://…）を入力してください" in text and "通学路の見守り" in text
    campaign.refresh_from_db()
    assert campaign.title == "高尾山の見守りIoT"


def test_a_campaign_report_with_nul_is_refused(client_for, users, register):
    campaign = _campaign(register)
    response = client_for(users["hachioji"]).post(f"/funding/campaigns/{campaign.pk}/reports",
                                                  {"posted_on": "2026-06-01", "text": NUL})
    assert response.status_code == 422  # the page again, as it was typed, not a redirect that drops it
    assert "報告に制御文字（U+0000 NUL）が含まれています" in response.content.decode()
    assert not campaign.reports.exists()


def test_a_year_and_a_line_with_nul_are_refused_on_the_plan_page(client_for, users, plan_factory):
    plan = plan_factory([(2026, "implementation", 100, [(GENERAL, 100, PLANNED, None)])])
    year = plan.years.get()
    c = client_for(users["hachioji"])
    added = c.post(f"/funding/plans/{plan.pk}/years/add", {
        "newyear-fiscal_year": "2027", "newyear-phase": "operation", "newyear-activities": NUL,
        "newyear-total_cost": "100"})
    assert added.status_code == 422
    assert "取組内容に制御文字（U+0000 NUL）が含まれています" in added.content.decode()
    line = c.post(f"/funding/plans/{plan.pk}/years/{year.pk}/lines/add", {
        f"newline{year.pk}-source_kind": "national_program", f"newline{year.pk}-program": "TEST\x00",
        f"newline{year.pk}-amount": "100", f"newline{year.pk}-state": "planned"})
    assert line.status_code == 422
    assert "国の支援メニューを選んでください" in line.content.decode()
    assert plan.years.count() == 1 and FundingLine.objects.count() == 1


def test_a_project_edit_with_nul_is_refused_with_the_values_kept(client_for, users, rr):  # noqa: F811
    _plan, project = rr
    c = client_for(users["hachioji"])
    body = {"version": project.version, "name": "八王子 防災センサー", "sector": "disaster\x00",
            "target_amount": "10000000", "description": NUL}
    page = c.post(f"/funding/projects/{project.pk}/edit", body)
    assert page.status_code == 422
    text = page.content.decode()
    assert "事業の概要に制御文字（U+0000 NUL）が含まれています" in text and "八王子 防災センサー" in text
    project.refresh_from_db()
    assert (project.sector_id, project.description, project.version) == ("disaster", "", 1)


def test_a_pledge_whose_form_key_holds_nul_is_refused(client_for, users, corp):  # noqa: F811
    """The pledge form's hidden idempotency key was looked up as posted (PostgreSQL: a 500)."""
    response = client_for(users["company"]).post(f"/funding/projects/{corp['matsue'].pk}/pledge", {
        "amount": "500000", "fiscal_year": "2026", "no_return_declared": "1", "idempotency_key": "form-1\x00"})
    assert response.status_code == 422
    assert "申出の識別キーに制御文字（U+0000 NUL）が含まれています" in response.content.decode()
    assert not CorporateDonationPledge.objects.exists()
