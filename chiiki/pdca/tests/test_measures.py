"""KPI measures against a plain-Python reading of the progress records (carry-over), and the outlook."""

from decimal import Decimal

import pytest
from django.apps import apps

from chiiki.progress.models import IMPLEMENTED_STAGES, ProgressRecord
from chiiki.regions.models import Municipality

from .. import measures, queries
from ..models import KPI
from .conftest import YEAR, make_kpi, seed

pytestmark = pytest.mark.django_db

HISTORY = [
    ("131016", "disaster", YEAR - 3, "piloting"), ("131016", "disaster", YEAR - 2, "implemented"),
    ("131016", "education", YEAR - 1, "self_sustaining"), ("132012", "education", YEAR - 3, "implemented"),
    ("132012", "education", YEAR - 1, "planned"),  # falls back below 実装済
    ("011002", "health", YEAR - 2, "implemented"), ("011002", "disaster", YEAR, "implemented"),
    ("325252", "tourism", YEAR - 1, "self_sustaining"), ("322016", "disaster", YEAR, "considering"),
]


def oracle(year, *, sectors=None, prefecture=None) -> set[str]:
    """Municipalities with an implemented sector in `year`: the latest record up to that year stands."""
    latest = {}
    for record in ProgressRecord.objects.filter(fiscal_year__lte=year).order_by("fiscal_year"):
        latest[(record.municipality_id, record.sector_id)] = record.stage
    codes = set(Municipality.objects.filter(prefecture_id=prefecture).values_list("code", flat=True)
                if prefecture else Municipality.objects.values_list("code", flat=True))
    return {code for (code, sector), stage in latest.items()
            if stage in IMPLEMENTED_STAGES and code in codes and (not sectors or sector in sectors)}


@pytest.mark.parametrize("sectors, prefecture", [
    (None, None), (["education"], None), (["disaster", "health"], None), (None, "13"), (["education"], "13"),
])
def test_counts_match_the_records_in_every_year(register, sectors, prefecture):
    seed(HISTORY)
    years = list(range(YEAR - 4, YEAR + 3))  # before the first record … past the horizon
    got = measures.get("progress_implemented_any").compute(years, sectors=sectors, prefecture=prefecture)
    assert got == {year: Decimal(len(oracle(year, sectors=sectors, prefecture=prefecture))) for year in years}
    assert got[YEAR - 1] > 0


def test_share_is_per_municipalities_of_the_scope(register):
    seed(HISTORY)
    national = measures.get("progress_implemented_share").compute([YEAR], sectors=None, prefecture=None)
    tokyo = measures.get("progress_implemented_share").compute([YEAR], sectors=None, prefecture="13")
    assert national[YEAR] == measures.share(len(oracle(YEAR)), 8)
    assert tokyo[YEAR] == measures.share(len(oracle(YEAR, prefecture="13")), 3)
    assert tokyo[YEAR] == Decimal("33.3")  # 千代田区 of 3 Tokyo municipalities (八王子市 fell back to 計画策定)


def test_breakdowns_add_up_and_link_to_their_rows(register, client):
    seed(HISTORY)
    by_pref = measures.get("progress_implemented_any").by_prefecture(YEAR, sectors=None, prefecture=None)
    rows = {r["code"]: r for r in by_pref}
    for pref in ("01", "13", "32"):
        assert rows[pref]["implemented"] == len(oracle(YEAR, prefecture=pref))
    assert sum(r["implemented"] for r in by_pref) == len(oracle(YEAR))
    # The link leads to the 見える化 list of exactly those municipalities (its CSV export, the rows behind it).
    body = client.get(rows["13"]["url"] + "&format=csv").content.decode("utf-8-sig").splitlines()[1:]
    assert {line.split(",")[0] for line in body} == oracle(YEAR, prefecture="13")
    by_sector = {r["code"]: r for r in measures.get("progress_implemented_any").by_sector(YEAR, sectors=None,
                                                                                          prefecture=None)}
    assert by_sector["disaster"]["implemented"] == len(oracle(YEAR, sectors=["disaster"]))
    body = client.get(by_sector["disaster"]["url"] + "&format=csv").content.decode("utf-8-sig").splitlines()[1:]
    assert {line.split(",")[0] for line in body} == oracle(YEAR, sectors=["disaster"])


