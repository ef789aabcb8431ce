"""Reads shared by pages, API and (later) PDCA KPIs: visible plans, the year × source table, money flows."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict

from django.db.models import CharField, Count, Exists, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from chiiki import access
from chiiki.core import history
from chiiki.core.codes import InvalidCode, typed_code
from chiiki.core.fiscal import fiscal_year_bounds
from chiiki.core.models import ChangeRecord
from chiiki.regions.models import Municipality

from . import flags as flag_rules
from .models import (
    SECURED_STATES,
    Campaign,
    FundingLine,
    FundingState,
    ImplementationPlan,
    PlanStatus,
    PlanYear,
    Receipt,
    SourceKind,
)

# A status filter value: 公開 and 完了 together, the plans that count as published (promotion's candidate score).
PUBLIC = "public"
PUBLIC_STATUSES = (PlanStatus.PUBLISHED, PlanStatus.COMPLETED)


def municipalities_from_codes(codes) -> tuple[list, list[str]]:
    """The municipalities named by 団体コード (a list, or text separated by spaces, commas or 、) and the problems,
    for the wide-area plan's participants on the pages and in the API alike."""
    if isinstance(codes, str):
        codes = re.split(r"[\s,、，]+", codes)
    found, problems = [], []
    for code in (str(c).strip() for c in codes or ()):
        if not code:
            continue
        try:
            normalized = typed_code(code)
        except InvalidCode as exc:
            problems.append(str(exc))
            continue
        municipality = Municipality.objects.filter(pk=normalized).first()
        if municipality is None:
            problems.append(f"団体コード {code} の団体は登録されていません")
        else:
            found.append(municipality)
    return found, problems


def visible_plans(user):
    """Plans the user may see: every plan that is not a draft, and the drafts the user manages."""
    qs = ImplementationPlan.objects.select_related("municipality", "prefecture", "sector")
    return access.scope_public_or_managed(user, qs, ~Q(status=PlanStatus.DRAFT))


def filter_plans(qs, *, prefecture: str = "", municipality: str = "", sector: str = "", status: str = "",
                 fiscal_year: int | None = None, started_by: int | None = None, min_years: int | None = None,
                 published_by: int | None = None):
    """`status` is one PlanStatus or PUBLIC; `started_by`: plans starting in that 年度 or earlier; `min_years`: plans
    of at least that many 年度; `published_by`: plans first 公開 by that 年度's end (_first_publication)."""
    if prefecture:
        qs = qs.filter(prefecture_id=prefecture)
    if municipality:
        qs = qs.filter(Q(municipality_id=municipality) | Q(participants__code=municipality)).distinct()
    if sector:
        qs = qs.filter(sector_id=sector)
    if status == PUBLIC:
        qs = qs.filter(status__in=PUBLIC_STATUSES)
    elif status:
        qs = qs.filter(status=status)
    if fiscal_year:
        qs = qs.filter(years__fiscal_year=fiscal_year).distinct()
    if started_by is not None:
        qs = qs.filter(start_year__lte=started_by)
    if min_years:
        qs = qs.filter(pk__in=PlanYear.objects.order_by().values("plan_id").annotate(n=Count("id"))
                       .filter(n__gte=min_years).values("plan_id"))
    if published_by is not None:
        qs = qs.annotate(published_at=Coalesce(Subquery(_first_publication()), "created_at")).filter(
            published_at__lt=_fiscal_year_end(published_by))
    return qs


def _first_publication():
    """When the plan (OuterRef pk) first became 公開 or 完了: the first ChangeRecord showing it so (the plan has no
    publication date column; actions.create_plan / set_status write one for every status change)."""
    from chiiki.core.models import ChangeRecord

    return (ChangeRecord.objects.filter(model=ImplementationPlan._meta.label_lower,
                                        object_id=Cast(OuterRef("pk"), CharField()),
                                        after__status__in=PUBLIC_STATUSES)
            .order_by("at").values("at")[:1])


def _fiscal_year_end(fiscal_year: int) -> dt.datetime:
    """The first moment after the 年度 (4/1 0:00 of the next year, local time)."""
    return timezone.make_aware(dt.datetime(fiscal_year + 1, 4, 1))


