"""The KPI measures of the capability apps (funding, talent, opendata): values per 年度 read through the KPI API
and pages, from rows written through each app's actions; and a write in the app shows on the next anonymous
request of the cached KPI pages."""

import datetime as dt

import pytest
from django.utils import timezone

from chiiki.access import SYSTEM
from chiiki.funding import actions as funding_actions
from chiiki.opendata import actions as opendata_actions
from chiiki.opendata.tests.samples import VALID_AED, upload
from chiiki.roadmap.models import Sector
from chiiki.talent import actions as talent_actions
from chiiki.talent.tests.conftest import profile_data, request_data, rounds, vocabulary  # noqa: F401 (fixtures)
from chiiki.talent.tests.test_workflow import _whole_path

from .. import measures
from .conftest import YEAR, make_kpi, seed

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _opendata_files(settings, tmp_path):
    settings.OPENDATA_FILES_DIR = tmp_path / "opendata-files"


@pytest.fixture
def two_years(register):
    """Progress records in two 年度, so the KPIs are measured in YEAR - 1 and YEAR."""
    seed([("131016", "disaster", YEAR - 1, "piloting"), ("131016", "disaster", YEAR, "implemented")])


def values_of(client, code) -> dict[int, float]:
    body = client.get(f"/api/v1/kpis/{code}").json()
    assert body["available"] is True, body
    return {v["fiscal_year"]: v["value"] for v in body["values"]}


def _plan(register, code, years, *, title, publish=True):
    owner = register["municipalities"][code]
    plan = funding_actions.create_plan(
        SYSTEM, owner, sector=Sector.objects.get(pk="education"), title=title, start_year=years[0],
        operator_kind="direct", years=[{"fiscal_year": y, "phase": "implementation", "total_cost": 100} for y in years])
    if publish:
        plan = funding_actions.set_status(SYSTEM, plan, "published", version=plan.version)
    return plan


def test_published_multiyear_plans_count_from_their_publication(client, two_years, register):
    make_kpi("K-PLANS", measure="plans_published_multiyear", unit="件")
    make_kpi("K-PLANS-13", measure="plans_published_multiyear", unit="件", prefecture="13")
    _plan(register, "132012", [YEAR, YEAR + 1, YEAR + 2], title="八王子の3年計画")
    _plan(register, "011002", [YEAR - 1, YEAR, YEAR + 1, YEAR + 2], title="札幌の4年計画")
    _plan(register, "131016", [YEAR, YEAR + 1], title="千代田の2年計画")  # too short
    _plan(register, "131016", [YEAR, YEAR + 1, YEAR + 2], title="千代田の下書き", publish=False)
    # Published today: counted from this 年度, not in the previous one (the history says when it was published).
    assert values_of(client, "K-PLANS") == {YEAR - 1: 0, YEAR: 2}
    assert values_of(client, "K-PLANS-13") == {YEAR - 1: 0, YEAR: 1}


def test_the_plans_measure_says_it_counts_plans_as_it_does(client, two_years, register):
    # Two plans of one municipality are two: the label must not promise a count of 団体 (municipalities).
    make_kpi("K-PLANS", measure="plans_published_multiyear", unit="件")
    _plan(register, "132012", [YEAR, YEAR + 1, YEAR + 2], title="八王子の3年計画")
    _plan(register, "132012", [YEAR, YEAR + 1, YEAR + 2], title="八王子のもう一つの3年計画")
    body = client.get("/api/v1/kpis/K-PLANS").json()
    assert {v["fiscal_year"]: v["value"] for v in body["values"]}[YEAR] == 2
    assert body["measure_label"] == "公開された3年度以上の実装計画の数"
    assert "団体" not in body["measure_label"]


