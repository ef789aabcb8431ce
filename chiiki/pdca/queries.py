"""Reads shared by the PDCA pages and the API: KPI values by 年度, the linear outlook, breakdowns, reviews."""

import hashlib
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from chiiki.core.cache import versioned, versions
from chiiki.core.fiscal import current_fiscal_year

from . import measures
from .apps import DEPENDS_ON
from .models import KPI, OPEN_ACTION_STATUSES, Action, InstitutionProposal, Review

FIT_YEARS = 5  # the outlook fits the latest measured 年度, at most this many
CAUTION_RATIO = Decimal("0.9")
OUTLOOK_LABELS = {"on_track": "達成見込み", "caution": "要注意", "off_track": "未達見込み", "achieved": "達成",
                  "missed": "未達", "unknown": "判定できません"}
OUTLOOK_RULE = ("判定: 目標年度の見込み値が目標値以上なら「達成見込み」、目標値の90%以上なら「要注意」、"
                "90%未満なら「未達見込み」。目標年度を過ぎたKPIは、その年度の実績で「達成」「未達」。")


def measured_years() -> list[int]:
    """The 年度 a KPI is measured in: from the first progress record (the platform's first data) to the current
    年度; never a future 年度 (that is what the outlook is for)."""
    from chiiki.progress import queries as progress_queries

    current = current_fiscal_year()
    years = [year for year in progress_queries.fiscal_years() if year <= current]
    return years or [current]


def kpis(prefecture: str | None = "all"):
    qs = KPI.objects.select_related("prefecture")
    if prefecture is None:
        return qs.filter(prefecture__isnull=True)
    if prefecture != "all":
        return qs.filter(prefecture_id=prefecture)
    return qs


def measure_of(kpi: KPI) -> measures.Measure:
    return measures.get(kpi.measure)


def values(kpi: KPI, years: list[int] | None = None) -> dict[int, Decimal] | None:
    """{年度: value}; None when the measure's capability does not exist yet."""
    measure = measure_of(kpi)
    if not measure.available:
        return None
    years = tuple(years or measured_years())
    # Computed once per state of the data it reads (the overview, the KPI pages and the API all ask for it); the
    # KPI row's own version is in the key because its sectors and prefecture choose what is counted.
    key = (f"pdca:values:{kpi.code}:{kpi.version}:{versions(DEPENDS_ON)}:"
           f"{hashlib.sha256(repr((kpi.measure, kpi.sectors, kpi.prefecture_id, years)).encode()).hexdigest()[:24]}")
    return versioned(key, lambda: measure.compute(list(years), sectors=kpi.sectors or None,
                                                  prefecture=kpi.prefecture_id))