class PlanRows:
    """The plans of a list, in order, as a sequence the paginator slices: only the plans of the page being shown
    (or of the export chunk being written) are loaded as model instances, not every plan in the country."""

    CHUNK = 2000

    def __init__(self, qs, ids: list[int]):
        self.qs, self.ids = qs, ids

    def __len__(self):
        return len(self.ids)

    def _load(self, ids):
        found = self.qs.model.objects.select_related("municipality", "prefecture", "sector").in_bulk(ids)
        return [found[pk] for pk in ids if pk in found]

    def __getitem__(self, index):
        if isinstance(index, slice):
            return self._load(self.ids[index])
        return self._load([self.ids[index]])[0]

    def __iter__(self):
        for start in range(0, len(self.ids), self.CHUNK):
            yield from self._load(self.ids[start:start + self.CHUNK])


def with_flags(qs, flag: str = "") -> tuple[PlanRows, dict[int, list]]:
    """The plans of qs (in order, loaded a page at a time) with their flags (codes only: lists show which flags
    a plan has; its page shows why); with `flag`, only the plans that have it."""
    # A flag can hold for several 年度 or programs of one plan (two cliffs): a list names each kind once.
    computed = {pk: list({f.code: f for f in flags}.values())
                for pk, flags in flag_rules.for_plans(qs, detail=False).items()}
    # The plans' query as a subquery: no list of ids (20,000 plans would outgrow SQLite's parameter limit).
    ids = list(dict.fromkeys(qs.values_list("pk", flat=True)))  # a participants filter can repeat a plan
    if flag:
        ids = [pk for pk in ids if any(f.code == flag for f in computed.get(pk, []))]
    return PlanRows(qs, ids), computed


class LineRows(PlanRows):
    """The lines of plans picked in Python (a risk flag), in the line list's order, as a sequence the paginator
    slices (a page, or an export chunk, loaded at a time); `totals` counts them as line_totals does."""

    def __init__(self, rows: list[tuple[int, int]]):
        super().__init__(FundingLine.objects.all(), [pk for pk, _amount in rows])
        self.totals = {"count": len(rows), "amount": sum(amount for _pk, amount in rows) if rows else None}

    def _load(self, ids):
        found = listed_lines(FundingLine.objects.all()).in_bulk(ids)
        return [found[pk] for pk in ids if pk in found]


def lines_of_plans(lines, plans, flag: str = ""):
    """The lines (of `lines`) of the plans a plan list shows: `plans` is its query (filter_plans), used as a
    subquery; with `flag`, only the plans that have it (with_flags), which Python alone knows, so a LineRows."""
    lines = lines.filter(plan_year__plan__in=plans.order_by().values("pk"))
    if not flag:
        return lines
    flagged, _computed = with_flags(plans, flag)
    keep = set(flagged.ids)
    return LineRows([(pk, amount) for pk, plan_id, amount
                     in listed_lines(lines).values_list("pk", "plan_year__plan_id", "amount") if plan_id in keep])


def plan_flags(pk: int) -> list:
    """One plan's flags with their Japanese reasons and the rows behind them (the plan page and the API)."""
    return flag_rules.for_plans([pk]).get(pk, [])


def plan_detail(pk: int):
    return (ImplementationPlan.objects.select_related("municipality", "prefecture", "sector")
            .prefetch_related("participants", "years__lines__program", "years__lines__campaign",
                              "years__lines__donation_project").get(pk=pk))


def year_gap(total_cost: int, planned: int) -> int:
    """不足: the part of a 年度's 事業費 its funding lines (every state but 不採択) do not cover."""
    return max(total_cost - planned, 0)


def plan_year_gap(user, plan_id: int | None, fiscal_year: int | None) -> dict | None:
    """The figure behind the plan page's 不足 cell, for the line list filtered to exactly the lines it subtracts
    (that plan and 年度, 不採択 excluded): the 年度's 事業費, the lines' sum and the gap. None if the user may not
    see that plan or it has no such 年度."""
    if plan_id is None or fiscal_year is None:
        return None
    year = (PlanYear.objects.filter(plan__in=visible_plans(user).order_by().values("id"), plan_id=plan_id,
                                    fiscal_year=fiscal_year).select_related("plan").first())
    if year is None:
        return None
    planned = year.lines.exclude(state=FundingState.REJECTED).aggregate(s=Sum("amount"))["s"] or 0
    return {"year": year, "plan": year.plan, "cost": year.total_cost, "planned": planned,
            "gap": year_gap(year.total_cost, planned)}