def test_plans_published_before_a_year_end_count_in_that_year(client, two_years, register):
    from chiiki.core.models import ChangeRecord

    make_kpi("K-PLANS", measure="plans_published_multiyear", unit="件")
    plan = _plan(register, "132012", [YEAR - 1, YEAR, YEAR + 1], title="前年度に公開した計画")
    # The publication as the history holds it, moved to the previous 年度 (what a plan published last year has).
    last_year = timezone.make_aware(dt.datetime(YEAR - 1, 5, 1, 10, 0))
    ChangeRecord.objects.filter(model="funding.implementationplan", object_id=str(plan.pk)).update(at=last_year)
    assert values_of(client, "K-PLANS") == {YEAR - 1: 1, YEAR: 1}


def test_crowdfunding_raised_is_summed_by_the_year_of_receipt(client, two_years, register):
    make_kpi("K-CF", measure="funding_crowdfunding_raised", unit="円")
    make_kpi("K-CF-01", measure="funding_crowdfunding_raised", unit="円", prefecture="01")
    today = timezone.localdate()
    hachioji = funding_actions.create_campaign(
        SYSTEM, register["municipalities"]["132012"], title="高尾山の見守りIoT", use_of_funds="センサー設置",
        target_amount=1_000_000, start_date=dt.date(YEAR - 1, 4, 1), end_date=today + dt.timedelta(days=20),
        donation_url="https://example.jp/furusato/1")
    sapporo = funding_actions.create_campaign(
        SYSTEM, register["municipalities"]["011002"], title="雪道の見守り", use_of_funds="センサー設置",
        target_amount=1_000_000, start_date=dt.date(YEAR - 1, 4, 1), end_date=today + dt.timedelta(days=20),
        donation_url="https://example.jp/furusato/2")
    for campaign, day, amount, ext in [(hachioji, dt.date(YEAR - 1, 7, 1), 30_000, "A1"),
                                       (hachioji, dt.date(YEAR, 3, 31), 5_000, "A2"),  # still YEAR - 1
                                       (hachioji, dt.date(YEAR, 4, 1), 10_000, "A3"),
                                       (sapporo, dt.date(YEAR, 4, 2), 7_000, "B1")]:
        funding_actions.record_receipt(SYSTEM, campaign, received_on=day, amount=amount, external_id=ext)
    assert values_of(client, "K-CF") == {YEAR - 1: 35_000, YEAR: 17_000}
    assert values_of(client, "K-CF-01") == {YEAR - 1: 0, YEAR: 7_000}
    detail = client.get("/api/v1/kpis/K-CF-01").json()
    link = {v["fiscal_year"]: v["records_url"] for v in detail["values"]}[YEAR]
    assert link == f"/funding/campaigns/?received_year={YEAR}&prefecture=01"
    assert "雪道の見守り" in client.get(link).content.decode()
    # The national figures' links list the campaigns behind each 年度, with a total equal to the figure.
    national = {v["fiscal_year"]: v["records_url"] for v in client.get("/api/v1/kpis/K-CF").json()["values"]}
    for year, total, listed, absent in [(YEAR - 1, "35,000円", ["高尾山の見守りIoT"], "雪道の見守り"),
                                        (YEAR, "17,000円", ["高尾山の見守りIoT", "雪道の見守り"], None)]:
        page = client.get(national[year]).content.decode()
        assert f"この年度の寄附額の合計: <strong>{total}</strong>" in page, year
        assert all(title in page for title in listed) and (absent is None or absent not in page)
    rows = client.get(national[YEAR] + "&format=csv").content.decode("utf-8-sig").splitlines()
    assert rows[0].endswith(f"{YEAR}年度の寄附額（円）") and sorted(r.rsplit(",", 1)[1] for r in rows[1:]) == ["10000", "7000"]


def test_completed_dispatches_count_in_the_year_of_the_request(client, two_years, users, rounds, vocabulary,  # noqa: F811
                                                               register):
    make_kpi("K-TALENT", measure="talent_dispatch_completed", unit="件")
    advisor = talent_actions.create_profile(users["advisor"], profile_data())
    done = talent_actions.create_request(users["hachioji"], register["municipalities"]["132012"], request_data())
    talent_actions.create_request(users["hachioji"], register["municipalities"]["132012"],
                                  request_data(title="まだ下書きの依頼"))
    assert values_of(client, "K-TALENT") == {YEAR - 1: 0, YEAR: 0}
    _whole_path(users, done, advisor)
    assert values_of(client, "K-TALENT") == {YEAR - 1: 0, YEAR: 1}


