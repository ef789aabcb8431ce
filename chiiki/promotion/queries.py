"""Reads shared by the promotion pages and the API: candidate scores, model regions, diffusion, package advice,
neighbours' uptake. Progress is read from the current-state table (ProgressCell, ADR 0013)."""

import datetime as dt
import hashlib
from operator import itemgetter

from django.db import connection
from django.db.models import Case, Count, IntegerField, Prefetch, Q, Sum, Value, When
from django.utils import timezone

from chiiki import access
from chiiki.core.cache import versioned, versions
from chiiki.core.codes import InvalidCode, normalize_code, typed_code
from chiiki.core.fiscal import current_fiscal_year
from chiiki.core.numbers import competition_ranks
from chiiki.core.text import fold
from chiiki.progress import queries as progress_queries
from chiiki.progress.models import IMPLEMENTED_STAGES, ProgressCell
from chiiki.regions.models import Municipality
from chiiki.regions.queries import KIND_LABELS, get_municipality, population_class, population_class_label
from chiiki.roadmap.models import Sector

from . import diffusion, packages, scoring
from .apps import DEPENDS_ON
from .models import (
    ORGANISATION_ORDER,
    Challenge,
    ChallengeStatus,
    Commitment,
    Council,
    CouncilRole,
    Event,
    EventFormat,
    ModelRegion,
    Organisation,
    PlanParticipation,
    PlanRole,
    Proposal,
    ProposalStatus,
    Registration,
    ScoringWeights,
)

# 地方区分 (the eight regions in which statistics group the prefectures), by JIS prefecture code.
PREFECTURE_REGIONS = [
    ("hokkaido", "北海道", range(1, 2)), ("tohoku", "東北", range(2, 8)), ("kanto", "関東", range(8, 15)),
    ("chubu", "中部", range(15, 24)), ("kinki", "近畿", range(24, 31)), ("chugoku", "中国", range(31, 36)),
    ("shikoku", "四国", range(36, 40)), ("kyushu", "九州・沖縄", range(40, 48)),
]


def prefecture_region(prefecture_code: str) -> tuple[str, str]:
    number = int(prefecture_code)
    for key, label, codes in PREFECTURE_REGIONS:
        if number in codes:
            return key, label
    return "", ""


def versions_of(depends_on) -> str:
    """versions(depends_on) (each a name of DEPENDS_ON), sliced from the one read of DEPENDS_ON that the page cache
    makes for every promotion URL anyway: one query per request instead of one per subset."""
    current = dict(zip(DEPENDS_ON, versions(DEPENDS_ON).split("."), strict=True))
    return ".".join(current[name] for name in depends_on)


def cached(name: str, params, compute, depends_on=DEPENDS_ON):
    """compute() as of the current versions of `depends_on` (shared between requests: read-only)."""
    digest = hashlib.sha256(repr(params).encode()).hexdigest()[:32]
    return versioned(f"promotion:{name}:{versions_of(depends_on)}:{digest}", compute)


def registered_event_ids(user, events) -> set[int]:
    """Which of these events the user registered for (one query for a list)."""
    if not getattr(user, "is_authenticated", False):
        return set()
    ids = [e.pk for e in events]
    return set(Registration.objects.filter(user=user, event_id__in=ids).values_list("event_id", flat=True))


def online_url_for(user, event, registered_ids: set[int]) -> str:
    """The join link goes to those registered and to those who edit the event, as on the event's page: anyone
    else would join without registering (past the capacity, out of the organiser's list)."""
    if event.online_url and (event.pk in registered_ids or access.can(user, "promotion.event_edit", event)):
        return event.online_url
    return ""


def registrations_of(event) -> list:
    """An event's registrations with who registered (for its organiser's 申込者 list and export), oldest first."""
    return list(event.registrations.select_related(
        "user__municipality__prefecture", "user__prefecture", "user__organisation_membership__organisation")
        .order_by("created_at", "pk"))


REGISTRATION_HEADER = ["申込日時", "氏名", "ユーザー名", "所属", "メールアドレス"]


def registration_rows(registrations) -> list[list]:
    return [[timezone.localtime(r.created_at).strftime("%Y-%m-%d %H:%M"), r.user.get_full_name(), r.user.username,
             r.user.affiliation, r.user.email] for r in registrations]


def sectors() -> list[dict]:
    return progress_queries.sectors()


def sector_names() -> dict[str, str]:
    return {s["code"]: s["name"] for s in sectors()}


def default_year() -> int:
    return progress_queries.default_fiscal_year()


# ---- weights and candidates -----------------------------------------------------------------------------------

def current_weights() -> ScoringWeights:
    """The one weights row (defaults until the admin first saves)."""
    return ScoringWeights.objects.filter(pk=1).first() or ScoringWeights(pk=1, version=0)


def weights_of(row: ScoringWeights) -> scoring.Weights:
    return scoring.Weights(row.implemented_weight, row.progress_weight, row.commitment_weight, row.plans_weight)