def year_source_table(plan: ImplementationPlan) -> dict:
    """年度 × 財源の種類: amounts (every state but 不採択), secured (確定・受領), cost and gap per 年度."""
    kinds = list(SourceKind)
    rows = []
    for year in plan.years.all():
        amounts = dict.fromkeys(SourceKind.values, 0)
        secured = 0
        for line in year.lines.all():
            if line.state == FundingState.REJECTED:
                continue
            amounts[line.source_kind] += line.amount
            if line.state in (FundingState.CONFIRMED, FundingState.RECEIVED):
                secured += line.amount
        planned = sum(amounts.values())
        rows.append({"year": year, "amounts": [amounts[k.value] for k in kinds], "planned": planned,
                     "secured": secured, "gap": year_gap(year.total_cost, planned)})
    used = [i for i, _k in enumerate(kinds) if any(r["amounts"][i] for r in rows)]
    return {"kinds": [kinds[i] for i in used],
            "rows": [dict(r, amounts=[r["amounts"][i] for i in used],
                          cells=[(kinds[i], r["amounts"][i]) for i in used]) for r in rows]}


def chart_data(table: dict) -> dict:
    return {"labels": [f"{r['year'].fiscal_year}年度" for r in table["rows"]],
            "datasets": [{"label": str(kind.label), "data": [r["amounts"][i] for r in table["rows"]]}
                         for i, kind in enumerate(table["kinds"])],
            "cost": [r["year"].total_cost for r in table["rows"]]}


def visible_lines(user):
    return FundingLine.objects.filter(plan_year__plan__in=visible_plans(user).order_by().values("id"))


def filter_lines(qs, *, source_kind: str = "", sector: str = "", fiscal_year: int | None = None, state: str = "",
                 prefecture: str = "", municipality: str = "", plan: int | None = None,
                 program: str = "", other_than_program: str = "", secured: bool = False,
                 exclude_rejected: bool = False, public_only: bool = False):
    """`program` / `other_than_program` (支援メニューID): the lines of one support program, or every line but its
    (lines without a program included), as 財源の崖 counts what ends and what replaces it. `public_only`: leave out
    draft plans (which their owners see), as お金の流れ counts."""
    if source_kind:
        qs = qs.filter(source_kind=source_kind)
    if sector:
        qs = qs.filter(plan_year__plan__sector_id=sector)
    if fiscal_year:
        qs = qs.filter(plan_year__fiscal_year=fiscal_year)
    if state:
        qs = qs.filter(state=state)
    if prefecture:
        qs = qs.filter(plan_year__plan__prefecture_id=prefecture)
    if municipality:
        qs = qs.filter(plan_year__plan__municipality_id=municipality)
    if plan:
        qs = qs.filter(plan_year__plan_id=plan)
    if program:
        qs = qs.filter(program__public_id=program)
    if other_than_program:
        qs = qs.exclude(program__public_id=other_than_program)
    if secured:
        qs = qs.filter(state__in=SECURED_STATES)
    if exclude_rejected:
        qs = qs.exclude(state=FundingState.REJECTED)
    if public_only:
        qs = qs.exclude(plan_year__plan__status=PlanStatus.DRAFT)
    return qs


def line_totals(qs) -> dict:
    """How many lines and how much money: a figure that links to the line list (お金の流れ, 財源の崖) can be checked
    against its rows."""
    if isinstance(qs, LineRows):
        return qs.totals
    return qs.aggregate(count=Count("id"), amount=Sum("amount"))


def program_names(public_ids) -> dict[str, str]:
    from chiiki.programs.models import SupportProgram

    return dict(SupportProgram.objects.filter(public_id__in=list(public_ids)).values_list("public_id", "name"))


def listed_lines(qs):
    """The line list's order (plan, 年度, entry) with what its rows show, for the page and the API alike."""
    if isinstance(qs, LineRows):
        return qs  # already in that order
    return qs.select_related("plan_year__plan__municipality", "plan_year__plan__prefecture",
                             "plan_year__plan__sector", "program").order_by("plan_year__plan_id",
                                                                            "plan_year__fiscal_year", "id")


