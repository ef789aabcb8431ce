"""Reads shared by the progress pages and the API: effective stages with carry-over, summaries, rankings.

Carry-over: for a 年度 without a record, the latest earlier record of the same municipality × sector stands
(`carried_over`); with none at all the stage is 未着手. The effective state is kept as data (ProgressCell, one
row per cell and 年度 up to the horizon, see chiiki.progress.cells and ADR 0013), so a 年度's dashboard reads
at most municipalities × sectors rows whatever the length of the history; the trend reads
ProgressImplementedCount.
"""

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from operator import itemgetter

from django.db.models import Count, Max

from chiiki.core.cache import latest, versioned, versions
from chiiki.core.fiscal import InvalidFiscalYear, current_fiscal_year, parse_fiscal_year
from chiiki.core.numbers import competition_ranks
from chiiki.regions.models import Municipality, MunicipalityKind
from chiiki.regions.queries import POPULATION_CLASS_LABELS, population_class
from chiiki.roadmap.models import Sector

from .apps import DEPENDS_ON
from .cells import ANY_SECTOR
from .models import (
    IMPLEMENTED_STAGES,
    STAGE_ORDER,
    STAGE_RANK,
    ProgressCell,
    ProgressImplementedCount,
    ProgressRecord,
    Source,
    Stage,
)

STAGE_LABELS = {stage.value: str(stage.label) for stage in Stage}
NOT_STARTED = (Stage.NOT_STARTED.value, None)  # a cell without a record: (stage, record year)
MAX_POINTS = len(STAGE_ORDER) - 1  # self_sustaining = 5 points
SCORE_FORMULA = (
    "総合スコア = 各分野の段階の点数の合計 ÷（分野数 × 5）× 100。"
    "点数は 未着手 0・検討中 1・計画策定 2・実証中 3・実装済 4・自走 5（繰越を含む、その年度時点の段階）。"
)


# ---- caching keyed on data versions --------------------------------------------------------------------------

def data_version() -> str:
    """Versions of the areas public progress pages depend on (the page cache's, too); any write bumps one."""
    return versions(DEPENDS_ON)


def cached(name: str, params, compute, *, version: str | None = None):
    """compute() as of the current data versions (shared between requests and workers: treat it as read-only)."""
    digest = hashlib.sha256(repr(params).encode()).hexdigest()[:32]
    return versioned(f"progress:{name}:{version or data_version()}:{digest}", compute)


# ---- register helpers -----------------------------------------------------------------------------------------

def kind_labels() -> dict[str, str]:
    return {k.value: str(k.label) for k in MunicipalityKind}


def peer_group_of(kind: str, population) -> str:
    return f"{kind}:{population_class(population) or 'unknown'}"


def peer_group_label(key: str) -> str:
    kind, pop = key.split(":")
    kind_label = kind_labels().get(kind, kind)
    if pop == "unknown":
        return f"{kind_label}（人口未登録）"
    return f"{kind_label}・人口 {POPULATION_CLASS_LABELS.get(pop, pop)}"


def municipalities(prefecture=None, kind=None, code=None):
    qs = Municipality.objects.all()
    if prefecture:
        qs = qs.filter(prefecture_id=prefecture)
    if kind:
        qs = qs.filter(kind=kind)
    if code:
        qs = qs.filter(code=code)
    return list(qs.order_by("code").values("code", "name", "prefecture_id", "prefecture__name", "kind",
                                             "population", "area_km2"))


def sectors() -> list[dict]:
    # Kept per data version (read once per request, shared with the figures): no query on most requests.
    return latest("progress:sectors", data_version(),
                  lambda: list(Sector.objects.order_by("order", "code").values("code", "name")))


# ---- fiscal years ---------------------------------------------------------------------------------------------

def fiscal_years() -> list[int]:
    """Years with records, extended to the current 年度 (carry-over makes every later year meaningful)."""
    # Two single-column lookups: each is one step down the (fiscal_year, sector) index on both engines. Kept per
    # data version: a page asks for its default 年度 and then for the list, and every page asks.
    first = latest("progress:first_year", data_version(), lambda: ProgressRecord.objects.order_by("fiscal_year")
                   .values_list("fiscal_year", flat=True).first())
    last = horizon()
    current = current_fiscal_year()
    if first is None or last is None:
        return [current]
    return list(range(first, max(current, last) + 1))