def committed_codes(on=None) -> dict[str, Commitment]:
    """municipality code → its latest commitment declared on or before `on` (today)."""
    day = on or timezone.localdate()
    latest = {}
    for commitment in Commitment.objects.filter(declared_on__lte=day).order_by("declared_on", "id"):
        latest[commitment.municipality_id] = commitment
    return latest


def planned_codes(fiscal_year: int) -> set[str]:
    """Municipalities named by a published plan (funding) starting in `fiscal_year` or earlier: the plans component."""
    from chiiki.funding.queries import municipalities_with_published_plans

    return municipalities_with_published_plans(up_to_year=fiscal_year)


def candidates(fiscal_year: int) -> dict:
    """Every municipality up to the population limit with its score components, best first."""

    def compute():
        row = current_weights()
        weights = weights_of(row)
        sector_codes = [s["code"] for s in sectors()]
        now = progress_queries.stage_grid(fiscal_year)
        before = progress_queries.stage_grid(fiscal_year - scoring.PROGRESS_YEARS)
        committed = committed_codes()
        planned = planned_codes(fiscal_year)
        designated = set(ModelRegion.objects.values_list("municipality_id", flat=True))
        items = []
        # Plain rows, not model instances: this reads up to 1,741 municipalities on a cold cache.
        places = (Municipality.objects.filter(population__isnull=False, population__lte=row.max_population)
                  .order_by("code").values_list("code", "name", "prefecture_id", "prefecture__name", "kind",
                                                "population"))
        for code, name, prefecture_code, prefecture, kind, population in places:
            stages_now = {s: now[(code, s)][0] for s in sector_codes if (code, s) in now}
            stages_before = {s: before[(code, s)][0] for s in sector_codes if (code, s) in before}
            parts = scoring.components(stages_now, stages_before, sector_codes, code in committed, code in planned)
            commitment = committed.get(code)
            items.append({
                "code": code, "name": name, "prefecture": prefecture, "prefecture_code": prefecture_code, "kind": kind,
                "kind_label": KIND_LABELS.get(kind, kind), "population": population,
                "score": scoring.score(parts, weights),
                "implemented": round(parts["implemented"], 3), "progress": round(parts["progress"], 3),
                "commitment": bool(parts["commitment"]), "plans": bool(parts["plans"]),
                "implemented_sectors": [s for s in sector_codes if stages_now.get(s) in IMPLEMENTED_STAGES],
                "commitment_date": commitment.declared_on if commitment else None,
                "commitment_url": commitment.document_url if commitment else "",
                "designated": code in designated,
            })
        items.sort(key=lambda e: (-e["score"], e["code"]))
        return {"fiscal_year": fiscal_year, "compared_with": fiscal_year - scoring.PROGRESS_YEARS,
                "max_population": row.max_population, "weights": weights,
                "formula": scoring.formula_text(weights, row.max_population), "items": items}

    return cached("candidates", fiscal_year, compute)


def ranked_candidates(result: dict, prefecture: str | None = None) -> list[tuple[int, dict]]:
    """(national rank, candidate) best first, optionally only one prefecture's: a prefecture looks at its own
    municipalities without losing where they stand nationally. Equal scores share a rank."""
    ranked = competition_ranks(result["items"], itemgetter("score"))
    if prefecture:
        ranked = [(rank, e) for rank, e in ranked if e["prefecture_code"] == prefecture]
    return ranked


# ---- model regions --------------------------------------------------------------------------------------------

def model_regions(fiscal_year: int | None = None):
    qs = (ModelRegion.objects.select_related("municipality__prefecture")
          .prefetch_related(Prefetch("sectors", queryset=Sector.objects.order_by("order", "code")))
          .order_by("-fiscal_year", "municipality_id"))
    if fiscal_year is not None:
        qs = qs.filter(fiscal_year=fiscal_year)
    return qs


def designation_years() -> list[int]:
    return sorted(set(ModelRegion.objects.values_list("fiscal_year", flat=True)), reverse=True)


def region_of(code: str, fiscal_year: int | None = None) -> ModelRegion | None:
    """The municipality's designation (of that 年度, or its first)."""
    qs = model_regions().filter(municipality_id=code).order_by("fiscal_year")
    if fiscal_year is not None:
        qs = qs.filter(fiscal_year=fiscal_year)
    return qs.first()


# What diffusion reads from the register, the sectors and the designations only: a progress write leaves it.
STRUCTURE_DEPENDS_ON = ("promotion", "regions", "roadmap")