# The filters that narrow the line list beyond one plan's 年度 (the form's fields and the cliffs' program filters).
NARROWING_LINE_FILTERS = ("source_kind", "sector", "state", "prefecture", "municipality", "secured", "program",
                          "other_than_program")


def line_list_notes(user, *, plan: int | None, fiscal_year: int | None, program: str, other_than_program: str,
                    narrowed: bool, exclude_rejected: bool) -> dict:
    """What the line list says about the filters it did not get from its form: the plan it was reached from, the
    support program it keeps or leaves out (by name), and, when it shows exactly the lines a plan page's 不足
    subtracts (one plan's 年度, 不採択 excluded, nothing else), that 年度's 事業費 and gap."""
    program_ids = {k: v for k, v in (("program", program), ("other_than_program", other_than_program)) if v}
    names = program_names(program_ids.values())
    return {
        "plan_filter": None if plan is None else {"id": plan, "plan": visible_plans(user).filter(pk=plan).first()},
        "program_filter": {k: names.get(v, "（不明な支援メニュー）") for k, v in program_ids.items()},
        "gap": None if narrowed or not exclude_rejected else plan_year_gap(user, plan, fiscal_year),
    }


LINE_EXPORT_HEADER = ["計画ID", "計画名", "団体コード", "団体", "分野", "年度", "段階", "財源の種類", "支援メニューID",
                      "内訳・名称", "金額（円）", "状態", "財源ID", "版"]
PLAN_EXPORT_HEADER = ["計画ID", "計画名", "団体コード", "団体", "都道府県", "分野", "状態", "開始年度", "年度数",
                      "事業費合計（円）", "財源合計（円）", "確定・受領（円）", "運営主体", "リスク"]


def line_export_rows(qs):
    lines = qs if isinstance(qs, LineRows) else listed_lines(qs).iterator(chunk_size=2000)
    for line in lines:
        year, plan = line.plan_year, line.plan_year.plan
        yield [plan.pk, plan.title, plan.municipality_id or plan.prefecture_id, plan.owner_name, plan.sector.name,
               year.fiscal_year, year.get_phase_display(), line.get_source_kind_display(),
               line.program.public_id if line.program_id else "", line.label, line.amount,
               line.get_state_display(), line.pk, line.version]


def plan_export_rows(plans, computed):
    ids = [p.pk for p in plans]
    costs = dict(PlanYear.objects.filter(plan_id__in=ids).values("plan_id").annotate(s=Sum("total_cost"))
                 .values_list("plan_id", "s"))
    lines = FundingLine.objects.filter(plan_year__plan_id__in=ids).exclude(state=FundingState.REJECTED)
    funded = dict(lines.values("plan_year__plan_id").annotate(s=Sum("amount")).values_list("plan_year__plan_id", "s"))
    secured = dict(lines.filter(state__in=[FundingState.CONFIRMED, FundingState.RECEIVED])
                   .values("plan_year__plan_id").annotate(s=Sum("amount")).values_list("plan_year__plan_id", "s"))
    counts = dict(PlanYear.objects.filter(plan_id__in=ids).values("plan_id").annotate(c=Count("id"))
                  .values_list("plan_id", "c"))
    for plan in plans:
        yield [plan.pk, plan.title, plan.municipality_id or plan.prefecture_id, plan.owner_name, plan.prefecture.name,
               plan.sector.name, plan.get_status_display(), plan.start_year, counts.get(plan.pk, 0),
               costs.get(plan.pk) or 0, funded.get(plan.pk) or 0, secured.get(plan.pk) or 0,
               plan.get_operator_kind_display() + (f"（{plan.operator_name}）" if plan.operator_name else ""),
               "／".join(sorted({f.label for f in computed.get(plan.pk, [])}))]


# ---- Fund flow -------------------------------------------------------------------------------------------------

FLOW_DIMENSIONS = {"source_kind": "source_kind", "sector": "plan_year__plan__sector_id",
                   "fiscal_year": "plan_year__fiscal_year", "prefecture": "plan_year__plan__prefecture_id"}