@pytest.mark.parametrize("key", ["plans_published_multiyear", "funding_crowdfunding_raised",
                                 "talent_dispatch_completed", "opendata_conforming_datasets"])
def test_a_measure_whose_app_is_not_installed_says_so(client, register, monkeypatch, key):
    measure = measures.get(key)
    assert measure.available is True
    monkeypatch.setattr(measure, "requires", "chiiki.not_installed")
    assert not apps.is_installed(measure.requires) and measure.available is False
    kpi = make_kpi(f"K-{key[:20]}", measure=key)
    summary = queries.kpi_summary(kpi)
    assert summary["available"] is False and summary["latest_value"] is None
    assert summary["outlook"].formula == "この機能はまだありません"
    assert "この機能はまだありません" in client.get(f"/pdca/kpis/{kpi.code}/").content.decode()
    assert client.get(f"/api/v1/kpis/{kpi.code}").json()["available"] is False


def test_an_unimplemented_measure_says_so_even_with_its_app_installed(client, register, monkeypatch):
    measure = measures.get("funding_crowdfunding_raised")
    monkeypatch.setattr(measure, "compute", None)
    assert apps.is_installed(measure.requires) and measure.available is False
    kpi = make_kpi("K-CF", measure="funding_crowdfunding_raised", unit="円")
    assert queries.kpi_summary(kpi)["latest_value"] is None
    assert "この機能はまだありません" in client.get("/pdca/kpis/K-CF/").content.decode()
    monkeypatch.setattr(measure, "compute", lambda years, **kw: {year: Decimal(5) for year in years})
    assert queries.kpi_summary(kpi)["latest_value"] == Decimal(5)


def _kpi(target, target_year):
    return KPI(code="X", name="x", unit="団体", target_value=Decimal(target), target_fiscal_year=target_year,
               measure="progress_implemented_any")


@pytest.mark.parametrize("target, expected, projected", [
    ("200", "on_track", Decimal("200.0")),    # 100, 120, 140 → +20 a year → 200 in YEAR+3
    ("215", "caution", Decimal("200.0")),     # ≥ 90 % of the target
    ("300", "off_track", Decimal("200.0")),
])
def test_linear_outlook(target, expected, projected):
    values = {YEAR - 2: Decimal(100), YEAR - 1: Decimal(120), YEAR: Decimal(140)}
    look = queries.outlook(_kpi(target, YEAR + 3), values)
    assert (look.status, look.projected, look.slope) == (expected, projected, Decimal("20.0"))
    assert f"= 140 + 20 ×（{YEAR + 3} − {YEAR}） = 200" in look.formula
    assert look.label == {"on_track": "達成見込み", "caution": "要注意", "off_track": "未達見込み"}[expected]


def test_outlook_fits_only_the_latest_five_years_and_a_single_year_is_flat():
    values = {YEAR - 6 + i: Decimal(v) for i, v in enumerate([1000, 0, 10, 20, 30, 40, 50])}
    look = queries.outlook(_kpi("80", YEAR + 3), values)
    assert (look.slope, look.projected, look.status) == (Decimal("10.0"), Decimal("80.0"), "on_track")
    single = queries.outlook(_kpi("80", YEAR + 3), {YEAR: Decimal(50)})
    assert (single.slope, single.projected, single.status) == (Decimal("0.0"), Decimal("50.0"), "off_track")
    assert "b = 0" in single.formula


def test_outlook_after_the_target_year_compares_the_actual_value():
    values = {YEAR - 3: Decimal(700), YEAR - 2: Decimal(810), YEAR - 1: Decimal(900)}
    assert queries.outlook(_kpi("800", YEAR - 2), values).label == "達成"
    assert queries.outlook(_kpi("850", YEAR - 2), values).label == "未達"
    assert queries.outlook(_kpi("800", YEAR - 5), values).status == "unknown"  # no value for that year