def _build_structure() -> diffusion.Inputs:
    through = Municipality.neighbours.through
    neighbours: dict[str, set[str]] = {}
    for a, b in through.objects.values_list("from_municipality_id", "to_municipality_id"):
        neighbours.setdefault(a, set()).add(b)
        neighbours.setdefault(b, set()).add(a)
    strata = {code: (kind, population_class(population))
              for code, kind, population in Municipality.objects.values_list("code", "kind", "population")}
    model_codes = set(ModelRegion.objects.values_list("municipality_id", flat=True))
    inputs = diffusion.Inputs(neighbours=neighbours, strata=strata, implemented={}, years=[],
                              bits=diffusion.bits_of(s["code"] for s in sectors()), model_codes=model_codes)
    for code in sorted(model_codes):
        inputs.group(code)
    return inputs


def diffusion_structure() -> diffusion.Inputs:
    """Every model region's two groups and the sector bits, without progress (cached apart). Only the groups are
    kept: the neighbour relation and the strata they came from are not needed again (a smaller cache entry)."""

    def compute():
        full = _build_structure()
        return diffusion.Inputs(neighbours={}, strata={}, implemented={}, years=[], bits=full.bits,
                                model_codes=full.model_codes, groups=full.groups)

    return cached("diffusion-structure", None, compute, depends_on=STRUCTURE_DEPENDS_ON)


def implemented_masks(first_year: int, last_year: int, bits: dict[str, int]) -> dict[int, dict[str, int]]:
    """年度 → {code: bit mask of its sectors at 実装済・自走} for first_year…last_year, aggregated in the database
    (one row per 年度 and municipality, not per cell); 年度 past the horizon carry the horizon's over."""
    horizon = progress_queries.horizon()
    result: dict[int, dict[str, int]] = {year: {} for year in range(first_year, last_year + 1)}
    if horizon is None or not bits:
        return result
    # Each (municipality, sector, 年度) is one row (unique), so the sum of the sectors' bits is their union.
    mask = Sum(Case(*[When(sector_id=code, then=Value(bit)) for code, bit in bits.items()], default=Value(0),
                    output_field=IntegerField()))
    # Grouped in the order of the implemented cells' index (年度, municipality): an index-only scan that is already
    # grouped, no hash table.
    rows = (ProgressCell.objects.filter(stage__in=IMPLEMENTED_STAGES, fiscal_year__gte=first_year,
                                        fiscal_year__lte=min(last_year, horizon))
            .order_by().values("fiscal_year", "municipality_id").annotate(mask=mask)
            .values_list("fiscal_year", "municipality_id", "mask"))
    # Fetched with one cursor call: the queryset's iterator converts every value of its ~12,000 rows in Python
    # (a third of the cold request); the values are plain integers and codes already.
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for year, code, value in cursor.fetchall():
            result[year][code] = value
    for later in range(horizon + 1, last_year + 1):
        result[later] = result.get(horizon, {})  # carried over (the same dict: read only)
    return result


def diffusion_inputs(regions: list[tuple[str, int, list[str]]]) -> diffusion.Inputs:
    """The cached structure plus the implemented cells from the 年度 before the first designation (the baseline)."""
    structure = diffusion_structure()
    if any(code not in structure.groups for code, _, _ in regions):  # designated since the structure was read
        structure = _build_structure()
    years = progress_queries.fiscal_years()
    first = min([start for _, start, _ in regions] + [max(years)]) - 1
    implemented = implemented_masks(max(first, min(years) - 1), max(years), structure.bits)
    return diffusion.Inputs(neighbours=structure.neighbours, strata=structure.strata, implemented=implemented,
                            years=years, bits=structure.bits, model_codes=structure.model_codes,
                            groups=structure.groups)


def region_diffusion(region: ModelRegion) -> dict:
    def compute():
        sectors_ = [s.code for s in region.sectors.all()]
        inputs = diffusion_inputs([(region.municipality_id, region.fiscal_year, sectors_)])
        result = diffusion.for_region(inputs, region.municipality_id, region.fiscal_year, sectors_)
        names = dict(Municipality.objects.filter(code__in=result["neighbours"] + result["comparison"])
                     .values_list("code", "name"))
        result["neighbour_names"] = {code: names.get(code, code) for code in result["neighbours"]}
        result["comparison_names"] = {code: names.get(code, code) for code in result["comparison"]}
        result["sectors"] = sectors_
        return result

    # The 年度 run to the current one (fiscal_years), which moves on 1 April without any write.
    return cached("diffusion", (region.pk, region.version, current_fiscal_year()), compute)


def designations() -> list[tuple[str, int, list[str]]]:
    """Every designation as (code, 年度, sector codes), newest first: the register's part of the national
    diffusion, kept apart from progress like the structure (a progress write leaves it)."""

    def compute():
        return [(r.municipality_id, r.fiscal_year, [s.code for s in r.sectors.all()]) for r in model_regions()]

    return cached("designations", None, compute, depends_on=STRUCTURE_DEPENDS_ON)


def national_diffusion() -> dict:
    def compute():
        regions = designations()
        return diffusion.national(diffusion_inputs(regions), regions)

    return cached("national-diffusion", current_fiscal_year(), compute)  # as region_diffusion


