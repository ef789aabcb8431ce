"""Risk flags of implementation plans, computed on every read from the rows (never stored, so never stale).

Each flag carries a Japanese reason and the rows behind it (years and funding lines). The computation works on
plain tuples loaded in a handful of queries (load()), so flags for every plan in the country stay cheap; the
plan page, the list filter, the API and the national 財源の崖 list all call compute().
"""

from __future__ import annotations

import gc
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import NamedTuple

from django.core.exceptions import EmptyResultSet
from django.db import connection

from chiiki.programs.eligibility import EXCLUDED, assess
from chiiki.programs.models import SupportProgram
from chiiki.regions.models import Municipality

from .models import FundingLine, FundingState, OperatorKind, Phase, PlanYear, SourceKind

FUNDING_CLIFF = "funding_cliff"
OPERATOR_UNDECIDED = "operator_undecided"
TOO_SHORT = "too_short"
PROGRAM_INELIGIBLE = "program_ineligible"
PROGRAM_OVER_MAX_YEARS = "program_over_max_years"
ONE_TIME_HEAVY = "one_time_heavy"
LABELS = {
    FUNDING_CLIFF: "財源の崖",
    OPERATOR_UNDECIDED: "運営主体未定",
    TOO_SHORT: "3年度未満",
    PROGRAM_INELIGIBLE: "対象外の支援メニュー",
    PROGRAM_OVER_MAX_YEARS: "最長年数超過",
    ONE_TIME_HEAVY: "一時的な国の財源に依存",
}
MIN_YEARS = 3
ONE_TIME_SHARE = 0.8
SECURED = {FundingState.CONFIRMED.value, FundingState.RECEIVED.value}
REJECTED = FundingState.REJECTED.value
NATIONAL = SourceKind.NATIONAL_PROGRAM.value


@dataclass
class RowRef:
    kind: str  # "year" | "line"
    id: int
    fiscal_year: int
    label: str


@dataclass
class Flag:
    code: str
    reason: str = ""
    rows: list[RowRef] = field(default_factory=list)

    @property
    def label(self) -> str:
        return LABELS[self.code]


class LineData(NamedTuple):
    id: int
    plan_year_id: int
    source_kind: str
    program_id: int | None
    amount: int
    state: str


@dataclass(slots=True)
class YearData:
    id: int
    fiscal_year: int
    phase: str
    total_cost: int
    lines: list[LineData] = field(default_factory=list)


@dataclass(slots=True)
class PlanData:
    id: int
    municipality_id: str | None
    operator_kind: str
    years: list[YearData] = field(default_factory=list)
    participants: list[str] = field(default_factory=list)  # a wide-area plan's municipalities (codes, sorted)

    @property
    def applicants(self) -> list[str]:
        """Whose eligibility a program must meet: the owner municipality, or every participant of a wide-area
        plan (each of them applies for, or receives, the support)."""
        return [self.municipality_id] if self.municipality_id else self.participants


@dataclass
class Context:
    """What flags need beyond the plan's rows: programs (name, max_years) and municipalities for eligibility."""

    programs: dict[int, SupportProgram]
    municipalities: dict[str, Municipality]
    _fits: dict = field(default_factory=dict)

    def fit(self, program_id: int, municipality_id: str):
        key = (program_id, municipality_id)
        if key not in self._fits:
            self._fits[key] = assess(self.programs[program_id], self.municipalities[municipality_id])
        return self._fits[key]


def _rows(queryset):
    """The rows of a values_list queryset as plain tuples, straight from the cursor: the ORM's per-row work
    (converters, iterator) is the larger part of reading 10^5 lines, and these columns need no conversion."""
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:  # none(), or a bound no row can meet: Django says so instead of writing SQL
        return []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@contextmanager