def default_fiscal_year() -> int:
    current = current_fiscal_year()
    years = fiscal_years()
    return current if current in years else years[-1]


def parse_year_param(raw) -> int | None:
    if raw in (None, ""):
        return None
    try:
        return parse_fiscal_year(raw)
    except InvalidFiscalYear:
        return None


# ---- effective cells ------------------------------------------------------------------------------------------

@dataclass
class Cell:
    municipality: str
    sector: str
    fiscal_year: int
    stage: str
    carried_over: bool
    record_year: int | None = None
    note: str = ""
    evidence_url: str = ""
    version: int = 0  # version of this year's record; 0 when there is none
    source: str = ""
    record_id: int | None = None

    @property
    def stage_label(self) -> str:
        return STAGE_LABELS[self.stage]

    @property
    def stage_with_origin(self) -> str:
        """「実装済」, 「実装済・2025年度から繰越」 or 「未着手・記録なし」: a stage carried over from an earlier 年度 is
        still to be reported for this one, and a list of what is left says so."""
        if self.carried_over and self.record_year:
            return f"{self.stage_label}・{self.record_year}年度から繰越"
        if not self.record_year:
            return f"{self.stage_label}・記録なし"
        return self.stage_label

    @property
    def implemented(self) -> bool:
        return self.stage in IMPLEMENTED_STAGES

    @property
    def is_demo(self) -> bool:
        return self.source == Source.DEMO


def horizon() -> int | None:
    """The latest 年度 with a record (= the latest 年度 of ProgressCell); later years carry it over."""
    return latest("progress:horizon", data_version(),
                  lambda: ProgressCell.objects.aggregate(last=Max("fiscal_year"))["last"])


def _state_year(fiscal_year: int) -> int | None:
    last = horizon()
    return None if last is None else min(fiscal_year, last)


def stage_grid(fiscal_year: int, *, sector=None) -> dict[tuple, tuple[str, int]]:
    """{(municipality, sector): (stage, year of the record it comes from)} for the cells with a record up to
    fiscal_year; a cell not in it is 未着手. One indexed read of ≤ municipalities × sectors rows."""
    year = _state_year(fiscal_year)
    if year is None:
        return {}
    rows = ProgressCell.objects.filter(fiscal_year=year)
    if sector:
        rows = rows.filter(sector_id=sector)
    return {(code, sec): (stage, record_year)
            for code, sec, stage, record_year in rows.values_list("municipality_id", "sector_id", "stage",
                                                                   "record_year")}


def stage_counts(fiscal_year: int, *, sector=None) -> dict[str, dict[str, int]]:
    """{sector: {stage: cells}} over the cells with a record up to fiscal_year (the rest are 未着手)."""
    year = _state_year(fiscal_year)
    if year is None:
        return {}
    rows = ProgressCell.objects.filter(fiscal_year=year)
    if sector:
        rows = rows.filter(sector_id=sector)
    counted: dict[str, dict[str, int]] = defaultdict(dict)
    for sec, stage, n in rows.order_by().values_list("sector_id", "stage").annotate(n=Count("*")):
        counted[sec][stage] = n
    return counted


def effective_records(fiscal_year: int, *, sector=None, codes=None, prefecture=None):
    """For each municipality × sector with a record up to fiscal_year: the record that stands in fiscal_year."""
    year = _state_year(fiscal_year)
    if year is None:
        return []
    qs = ProgressCell.objects.filter(fiscal_year=year)
    if sector:
        qs = qs.filter(sector_id=sector)
    if codes is not None:
        qs = qs.filter(municipality_id__in=list(codes))
    if prefecture:
        qs = qs.filter(municipality__prefecture_id=prefecture)
    return qs.values_list("record_id", "municipality_id", "sector_id", "record_year", "stage", "record__note",
                          "record__evidence_url", "record__version", "record__source")