DIFFUSION_GROUPS = {"neighbours": "隣接団体", "comparison": "比較グループ"}


def diffusion_cells(year: int, group: str, implemented_only: bool, region: ModelRegion | None = None) -> dict | None:
    """The municipality × sector cells behind one figure of a diffusion table (the region's, or the national one
    when region is None): every cell of the group in 年度 `year` (the denominator) or those at 実装済 or better
    (the numerator), with the stage that stands. None when the table has no such 年度 or group."""
    if group not in DIFFUSION_GROUPS:
        return None
    regions = ([(region.municipality_id, region.fiscal_year, [s.code for s in region.sectors.all()])]
               if region is not None else designations())
    if not regions or year < min(start for _, start, _ in regions) or year not in progress_queries.fiscal_years():
        return None
    structure = diffusion_structure()
    if any(code not in structure.groups for code, _, _ in regions):
        structure = _build_structure()
    if region is not None:
        groups = diffusion.region_groups(structure, region.municipality_id, regions[0][2])
    else:
        groups = diffusion.national_groups(structure, regions, year)
    done = implemented_masks(year, year, structure.bits)[year] if implemented_only else None
    cells = diffusion.cells_of(groups[group], done, structure.bits)
    codes = sorted({code for code, _ in cells})
    wanted = set(cells)
    standing = {(code, sector): (stage, record_year)
                for _, code, sector, record_year, stage, *_ in progress_queries.effective_records(
                    year, codes=codes if len(codes) <= 500 else None) if (code, sector) in wanted}
    places = {code: (name, prefecture) for code, name, prefecture in
              Municipality.objects.filter(code__in=codes).values_list("code", "name", "prefecture__name")}
    names = sector_names()
    rows = []
    for code, sector in cells:
        stage, record_year = standing.get((code, sector), progress_queries.NOT_STARTED)
        name, prefecture = places.get(code, (code, ""))
        rows.append({"code": code, "name": name, "prefecture": prefecture, "sector": sector,
                     "sector_name": names.get(sector, sector), "stage": stage,
                     "stage_label": progress_queries.STAGE_LABELS[stage], "record_year": record_year})
    return {"rows": rows, "year": year, "group": group, "group_label": DIFFUSION_GROUPS[group],
            "implemented_only": implemented_only, "municipality_count": len(codes)}


def named(codes: list[str]) -> list[dict]:
    """[{code, name}] for the codes, in their order (the lists behind the diffusion group sizes)."""
    names = dict(Municipality.objects.filter(code__in=codes).values_list("code", "name"))
    return [{"code": code, "name": names.get(code, code)} for code in codes]


# ---- package advice and neighbours' uptake ---------------------------------------------------------------------

def _flags(place: Municipality) -> tuple[bool, bool, bool]:
    # Unknown (None) counts as not flagged: similarity asks "is it a 過疎/離島/中山間 area", not "is it known".
    return bool(place.depopulated), bool(place.remote_island), bool(place.mountainous)


def similarity_key(place: Municipality) -> tuple:
    return (place.kind, population_class(place.population), *_flags(place),
            prefecture_region(place.prefecture_id)[0])


def similarity_label(place: Municipality) -> str:
    flags = [label for flag, label in zip(_flags(place), ("過疎", "離島", "中山間"), strict=True) if flag]
    if not flags:
        # Unregistered reads as not designated (_flags); say which it is, so nobody takes it for a fact.
        unknown = None in (place.depopulated, place.remote_island, place.mountainous)
        flags = ["過疎・離島・中山間は未登録（指定なしとして比較）" if unknown else "過疎・離島・中山間の指定なし"]
    return "・".join([KIND_LABELS.get(place.kind, place.kind), f"人口 {population_class_label(population_class(place.population))}",
                     *flags, prefecture_region(place.prefecture_id)[1]])


def similar_municipalities(place: Municipality) -> list[Municipality]:
    key = similarity_key(place)
    region_key = key[-1]
    prefectures = [f"{n:02d}" for k, _, codes in PREFECTURE_REGIONS if k == region_key for n in codes]
    candidates_ = (Municipality.objects.filter(kind=place.kind, prefecture_id__in=prefectures)
                   .exclude(pk=place.pk).defer("boundary").order_by("code"))  # boundaries are large
    return [m for m in candidates_ if similarity_key(m) == key]


def _cells_sql(count: int) -> str:
    # One statement: the 年度 is capped by the latest 年度 with cells inside it (what progress_queries._state_year
    # does with a query of its own); PostgreSQL reads it from the partial index of implemented cells. There the
    # codes go as one array: psycopg does not keep the parsed form of a statement with more than 50 parameters and
    # re-parsed this one (a group is up to a few hundred codes) on every request.
    table = ProgressCell._meta.db_table
    marks = ", ".join(["%s"] * len(IMPLEMENTED_STAGES))
    codes = "= ANY(%s)" if connection.vendor == "postgresql" else f"IN ({', '.join(['%s'] * count)})"
    return (f"SELECT municipality_id, sector_id FROM {table} WHERE fiscal_year = (SELECT CASE WHEN latest < %s "
            f"THEN latest ELSE %s END FROM (SELECT MAX(fiscal_year) AS latest FROM {table}) horizon) "
            f"AND stage IN ({marks}) AND municipality_id {codes}")