def _no_cyclic_gc():
    """Loading every plan allocates ~10^6 small acyclic objects (tuples, rows, lists); the cyclic garbage
    collector would scan the growing heap again and again while they are made. None of them form cycles, so
    reference counting frees them all the same."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load(plan_ids) -> tuple[dict[int, PlanData], Context]:
    """The rows of the given plans (ids, or a queryset of ImplementationPlan) as PlanData, with their Context.
    Three queries (plans, years, lines) plus programs, municipalities and the participants of wide-area plans."""
    from .models import ImplementationPlan

    if hasattr(plan_ids, "values_list"):
        plan_rows = plan_ids.order_by().values_list("id", "municipality_id", "operator_kind")
        # Every plan (the national view): no filter at all rather than "IN (SELECT id FROM every plan)".
        year_filter = {"plan__in": plan_ids.order_by().values("id")} if plan_ids.query.where else {}
    else:
        ids = list(plan_ids)
        plan_rows = ImplementationPlan.objects.order_by().filter(pk__in=ids).values_list(
            "id", "municipality_id", "operator_kind")
        year_filter = {"plan_id__in": ids}
    plans = {pk: PlanData(pk, municipality_id, operator_kind) for pk, municipality_id, operator_kind
             in _rows(plan_rows)}
    years: dict[int, YearData] = {}
    for pk, plan_id, fiscal_year, phase, cost in _rows(
            PlanYear.objects.filter(**year_filter).order_by("plan_id", "fiscal_year")
            .values_list("id", "plan_id", "fiscal_year", "phase", "total_cost")):
        plan = plans.get(plan_id)
        if plan is not None:
            years[pk] = year = YearData(pk, fiscal_year, phase, cost)
            plan.years.append(year)
    line_filter = {f"plan_year__{key}": value for key, value in year_filter.items()}
    program_ids = set()
    for line in map(LineData._make, _rows(
            FundingLine.objects.order_by().filter(**line_filter)
            .values_list("id", "plan_year_id", "source_kind", "program_id", "amount", "state"))):
        year = years.get(line.plan_year_id)
        if year is not None:
            year.lines.append(line)
            if line.program_id is not None:
                program_ids.add(line.program_id)
    programs = {p.pk: p for p in SupportProgram.objects.filter(pk__in=program_ids)} if program_ids else {}
    with_programs = {pk for pk, p in plans.items() if any(line.program_id for y in p.years for line in y.lines)}
    wide = [pk for pk in with_programs if plans[pk].municipality_id is None]
    if wide:
        # The same plan filter as the years (a subquery, not a list of ids that could outgrow SQLite's limit).
        members = ImplementationPlan.participants.through.objects.order_by().filter(
            implementationplan__municipality__isnull=True,
            **{key.replace("plan", "implementationplan", 1): value for key, value in year_filter.items()})
        for plan_id, code in members.values_list("implementationplan_id", "municipality_id"):
            if plan_id in with_programs:
                plans[plan_id].participants.append(code)
        for pk in wide:
            plans[pk].participants.sort()
    municipality_ids = {code for pk in with_programs for code in plans[pk].applicants}
    municipalities = Municipality.objects.in_bulk(list(municipality_ids)) if municipality_ids else {}
    return plans, Context(programs, municipalities)


def _yen(value: int) -> str:
    return f"{value:,}円"


def _program_name(context: Context, program_id: int) -> str:
    program = context.programs.get(program_id)
    return program.name if program else f"支援メニュー#{program_id}"


def _line_ref(context: Context, year: YearData, line: LineData) -> RowRef:
    name = _program_name(context, line.program_id) if line.program_id else SourceKind(line.source_kind).label
    return RowRef("line", line.id, year.fiscal_year, f"{year.fiscal_year}年度 {name} {_yen(line.amount)}")


def _year_ref(year: YearData) -> RowRef:
    return RowRef("year", year.id, year.fiscal_year,
                  f"{year.fiscal_year}年度（{Phase(year.phase).label}）事業費{_yen(year.total_cost)}")


def _program_years(plan: PlanData) -> dict[int, dict[int, list[LineData]]]:
    """program id → fiscal year → its lines that are not 不採択."""
    used: dict[int, dict[int, list[LineData]]] = defaultdict(lambda: defaultdict(list))
    for year in plan.years:
        for line in year.lines:
            if line.program_id is not None and line.state != REJECTED:
                used[line.program_id][year.fiscal_year].append(line)
    return used


def program_endings(plan: PlanData, context: Context, used=None):
    """For every program with max_years that is used up to its last allowed year: (program id, last year,
    amount in that year, the next 年度's YearData or None, the amount replacing it there, the lines).
    `used`: _program_years(plan) when the caller has it already."""
    by_year = {y.fiscal_year: y for y in plan.years}
    for program_id, years in (used if used is not None else _program_years(plan)).items():
        program = context.programs.get(program_id)
        if program is None or not program.max_years:
            continue
        end = min(years) + program.max_years - 1
        ending = sum(line.amount for line in years.get(end, []))
        if ending <= 0:
            continue  # not used (or 0 円) in its last allowed year: nothing stops there
        following = by_year.get(end + 1)
        replacement = 0
        if following is not None:
            replacement = sum(line.amount for line in following.lines
                              if line.state != REJECTED and line.program_id != program_id)
        yield program_id, end, ending, following, replacement, years[end]


def compute(plan: PlanData, context: Context, detail: bool = True) -> list[Flag]:
    """The plan's flags. detail=False gives each flag its code only (no reason, no rows): the lists and the filter
    need which flags a plan has, and building the Japanese reasons and row labels of every plan in the country
    would be most of the work."""
    flags: list[Flag] = []
    by_year = {y.fiscal_year: y for y in plan.years}
    used = _program_years(plan)

    # 財源の崖 (a): a year with cost but nothing 採択・確定 / 受領.
    for year in plan.years:
        if year.total_cost > 0 and not any(line.state in SECURED and line.amount > 0 for line in year.lines):
            flags.append(Flag(FUNDING_CLIFF) if not detail else Flag(
                FUNDING_CLIFF,
                f"{year.fiscal_year}年度は事業費{_yen(year.total_cost)}に対して、採択・確定または受領した財源がありません。",
                [_year_ref(year), *(_line_ref(context, year, line) for line in year.lines)]))
    # 財源の崖 (b): the year after a program's max_years with nothing replacing it.
    for program_id, end, ending, following, replacement, lines in program_endings(plan, context, used):
        if following is None or replacement >= ending:
            continue
        program = context.programs[program_id]
        flags.append(Flag(FUNDING_CLIFF) if not detail else Flag(
            FUNDING_CLIFF,
            f"「{program.name}」は最長{program.max_years}年のため{end}年度で終わりますが、"
            f"{end + 1}年度にこれに代わる財源が{_yen(replacement)}しかありません（{end}年度は{_yen(ending)}）。",
            [*(_line_ref(context, by_year[end], line) for line in lines), _year_ref(following),
             *(_line_ref(context, following, line) for line in following.lines)]))

    if plan.operator_kind == OperatorKind.UNDECIDED:
        operation_years = [y for y in plan.years if y.phase == Phase.OPERATION]
        if operation_years:
            flags.append(Flag(OPERATOR_UNDECIDED) if not detail else Flag(
                OPERATOR_UNDECIDED,
                f"運用・自走の年度（{'、'.join(f'{y.fiscal_year}年度' for y in operation_years)}）があるのに、"
                "支援終了後の運営主体が未定です。",
                [_year_ref(y) for y in operation_years]))

    if len(plan.years) < MIN_YEARS:
        flags.append(Flag(TOO_SHORT) if not detail else Flag(
            TOO_SHORT,
            f"計画が{len(plan.years)}年度分しかありません（支援が途切れないよう{MIN_YEARS}年度以上が目安です）。",
            [_year_ref(y) for y in plan.years]))

    applicants = [code for code in plan.applicants if code in context.municipalities]
    if applicants:
        excluded: dict[int, list[RowRef]] = {}
        for year in plan.years:
            for line in year.lines:
                if line.program_id is not None and line.program_id in context.programs and any(
                        context.fit(line.program_id, code).fit == EXCLUDED for code in applicants):
                    rows = excluded.setdefault(line.program_id, [])
                    if detail:
                        rows.append(_line_ref(context, year, line))
        for program_id, rows in excluded.items():
            if not detail:
                flags.append(Flag(PROGRAM_INELIGIBLE))
                continue
            outside = [(context.municipalities[code].name, context.fit(program_id, code)) for code in applicants
                       if context.fit(program_id, code).fit == EXCLUDED]
            name = _program_name(context, program_id)
            if plan.municipality_id:
                [(town, fit)] = outside
                reason = f"「{name}」は{town}では対象外です: {'。'.join(fit.reasons)}"
            else:
                reason = (f"「{name}」は参加団体のうち{'、'.join(town for town, _f in outside)}では対象外です: "
                          + "／".join(f"{town}: {'。'.join(fit.reasons)}" for town, fit in outside))
            flags.append(Flag(PROGRAM_INELIGIBLE, reason, rows))

    for program_id, years in used.items():
        program = context.programs.get(program_id)
        if program is None or not program.max_years or len(years) <= program.max_years:
            continue
        beyond = sorted(years)[program.max_years:]
        flags.append(Flag(PROGRAM_OVER_MAX_YEARS) if not detail else Flag(
            PROGRAM_OVER_MAX_YEARS,
            f"「{program.name}」は最長{program.max_years}年ですが、{len(years)}年度"
            f"（{'、'.join(f'{y}年度' for y in sorted(years))}）で使われています。",
            [_line_ref(context, by_year[y], line) for y in beyond for line in years[y]]))

    if plan.years:
        last = plan.years[-1]
        total = national_total = 0
        for line in last.lines:
            if line.state != REJECTED:
                total += line.amount
                if line.source_kind == NATIONAL:
                    national_total += line.amount
        if total > 0 and national_total >= ONE_TIME_SHARE * total:
            flags.append(Flag(ONE_TIME_HEAVY) if not detail else Flag(
                ONE_TIME_HEAVY,
                f"最終年度（{last.fiscal_year}年度）の財源{_yen(total)}のうち{national_total * 100 // total}%"
                f"（{_yen(national_total)}）が一時的な国の支援メニューです。支援終了後も続けられる財源"
                "（一般財源・企業版ふるさと納税・クラウドファンディング・民間投資など）を確保してください。",
                [_line_ref(context, last, line) for line in last.lines
                 if line.state != REJECTED and line.source_kind == NATIONAL]))
    return flags


def for_plans(plan_ids, detail: bool = True) -> dict[int, list[Flag]]:
    """plan id → its flags, for the given plans (ids or a queryset). detail=False: codes only (see compute)."""
    with _no_cyclic_gc():
        plans, context = load(plan_ids)
        return {pk: compute(plan, context, detail) for pk, plan in plans.items()}


def for_plan(plan) -> list[Flag]:
    return for_plans([plan.pk]).get(plan.pk, [])


@dataclass
class Cliff:
    plan_id: int
    program: SupportProgram
    last_year: int
    ending: int
    replacement: int

    @property
    def at_risk(self) -> int:
        return self.ending - self.replacement


def cliffs(plan_ids, fiscal_year: int) -> list[Cliff]:
    """Programs whose support ends in `fiscal_year` (so next 年度 has none) and whose next 年度 has less money
    replacing them than they gave (a plan without that 年度 has nothing): the national 財源の崖 list."""
    with _no_cyclic_gc():
        plans, context = load(plan_ids)
    found = []
    for plan in plans.values():
        for program_id, end, ending, _following, replacement, _lines in program_endings(plan, context):
            if end == fiscal_year and replacement < ending:
                found.append(Cliff(plan.id, context.programs[program_id], end, ending, replacement))
    return found
