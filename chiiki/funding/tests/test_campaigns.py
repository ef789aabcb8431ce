"""Crowdfunding campaigns through the pages and the API: the 3 割 gift rule, status from dates and totals,
receipts that never count twice (external id, Idempotency-Key, the portal's CSV), roles, the ICS feed."""

import csv
import datetime as dt
import io
import re

import pytest
from django.utils import timezone

from chiiki import access
from chiiki.core.models import ChangeRecord
from chiiki.funding import actions
from chiiki.funding.models import Campaign, Receipt

ROLES = ["public", "admin", "tokyo", "hachioji", "aogashima", "sapporo", "advisor", "company"]
EDITORS = {"admin", "tokyo", "hachioji"}


def _campaign(register, *, days_from_start=-10, days_to_end=20, target=1_000_000, model="all_in", **extra):
    today = timezone.localdate()
    return actions.create_campaign(
        access.SYSTEM, register["municipalities"]["132012"], title=extra.pop("title", "高尾山の見守りIoT"),
        use_of_funds="登山道のセンサー設置", target_amount=target,
        start_date=today + dt.timedelta(days=days_from_start), end_date=today + dt.timedelta(days=days_to_end),
        model=model, donation_url="https://example.jp/furusato/123", **extra)


def _post_receipt(c, campaign, external_id, amount, key=None, day=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return c.post(f"/api/v1/campaigns/{campaign.pk}/receipts", content_type="application/json",
                  data={"external_id": external_id, "amount": amount,
                        "received_on": str(day or timezone.localdate())}, **headers)


def test_officer_registers_a_campaign_on_the_page(client_for, users):
    c = client_for(users["hachioji"])
    data = {"municipality": "132012", "title": "子ども見守り", "use_of_funds": "通学路のセンサー",
            "target_amount": "500000", "start_date": "2026-06-01", "end_date": "2026-08-31", "model": "all_or_nothing",
            "minimum_donation": "", "gift_description": "地元の菓子", "gift_tier": "10000", "gift_cost": "3001",
            "donation_url": "https://example.jp/cf"}
    response = c.post("/funding/campaigns/new", data)
    assert response.status_code == 422
    assert "返礼品の調達費は寄附額の3割以下にしてください（10,000円の3割は3,000円、入力は3,001円）" in response.content.decode()
    assert not Campaign.objects.exists()
    response = c.post("/funding/campaigns/new", {**data, "gift_cost": "3000"})
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and campaign.minimum_donation == 2000  # the default
    assert ChangeRecord.objects.filter(model="funding.campaign", action="create", actor=users["hachioji"]).exists()
    bad = c.post("/funding/campaigns/new", {**data, "gift_cost": "", "gift_tier": "", "end_date": "2026-05-01"})
    assert bad.status_code == 422 and "募集終了日は募集開始日以降にしてください" in bad.content.decode()


@pytest.mark.parametrize("days_from_start,days_to_end,raised,model,expected", [
    (5, 30, 0, "all_in", "upcoming"),
    (-5, 30, 999, "all_in", "open"),
    (-5, 30, 1000, "all_in", "achieved"),
    (-40, -1, 1000, "all_or_nothing", "achieved"),
    (-40, -1, 999, "all_or_nothing", "missed"),
    (-40, -1, 999, "all_in", "ended"),
])
def test_status_from_dates_and_totals(client, register, days_from_start, days_to_end, raised, model, expected):
    campaign = _campaign(register, days_from_start=days_from_start, days_to_end=days_to_end, target=1000, model=model)
    if raised:
        actions.record_receipt(access.SYSTEM, campaign, received_on=campaign.start_date, amount=raised,
                               external_id="R1")
    body = client.get(f"/api/v1/campaigns/{campaign.pk}").json()
    assert (body["status"], body["raised"]) == (expected, raised)
    assert [i["id"] for i in client.get(f"/api/v1/campaigns?status={expected}").json()["items"]] == [campaign.pk]


def test_receipts_never_count_twice(client_for, users, register):
    campaign = _campaign(register)
    c = client_for(users["hachioji"])
    first = _post_receipt(c, campaign, "F-0001", 5000, key="k-1")
    assert first.status_code == 201 and first.json()["raised"] == 5000
    again_key = _post_receipt(c, campaign, "F-0001", 5000, key="k-1")
    assert again_key.status_code == 200 and again_key.json()["created"] is False
    again_id = _post_receipt(c, campaign, "F-0001", 5000, key="k-2")  # a retry with a new key, same 受付番号
    assert again_id.status_code == 200 and again_id.json()["raised"] == 5000
    reused = _post_receipt(c, campaign, "F-0002", 7000, key="k-1")
    assert reused.status_code == 422
    assert reused.json()["detail"] == {"idempotency_key": "この Idempotency-Key は別の受付に使われています"}
    assert _post_receipt(c, campaign, "F-0002", 7000).status_code == 201
    assert Receipt.objects.filter(campaign=campaign).count() == 2
    page = c.get(campaign.get_absolute_url()).content.decode()
    assert "12,000円" in page and "あと21日" in page


@pytest.mark.parametrize("role", ROLES)
def test_campaign_writes_by_role(client_for, users, register, role):
    campaign = _campaign(register)
    c = client_for(None if role == "public" else users[role])
    responses = [
        c.post("/api/v1/campaigns", content_type="application/json", data={
            "municipality": "132012", "title": "x", "use_of_funds": "y", "target_amount": 1000,
            "start_date": "2026-06-01", "end_date": "2026-07-01", "donation_url": "https://example.jp/x"}),
        c.put(f"/api/v1/campaigns/{campaign.pk}", content_type="application/json", data={
            "version": 1, "title": "改名", "use_of_funds": "y", "target_amount": 1000, "start_date": "2026-06-01",
            "end_date": "2026-07-01", "donation_url": "https://example.jp/x"}),
        _post_receipt(c, campaign, f"R-{role}", 1000),
    ]
    expected = (201, 200, 201) if role in EDITORS else (401,) * 3 if role == "public" else (403,) * 3
    assert tuple(r.status_code for r in responses) == expected, [r.content for r in responses]


def test_stale_campaign_edit_is_409(client_for, users, register):
    campaign = _campaign(register)
    c = client_for(users["hachioji"])
    body = {"version": 1, "title": "一回目", "use_of_funds": "y", "target_amount": 1000, "start_date": "2026-06-01",
            "end_date": "2026-07-01", "donation_url": "https://example.jp/x"}
    assert c.put(f"/api/v1/campaigns/{campaign.pk}", data=body, content_type="application/json").status_code == 200
    stale = c.put(f"/api/v1/campaigns/{campaign.pk}", data={**body, "title": "二回目"},
                  content_type="application/json")
    assert stale.status_code == 409 and stale.json()["current"]["title"] == "一回目"


def _csv(rows, encoding="cp932") -> io.BytesIO:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    data = io.BytesIO(buffer.getvalue().encode(encoding))
    data.name = "portal.csv"
    return data


def test_portal_csv_import_all_or_nothing_and_idempotent(client_for, users, register):
    campaign = _campaign(register)
    c = client_for(users["hachioji"])
    header = ["申込番号", "寄附日", "寄附金額", "氏名"]
    good = [header, ["P-1", "2026-06-02", "10000", "山田"], ["P-2", "2026-06-03", "3000", "佐藤"]]
    bad = good + [["P-3", "6月4日", "-1", "鈴木"]]
    response = c.post("/api/v1/campaigns/receipts/import", {"file": _csv(bad), "campaign": campaign.pk})
    assert response.status_code == 422
    assert {(e["row"], e["column"]) for e in response.json()["errors"]} == {(4, "受付日"), (4, "金額")}
    assert not Receipt.objects.exists()
    # The web flow with the same file (CP932), then the file again: nothing counts twice.
    upload = c.post("/funding/campaigns/receipts/import/", {"file": _csv(good), "campaign": campaign.pk})
    assert upload.status_code == 302
    preview = c.get(upload["Location"]).content.decode()
    sha256 = re.search(r'name="sha256" value="([0-9a-f]+)"', preview).group(1)
    assert c.post(upload["Location"] + "commit", {"sha256": sha256}).status_code == 302
    again = c.post("/api/v1/campaigns/receipts/import", {"file": _csv(good), "campaign": campaign.pk})
    assert (again.status_code, again.json()["created"], again.json()["unchanged"]) == (200, 0, 2)
    assert c.get(f"/api/v1/campaigns/{campaign.pk}").json()["raised"] == 13000
    other = client_for(users["sapporo"]).post("/api/v1/campaigns/receipts/import",
                                              {"file": _csv(good), "campaign": campaign.pk})
    assert other.status_code == 422
    assert other.json()["errors"][0]["message"].startswith("取り込み先のクラウドファンディングを選んでください")


def test_ics_lists_end_dates(client, register):
    campaign = _campaign(register, days_to_end=3)
    body = client.get("/funding/campaigns.ics").content.decode()
    assert "BEGIN:VCALENDAR" in body and f"UID:campaign-{campaign.pk}-end@chiiki" in body
    assert f"DTSTART;VALUE=DATE:{campaign.end_date:%Y%m%d}" in body


def test_reports_are_posted_by_editors_only(client_for, users, register):
    campaign = _campaign(register)
    c = client_for(users["hachioji"])
    c.post(f"/funding/campaigns/{campaign.pk}/reports", {"posted_on": "2026-09-01", "text": "センサーを10台設置しました"})
    assert "センサーを10台設置しました" in client_for(None).get(campaign.get_absolute_url()).content.decode()
    assert client_for(users["sapporo"]).post(f"/funding/campaigns/{campaign.pk}/reports",
                                             {"posted_on": "2026-09-01", "text": "x"}).status_code == 403


def test_a_plan_line_links_to_a_campaign_of_its_municipality(client_for, users, register, plan_factory):
    campaign = _campaign(register)
    other = actions.create_campaign(access.SYSTEM, register["municipalities"]["011002"], title="札幌のCF",
                                    use_of_funds="x", target_amount=1000, start_date=campaign.start_date,
                                    end_date=campaign.end_date, donation_url="https://example.jp/s")
    plan = plan_factory([(2026, "operation", 100, [])])
    year = plan.years.get()
    c = client_for(users["hachioji"])
    page = c.get(plan.get_absolute_url()).content.decode()
    assert "高尾山の見守りIoT" in page and "札幌のCF" not in page  # only the plan's municipality's campaigns
    refused = c.post(f"/api/v1/plans/{plan.pk}/years/{year.pk}/lines", content_type="application/json",
                     data={"source_kind": "crowdfunding", "amount": 100, "campaign": other.pk})
    assert refused.json()["detail"] == {"campaign": "この計画の団体のクラウドファンディングではありません"}
    c.post(f"/funding/plans/{plan.pk}/years/{year.pk}/lines/add", {
        f"newline{year.pk}-source_kind": "crowdfunding", f"newline{year.pk}-amount": "100",
        f"newline{year.pk}-state": "planned", f"newline{year.pk}-campaign": str(campaign.pk)})
    assert c.get(f"/api/v1/plans/{plan.pk}").json()["years"][0]["lines"][0]["campaign"] == campaign.pk


def test_the_raised_over_time_table_downloads_as_csv_and_xlsx(client, client_for, users, register):
    """The page's 寄附額の推移 table (受付日・寄附額・累計) as CSV and XLSX, for anyone who can see the page."""
    import openpyxl

    campaign = _campaign(register)
    admin = client_for(users["admin"])
    today = timezone.localdate()
    for external_id, amount, day in [("A-1", 30_000, today - dt.timedelta(days=2)), ("A-2", 5_000, today),
                                     ("A-3", 10_000, today - dt.timedelta(days=2))]:
        assert _post_receipt(admin, campaign, external_id, amount, day=day).status_code == 201
    page = client.get(f"/funding/campaigns/{campaign.pk}/").content.decode()
    assert '<a href="?format=csv">CSV</a><a href="?format=xlsx">XLSX</a>' in page
    expected = [["受付日", "寄附額（円）", "累計（円）"], [str(today - dt.timedelta(days=2)), "40000", "40000"],
                [str(today), "5000", "45000"]]
    response = client.get(f"/funding/campaigns/{campaign.pk}/?format=csv")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")))) == expected
    response = client.get(f"/funding/campaigns/{campaign.pk}/?format=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = [[str(v.date() if isinstance(v, dt.datetime) else v) for v in row] for row in sheet.iter_rows(values_only=True)]
    assert rows == expected


@pytest.mark.parametrize("year", ["1", "²", "99999", "0", "そのうち"])
def test_a_received_year_that_names_no_fiscal_year_is_said_and_lists_nothing(client, receiving_campaign, year):
    """It was read as a row id and built into a date string: 「1-04-01」 was a 500, for anyone, export included."""
    page = client.get("/funding/campaigns/", {"received_year": year})
    body = page.content.decode()
    assert page.status_code == 200 and 'id="c-year-error"' in body and "同時受付" not in body
    exported = client.get("/funding/campaigns/", {"received_year": year, "format": "csv"})
    assert exported.status_code == 200 and len(exported.content.decode("utf-8-sig").splitlines()) == 1


def test_a_received_year_in_wareki_is_read(client, receiving_campaign):
    from chiiki.core.fiscal import current_fiscal_year

    year = current_fiscal_year()
    page = client.get("/funding/campaigns/", {"received_year": f"R{year - 2018}"}).content.decode()
    assert f"{year}年度（{year}年4月1日" in page