def implemented_cells(codes, fiscal_year: int) -> list[tuple[str, str]]:
    """(municipality, sector) of the cells of these municipalities at 実装済 or 自走 as of fiscal_year (carried
    over: a 年度 after the latest record reads that latest 年度's cells), sorted."""
    codes = list(codes)
    if not codes:
        return []
    params = [fiscal_year, fiscal_year, *IMPLEMENTED_STAGES]
    params += [codes] if connection.vendor == "postgresql" else codes
    with connection.cursor() as cursor:
        cursor.execute(_cells_sql(len(codes)), params)
        rows = cursor.fetchall()
    rows.sort()
    return rows


def implemented_by(codes, fiscal_year: int) -> dict[str, set[str]]:
    result = {code: set() for code in codes}
    for code, sector in implemented_cells(result, fiscal_year):
        result[code].add(sector)
    return result


# What the plans' programs depend on: the plans (funding), the programs' names, the municipalities (the codes).
PLANS_DEPENDS_ON = ("funding", "programs", "regions")


def plan_programs(codes) -> list[dict]:
    """The programs the published plans (funding) of these municipalities used, per municipality and sector.
    Cached per version of the plans: a progress write (the usual reason package advice is recomputed) leaves it."""
    from chiiki.funding.queries import programs_in_published_plans

    codes = sorted(codes)
    return cached("plan-programs", codes, lambda: programs_in_published_plans(codes), depends_on=PLANS_DEPENDS_ON)


def _group(place: Municipality) -> dict:
    names = {m.code: m.name for m in similar_municipalities(place)}
    return {"code": place.code, "label": similarity_label(place), "names": names,
            # One {"code", "name"} per municipality, shared by the combinations that name it.
            "named": {code: {"code": code, "name": name} for code, name in names.items()}}


def package_group(place: Municipality) -> dict:
    """The municipality's similarity group: its code, the similarity label, the similar municipalities
    (code → name). Depends on the register only, so a progress write keeps it."""
    return cached("package-group", place.code, lambda: _group(place), depends_on=("regions",))


def package_group_by_code(code: str) -> dict:
    """package_group for a code as typed (5 or 6 digits, full-width too) without reading the municipality when
    its group is cached; Http404 as get_municipality for an invalid or unknown code."""
    try:
        normalized = normalize_code(code)
    except InvalidCode:
        get_municipality(code)  # raises its 404 with its message
        raise
    return cached("package-group", normalized, lambda: _group(get_municipality(normalized)), depends_on=("regions",))


def similar_names(place: Municipality) -> dict[str, str]:
    """code → name of the similar municipalities; depends on the register only, so a progress write keeps it."""
    return package_group(place)["names"]


# What package advice reads besides progress: the register (who is similar, their names), the sectors, the plans
# and their programs. Progress enters through the group's implemented cells themselves (a digest of them in the
# key), so a progress write in another group leaves this group's advice as it is.
PACKAGE_DEPENDS_ON = ("regions", "roadmap", "funding", "programs")


def _advice(group: dict, fiscal_year: int, itemsets: dict[str, set[str]], *, bases: bool = True) -> dict:
    """bases: name the municipalities of each combination, and per rule those behind its confidence (the page
    lists them). The API gives the rules' counts only and writes the names from `names` (code → name) itself."""
    itemsets = dict(itemsets)
    own = itemsets.pop(group["code"])
    combos = packages.advise(packages.mine(itemsets), own)
    used = plan_programs(group["names"])
    named = group["named"]
    if bases:
        packages.rule_bases(itemsets, combos)
    for combo in combos:
        if bases:
            combo["municipality_names"] = [named[c] for c in combo["municipalities"]]
            combo["base_names"] = [[named[c] for c in base] for base in combo.pop("bases")]
        combo["programs"] = packages.programs_of(combo, used)
    return {"municipality": group["code"], "fiscal_year": fiscal_year, "similar_count": len(group["names"]),
            "similar_label": group["label"], "min_support": packages.MIN_SUPPORT, "implemented": sorted(own),
            "combinations": combos, "names": group["names"]}