def flows(*, group_by=("source_kind", "sector", "fiscal_year"), prefecture: str = "", municipality: str = "",
          fiscal_year: int | None = None) -> list[dict]:
    """Money of public (not draft) plans by the given dimensions: planned (every state but 不採択), 確定
    (採択・確定 and 受領) and 受領, one aggregate query."""
    unknown = [g for g in group_by if g not in FLOW_DIMENSIONS]
    if unknown:
        raise ValueError(f"unknown dimensions {unknown}")
    qs = filter_lines(FundingLine.objects.order_by(), prefecture=prefecture, municipality=municipality,
                      fiscal_year=fiscal_year, exclude_rejected=True, public_only=True)
    columns = [FLOW_DIMENSIONS[g] for g in group_by]
    rows = qs.values(*columns).annotate(
        planned=Sum("amount"),
        secured=Sum("amount", filter=Q(state__in=[FundingState.CONFIRMED, FundingState.RECEIVED])),
        received=Sum("amount", filter=Q(state=FundingState.RECEIVED)),
        lines=Count("id")).order_by(*columns)
    return [{**{g: row[c] for g, c in zip(group_by, columns, strict=True)}, "planned": row["planned"] or 0,
             "secured": row["secured"] or 0, "received": row["received"] or 0, "lines": row["lines"]}
            for row in rows]


# 財源の崖's orders (the page's 並び順 and the API's sort): the default first.
CLIFF_SORTS = {"": "途切れる額の大きい順", "plan": "計画の登録順"}


def national_cliffs(fiscal_year: int, sort: str = ""):
    """Public plans whose support from a program ends in `fiscal_year` with nothing replacing it, largest first, or
    with sort="plan" in the order the plans were registered (CLIFF_SORTS)."""
    # The cliffs are found in Python (flags.program_endings), so read only the plans that can have one: a program
    # with a maximum number of years ending in `fiscal_year` is money (> 0, not 不採択) in that 年度's lines.
    # The work then follows the plans funded by such programs that year, not every plan in the country.
    ending_there = FundingLine.objects.filter(
        plan_year__plan=OuterRef("pk"), plan_year__fiscal_year=fiscal_year, program__max_years__gt=0,
        amount__gt=0).exclude(state=FundingState.REJECTED)
    qs = ImplementationPlan.objects.exclude(status=PlanStatus.DRAFT).filter(Exists(ending_there))
    found = flag_rules.cliffs(qs, fiscal_year)
    plans = ImplementationPlan.objects.select_related("municipality", "prefecture", "sector").in_bulk(
        [c.plan_id for c in found])
    if sort == "plan":
        return sorted(((plans[c.plan_id], c) for c in found), key=lambda pc: (pc[0].pk, -pc[1].at_risk))
    return sorted(((plans[c.plan_id], c) for c in found), key=lambda pc: (-pc[1].at_risk, pc[0].pk))


# ---- Figures for KPIs (PDCA) -----------------------------------------------------------------------------------


def _published_multiyear(min_years: int, prefecture: str, sector: str):
    qs = ImplementationPlan.objects.filter(status__in=PUBLIC_STATUSES)
    if prefecture:
        qs = qs.filter(prefecture_id=prefecture)
    if sector:
        qs = qs.filter(sector_id=sector)
    return qs.annotate(n=Count("years")).filter(n__gte=min_years)


def published_plans_with_min_years(min_years: int = 3, *, prefecture: str = "", sector: str = "") -> int:
    """Plans that are published (公開; completed ones count too) and span at least `min_years` 年度."""
    return _published_multiyear(min_years, prefecture, sector).count()


def published_multiyear_plans_by_year(years, min_years: int = 3, *, prefecture: str = "",
                                      sector: str = "") -> dict[int, int]:
    """年度 → plans counted by published_plans_with_min_years that were first published by that 年度's end (3/31
    of the next year). Status and 年度 count are today's: the history keeps when a plan was published, not how many
    年度 it had then. A plan without a publication record (written outside the actions) counts from its creation.
    The same plans as the list filtered by status=public, min_years and published_by, which the KPI links to."""
    public = filter_plans(ImplementationPlan.objects.all(), prefecture=prefecture, sector=sector, status=PUBLIC,
                          min_years=min_years)
    return {year: filter_plans(public, published_by=year).count() for year in years}


