"""Hand-built cases of the findings of the KPI check (session 12): the outlook of a rising measure never below
its latest value, a target 年度 before the platform's records, and a source's baseline beside the KPI's own
value at that time. Each answer is worked out by hand in the test."""

import datetime as dt

import pytest
from django.utils import timezone

from chiiki.access import SYSTEM
from chiiki.funding import actions as funding_actions

from .conftest import YEAR, make_kpi, seed

pytestmark = pytest.mark.django_db


def test_rising_crowdfunding_is_not_projected_below_its_latest_value(client, register):
    # Records from YEAR - 4, so the KPI is measured in 5 年度; donations only in YEAR (the demo's shape).
    seed([("131016", "disaster", YEAR - 4, "piloting")])
    make_kpi("K-CF", measure="funding_crowdfunding_raised", unit="円", target="100000000", target_year=YEAR + 1)
    today = timezone.localdate()
    campaign = funding_actions.create_campaign(
        SYSTEM, register["municipalities"]["132012"], title="高尾山の見守りIoT", use_of_funds="センサー設置",
        target_amount=3_000_000, start_date=today, end_date=today + dt.timedelta(days=30),
        donation_url="https://example.jp/furusato/1")
    funding_actions.record_receipt(SYSTEM, campaign, received_on=today, amount=500_000, external_id="A1")
    body = client.get("/api/v1/kpis/K-CF").json()
    assert [v["value"] for v in body["values"]] == [0, 0, 0, 0, 500_000]
    # b = Σ(x − x̄)·y / Σ(x − x̄)² = (2 × 500,000) / 10 = 100,000 a year. From the latest value: 500,000 + 100,000.
    # (The line through the means said 100,000 + 100,000 × 3 = 400,000: less than what was already raised.)
    assert body["outlook"]["slope"] == 100_000.0
    assert body["outlook"]["projected_value"] == 600_000.0
    assert body["latest_is_partial_year"] is True
    page = client.get("/pdca/kpis/K-CF/").content.decode()
    assert f"= 500,000 + 100,000 ×（{YEAR + 1} − {YEAR}） = 600,000" in page
    assert 'data-testid="kpi-partial-year"' in page and f"{YEAR}年度（年度途中）" in client.get("/pdca/").content.decode()


def test_a_target_year_before_the_records_says_why_it_cannot_be_judged(client, register):
    # The IOT-800 shape: target 年度 long past, records only from YEAR - 1, and the latest value above the target.
    seed([("131016", "disaster", YEAR - 1, "implemented"), ("132012", "disaster", YEAR, "implemented")])
    make_kpi("K-OLD", target="1", target_year=YEAR - 6)
    page = client.get("/pdca/").content.decode()
    row = page[page.index('href="/pdca/kpis/K-OLD/"'):]
    row = row[:row.index("</tr>")]
    assert "判定できません" in row
    assert (f'data-testid="kpi-unknown-K-OLD">目標年度（{YEAR - 6}年度）は、このプラットフォームに記録がある'
            f"最初の年度（{YEAR - 1}年度）より前です。") in row
    # No 達成率 of a later 年度's value against that target (2 of 1 would read as 200 % 達成).
    assert "200.0%" not in row and "—" in row
    body = client.get("/api/v1/kpis/K-OLD").json()
    assert body["latest_value"] == 2 and body["outlook"]["status"] == "unknown"


def test_the_baseline_is_shown_beside_the_kpis_own_value_at_that_time(client, register):
    # DIGIDEN-1500's shape: a source's baseline at "YEAR-03" (the end of 年度 YEAR - 1), far above the platform's.
    seed([("131016", "disaster", YEAR - 2, "implemented"), ("132012", "disaster", YEAR - 1, "implemented"),
          ("011002", "education", YEAR, "self_sustaining")])
    make_kpi("K-BASE", target="1500", target_year=YEAR + 1, baseline_value="1161", baseline_date=f"{YEAR}-03")
    make_kpi("K-EARLY", target="1500", target_year=YEAR + 1, baseline_value="1161", baseline_date=f"{YEAR - 3}-03")
    page = client.get("/pdca/kpis/K-BASE/").content.decode()
    assert "このプラットフォームの記録から算定した値ではありません" in page
    assert f"基準時点と同じ{YEAR - 1}年度のこのKPIの値は" in page
    start = page.index('data-testid="kpi-baseline-value"')
    link = page[page.rindex('href="', 0, start) + 6:start - 2].replace("&amp;", "&")
    assert page[start:].startswith('data-testid="kpi-baseline-value">2</a>')
    # The link lists exactly the 2 municipalities implemented by the end of 年度 YEAR - 1.
    listed = client.get(link + "&format=csv").content.decode("utf-8-sig").splitlines()
    assert sorted(line.split(",")[0] for line in listed[1:]) == ["131016", "132012"]
    body = client.get("/api/v1/kpis/K-BASE").json()
    assert (body["baseline_fiscal_year"], body["baseline_measured_value"], body["latest_value"]) == (YEAR - 1, 2, 3)
    early = client.get("/pdca/kpis/K-EARLY/").content.decode()
    assert f"基準時点（{YEAR - 4}年度）は、このプラットフォームに記録がある最初の年度（{YEAR - 2}年度）より前" in early
    csv = client.get("/pdca/?format=csv").content.decode("utf-8-sig").splitlines()
    assert "基準時点の年度,基準時点の年度の算定値" in csv[0]
    rows = {line.split(",")[0]: line for line in csv[1:]}
    assert f",{YEAR}-03,{YEAR - 1},2," in rows["K-BASE"]


def test_a_kpi_over_several_sectors_links_to_exactly_its_municipalities(client, register):
    # 千代田区 (防災) and 八王子市 (教育) count; 札幌市 is implemented only in 医療, outside the KPI's sectors.
    seed([("131016", "disaster", YEAR, "implemented"), ("132012", "education", YEAR, "self_sustaining"),
          ("011002", "health", YEAR, "implemented")])
    make_kpi("K-TWO", measure="progress_implemented_sectors", sectors=["disaster", "education"])
    body = client.get("/api/v1/kpis/K-TWO").json()
    link = {v["fiscal_year"]: v["records_url"] for v in body["values"]}[YEAR]
    assert body["latest_value"] == 2
    listed = client.get(link + "&format=csv").content.decode("utf-8-sig").splitlines()
    assert sorted(line.split(",")[0] for line in listed[1:]) == ["131016", "132012"]
    page = client.get(link).content.decode()
    assert 'data-testid="records-count">2</strong>団体' in page
    assert "分野「教育・防災」のいずれか" in page or "分野「防災・教育」のいずれか" in page
    tokyo = {r["code"]: r for r in client.get(f"/api/v1/kpis/K-TWO?fiscal_year={YEAR}").json()["by_prefecture"]}
    assert tokyo["13"]["implemented"] == 2
    rows = client.get(tokyo["13"]["records_url"] + "&format=csv").content.decode("utf-8-sig").splitlines()
    assert len(rows) - 1 == 2