def advice_of_group(group: dict, fiscal_year: int, name: str = "packages", make=None, *, bases: bool = True):
    """make(package advice) (the advice itself by default) for the group and 年度, cached twice: per data version
    (a repeated request reads nothing), and, under that, per digest of the group's implemented cells (a progress
    write outside the group costs one read of those cells, not a new computation). Read-only. bases: as _advice
    (a name that caches advice without them must say so)."""
    make = make or (lambda advice: advice)

    def by_cells():
        itemsets = {code: set() for code in [group["code"], *group["names"]]}
        cells = implemented_cells(itemsets, fiscal_year)
        for code, sector in cells:
            itemsets[code].add(sector)
        digest = hashlib.sha256(";".join(f"{c}:{s}" for c, s in cells).encode()).hexdigest()[:32]
        return versioned(f"promotion:{name}-by-cells:{versions_of(PACKAGE_DEPENDS_ON)}:{group['code']}:{fiscal_year}:{digest}",
                         lambda: make(_advice(group, fiscal_year, itemsets, bases=bases)))

    return cached(name, (group["code"], fiscal_year), by_cells)


def compute_package_advice(place: Municipality, fiscal_year: int) -> dict:
    """package_advice without its caches (the comparison tests' reference)."""
    group = package_group(place)
    return _advice(group, fiscal_year, implemented_by([place.code, *group["names"]], fiscal_year))


def package_advice(place: Municipality, fiscal_year: int) -> dict:
    return advice_of_group(package_group(place), fiscal_year)


def neighbour_uptake(place: Municipality, fiscal_year: int) -> list[dict]:
    """What its neighbours implemented (実装済・自走) that it has not yet: one row per neighbour × sector.
    Kept per data version: every municipality progress page shows it, signed in or not."""
    return cached("uptake", (place.code, fiscal_year), lambda: _neighbour_uptake(place, fiscal_year),
                  depends_on=UPTAKE_DEPENDS_ON)


UPTAKE_DEPENDS_ON = ("progress", "regions", "roadmap")


def _neighbour_uptake(place: Municipality, fiscal_year: int) -> list[dict]:
    neighbours = list(place.neighbours.order_by("code").values("code", "name"))
    codes = [n["code"] for n in neighbours]
    grid_year = progress_queries._state_year(fiscal_year)
    if grid_year is None or not codes:
        return []
    own = implemented_by([place.code], fiscal_year)[place.code]
    names = {n["code"]: n["name"] for n in neighbours}
    sector_label = sector_names()
    order = {s["code"]: i for i, s in enumerate(sectors())}
    rows = (ProgressCell.objects.filter(fiscal_year=grid_year, stage__in=IMPLEMENTED_STAGES, municipality_id__in=codes)
            .exclude(sector_id__in=own).order_by().values_list("municipality_id", "sector_id", "stage", "record_year"))
    result = [{"code": code, "name": names[code], "sector": sector, "sector_name": sector_label.get(sector, sector),
               "stage": stage, "stage_label": progress_queries.STAGE_LABELS[stage], "fiscal_year": record_year}
              for code, sector, stage, record_year in rows]
    result.sort(key=lambda r: (order.get(r["sector"], 99), r["code"]))
    return result


def commitments(place: Municipality):
    return Commitment.objects.filter(municipality=place).order_by("-declared_on", "-id")


def all_commitments(*, prefecture="", municipality=""):
    """Every municipality's recorded commitments, newest first (the national list and its export)."""
    qs = Commitment.objects.select_related("municipality__prefecture").order_by("-declared_on", "-id")
    if prefecture:
        qs = qs.filter(municipality__prefecture_id=prefecture)
    if municipality:
        qs = qs.filter(municipality_id=municipality)
    return qs


# ---- organisations and councils -----------------------------------------------------------------------------------

def organisations(*, q="", kind="", prefecture="", sector=""):
    qs = Organisation.objects.select_related("prefecture").prefetch_related("sectors").order_by(*ORGANISATION_ORDER)
    q = fold((q or "").replace("\x00", ""))  # NUL cannot be sent to PostgreSQL
    if q:
        # The folded copy, not icontains: each engine folds case and width its own way (SQLite ASCII case only).
        qs = qs.filter(name_folded__contains=q)
    if kind:
        qs = qs.filter(kind=kind)
    if prefecture:
        qs = qs.filter(prefecture_id=prefecture)
    if sector:
        qs = qs.filter(sectors__code=sector).distinct()
    return qs


def councils(*, prefecture=""):
    qs = (Council.objects.select_related("prefecture", "municipality")
          .annotate(member_count=Count("memberships")).order_by("prefecture_id", "municipality_id", "name", "id"))
    if prefecture:
        qs = qs.filter(prefecture_id=prefecture)
    return qs


def council_members(council: Council):
    order = {role: i for i, role in enumerate(CouncilRole.values)}
    members = list(council.memberships.select_related("organisation__prefecture"))
    members.sort(key=lambda m: (order[m.role], m.organisation.name))
    return members


# ---- challenges and proposals -------------------------------------------------------------------------------------

AWAITING_SELECTION = "awaiting"
# The lists' status filter (page, CSV/XLSX, ICS, API): "open" is open and before its deadline; "closed" (審査中) is
# open past its deadline too, as Challenge.current_status says.
CHALLENGE_STATUS_FILTERS = {"open": "募集中の課題", AWAITING_SELECTION: "提案の選定を待つ課題",
                            ChallengeStatus.CLOSED: "審査中の課題", ChallengeStatus.DECIDED: "結果を公表した課題",
                            ChallengeStatus.WITHDRAWN: "取り下げた課題", "all": "すべての課題"}