def cells(fiscal_year: int, *, sector=None, prefecture=None, kind=None, municipality=None) -> dict[tuple, Cell]:
    """Every municipality × sector cell of the filter for fiscal_year, carry-over and 未着手 included."""
    places = municipalities(prefecture=prefecture, kind=kind, code=municipality)
    sector_codes = [s["code"] for s in sectors() if not sector or s["code"] == sector]
    codes = [p["code"] for p in places] if (kind or municipality) else None
    found = {}
    for rid, code, sec, year, stage, note, url, version, source in effective_records(
            fiscal_year, sector=sector, codes=codes, prefecture=prefecture):
        found[(code, sec)] = Cell(code, sec, fiscal_year, stage, year < fiscal_year, year, note, url,
                                  version if year == fiscal_year else 0, source, rid)
    result = {}
    for place in places:
        for sec in sector_codes:
            key = (place["code"], sec)
            result[key] = found.get(key) or Cell(place["code"], sec, fiscal_year, Stage.NOT_STARTED, False)
    return result


def list_cells(fiscal_year: int, *, sector=None, prefecture=None, kind=None, municipality=None, stages=None,
               population_class_filter=None, peer_group=None, implemented_any=False, sector_set=None,
               unreported=False):
    """Rows behind every number: (municipality dict, sector dict, Cell) in code × sector order. `sector_set`:
    several sectors (a KPI over some sectors: implemented_any then means implemented in one of them). unreported
    keeps the cells without a record of fiscal_year itself (carried over or 未着手): what is left to report."""
    places = municipalities(prefecture=prefecture, kind=kind, code=municipality)
    by_code = {p["code"]: p for p in places}
    sector_list = sectors()
    sector_by_code = {s["code"]: s for s in sector_list}
    grid = cells(fiscal_year, sector=sector, prefecture=prefecture, kind=kind, municipality=municipality)
    if sector_set:
        grid = {key: cell for key, cell in grid.items() if key[1] in sector_set}
    implemented_codes = None
    if implemented_any:
        implemented_codes = {code for (code, _), cell in grid.items() if cell.implemented}
    rows = []
    for (code, sec), cell in grid.items():
        place = by_code[code]
        if stages and cell.stage not in stages:
            continue
        if population_class_filter and (population_class(place["population"]) or "unknown") != population_class_filter:
            continue
        if peer_group and peer_group_of(place["kind"], place["population"]) != peer_group:
            continue
        if implemented_codes is not None and code not in implemented_codes:
            continue
        if unreported and cell.record_year == fiscal_year:
            continue
        rows.append((place, sector_by_code[sec], cell))
    order = {s["code"]: i for i, s in enumerate(sector_list)}
    rows.sort(key=lambda r: (r[0]["code"], order[r[1]["code"]]))
    return rows


def group_by_municipality(rows) -> list[dict]:
    """list_cells rows folded to one entry per municipality, in code order: {"place", "cells": [(sector, Cell)],
    "is_demo": any of its cells is demo data (one mark per municipality, not one per cell)}."""
    groups: dict[str, dict] = {}
    for place, sector, cell in rows:
        group = groups.setdefault(place["code"], {"place": place, "cells": [], "is_demo": False})
        group["cells"].append((sector, cell))
        group["is_demo"] = group["is_demo"] or bool(cell.is_demo)
    return list(groups.values())


# ---- summaries ------------------------------------------------------------------------------------------------

def _empty_stages() -> dict[str, int]:
    return {stage: 0 for stage in STAGE_ORDER}


def group_key(place: dict, group_by: str) -> tuple[str, str]:
    if group_by == "prefecture":
        return place["prefecture_id"], place["prefecture__name"]
    if group_by == "kind":
        return place["kind"], kind_labels().get(place["kind"], place["kind"])
    if group_by == "population_class":
        key = population_class(place["population"]) or "unknown"
        return key, POPULATION_CLASS_LABELS.get(key, "人口未登録")
    if group_by == "peer_group":
        key = peer_group_of(place["kind"], place["population"])
        return key, peer_group_label(key)
    raise ValueError(group_by)