def municipalities_with_published_plans(*, up_to_year: int | None = None) -> set[str]:
    """Codes of municipalities that own or take part in a published (公開・完了) plan starting in `up_to_year` or
    earlier (promotion's model-region score). The same plans as the list filtered by status=PUBLIC, started_by and
    municipality (filter_plans), which the score's page links to."""
    qs = filter_plans(ImplementationPlan.objects.all(), status=PUBLIC, started_by=up_to_year)
    owners = qs.exclude(municipality=None).values_list("municipality_id", flat=True)
    members = qs.values_list("participants__code", flat=True)
    return {code for code in [*owners, *members] if code}


def programs_in_published_plans(municipality_codes) -> list[dict]:
    """The support programs on the funding lines of published (公開・完了) plans owned by or taking part the given
    municipalities: one row per (municipality, plan sector, program, plan) — promotion's package advice groups them."""
    codes = list(municipality_codes)
    lines = (FundingLine.objects.filter(program__isnull=False,
                                        plan_year__plan__status__in=PUBLIC_STATUSES)
             .order_by())
    fields = ("plan_year__plan__sector_id", "program__public_id", "program__name", "plan_year__plan_id")
    rows = set()
    for code, sector, public_id, name, plan in [
            *lines.filter(plan_year__plan__municipality_id__in=codes).values_list(
                "plan_year__plan__municipality_id", *fields),
            *lines.filter(plan_year__plan__participants__code__in=codes).values_list(
                "plan_year__plan__participants__code", *fields)]:
        rows.add((code, sector, public_id, name, plan))
    return [{"municipality": c, "sector": s, "program": p, "name": n, "plan": pl} for c, s, p, n, pl in sorted(rows)]


def receipts_in(fiscal_year: int):
    """Crowdfunding receipts of one 年度, by receipt date (what the PDCA figure and the campaign list count)."""
    first, last = fiscal_year_bounds(fiscal_year)
    return Receipt.objects.filter(received_on__gte=first, received_on__lte=last)


def crowdfunding_raised(*, fiscal_year: int | None = None, prefecture: str = "", municipality: str = "") -> int:
    """Yen raised by crowdfunding campaigns (sum of their receipts), optionally for one 年度 (by receipt date)."""
    qs = receipts_in(fiscal_year) if fiscal_year else Receipt.objects.all()
    if prefecture:
        qs = qs.filter(campaign__municipality__prefecture_id=prefecture)
    if municipality:
        qs = qs.filter(campaign__municipality_id=municipality)
    return qs.aggregate(s=Sum("amount"))["s"] or 0


def campaign_totals(campaign_ids) -> dict[int, tuple[int, int]]:
    """campaign id → (raised yen, donation count)."""
    rows = (Receipt.objects.filter(campaign_id__in=list(campaign_ids)).values("campaign_id")
            .annotate(s=Sum("amount"), c=Sum("count")).values_list("campaign_id", "s", "c"))
    totals = defaultdict(lambda: (0, 0))
    totals.update({pk: (s or 0, c or 0) for pk, s, c in rows})
    return totals


def campaigns():
    return Campaign.objects.select_related("municipality__prefecture", "plan")


def campaign_rows(qs, today):
    """(campaign, Progress) for each campaign of qs, with one aggregate query for the totals."""
    from . import campaigns as rules

    items = list(qs)
    totals = campaign_totals([c.pk for c in items])
    return [(c, rules.progress(c, *totals[c.pk], today)) for c in items]


def raised_in(campaign_ids, fiscal_year: int) -> dict[int, int]:
    """campaign id → yen received in the 年度."""
    return dict(receipts_in(fiscal_year).filter(campaign_id__in=list(campaign_ids)).values("campaign_id")
                .annotate(s=Sum("amount")).values_list("campaign_id", "s"))


def filter_campaigns(qs, *, prefecture: str = "", municipality: str = "", plan: int | None = None,
                     received_year: int | None = None):
    """received_year: only the campaigns that received donations in that 年度 (the PDCA figure's rows)."""
    if received_year:
        qs = qs.filter(pk__in=receipts_in(received_year).values("campaign_id"))
    if prefecture:
        qs = qs.filter(municipality__prefecture_id=prefecture)
    if municipality:
        qs = qs.filter(municipality_id=municipality)
    if plan:
        qs = qs.filter(plan_id=plan)
    return qs