def _q(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _fmt(value) -> str:
    value = _q(value)
    return f"{value:,.1f}".removesuffix(".0")


@dataclass
class Outlook:
    status: str
    projected: Decimal | None
    slope: Decimal | None
    formula: str

    @property
    def label(self) -> str:
        return OUTLOOK_LABELS[self.status]


def outlook(kpi: KPI, by_year: dict[int, Decimal] | None) -> Outlook:
    """Linear projection of the measured values to the target 年度 (least squares over the latest FIT_YEARS)."""
    if not by_year:
        return Outlook("unknown", None, None, measures.UNAVAILABLE if by_year is None else "実績がありません。")
    target, year_t = Decimal(kpi.target_value), kpi.target_fiscal_year
    if year_t in by_year and year_t < current_fiscal_year():
        actual = by_year[year_t]
        return Outlook("achieved" if actual >= target else "missed", actual, None,
                       f"{year_t}年度の実績 {_fmt(actual)} と目標値 {_fmt(target)} を比較（目標年度を過ぎています）。")
    if year_t < min(by_year):
        first = min(by_year)
        return Outlook("unknown", None, None,
                       f"目標年度（{year_t}年度）は、このプラットフォームに記録がある最初の年度（{first}年度）より前です。"
                       f"目標年度の実績がないため、達成・未達は判定できません（{first}年度以降の値は目標年度の実績の"
                       f"代わりになりません）。")
    points = sorted(by_year.items())[-FIT_YEARS:]
    n = len(points)
    mean_x = Decimal(sum(x for x, _ in points)) / n
    mean_y = sum((y for _, y in points), Decimal(0)) / n
    spread = sum(((x - mean_x) ** 2 for x, _ in points), Decimal(0))
    slope = (sum(((x - mean_x) * (y - mean_y) for x, y in points), Decimal(0)) / spread) if spread else Decimal(0)
    # The line goes through the latest value, not through the means: a fitted line's value at the target 年度 can
    # fall below the latest value of a rising series (0, 0, 0, 0, 1,379,000 → 1,103,200), i.e. predict that a
    # growing measure shrinks. From the latest value, a series that never fell (b ≥ 0) is never projected lower.
    last, latest_value = points[-1]
    projected = _q(latest_value + slope * (year_t - last))
    status = "on_track" if projected >= target else ("caution" if projected >= target * CAUTION_RATIO else "off_track")
    first = points[0][0]
    formula = (f"見込み値 = 最新の実績 + 傾き b ×（目標年度 − 最新の年度） = {_fmt(latest_value)} + {_fmt(slope)} ×"
               f"（{year_t} − {last}） = {_fmt(projected)}。"
               f"b は {first}–{last}年度（{n}年度分）の実績に最小二乗法で当てはめた直線の1年度あたりの増減"
               + ("（実績が1年度分のみのため b = 0）" if n == 1 else "") + "。")
    return Outlook(status, projected, _q(slope), formula)


def latest(by_year: dict[int, Decimal] | None) -> tuple[int | None, Decimal | None]:
    if not by_year:
        return None, None
    year = max(by_year)
    return year, by_year[year]


def baseline_fiscal_year(baseline_date: str) -> int | None:
    """The 年度 a source's 基準時点 falls in ("2023-03" → 2022: January–March belong to the previous 年度);
    None when the text names no month (a bare year is ambiguous between two 年度)."""
    parts = (baseline_date or "").strip().replace("/", "-").split("-")
    try:
        year, month = int(parts[0]), int(parts[1])
    except (IndexError, ValueError):
        return None
    return year - 1 if 1 <= month <= 3 else year if 4 <= month <= 12 else None


def baseline_measured(kpi: KPI, by_year: dict[int, Decimal] | None) -> dict | None:
    """The KPI's own value in the 年度 of its baseline: the figure to compare the later values with. A baseline
    comes from the source (often a government count of another population, e.g. with the prefectures), so the
    platform's value at that time is shown beside it instead of comparing the latest value with the source's."""
    year = baseline_fiscal_year(kpi.baseline_date) if kpi.baseline_value is not None else None
    if year is None or not by_year:
        return None
    first = min(by_year)
    value = by_year.get(year)
    if value is None and first < year <= current_fiscal_year():
        value = (values(kpi, [year]) or {}).get(year)
    measure = measure_of(kpi)
    return {"fiscal_year": year, "value": value, "first_year": first,
            "url": measure.rows_url(year, sectors=kpi.sectors or None, prefecture=kpi.prefecture_id)
            if value is not None and measure.rows_url else None}


def achievement(kpi: KPI, value: Decimal | None, look: Outlook) -> Decimal | None:
    """Value ÷ target in %; none when the target 年度 has no value to judge by (a later 年度's value measured
    against a past target would read as 達成 where nothing can be said)."""
    if value is None or not kpi.target_value or look.status == "unknown":
        return None
    return measures.share(int(value * 100), int(kpi.target_value * 100))


def kpi_summary(kpi: KPI, years: list[int] | None = None) -> dict:
    """Everything a list row or the API needs about one KPI (one computation of its values)."""
    measure = measure_of(kpi)
    by_year = values(kpi, years)
    year, value = latest(by_year)
    look = outlook(kpi, by_year)
    return {"kpi": kpi, "measure": measure, "available": by_year is not None, "values": by_year or {},
            "latest_year": year, "latest_value": value, "outlook": look,
            "achievement": achievement(kpi, value, look), "baseline": baseline_measured(kpi, by_year),
            "partial_year": measure.per_year and year is not None and year == current_fiscal_year(),
            "rows_url": measure.rows_url(year, sectors=kpi.sectors or None, prefecture=kpi.prefecture_id)
            if by_year is not None and measure.rows_url and year is not None else None}


def breakdowns(kpi: KPI, year: int) -> dict:
    measure = measure_of(kpi)
    if not measure.available:
        return {"prefectures": [], "sectors": []}
    kwargs = {"sectors": kpi.sectors or None, "prefecture": kpi.prefecture_id}
    return {"prefectures": measure.by_prefecture(year, **kwargs) if measure.by_prefecture else [],
            "sectors": measure.by_sector(year, **kwargs) if measure.by_sector else []}


# ---- reviews --------------------------------------------------------------------------------------------------

def reviews():
    return Review.objects.select_related("prefecture")


def reviews_with_counts():
    """The reviews with their KPI, action and overdue-action counts (one query, not three per review)."""
    from django.db.models import Count, Q

    return reviews().annotate(
        entry_count=Count("entries", distinct=True), action_count=Count("actions", distinct=True),
        overdue_count=Count("actions", distinct=True, filter=Q(
            actions__status__in=OPEN_ACTION_STATUSES, actions__due_date__lt=timezone.localdate())))


def previous_review(review: Review) -> Review | None:
    return (Review.objects.filter(prefecture_id=review.prefecture_id, fiscal_year__lt=review.fiscal_year)
            .order_by("-fiscal_year").first())


def actions_of(review: Review) -> list[Action]:
    return list(review.actions.select_related("kpi"))


NATIONAL = "national"  # the scope of the national reviews (no prefecture), beside the prefecture codes


def overdue_actions(review_pk: int | None = None, scope: str | None = None):
    """Open actions past their due date, soonest-due first: all reviews, one review's, or one scope's (NATIONAL or
    a prefecture code: the reviews its staff run)."""
    qs = Action.objects.filter(status__in=OPEN_ACTION_STATUSES, due_date__lt=timezone.localdate())
    if review_pk is not None:
        qs = qs.filter(review_id=review_pk)
    if scope == NATIONAL:
        qs = qs.filter(review__prefecture__isnull=True)
    elif scope:
        qs = qs.filter(review__prefecture_id=scope)
    return qs.select_related("review__prefecture", "kpi").order_by("due_date", "review_id", "id")


def proposals(status: str | None = None):
    qs = InstitutionProposal.objects.select_related("program")
    return qs.filter(status=status) if status else qs


def sector_names() -> list[tuple[str, str]]:
    from chiiki.roadmap.models import Sector

    return list(Sector.objects.order_by("order", "code").values_list("code", "name"))


def overview_kpis(year: int) -> list[dict]:
    """The national KPIs for the 見える化 overview's panel: each KPI's value in `year` against its target, its
    outlook, the link to its KPI page and to the rows behind the value (None values: capability missing)."""
    from django.urls import reverse

    rows, years = [], measured_years()
    for kpi in kpis(None):
        summary = kpi_summary(kpi, years)
        value = None
        if summary["available"]:
            value = summary["values"].get(year)
            if value is None:
                value = (values(kpi, [year]) or {}).get(year)
        measure = summary["measure"]
        rows.append({"kpi": kpi, "available": summary["available"], "value": value, "outlook": summary["outlook"],
                     "achievement": achievement(kpi, value, summary["outlook"]),
                     "url": reverse("pdca:kpi", args=[kpi.code]),
                     "rows_url": measure.rows_url(year, sectors=kpi.sectors or None, prefecture=kpi.prefecture_id)
                     if value is not None and measure.rows_url else None})
    return rows


def prefecture_map(kpi: KPI, rows: list[dict]) -> dict:
    """The choropleth of the KPI page: prefecture code → {value label, URL of its rows}; the script colours every
    municipality by its prefecture (the first two digits of its code)."""
    def label(row):
        value = f"{row['value']:,.1f}".removesuffix(".0")
        if "implemented" in row:
            return f"{value}{kpi.unit}（実装済・自走 {row['implemented']:,}／{row['municipalities']:,}団体）"
        return f"{value}{kpi.unit}"

    return {"unit": kpi.unit, "prefectures": {r["code"]: {"name": r["name"], "value": float(r["value"]),
                                                          "label": label(r), "url": r.get("url")} for r in rows}}