def summary(fiscal_year: int, sector=None, group_by=None) -> dict:
    """Counts by stage (API shape of GET /api/v1/progress/summary)."""

    def compute():
        sector_list = sectors()
        result = {"fiscal_year": fiscal_year, "sector": sector, "group_by": group_by}
        if not group_by:
            # The country totals (the overview, the API's default) are counted by the database: ≤ sectors × stages
            # rows come back instead of one per cell.
            total = Municipality.objects.count()
            counted = stage_counts(fiscal_year, sector=sector)

            def totals(sec):
                stages = _empty_stages()
                stages.update(counted.get(sec, {}))
                stages[Stage.NOT_STARTED.value] += total - sum(counted.get(sec, {}).values())
                return stages

            block = {"stages": totals(sector)} if sector else {
                "sectors": {s["code"]: totals(s["code"]) for s in sector_list}}
            result["total"] = {"municipalities": total, **block}
            result["groups"] = []
            return result
        places = municipalities()
        grid = stage_grid(fiscal_year, sector=sector)

        def count(codes, sec):
            stages = _empty_stages()
            for code in codes:
                stages[grid.get((code, sec), NOT_STARTED)[0]] += 1
            return stages

        def block(codes):
            if sector:
                return {"stages": count(codes, sector)}
            return {"sectors": {s["code"]: count(codes, s["code"]) for s in sector_list}}

        all_codes = [p["code"] for p in places]
        result["total"] = {"municipalities": len(all_codes), **block(all_codes)}
        if group_by:
            groups: dict[str, dict] = {}
            members = defaultdict(list)
            for place in places:
                key, name = group_key(place, group_by)
                groups.setdefault(key, {"key": key, "name": name})
                members[key].append(place["code"])
            result["groups"] = [
                {**groups[key], "municipalities": len(members[key]), **block(members[key])} for key in groups
            ]
        else:
            result["groups"] = []
        return result

    return cached("summary", (fiscal_year, sector, group_by), compute)


def implemented_municipality_count(fiscal_year: int) -> int:
    """Municipalities with at least one sector implemented (実装済 or 自走) in fiscal_year (the KPI)."""
    year = _state_year(fiscal_year)
    if year is None:
        return 0
    return ProgressImplementedCount.objects.filter(fiscal_year=year, sector=ANY_SECTOR).values_list(
        "municipalities", flat=True).first() or 0


def trend() -> dict:
    """Per 年度 and sector: municipalities implemented; per 年度: municipalities with ≥ 1 sector implemented.

    Read from ProgressImplementedCount (≤ 年度 × (sectors + 1) rows); 年度 past the horizon carry it over.
    """

    def compute():
        years = fiscal_years()
        sector_list = sectors()
        last = horizon()
        counts = {(year, sec): n for year, sec, n in ProgressImplementedCount.objects.values_list(
            "fiscal_year", "sector", "municipalities")}
        state_years = [min(year, last) if last is not None else year for year in years]
        return {"years": years,
                "sectors": [{"code": s["code"], "name": s["name"],
                             "implemented": [counts.get((year, s["code"]), 0) for year in state_years]}
                            for s in sector_list],
                "any_sector": [counts.get((year, ANY_SECTOR), 0) for year in state_years]}

    # Its 年度 run to the current one (fiscal_years), which moves on 1 April without any write.
    return cached("trend", current_fiscal_year(), compute)


# ---- scores and peer groups -----------------------------------------------------------------------------------

def score_of(stages: list[str]) -> float:
    if not stages:
        return 0.0
    return round(sum(STAGE_RANK[s] for s in stages) / (MAX_POINTS * len(stages)) * 100, 1)


def scores(fiscal_year: int) -> dict:
    """{code: {"score", "implemented": [sector codes], "stages": {sector: stage}, "peer_group"}} for every municipality."""

    def compute():
        places = municipalities()
        sector_list = sectors()
        grid = stage_grid(fiscal_year)
        result = {}
        for place in places:
            stages = {s["code"]: grid.get((place["code"], s["code"]), NOT_STARTED)[0] for s in sector_list}
            result[place["code"]] = {
                "code": place["code"], "name": place["name"], "prefecture": place["prefecture_id"],
                "prefecture_name": place["prefecture__name"], "kind": place["kind"],
                "population": place["population"], "area_km2": float(place["area_km2"]) if place["area_km2"] else None,
                "peer_group": peer_group_of(place["kind"], place["population"]),
                "score": score_of(list(stages.values())), "stages": stages,
                "implemented": [sec for sec, st in stages.items() if st in IMPLEMENTED_STAGES],
            }
        return result

    return cached("scores", fiscal_year, compute)