def raised_over_time(campaign) -> list[tuple]:
    """(date, raised that day, raised up to that day) for the campaign's receipts."""
    rows = (Receipt.objects.filter(campaign=campaign).values("received_on").annotate(s=Sum("amount"))
            .order_by("received_on").values_list("received_on", "s"))
    series, running = [], 0
    for day, amount in rows:
        running += amount
        series.append((day, amount, running))
    return series


# ---- 企業版ふるさと納税 ------------------------------------------------------------------------------------------


def projects():
    from .models import RevitalisationProject

    return RevitalisationProject.objects.select_related("plan__municipality", "plan__prefecture", "sector")


def project_rows(qs, *, min_remaining: int | None = None):
    """(project, pledged yen (申出+受領), received yen, remaining yen) with one aggregate query."""
    from .models import CorporateDonationPledge, PledgeState

    items = list(qs)
    sums = (CorporateDonationPledge.objects.filter(project_id__in=[p.pk for p in items])
            .exclude(state=PledgeState.CANCELLED).values("project_id")
            .annotate(pledged=Sum("amount"), received=Sum("amount", filter=Q(state=PledgeState.RECEIVED)))
            .values_list("project_id", "pledged", "received"))
    totals = {pk: (pledged or 0, received or 0) for pk, pledged, received in sums}
    rows = []
    for project in items:
        pledged, received = totals.get(project.pk, (0, 0))
        remaining = max(project.target_amount - pledged, 0)
        if min_remaining is None or remaining >= min_remaining:
            rows.append((project, pledged, received, remaining))
    return rows


def filter_projects(qs, *, prefecture: str = "", sector: str = "", in_force_year: int | None = None):
    if prefecture:
        qs = qs.filter(plan__prefecture_id=prefecture)
    if sector:
        qs = qs.filter(sector_id=sector)
    if in_force_year:
        qs = qs.filter(plan__approved_on__isnull=False, plan__start_year__lte=in_force_year,
                       plan__end_year__gte=in_force_year)
    return qs


def _pledges():
    from .models import CorporateDonationPledge

    return CorporateDonationPledge.objects.select_related(
        "company__head_office", "project__plan__municipality", "project__plan__prefecture")


def visible_pledges(user):
    """Pledges the user may see (chiiki.access.scope_pledges, the query form of "funding.pledge_view")."""
    return access.scope_pledges(user, _pledges())


def projects_with_pledges_linked(user, project_ids) -> set[int]:
    """The projects among `project_ids` whose pledge figures may link to the pledge list: those with pledges, all of
    which the user sees (the recipient, its prefecture, admins). A company sees only its own, which would not add up
    to the figure, and the list is for signed-in users only."""
    from .models import CorporateDonationPledge

    if not user.is_authenticated:
        return set()
    project_ids = list(project_ids)
    totals = dict(CorporateDonationPledge.objects.filter(project_id__in=project_ids).order_by().values("project_id")
                  .annotate(n=Count("id")).values_list("project_id", "n"))
    seen = dict(visible_pledges(user).filter(project_id__in=project_ids).order_by().values("project_id")
                .annotate(n=Count("id")).values_list("project_id", "n"))
    return {pk for pk, n in totals.items() if seen.get(pk) == n}


def receivable_pledges(user):
    """Offered pledges the user may confirm as received (chiiki.access.scope_managed_pledges, the query form of
    "funding.pledge_receive"), oldest first."""
    from .models import PledgeState

    return access.scope_managed_pledges(user, _pledges()).filter(state=PledgeState.OFFERED).order_by("id")


# ---- rows deleted meanwhile (the plan page keeps what was typed for them) ----------------------------------------

def deleted_row_of_plan(model, pk, plan) -> dict | None:
    """The last snapshot of a row of `plan` someone deleted (its history entry), None if it never was (a wrong id)."""
    before = (ChangeRecord.objects.filter(model=model._meta.label_lower, object_id=str(pk), action=history.DELETE)
              .order_by("-pk").values_list("before", flat=True).first())
    if before is None:
        return None
    if model is PlanYear:
        return before if before.get("plan_id") == plan.pk else None
    return before if PlanYear.objects.filter(pk=before.get("plan_year_id"), plan=plan).exists() or (
        ChangeRecord.objects.filter(model="funding.planyear", object_id=str(before.get("plan_year_id")),
                                    action=history.DELETE, before__plan_id=plan.pk).exists()) else None