def challenges(*, sector="", prefecture="", municipality="", deadline_before=None, startup_friendly=False,
               status="open", today=None, viewer=None):
    """Challenges by the lists' filters. status="awaiting": past the deadline and not decided, with proposals
    still to judge (the municipality's move; `waiting` counts those proposals), among the challenges whose
    proposals `viewer` reviews: for anyone else, that a challenge has proposals is confidential."""
    today = today or timezone.localdate()
    qs = Challenge.objects.select_related("municipality__prefecture", "sector", "selected__organisation")
    if status == "open":
        qs = qs.filter(status=ChallengeStatus.OPEN, deadline__gte=today)
    elif status == AWAITING_SELECTION:
        qs = (access.scope_reviewed_challenges(viewer, qs)
              .exclude(status__in=(ChallengeStatus.DECIDED, ChallengeStatus.WITHDRAWN)).filter(deadline__lt=today)
              .annotate(waiting=Count("proposals", filter=Q(proposals__status__in=(ProposalStatus.SUBMITTED,
                                                                                   ProposalStatus.SHORTLISTED))))
              .filter(waiting__gt=0))
    elif status == ChallengeStatus.CLOSED:
        qs = qs.filter(Q(status=ChallengeStatus.CLOSED) | Q(status=ChallengeStatus.OPEN, deadline__lt=today))
    elif status in ChallengeStatus.values:
        qs = qs.filter(status=status)
    if sector:
        qs = qs.filter(sector_id=sector)
    if prefecture:
        qs = qs.filter(municipality__prefecture_id=prefecture)
    if municipality:
        try:
            qs = qs.filter(municipality_id=typed_code(municipality))
        except InvalidCode:
            qs = qs.none()  # names no municipality (the API says why: 422)
    if deadline_before:
        qs = qs.filter(deadline__lte=deadline_before)
    if startup_friendly:
        qs = qs.filter(Q(small_orders=True) | Q(no_track_record=True) | Q(pilot_first=True))
    return qs.order_by("deadline", "id")


def status_filters(user) -> dict[str, str]:
    """The lists' status choices for the user: "awaiting" only for those who review some challenge's proposals."""
    if reviews_proposals(user):
        return CHALLENGE_STATUS_FILTERS
    return {key: label for key, label in CHALLENGE_STATUS_FILTERS.items() if key != AWAITING_SELECTION}


def reviews_proposals(user) -> bool:
    """Whether the user reviews some challenge's proposals before the outcome (the admin; a municipality's staff,
    for their own municipality's): by the access rule, asked of the user's own municipality."""
    if not user.is_authenticated:
        return False
    return access.can(user, "promotion.proposals_review", user.municipality)


def with_proposal_counts(challenges_):
    """The challenges with `proposal_count` (every proposal of the challenge, as its page lists them to its
    reviewers), counted in the same query. A count is as confidential as the proposals: show it only where
    proposals_visible(user, challenge)."""
    return challenges_.annotate(proposal_count=Count("proposals", distinct=True))


def proposals_visible(user, challenge: Challenge) -> bool:
    return access.can(user, "promotion.proposals_review", challenge)


def with_visible_proposal_counts(user, challenges_):
    """The lists' challenges (web page, CSV/XLSX, API) with `proposal_count` when the user reviews some challenge's
    proposals (reviews_proposals), in the same query; unchanged for everyone else. Read a row's figure with
    visible_proposal_count."""
    return with_proposal_counts(challenges_) if reviews_proposals(user) else challenges_


def visible_proposal_count(user, challenge: Challenge) -> int | None:
    """The challenge's 提案数 for those who review its proposals, None for everyone else (the challenge comes from
    with_visible_proposal_counts: whoever may review it reviews proposals, so its count is there)."""
    return challenge.proposal_count if proposals_visible(user, challenge) else None


def visible_proposals(user, challenge: Challenge):
    """Proposals of the challenge the user may read in full (their organisation's; the municipality's staff and
    the admin see all). After the outcome the selected one's summary is public: see public_outcome."""
    return access.scope_proposals(user, challenge.proposals.select_related("organisation")).order_by("id")


def organisation_proposals(user, organisation, *, undecided_only=False):
    """The organisation's proposals the user may read (its own members, the admin), the latest deadline first."""
    qs = Proposal.objects.filter(organisation=organisation)
    if undecided_only:
        # A withdrawn challenge will not be decided either: its proposals have their final word.
        qs = qs.exclude(challenge__status__in=(ChallengeStatus.DECIDED, ChallengeStatus.WITHDRAWN))
    return (access.scope_proposals(user, qs).select_related("challenge__municipality")
            .order_by("-challenge__deadline", "-id"))


