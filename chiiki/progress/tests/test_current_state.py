"""The effective state kept as data (ProgressCell, ProgressImplementedCount; ADR 0013).

The oracle is plain Python over the ProgressRecord rows — the definition of carry-over in ADR 0004 — so the
reads are checked against what the records mean, not against the derived tables themselves. Every write path
is checked to leave the tables exactly as a rebuild from the records would.
"""

from collections import Counter, defaultdict
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction

from chiiki.access import SYSTEM
from chiiki.progress import actions, cells, demo, queries
from chiiki.progress.imports import PROGRESS
from chiiki.progress.models import (
    IMPLEMENTED_STAGES,
    STAGE_ORDER,
    STAGE_RANK,
    ProgressCell,
    ProgressImplementedCount,
    ProgressRecord,
)
from chiiki.regions.models import Municipality
from chiiki.roadmap.models import Sector

from .conftest import csv_file

pytestmark = pytest.mark.django_db

YEARS = range(2020, 2029)  # before the first record … past the horizon


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


# ---- the oracle: ADR 0004's carry-over over the records, in plain Python ----------------------------------

def oracle_cells(year: int) -> dict[tuple, dict]:
    """(code, sector) → {"stage", "record_year", "version"} for every municipality × sector."""
    latest: dict[tuple, ProgressRecord] = {}
    for record in ProgressRecord.objects.filter(fiscal_year__lte=year).order_by("fiscal_year"):
        latest[(record.municipality_id, record.sector_id)] = record
    result = {}
    for code in Municipality.objects.values_list("code", flat=True):
        for sector in Sector.objects.values_list("code", flat=True):
            record = latest.get((code, sector))
            result[(code, sector)] = (
                {"stage": record.stage, "record_year": record.fiscal_year,
                 "version": record.version if record.fiscal_year == year else 0, "note": record.note}
                if record else {"stage": "not_started", "record_year": None, "version": 0, "note": ""})
    return result


def oracle_counts(year: int, codes, sector: str) -> dict[str, int]:
    grid = oracle_cells(year)
    counts = Counter(grid[(code, sector)]["stage"] for code in codes)
    return {stage: counts.get(stage, 0) for stage in STAGE_ORDER}


def oracle_trend() -> dict:
    years = queries.fiscal_years()
    sector_codes = list(Sector.objects.order_by("order", "code").values_list("code", flat=True))
    per_sector, any_sector = defaultdict(list), []
    for year in years:
        grid = oracle_cells(year)
        implemented = {key for key, cell in grid.items() if cell["stage"] in IMPLEMENTED_STAGES}
        for sector in sector_codes:
            per_sector[sector].append(sum(1 for _, sec in implemented if sec == sector))
        any_sector.append(len({code for code, _ in implemented}))
    return {"years": years, "per_sector": dict(per_sector), "any_sector": any_sector}


def oracle_scores(year: int) -> dict[str, float]:
    grid = oracle_cells(year)
    sector_codes = list(Sector.objects.values_list("code", flat=True))
    return {code: round(sum(STAGE_RANK[grid[(code, s)]["stage"]] for s in sector_codes)
                        / (5 * len(sector_codes)) * 100, 1)
            for code in Municipality.objects.values_list("code", flat=True)}


def derived_state():
    cell_rows = sorted(ProgressCell.objects.values_list("municipality_id", "sector_id", "fiscal_year", "stage",
                                                        "record_id", "record_year"))
    counts = sorted(ProgressImplementedCount.objects.values_list("fiscal_year", "sector", "municipalities"))
    return cell_rows, counts


def assert_in_step():
    """The tables equal a rebuild from the records, and every 年度's reads equal the oracle."""
    kept = derived_state()
    with transaction.atomic():
        cells.rebuild()
    assert derived_state() == kept
    for year in YEARS:
        expected = oracle_cells(year)
        grid = queries.stage_grid(year)
        actual = {key: {"stage": grid.get(key, queries.NOT_STARTED)[0], "record_year": grid.get(key, queries.NOT_STARTED)[1]}
                  for key in expected}
        assert actual == {key: {"stage": c["stage"], "record_year": c["record_year"]} for key, c in expected.items()}


def demo_with_extras():
    """The demo history plus records before it and a cell edited back and forth."""
    demo.load()
    sapporo = Municipality.objects.get(pk="011002")
    health = Sector.objects.get(pk="health")
    actions.save_progress(SYSTEM, sapporo, health, 2020, stage="piloting", version=0)
    cell = queries.cells(2024, sector="health", municipality="011002")[("011002", "health")]
    actions.save_progress(SYSTEM, sapporo, health, 2024, stage="self_sustaining", version=cell.version)


# ---- reads compared with the oracle ----------------------------------------------------------------------