def test_conforming_datasets_count_from_their_registration(client, two_years, register):
    make_kpi("K-OD", measure="opendata_conforming_datasets", unit="件")
    make_kpi("K-OD-01", measure="opendata_conforming_datasets", unit="件", prefecture="01")
    hachioji = register["municipalities"]["132012"]
    aed = opendata_actions.create_dataset(SYSTEM, hachioji, {
        "name": "hachioji-aed", "title": "八王子市 AED設置箇所一覧", "standard_type": "aed"})
    assert values_of(client, "K-OD") == {YEAR - 1: 0, YEAR: 0}  # no file yet: not confirmed as conforming
    opendata_actions.add_resource(SYSTEM, aed, name="AED一覧", upload=upload("aed.csv", VALID_AED))
    bad = opendata_actions.create_dataset(SYSTEM, hachioji, {
        "name": "hachioji-aed-old", "title": "八王子市 AED（旧形式）", "standard_type": "aed"})
    opendata_actions.add_resource(SYSTEM, bad, name="旧", upload=upload("old.csv", "名称\nA\n"))
    assert values_of(client, "K-OD") == {YEAR - 1: 0, YEAR: 1}
    assert values_of(client, "K-OD-01") == {YEAR - 1: 0, YEAR: 0}
    page = client.get("/pdca/kpis/K-OD/").content.decode()
    assert 'href="/opendata/standards/"' in page


def test_a_write_in_the_app_shows_on_the_next_anonymous_kpi_page(client, two_years, register):
    make_kpi("K-PLANS", name="3年度以上の計画", measure="plans_published_multiyear", unit="件")
    assert values_of(client, "K-PLANS")[YEAR] == 0
    first = client.get("/pdca/kpis/K-PLANS/").content.decode()
    _plan(register, "132012", [YEAR, YEAR + 1, YEAR + 2], title="八王子の3年計画")
    assert values_of(client, "K-PLANS")[YEAR] == 1
    assert client.get("/pdca/kpis/K-PLANS/").content.decode() != first


@pytest.mark.parametrize("key", ["plans_published_multiyear", "funding_crowdfunding_raised",
                                 "talent_dispatch_completed", "opendata_conforming_datasets"])
def test_every_capability_measure_reads_an_installed_app(key):
    measure = measures.get(key)
    assert measure.available, f"{key} requires {measure.requires}"


# ---- breakdowns of the capability measures: by prefecture / sector, each figure linking to its app's rows ----------

def breakdown(client, code) -> tuple[dict, dict]:
    body = client.get(f"/api/v1/kpis/{code}").json()
    return ({r["code"]: (r["value"], r["records_url"]) for r in body["by_prefecture"]},
            {r["code"]: (r["value"], r["records_url"]) for r in body["by_sector"]})


def test_plan_breakdowns_link_to_the_filtered_plan_list(client, two_years, register):
    make_kpi("K-PLANS", measure="plans_published_multiyear", unit="件")
    _plan(register, "132012", [YEAR, YEAR + 1, YEAR + 2], title="八王子の3年計画")
    _plan(register, "011002", [YEAR - 1, YEAR, YEAR + 1, YEAR + 2], title="札幌の4年計画")
    prefectures, sectors = breakdown(client, "K-PLANS")
    scope = f"status=public&min_years=3&published_by={YEAR}"
    assert prefectures["13"] == (1, f"/funding/plans/?prefecture=13&{scope}")
    assert prefectures["01"][0] == 1 and prefectures["32"][0] == 0
    assert sectors["education"] == (2, f"/funding/plans/?sector=education&{scope}")
    assert sectors["health"][0] == 0
    listed = client.get(prefectures["13"][1]).content.decode()
    assert "八王子の3年計画" in listed and "札幌の4年計画" not in listed
    page = client.get("/pdca/kpis/K-PLANS/").content.decode()
    assert f'href="/funding/plans/?prefecture=13&amp;{scope.replace("&", "&amp;")}">1</a>件' in page
    assert 'id="kpi-map-data"' in page and 'data-chiiki-map' in page
    assert "国土数値情報（行政区域データ）" in page  # the map's credit line