RECENT_OUTCOME_DAYS = 30  # マイページ shows an outcome for this many days after it was published

# The organisation page's proposal filters (the lists behind マイページ's two proposal sections).
PROPOSAL_FILTERS = {"undecided": "結果の公表前", "recent_outcomes": f"結果の公表から{RECENT_OUTCOME_DAYS}日以内"}


def filtered_organisation_proposals(user, organisation, which: str):
    """The organisation's proposals of one PROPOSAL_FILTERS key ("" or unknown: all of them)."""
    if which == "undecided":
        return organisation_proposals(user, organisation, undecided_only=True)
    if which == "recent_outcomes":
        return organisation_outcomes(user, organisation,
                                     timezone.now() - dt.timedelta(days=RECENT_OUTCOME_DAYS))
    return organisation_proposals(user, organisation)


def organisation_outcomes(user, organisation, since):
    """The organisation's proposals whose outcome (選定 or 非選定) was published since `since`, the latest first.
    Challenge.outcome_published_at is the moment the outcome was decided (actions.select_proposal sets both)."""
    return (organisation_proposals(user, organisation)
            .filter(status__in=(ProposalStatus.SELECTED, ProposalStatus.NOT_SELECTED),
                    challenge__outcome_published_at__gte=since)
            .order_by("-challenge__outcome_published_at", "-id"))


def public_outcome(challenge: Challenge) -> dict | None:
    if challenge.status != ChallengeStatus.DECIDED or challenge.selected_id is None:
        return None
    selected = challenge.selected
    return {"organisation": selected.organisation.name, "organisation_id": selected.organisation_id,
            "amount": challenge.outcome_amount, "summary": selected.summary,
            "published_at": challenge.outcome_published_at}


# ---- events -------------------------------------------------------------------------------------------------------

ONLINE_FIRST = {EventFormat.ONLINE: 0, EventFormat.HYBRID: 1, EventFormat.ONSITE: 2}


def online_first_for(place: Municipality | None) -> bool:
    """Municipalities flagged 離島 or 中山間 see online sessions first."""
    return bool(place is not None and (place.remote_island or place.mountainous))


REGISTERED_EVENT_DAYS = 30  # マイページ lists the events the user registered for that start within this many days


def events(*, sector="", fmt="", upcoming=True, online_first=False, prefecture="", registered_by=None):
    """`prefecture`: events organised by the prefecture, one of its municipalities or an organisation based there.
    `registered_by`: only the events that user registered for which have not ended and start within
    REGISTERED_EVENT_DAYS (the rows behind マイページ's 申し込んだイベント)."""
    qs = (Event.objects.select_related("organiser_organisation", "organiser_municipality__prefecture",
                                       "organiser_prefecture")
          .prefetch_related("sectors").annotate(registered=Count("registrations")))
    if registered_by is not None:
        # A subquery, not a join: the join would also narrow the registrations counted above to the user's own.
        now = timezone.now()
        qs = qs.filter(pk__in=Registration.objects.filter(user=registered_by).values("event_id"),
                       ends_at__gte=now, starts_at__lte=now + dt.timedelta(days=REGISTERED_EVENT_DAYS))
    if prefecture:
        qs = qs.filter(Q(organiser_prefecture_id=prefecture) | Q(organiser_municipality__prefecture_id=prefecture)
                       | Q(organiser_organisation__prefecture_id=prefecture))
    if upcoming:
        qs = qs.filter(ends_at__gte=timezone.now())
    if sector:
        qs = qs.filter(sectors__code=sector).distinct()
    if fmt:
        qs = qs.filter(format=fmt)
    if online_first:
        # Ordered in the database, so a page of the API or the site reads only its own rows.
        rank = Case(*(When(format=f, then=Value(i)) for f, i in ONLINE_FIRST.items()), default=Value(len(ONLINE_FIRST)))
        return qs.annotate(online_rank=rank).order_by("online_rank", "starts_at", "id")
    return qs.order_by("starts_at", "id")


# ---- organisations' roles in implementation plans -------------------------------------------------------------------

ROLE_ORDER = {role: i for i, role in enumerate(PlanRole.values)}


def plan_participations(plan) -> list[PlanParticipation]:
    """The organisations named in the plan, 運営主体 first."""
    rows = list(PlanParticipation.objects.filter(plan=plan).select_related("organisation"))
    rows.sort(key=lambda p: (ROLE_ORDER[p.role], p.organisation.name, p.pk))
    return rows


def organisation_plans(user, organisation: Organisation):
    """The organisation's roles in the plans the user may see (a draft only to those who manage it)."""
    from chiiki.funding.queries import visible_plans

    return (PlanParticipation.objects.filter(organisation=organisation, plan__in=visible_plans(user).values("pk"))
            .select_related("plan__municipality", "plan__prefecture").order_by("-plan__start_year", "plan_id", "role"))