def test_summary_map_and_list_match_the_records_in_every_year(client, register):
    demo_with_extras()
    codes = list(Municipality.objects.values_list("code", flat=True))
    sector_codes = list(Sector.objects.values_list("code", flat=True))
    for year in YEARS:
        expected = oracle_cells(year)
        body = client.get(f"/api/v1/progress/summary?fiscal_year={year}").json()
        assert body["total"]["municipalities"] == len(codes)
        assert body["total"]["sectors"] == {s: oracle_counts(year, codes, s) for s in sector_codes}
        body = client.get(f"/api/v1/progress/summary?fiscal_year={year}&sector=disaster").json()
        assert body["total"]["stages"] == oracle_counts(year, codes, "disaster") and body["groups"] == []
        body = client.get(f"/api/v1/progress/summary?fiscal_year={year}&sector=health&group_by=prefecture").json()
        assert body["total"]["stages"] == oracle_counts(year, codes, "health")
        for group in body["groups"]:
            members = list(Municipality.objects.filter(prefecture_id=group["key"]).values_list("code", flat=True))
            assert group["stages"] == oracle_counts(year, members, "health")
        for sector in ("health", "disaster"):
            values = client.get(f"/progress/map-data.json?fiscal_year={year}&sector={sector}").json()["values"]
            assert {code: v["stage"] for code, v in values.items()} == {
                code: expected[(code, sector)]["stage"] for code in codes}
            assert {code for code, v in values.items() if "繰越" in v["label"]} == {
                code for code in codes
                if expected[(code, sector)]["record_year"] not in (None, year)}
        items = client.get(f"/api/v1/progress?fiscal_year={year}&page_size=100").json()["items"]
        assert len(items) == len(codes) * len(sector_codes)
        assert {(i["municipality"]["code"], i["sector"]): (i["stage"], i["carried_over"], i["version"], i["note"])
                for i in items} == {
            key: (c["stage"], c["record_year"] not in (None, year), c["version"], c["note"])
            for key, c in expected.items()}


def test_rankings_trend_and_kpi_match_the_records(client, register):
    demo_with_extras()
    for year in YEARS:
        expected = oracle_scores(year)
        ranked = queries.rankings(year)
        assert {e["code"]: e["score"] for members in ranked.values() for e in members} == expected
        for members in ranked.values():
            assert [e["rank"] for e in members] == [
                1 + sum(1 for other in members if other["score"] > e["score"]) for e in members]
        grid = oracle_cells(year)
        assert queries.implemented_municipality_count(year) == len(
            {code for (code, _), c in grid.items() if c["stage"] in IMPLEMENTED_STAGES})
    response = client.get("/progress/rankings/?fiscal_year=2026")
    assert response.status_code == 200
    trend = client.get("/progress/").context["trend"]
    expected = oracle_trend()
    assert trend["years"] == expected["years"]
    assert {s["code"]: s["implemented"] for s in trend["sectors"]} == expected["per_sector"]
    assert trend["any_sector"] == expected["any_sector"]
    assert_in_step()


# ---- every write path keeps the tables in step -------------------------------------------------------------

def test_demo_load_builds_the_state(register):
    assert derived_state() == ([], [])
    demo.load()
    assert ProgressCell.objects.exists() and ProgressImplementedCount.objects.exists()
    assert ProgressCell.objects.order_by("-fiscal_year").values_list("fiscal_year", flat=True).first() == 2026
    assert_in_step()


def test_a_save_carries_over_until_the_next_record(register):
    hachioji, work = Municipality.objects.get(pk="132012"), Sector.objects.get(pk="work")
    actions.save_progress(SYSTEM, hachioji, work, 2021, stage="considering", version=0)
    actions.save_progress(SYSTEM, hachioji, work, 2025, stage="implemented", version=0)
    assert_in_step()
    actions.save_progress(SYSTEM, hachioji, work, 2023, stage="piloting", version=0)
    rows = dict(ProgressCell.objects.filter(municipality=hachioji, sector=work).values_list("fiscal_year", "stage"))
    assert rows == {2021: "considering", 2022: "considering", 2023: "piloting", 2024: "piloting",
                    2025: "implemented"}
    assert queries.implemented_municipality_count(2024) == 0
    assert queries.implemented_municipality_count(2030) == 1
    cell = queries.cells(2023, sector="work", municipality="132012")[("132012", "work")]
    actions.save_progress(SYSTEM, hachioji, work, 2023, stage="self_sustaining", version=cell.version)
    assert queries.implemented_municipality_count(2024) == 1
    assert_in_step()


def test_a_later_year_moves_the_horizon_and_deleting_it_moves_it_back(register):
    demo.load()
    sapporo, disaster = Municipality.objects.get(pk="011002"), Sector.objects.get(pk="disaster")
    record, _ = actions.save_progress(SYSTEM, sapporo, disaster, 2027, stage="self_sustaining", version=0)
    assert queries.horizon() == 2027
    # Every cell now has a row in 2027, carried over from 2026 except the one saved.
    assert ProgressCell.objects.filter(fiscal_year=2027).count() == ProgressCell.objects.filter(fiscal_year=2026).count()
    assert_in_step()
    actions.delete_progress(SYSTEM, record, version=record.version)
    assert queries.horizon() == 2026
    assert not ProgressCell.objects.filter(fiscal_year=2027).exists()
    assert_in_step()