def rankings(fiscal_year: int) -> dict[str, list[dict]]:
    """Peer group → members sorted by score (competition ranking: ties share a rank)."""

    def compute():
        groups = defaultdict(list)
        for entry in scores(fiscal_year).values():
            groups[entry["peer_group"]].append(entry)
        result = {}
        for key, members in groups.items():
            members = sorted(members, key=lambda e: (-e["score"], e["code"]))
            result[key] = [{**entry, "rank": rank, "group_size": len(members)}
                           for rank, entry in competition_ranks(members, itemgetter("score"))]
        return result

    return cached("rankings", fiscal_year, compute)


def similar_municipalities(code: str, fiscal_year: int, limit: int = 5) -> list[dict]:
    """Same peer group nearest in population (or area), then neighbours; with what they implemented and code has not."""
    table = scores(fiscal_year)
    me = table.get(code)
    if me is None:
        return []
    mine = set(me["implemented"])

    def distance(entry):
        if me["population"] is not None and entry["population"] is not None:
            return (0, abs(entry["population"] - me["population"]), entry["code"])
        if me["area_km2"] is not None and entry["area_km2"] is not None:
            return (1, abs(entry["area_km2"] - me["area_km2"]), entry["code"])
        # Neither known: prefer the same prefecture, then higher scores.
        return (2, 0 if entry["prefecture"] == me["prefecture"] else 1, -entry["score"], entry["code"])

    peers = [e for e in table.values() if e["peer_group"] == me["peer_group"] and e["code"] != code]
    peers.sort(key=distance)
    chosen = [(e, "同じ区分・規模") for e in peers[:limit]]
    neighbour_codes = Municipality.objects.get(pk=code).neighbours.values_list("code", flat=True)
    seen = {e["code"] for e, _ in chosen}
    for neighbour in sorted(neighbour_codes):
        if neighbour in table and neighbour not in seen:
            chosen.append((table[neighbour], "隣接団体"))
    return [{**entry, "reason": reason, "ahead_in": [sec for sec in entry["implemented"] if sec not in mine]}
            for entry, reason in chosen]


def municipality_history(code: str) -> dict[str, list]:
    """Sector → records over the years (oldest first)."""
    result = defaultdict(list)
    for record in ProgressRecord.objects.filter(municipality_id=code).select_related("updated_by").order_by("fiscal_year"):
        result[record.sector_id].append(record)
    return result


def map_values(fiscal_year: int, sector: str) -> dict:
    """{code: {"stage", "label"}} for the choropleth."""

    def compute():
        grid = stage_grid(fiscal_year, sector=sector)
        values = {}
        for place in municipalities():
            stage, record_year = grid.get((place["code"], sector), NOT_STARTED)
            values[place["code"]] = {"stage": stage, "label": STAGE_LABELS[stage] + (
                "（繰越）" if record_year is not None and record_year < fiscal_year else "")}
        return values

    return cached("map", (fiscal_year, sector), compute)


def prefecture_comparison(fiscal_year: int, sector=None) -> list[dict]:
    """Per prefecture: municipalities, implemented count and share (for the sector, or any sector), mean score,
    and the municipalities that have not reported every sector (or the sector) for fiscal_year itself — the count
    behind list_cells(unreported=True) per municipality."""

    def compute():
        table = scores(fiscal_year)
        wanted = 1 if sector else len(sectors())
        reported = defaultdict(int)
        for (code, _sec), (_stage, record_year) in stage_grid(fiscal_year, sector=sector).items():
            if record_year == fiscal_year:
                reported[code] += 1
        groups = defaultdict(list)
        names = {}
        for entry in table.values():
            groups[entry["prefecture"]].append(entry)
            names[entry["prefecture"]] = entry["prefecture_name"]
        rows = []
        for pref in sorted(groups):
            members = groups[pref]
            if sector:
                implemented = sum(1 for e in members if e["stages"].get(sector) in IMPLEMENTED_STAGES)
            else:
                implemented = sum(1 for e in members if e["implemented"])
            rows.append({"code": pref, "name": names[pref], "municipalities": len(members), "implemented": implemented,
                         "share": round(implemented / len(members) * 100, 1) if members else 0.0,
                         "score": round(sum(e["score"] for e in members) / len(members), 1) if members else 0.0,
                         "unreported": sum(1 for e in members if reported[e["code"]] < wanted)})
        return rows

    return cached("prefectures", (fiscal_year, sector), compute)


def has_demo_records() -> bool:
    return cached("has_demo", None, lambda: ProgressRecord.objects.filter(source=Source.DEMO).exists())