def test_the_plans_figure_links_to_exactly_the_plans_it_counts(client, two_years, register):
    """The figure counts 公開・完了 plans of ≥ 3 年度 published by the 年度's end; the list it linked to held every
    公開 plan (short ones too, completed ones not, any 年度)."""
    make_kpi("K-PLANS", measure="plans_published_multiyear", unit="件")
    _plan(register, "132012", [YEAR, YEAR + 1, YEAR + 2], title="八王子の3年計画")
    done = _plan(register, "011002", [YEAR - 1, YEAR, YEAR + 1, YEAR + 2], title="札幌の4年計画")
    funding_actions.set_status(SYSTEM, done, "completed", version=done.version)
    _plan(register, "131016", [YEAR, YEAR + 1], title="千代田の2年計画")  # too short: not counted
    value = {v["fiscal_year"]: v for v in client.get("/api/v1/kpis/K-PLANS").json()["values"]}[YEAR]
    assert value["value"] == 2
    link = value["records_url"]
    listed = client.get(link).content.decode()
    assert "八王子の3年計画" in listed and "札幌の4年計画" in listed and "千代田の2年計画" not in listed
    exported = client.get(link + "&format=csv").content.decode("utf-8-sig").splitlines()
    assert len(exported) - 1 == 2
    api = client.get("/api/v1/plans?" + link.split("?", 1)[1]).json()
    assert api["count"] == 2
    # A plan published after the 年度's end is not in that 年度's figure, nor in the list it links to.
    earlier = {v["fiscal_year"]: v for v in client.get("/api/v1/kpis/K-PLANS").json()["values"]}[YEAR - 1]
    assert earlier["value"] == 0 and "八王子の3年計画" not in client.get(earlier["records_url"]).content.decode()


def test_crowdfunding_breaks_down_by_prefecture_only(client, two_years, register):
    make_kpi("K-CF", measure="funding_crowdfunding_raised", unit="円")
    campaign = funding_actions.create_campaign(
        SYSTEM, register["municipalities"]["011002"], title="雪道の見守り", use_of_funds="センサー設置",
        target_amount=1_000_000, start_date=dt.date(YEAR - 1, 4, 1),
        end_date=timezone.localdate() + dt.timedelta(days=20), donation_url="https://example.jp/furusato/2")
    funding_actions.record_receipt(SYSTEM, campaign, received_on=dt.date(YEAR, 4, 2), amount=7_000, external_id="B1")
    funding_actions.record_receipt(SYSTEM, campaign, received_on=dt.date(YEAR - 1, 4, 2), amount=1_000,
                                   external_id="B0")  # the previous 年度: not in this year's breakdown
    prefectures, sectors = breakdown(client, "K-CF")
    assert prefectures["01"] == (7_000, f"/funding/campaigns/?received_year={YEAR}&prefecture=01")
    assert prefectures["13"][0] == 0
    assert sectors == {}  # campaigns have no sector
    assert "雪道の見守り" in client.get(prefectures["01"][1]).content.decode()