def test_deleting_records_in_the_middle_and_the_last_one(register):
    hachioji, work = Municipality.objects.get(pk="132012"), Sector.objects.get(pk="work")
    first, _ = actions.save_progress(SYSTEM, hachioji, work, 2022, stage="implemented", version=0)
    middle, _ = actions.save_progress(SYSTEM, hachioji, work, 2024, stage="piloting", version=0)
    actions.delete_progress(SYSTEM, middle, version=middle.version)
    assert queries.stage_grid(2025)[("132012", "work")] == ("implemented", 2022)
    assert_in_step()
    actions.delete_progress(SYSTEM, first, version=first.version)
    assert derived_state() == ([], [])
    assert queries.trend()["any_sector"] == [0] * len(queries.fiscal_years())


def test_an_import_creating_and_updating_keeps_the_state(register):
    demo.load()
    before = oracle_cells(2026)
    changed = next(key for key, c in before.items() if c["stage"] == "not_started")
    updated = next(key for key, c in before.items() if c["record_year"] == 2026 and c["stage"] != "considering")
    lines = [f"{changed[0]},{changed[1]},2024,実装済,,", f"{updated[0]},{updated[1]},2026,検討中,,",
             "325252,tourism,2019,計画策定,,"]
    report = PROGRESS.run(SYSTEM, csv_file(lines), "survey.csv")
    assert report.committed and report.created == 2 and report.updated == 1
    after = oracle_cells(2026)
    assert queries.stage_grid(2026)[changed] == ("implemented", 2024) == (after[changed]["stage"], 2024)
    assert queries.stage_grid(2026)[updated][0] == "considering"
    assert queries.stage_grid(2019)[("325252", "tourism")] == ("planned", 2019)
    assert_in_step()


def test_the_rebuild_command_repairs_a_state_changed_behind_the_actions(register):
    demo.load()
    kept = derived_state()
    ProgressCell.objects.filter(fiscal_year=2026).delete()
    ProgressImplementedCount.objects.all().delete()
    out = StringIO()
    call_command("rebuild_progress_state", stdout=out)
    assert "作り直しました" in out.getvalue()
    assert derived_state() == kept
    # Records changed and deleted behind the actions: the rebuild follows them and leaves the other rows alone.
    untouched = dict(ProgressCell.objects.exclude(municipality_id__in=["011002", "132012"]).values_list(
        "id", "stage"))
    ProgressRecord.objects.filter(municipality_id="011002").update(stage="self_sustaining")
    ProgressRecord.objects.filter(municipality_id="132012").delete()
    call_command("rebuild_progress_state", stdout=StringIO())
    assert dict(ProgressCell.objects.exclude(municipality_id__in=["011002", "132012"]).values_list(
        "id", "stage")) == untouched
    assert not ProgressCell.objects.filter(municipality_id="132012").exists()
    assert set(ProgressCell.objects.filter(municipality_id="011002").values_list("stage", flat=True)) == {
        "self_sustaining"}
    assert_in_step()


def test_restore_rebuilds_the_state_through_the_app_hook(register):
    from django.apps import apps

    demo.load()
    kept = derived_state()
    ProgressCell.objects.all().delete()
    note = apps.get_app_config("progress").rebuild_derived_data()
    assert "作り直しました" in note
    assert derived_state() == kept


@pytest.mark.django_db(transaction=True)
def test_the_migration_builds_the_state_from_existing_records(register):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate([("progress", "0002_delete_importupload")])
    try:
        old_apps = executor.loader.project_state([("progress", "0002_delete_importupload")]).apps
        Record = old_apps.get_model("progress", "ProgressRecord")
        for year, stage in ((2021, "considering"), (2024, "implemented")):
            Record.objects.create(municipality_id="131016", sector_id="tourism", fiscal_year=year, stage=stage)
        Record.objects.create(municipality_id="325252", sector_id="health", fiscal_year=2022, stage="planned")
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    assert dict(ProgressCell.objects.filter(municipality_id="131016").values_list("fiscal_year", "stage")) == {
        2021: "considering", 2022: "considering", 2023: "considering", 2024: "implemented"}
    assert dict(ProgressCell.objects.filter(municipality_id="325252").values_list("fiscal_year", "stage")) == {
        2022: "planned", 2023: "planned", 2024: "planned"}
    assert queries.trend()["any_sector"][queries.fiscal_years().index(2024)] == 1
    assert_in_step()


def test_a_new_fiscal_year_extends_the_trend_without_a_write(register, monkeypatch):
    """On 1 April the 年度 run one further (carried over): the trend kept for the data as they are must follow."""
    import datetime as dt

    from django.utils import timezone

    actions.save_progress(SYSTEM, Municipality.objects.get(pk="132012"), Sector.objects.get(pk="work"), 2025,
                          stage="implemented", version=0)
    monkeypatch.setattr(timezone, "localdate", lambda *a: dt.date(2030, 3, 31))
    assert queries.trend()["years"][-1] == 2029
    monkeypatch.setattr(timezone, "localdate", lambda *a: dt.date(2030, 4, 1))
    trend = queries.trend()
    assert trend["years"] == queries.fiscal_years() and trend["years"][-1] == 2030
    assert trend["any_sector"][-1] == 1  # carried over from 2025
