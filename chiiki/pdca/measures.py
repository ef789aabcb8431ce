"""The fixed, documented set of KPI measures: each a named function computing a KPI's value per 年度 from live
platform data (issue 14 §1).

A measure is declared here once (key, label, unit, definition, the app whose data it reads). Its computation is
attached with `implement(key, ...)`; a measure is *available* when its app is installed and it is implemented.
A KPI whose measure is not available shows 「この機能はまだありません」 instead of a number, never a zero.

All measures are implemented below, each on the query its app keeps for it (progress; funding, talent, opendata
through their queries.py): `compute(years, *, sectors, prefecture) -> {年度: value}`, optionally
`by_prefecture(year, ...)`, `by_sector(year, ...)` (where the data has that dimension: crowdfunding campaigns
have no sector) and `rows_url(year, ...)`: every figure links to the list page of its app, filtered with the
query-string that list already accepts.

Breakdown rows are dicts {code, name, value, url, implemented?, municipalities?, share?} (the last three for the
progress measures, which count municipalities).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlencode

from django.apps import apps

UNAVAILABLE = "この機能はまだありません"


@dataclass
class Measure:
    key: str
    label: str
    unit: str
    definition: str
    requires: str  # the app (module path) whose data the measure reads
    sectors: str = "none"  # "none": no sector parameter, "optional", "required"
    # True: each 年度's value is what happened in that 年度 (a flow), so the current 年度's is still growing;
    # False: a count as of the 年度's end (a stock).
    per_year: bool = False
    compute: Callable | None = field(default=None, repr=False)
    by_prefecture: Callable | None = field(default=None, repr=False)
    by_sector: Callable | None = field(default=None, repr=False)
    rows_url: Callable | None = field(default=None, repr=False)

    @property
    def available(self) -> bool:
        return self.compute is not None and apps.is_installed(self.requires)


MEASURES: dict[str, Measure] = {}


def declare(key, label, unit, definition, requires, sectors="none", per_year=False) -> Measure:
    MEASURES[key] = Measure(key, label, unit, definition, requires, sectors, per_year=per_year)
    return MEASURES[key]


def implement(key: str, *, compute, by_prefecture=None, by_sector=None, rows_url=None) -> None:
    measure = MEASURES[key]
    measure.compute, measure.by_prefecture, measure.by_sector, measure.rows_url = (
        compute, by_prefecture, by_sector, rows_url)


def get(key: str) -> Measure:
    return MEASURES[key]


declare("progress_implemented_any", "1分野以上で実装済（実装済・自走）の団体数", "団体",
        "その年度時点（記録のない年度は直近の記録を繰越）で、いずれかの分野の段階が実装済または自走の市区町村の数。"
        "都道府県のKPIでは、その都道府県内の市区町村に限る。", "chiiki.progress")
declare("progress_implemented_sectors", "指定した分野で実装済（実装済・自走）の団体数", "団体",
        "その年度時点で、指定した分野のいずれかの段階が実装済または自走の市区町村の数（繰越を含む）。",
        "chiiki.progress", sectors="required")
declare("progress_implemented_share", "実装済（実装済・自走）の団体の割合", "%",
        "その年度時点で、いずれかの分野（分野を指定した場合はその分野のいずれか）の段階が実装済または自走の"
        "市区町村の数 ÷ 市区町村の数 × 100（小数第1位で四捨五入）。都道府県のKPIではその都道府県内の市区町村。",
        "chiiki.progress", sectors="optional")
declare("plans_published_multiyear", "公開された3年度以上の実装計画の数", "件",
        "公開中（公開・完了）の実装計画のうち計画期間が3年度以上のもので、変更履歴で最初に公開された日がその年度末"
        "（翌年3月31日）以前のものの数。状態と年度数は現在のもの。都道府県のKPIでは、その都道府県の計画（広域計画を含む）。",
        "chiiki.funding")
declare("talent_dispatch_completed", "完了した人材派遣の件数", "件",
        "その年度の派遣依頼のうち、派遣報告・評価を経て「完了」になったものの件数。都道府県のKPIでは、その都道府県内の"
        "市区町村の依頼。", "chiiki.talent", per_year=True)
declare("funding_crowdfunding_raised", "クラウドファンディングによる調達額", "円",
        "その年度（4月1日〜翌年3月31日）に受け付けたクラウドファンディングの寄附の合計額（受付日で数える）。"
        "都道府県のKPIでは、その都道府県内の市区町村のプロジェクト。", "chiiki.funding", per_year=True)
declare("opendata_conforming_datasets", "標準スキーマに準拠したオープンデータの数", "件",
        "自治体標準オープンデータセットの型を持つデータセットのうち、現在公開中で全ファイルが標準への準拠を確認"
        "されたもので、カタログへの登録日がその年度末（翌年3月31日）以前のものの数。公開範囲と準拠の判定は現在の"
        "状態（過去の年度末の時点の判定は記録がないため使わない）。都道府県のKPIでは、その都道府県と県内市区町村の"
        "データセット。", "chiiki.opendata")

MEASURE_CHOICES = [(m.key, m.label) for m in MEASURES.values()]


# ---- progress (chiiki.progress, ADR 0013: ProgressCell / ProgressImplementedCount) ----------------------------

def _progress():
    from chiiki.progress import queries
    from chiiki.progress.cells import ANY_SECTOR
    from chiiki.progress.models import IMPLEMENTED_STAGES, ProgressCell, ProgressImplementedCount

    return queries, ANY_SECTOR, IMPLEMENTED_STAGES, ProgressCell, ProgressImplementedCount


def _state_years(years, horizon) -> dict[int, int]:
    """年度 → the 年度 whose rows stand for it (past the horizon nothing changed: the horizon's rows)."""
    return {year: min(year, horizon) for year in years}


def _implemented_counts(years, *, sectors, prefecture) -> dict[int, int]:
    from django.db.models import Count

    queries, any_sector, implemented, cell, counted = _progress()
    horizon = queries.horizon()
    if horizon is None:
        return {year: 0 for year in years}
    state = _state_years(years, horizon)
    if not prefecture and len(sectors or []) <= 1:
        # The national trend table already holds these counts (≤ 年度 rows, kept in the progress writes).
        key = sectors[0] if sectors else any_sector
        found = dict(counted.objects.filter(fiscal_year__in=set(state.values()), sector=key)
                     .values_list("fiscal_year", "municipalities"))
    else:
        rows = cell.objects.filter(fiscal_year__in=set(state.values()), stage__in=implemented).order_by()
        if sectors:
            rows = rows.filter(sector_id__in=sectors)
        if prefecture:
            rows = rows.filter(municipality__prefecture_id=prefecture)
        found = dict(rows.values_list("fiscal_year").annotate(n=Count("municipality_id", distinct=True)))
    return {year: found.get(state[year], 0) for year in years}


def _municipality_total(prefecture=None) -> int:
    from chiiki.regions.models import Municipality

    qs = Municipality.objects.all()
    return (qs.filter(prefecture_id=prefecture) if prefecture else qs).count()


def share(part: int, whole: int) -> Decimal:
    if not whole:
        return Decimal("0.0")
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _records_url(year, *, sectors=None, prefecture=None, sector=None) -> str:
    """The 見える化 list of the implemented cells behind a figure (one sector, or any sector)."""
    from django.urls import reverse

    params = [("fiscal_year", year)]
    one = sector or (sectors[0] if sectors and len(sectors) == 1 else None)
    if one:
        params.append(("sector", one))
    else:
        # Several sectors: the municipalities implemented in one of them (the list reads repeated sector=).
        params += [("sector", code) for code in sorted(sectors or [])]
        params.append(("implemented_any", "1"))
    if prefecture:
        params.append(("prefecture", prefecture))
    params += [("stage", "implemented"), ("stage", "self_sustaining")]
    return reverse("progress:records") + "?" + urlencode(params)


def _count_compute(years, *, sectors=None, prefecture=None):
    return {year: Decimal(n) for year, n in _implemented_counts(years, sectors=sectors, prefecture=prefecture).items()}


def _share_compute(years, *, sectors=None, prefecture=None):
    total = _municipality_total(prefecture)
    return {year: share(n, total)
            for year, n in _implemented_counts(years, sectors=sectors, prefecture=prefecture).items()}


def _by_prefecture(year, *, sectors=None, prefecture=None, as_share=False):
    from django.db.models import Count

    from chiiki.regions.models import Municipality, Prefecture

    queries, _any, implemented, cell, _counted = _progress()
    horizon = queries.horizon()
    found = {}
    if horizon is not None:
        rows = cell.objects.filter(fiscal_year=min(year, horizon), stage__in=implemented).order_by()
        if sectors:
            rows = rows.filter(sector_id__in=sectors)
        found = dict(rows.values_list("municipality__prefecture_id")
                     .annotate(n=Count("municipality_id", distinct=True)))
    totals = dict(Municipality.objects.order_by().values_list("prefecture_id").annotate(n=Count("code")))
    prefectures = Prefecture.objects.order_by("code")
    if prefecture:
        prefectures = prefectures.filter(code=prefecture)
    result = []
    for pref in prefectures.values("code", "name"):
        n, total = found.get(pref["code"], 0), totals.get(pref["code"], 0)
        rate = share(n, total)
        result.append({"code": pref["code"], "name": pref["name"], "implemented": n, "municipalities": total,
                       "share": rate, "value": rate if as_share else Decimal(n),
                       "url": _records_url(year, sectors=sectors, prefecture=pref["code"])})
    return result


def _by_sector(year, *, sectors=None, prefecture=None, as_share=False):
    from chiiki.roadmap.models import Sector

    chosen = Sector.objects.order_by("order", "code")
    if sectors:
        chosen = chosen.filter(code__in=sectors)
    total = _municipality_total(prefecture)
    result = []
    for sector in chosen.values("code", "name"):
        n = _implemented_counts([year], sectors=[sector["code"]], prefecture=prefecture)[year]
        rate = share(n, total)
        result.append({"code": sector["code"], "name": sector["name"], "implemented": n, "municipalities": total,
                       "share": rate, "value": rate if as_share else Decimal(n),
                       "url": _records_url(year, sector=sector["code"], prefecture=prefecture)})
    return result


for _key in ("progress_implemented_any", "progress_implemented_sectors"):
    implement(_key, compute=_count_compute, by_prefecture=_by_prefecture, by_sector=_by_sector,
              rows_url=_records_url)
implement("progress_implemented_share", compute=_share_compute,
          by_prefecture=lambda year, **kw: _by_prefecture(year, as_share=True, **kw),
          by_sector=lambda year, **kw: _by_sector(year, as_share=True, **kw), rows_url=_records_url)


# ---- capability apps (funding, talent, opendata): each reads the query its app keeps for this KPI ----------------

def _year_end(year):
    import datetime as dt

    return dt.date(year + 1, 3, 31)


def _url(name: str, params) -> str:
    from django.urls import reverse

    return reverse(name) + ("?" + urlencode([(k, v) for k, v in params if v not in (None, "")]) if params else "")


def _prefectures(prefecture=None) -> list[tuple[str, str]]:
    from chiiki.regions.models import Prefecture

    qs = Prefecture.objects.order_by("code")
    return list((qs.filter(code=prefecture) if prefecture else qs).values_list("code", "name"))


def _sectors(sectors=None) -> list[tuple[str, str]]:
    from chiiki.roadmap.models import Sector

    qs = Sector.objects.order_by("order", "code")
    return list((qs.filter(code__in=sectors) if sectors else qs).values_list("code", "name"))


def _rows(pairs, values: dict, url) -> list[dict]:
    """Breakdown rows {code, name, value, url} of a capability measure (no municipality counts)."""
    return [{"code": code, "name": name, "value": Decimal(values.get(code, 0)), "url": url(code)}
            for code, name in pairs]


# Plans (funding): 公開・完了 plans of ≥ 3 年度 first published by the 年度's end; the plan list filters by the same
# (funding.queries.filter_plans), so each figure links to exactly the plans it counts.

def _plans_compute(years, *, sectors=None, prefecture=None):
    from chiiki.funding.queries import published_multiyear_plans_by_year

    found = published_multiyear_plans_by_year(years, 3, prefecture=prefecture or "")
    return {year: Decimal(n) for year, n in found.items()}


def _plans_url(year=None, *, sectors=None, prefecture=None, sector=None):
    return _url("funding:plans", [("prefecture", prefecture), ("sector", sector), ("status", "public"),
                                  ("min_years", 3), ("published_by", year)])


def _plans_by_prefecture(year, *, sectors=None, prefecture=None):
    from chiiki.funding.queries import published_multiyear_plans_by_year

    pairs = _prefectures(prefecture)
    values = {code: published_multiyear_plans_by_year([year], 3, prefecture=code)[year] for code, _ in pairs}
    return _rows(pairs, values, lambda code: _plans_url(year, prefecture=code))


def _plans_by_sector(year, *, sectors=None, prefecture=None):
    from chiiki.funding.queries import published_multiyear_plans_by_year

    pairs = _sectors()
    values = {code: published_multiyear_plans_by_year([year], 3, prefecture=prefecture or "", sector=code)[year]
              for code, _ in pairs}
    return _rows(pairs, values, lambda code: _plans_url(year, prefecture=prefecture, sector=code))


# Crowdfunding (funding): campaigns belong to a municipality, not to a sector — a prefecture breakdown only.

def _crowdfunding_compute(years, *, sectors=None, prefecture=None):
    from chiiki.funding.queries import crowdfunding_raised

    return {year: Decimal(crowdfunding_raised(fiscal_year=year, prefecture=prefecture or "")) for year in years}


def _campaigns_url(year=None, *, sectors=None, prefecture=None):
    # The campaigns that received donations in the 年度, with that 年度's amount and its total (the figure).
    return _url("funding:campaigns", [("received_year", year), ("prefecture", prefecture)])


def _crowdfunding_by_prefecture(year, *, sectors=None, prefecture=None):
    from django.db.models import Sum

    from chiiki.funding.queries import receipts_in

    # crowdfunding_raised's rule (receipts by receipt date, the campaign's municipality), grouped in one query.
    found = dict(receipts_in(year).order_by().values_list("campaign__municipality__prefecture_id").annotate(s=Sum("amount")))
    pairs = _prefectures(prefecture)
    return _rows(pairs, {code: found.get(code) or 0 for code, _ in pairs}, lambda code: _campaigns_url(year, prefecture=code))


# Dispatches (talent): a request is municipality × sector × 年度; the request list filters by all three.

def _dispatch_compute(years, *, sectors=None, prefecture=None):
    from django.db.models import Count

    from chiiki.talent.queries import completed_dispatches

    found = dict(completed_dispatches(prefecture=prefecture or None).filter(fiscal_year__in=list(years))
                 .order_by().values_list("fiscal_year").annotate(n=Count("pk")))
    return {year: Decimal(found.get(year, 0)) for year in years}


def _dispatches_url(year, *, sectors=None, prefecture=None, sector=None):
    return _url("talent:dispatches", [("status", "completed"), ("fiscal_year", year), ("prefecture", prefecture),
                                    ("sector", sector)])


def _dispatch_grouped(year, field, prefecture):
    from django.db.models import Count

    from chiiki.talent.queries import completed_dispatches

    return dict(completed_dispatches(fiscal_year=year, prefecture=prefecture or None).order_by()
                .values_list(field).annotate(n=Count("pk")))


def _dispatch_by_prefecture(year, *, sectors=None, prefecture=None):
    return _rows(_prefectures(prefecture), _dispatch_grouped(year, "municipality__prefecture_id", prefecture),
                 lambda code: _dispatches_url(year, prefecture=code))


def _dispatch_by_sector(year, *, sectors=None, prefecture=None):
    return _rows(_sectors(), _dispatch_grouped(year, "sector_id", prefecture),
                 lambda code: _dispatches_url(year, prefecture=prefecture, sector=code))


# Open data: a dataset belongs to a municipality or a prefecture and lists its sectors. The catalog filters by
# owner (organization) and sector (groups): the links list the owners / sector of the counted datasets.

def _conforming(year, prefecture=None) -> list[tuple]:
    """(owner key, prefecture code, sectors) of the conforming standard datasets registered by the 年度's end."""
    from django.db.models import Q
    from django.utils import timezone

    from chiiki.opendata.queries import conforming_standard_datasets

    qs = conforming_standard_datasets()
    if prefecture:
        qs = qs.filter(Q(prefecture_id=prefecture) | Q(municipality__prefecture_id=prefecture))
    rows = qs.values_list("created_at", "municipality_id", "municipality__prefecture_id", "prefecture_id",
                          "prefecture__lg_code", "sectors")
    end = _year_end(year)
    return [(muni or pref_lg or "national", muni_pref or pref, sectors or [])
            for created, muni, muni_pref, pref, pref_lg, sectors in rows if timezone.localtime(created).date() <= end]


def _opendata_compute(years, *, sectors=None, prefecture=None):
    from django.db.models import Q
    from django.utils import timezone

    from chiiki.opendata.queries import conforming_standard_datasets

    qs = conforming_standard_datasets()
    if prefecture:
        qs = qs.filter(Q(prefecture_id=prefecture) | Q(municipality__prefecture_id=prefecture))
    created = [timezone.localtime(c).date() for c in qs.values_list("created_at", flat=True)]
    return {year: Decimal(sum(1 for d in created if d <= _year_end(year))) for year in years}


def _standards_url(year, *, sectors=None, prefecture=None):
    return _url("opendata:standards", [])


def _catalog_url(owners=(), sector=None):
    # The catalog filters by conformance and visibility too, so the link lists what was counted (public and
    # conforming), not every dataset of those owners; only the registration date cannot be filtered there.
    return _url("opendata:index", [("organization", ",".join(sorted(set(owners)))), ("groups", sector),
                                   ("conformance", "conforming"), ("visibility", "public")])


def _opendata_by_prefecture(year, *, sectors=None, prefecture=None):
    rows = _conforming(year, prefecture)
    counts, owners = {}, {}
    for owner, pref, _sectors_of in rows:
        counts[pref] = counts.get(pref, 0) + 1
        owners.setdefault(pref, set()).add(owner)
    return _rows(_prefectures(prefecture), counts,
                 lambda code: _catalog_url(owners[code]) if code in owners else None)


def _opendata_by_sector(year, *, sectors=None, prefecture=None):
    rows = _conforming(year, prefecture)
    counts, owners = {}, {}
    for owner, _pref, sectors_of in rows:
        for code in set(sectors_of):
            counts[code] = counts.get(code, 0) + 1
            owners.setdefault(code, set()).add(owner)
    return _rows(_sectors(), counts, lambda code: _catalog_url(owners[code], code) if code in owners else None)


implement("plans_published_multiyear", compute=_plans_compute, by_prefecture=_plans_by_prefecture,
          by_sector=_plans_by_sector, rows_url=_plans_url)
implement("funding_crowdfunding_raised", compute=_crowdfunding_compute, by_prefecture=_crowdfunding_by_prefecture,
          rows_url=_campaigns_url)
implement("talent_dispatch_completed", compute=_dispatch_compute, by_prefecture=_dispatch_by_prefecture,
          by_sector=_dispatch_by_sector, rows_url=_dispatches_url)
implement("opendata_conforming_datasets", compute=_opendata_compute, by_prefecture=_opendata_by_prefecture,
          by_sector=_opendata_by_sector, rows_url=_standards_url)