def test_dispatch_breakdowns_link_to_the_completed_dispatches(client, two_years, users, rounds,  # noqa: F811
                                                              vocabulary, register):  # noqa: F811
    make_kpi("K-TALENT", measure="talent_dispatch_completed", unit="件")
    advisor = talent_actions.create_profile(users["advisor"], profile_data())
    done = talent_actions.create_request(users["hachioji"], register["municipalities"]["132012"], request_data())
    talent_actions.create_request(users["hachioji"], register["municipalities"]["132012"],
                                  request_data(title="まだ下書きの依頼"))
    _whole_path(users, done, advisor)
    prefectures, sectors = breakdown(client, "K-TALENT")
    assert prefectures["13"] == (1, f"/talent/dispatches/?status=completed&fiscal_year={YEAR}&prefecture=13")
    assert sectors["health"] == (1, f"/talent/dispatches/?status=completed&fiscal_year={YEAR}&sector=health")
    assert prefectures["01"][0] == 0 and sectors["education"][0] == 0
    # The KPI is public, so the rows behind it are too: a citizen opens the same list, with as many rows.
    listed = client.get(sectors["health"][1])
    assert listed.status_code == 200
    assert done.title in listed.content.decode() and "まだ下書きの依頼" not in listed.content.decode()
    exported = client.get(prefectures["13"][1] + "&format=csv").content.decode("utf-8-sig").splitlines()
    assert len(exported) - 1 == 1 and done.title in exported[1]


def test_opendata_breakdowns_link_to_the_owners_in_the_catalog(client, two_years, register):
    make_kpi("K-OD", measure="opendata_conforming_datasets", unit="件")
    aed = opendata_actions.create_dataset(SYSTEM, register["municipalities"]["132012"], {
        "name": "hachioji-aed", "title": "八王子市 AED設置箇所一覧", "standard_type": "aed", "sectors": ["health"]})
    opendata_actions.add_resource(SYSTEM, aed, name="AED一覧", upload=upload("aed.csv", VALID_AED))
    opendata_actions.create_dataset(SYSTEM, register["municipalities"]["132012"], {
        "name": "hachioji-clinics", "title": "八王子市 休日診療所", "sectors": ["health"]})  # not a standard type
    prefectures, sectors = breakdown(client, "K-OD")
    assert prefectures["13"] == (1, "/opendata/?organization=132012&conformance=conforming&visibility=public")
    assert prefectures["01"] == (0, None)
    assert sectors["health"] == (
        1, "/opendata/?organization=132012&groups=health&conformance=conforming&visibility=public")
    listed = client.get(sectors["health"][1]).content.decode()
    assert "八王子市 AED設置箇所一覧" in listed and "八王子市 休日診療所" not in listed
    assert "八王子市 休日診療所" in client.get("/opendata/?organization=132012&groups=health").content.decode()


def test_a_write_in_the_app_shows_on_the_next_overview_signed_in_or_not(client, client_for, users, two_years,
                                                                        register):
    """The 見える化 overview's KPI panel (cached for anonymous visitors, a shared fragment for signed-in ones)
    measures plans live: a plan's publication is seen at once, as on the KPI page."""
    make_kpi("K-PLANS", name="3年度以上の計画", measure="plans_published_multiyear", unit="件")
    officer = client_for(users["sapporo"])

    def panel(html: str) -> str:
        start = html.index('data-testid="overview-kpi-K-PLANS"')
        return html[start:html.index("</div>", start)]

    url = f"/progress/?fiscal_year={YEAR}"
    before = [panel(c.get(url).content.decode()) for c in (client, officer)]
    assert all("3年度以上の計画</a>: <a" in p and ">0</a>件" in p for p in before), before
    _plan(register, "132012", [YEAR, YEAR + 1, YEAR + 2], title="八王子の3年計画")
    after = [panel(c.get(url).content.decode()) for c in (client, officer)]
    assert all(">1</a>件" in p for p in after), after


def test_only_the_overview_depends_on_the_kpis_apps():
    from chiiki.core.cache import declaration_for

    assert "talent" in declaration_for("/progress/").version_names("/progress/")
    for path in ("/progress/map/", "/progress/rankings/", "/progress/prefectures/13/"):
        names = declaration_for(path).version_names(path)
        assert "progress" in names and "talent" not in names, path
    assert declaration_for("/progress/entry/") is None and declaration_for("/progress/import/") is None
