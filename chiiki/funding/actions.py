"""Every write of funding data: access.require → validate → transaction.atomic → write + history → bump."""

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction

from chiiki import access
from chiiki.core import db, editing, history
from chiiki.core.errors import Conflict, Invalid
from chiiki.core.text import control_character_problem
from chiiki.programs.models import SupportProgram
from chiiki.regions.models import Municipality, Prefecture
from chiiki.roadmap.models import Sector, SectorModel

from . import validation
from .models import (
    Campaign,
    FundingLine,
    FundingState,
    ImplementationPlan,
    OperatorKind,
    Phase,
    PlanStatus,
    PlanYear,
    SourceKind,
)

AREA = "funding"
PLAN_FIELDS = ("title", "sector_id", "sector_models", "further_sectors", "vision", "start_year", "operator_kind",
               "operator_name", "operator_corporate_number", "kpis", "status", "status_reason", "version",
               "municipality_id", "prefecture_id")
YEAR_FIELDS = ("plan_id", "fiscal_year", "phase", "activities", "total_cost", "version")
LINE_FIELDS = ("plan_year_id", "source_kind", "program_id", "campaign_id", "donation_project_id", "label", "amount",
               "state", "version")
# Status moves an editor may make; a discontinued or completed plan can be reopened (published) by its editors.
TRANSITIONS = {
    PlanStatus.DRAFT: {PlanStatus.PUBLISHED, PlanStatus.DISCONTINUED},
    PlanStatus.PUBLISHED: {PlanStatus.COMPLETED, PlanStatus.DISCONTINUED, PlanStatus.DRAFT},
    PlanStatus.COMPLETED: {PlanStatus.PUBLISHED},
    PlanStatus.DISCONTINUED: {PlanStatus.PUBLISHED, PlanStatus.DRAFT},
}


def _snap(obj, fields) -> dict:
    return history.snapshot(obj, fields)


def _record(actor, action, obj, before, after, plan, source, object_repr=None):
    history.record(actor, action, obj, before, after, municipality=plan.municipality, prefecture=plan.prefecture,
                   source=source, object_repr=object_repr or f"{plan.title}: {obj}")


def _user_or_none(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _collect(problems: list, name: str, func, *args, **kwargs):
    try:
        return func(*args, **kwargs)
    except ValueError as exc:
        problems.append((name, str(exc)))
        return None


# ---- Plans -----------------------------------------------------------------------------------------------------


def _clean_plan_fields(values: dict, *, sector: Sector | None) -> dict:
    """The plan's own fields as they will be stored (only those present in values); raises Invalid."""
    problems, cleaned = [], {}
    if "title" in values:
        cleaned["title"] = _collect(problems, "title", validation.clean_text, values["title"], label="計画名",
                                    max_length=200, required=True)
    if "vision" in values:
        cleaned["vision"] = _collect(problems, "vision", validation.clean_text, values["vision"], label="目指す姿",
                                     max_length=4000)
    if "start_year" in values:
        cleaned["start_year"] = _collect(problems, "start_year", validation.clean_fiscal_year, values["start_year"],
                                         label="開始年度")
    if "operator_kind" in values:
        kind = values["operator_kind"] or OperatorKind.UNDECIDED
        if kind not in OperatorKind.values:
            problems.append(("operator_kind", "運営主体の種類を選んでください"))
        cleaned["operator_kind"] = kind
    if "operator_name" in values:
        cleaned["operator_name"] = _collect(problems, "operator_name", validation.clean_text, values["operator_name"],
                                            label="運営主体の名称", max_length=200)
    if "operator_corporate_number" in values:
        cleaned["operator_corporate_number"] = _collect(problems, "operator_corporate_number",
                                                        validation.clean_corporate_number,
                                                        values["operator_corporate_number"])
    if "kpis" in values:
        cleaned["kpis"] = _collect(problems, "kpis", validation.clean_kpis, values["kpis"])
    if "sector_models" in values and sector is not None:
        names = [n for n in (values["sector_models"] or []) if n]
        known = set(SectorModel.objects.filter(sector=sector).values_list("name", flat=True))
        unknown = [n for n in names if n not in known]
        if unknown:
            problems.append(("sector_models", f"{sector.name}の分野別モデルではありません: {'、'.join(unknown)}"))
        cleaned["sector_models"] = names
    if "further_sectors" in values:
        codes = [c for c in (values["further_sectors"] or []) if c and (sector is None or c != sector.pk)]
        unknown = set(codes) - set(Sector.objects.filter(pk__in=codes).values_list("pk", flat=True))
        if unknown:
            problems.append(("further_sectors", f"分野が正しくありません: {'、'.join(sorted(unknown))}"))
        cleaned["further_sectors"] = codes
    if problems:
        raise Invalid(problems)
    return cleaned


def _owner_of(owner) -> tuple[Municipality | None, Prefecture]:
    if isinstance(owner, Municipality):
        return owner, owner.prefecture
    if isinstance(owner, Prefecture):
        return None, owner
    raise Invalid([("municipality", "策定団体を選んでください")])


def create_plan(actor, owner, *, sector: Sector, title: str, start_year, years: list[dict] | None = None,
                vision: str = "", operator_kind: str = OperatorKind.UNDECIDED, operator_name: str = "",
                operator_corporate_number: str = "", sector_models=(), further_sectors=(), kpis=(),
                participants=(), is_demo: bool = False, source: str = history.WEB) -> ImplementationPlan:
    """A new draft plan of `owner` (a Municipality, or a Prefecture for a wide-area plan with `participants`).

    `years`: [{fiscal_year, phase, activities, total_cost}]; without it, three years from start_year
    (人材・ノウハウ → 実装 → 運用・自走), the shape the task force asks for.
    """
    municipality, prefecture = _owner_of(owner)
    access.require(actor, "funding.plan_edit", owner)
    if sector is None:
        raise Invalid([("sector", "分野を選んでください")])
    cleaned = _clean_plan_fields({"title": title, "vision": vision, "start_year": start_year,
                                  "operator_kind": operator_kind, "operator_name": operator_name,
                                  "operator_corporate_number": operator_corporate_number,
                                  "sector_models": list(sector_models), "further_sectors": list(further_sectors),
                                  "kpis": list(kpis)}, sector=sector)
    if years is None:
        years = [{"fiscal_year": cleaned["start_year"] + i, "phase": phase}
                 for i, phase in enumerate(Phase.values)]
    cleaned_years = [_clean_year_fields(y, index=i) for i, y in enumerate(years, start=1)]
    _check_distinct_years([y["fiscal_year"] for y in cleaned_years])
    participant_rows = list(participants)
    if municipality is None:
        outside = [m.name for m in participant_rows if m.prefecture_id != prefecture.pk]
        if outside:
            raise Invalid([("participants", f"{prefecture.name}以外の団体は参加団体にできません: {'、'.join(outside)}")])
    with transaction.atomic():
        plan = ImplementationPlan.objects.create(municipality=municipality, prefecture=prefecture, sector=sector,
                                                 is_demo=is_demo, created_by=_user_or_none(actor), **cleaned)
        if participant_rows:
            plan.participants.set(participant_rows)
        _record(actor, history.CREATE, plan, None, _snap(plan, PLAN_FIELDS), plan, source, object_repr=plan.title)
        for values in cleaned_years:
            year = PlanYear.objects.create(plan=plan, **values)
            _record(actor, history.CREATE, year, None, _snap(year, YEAR_FIELDS), plan, source)
        history.bump(AREA)
    return plan


def _lock_plan(plan: ImplementationPlan, version) -> ImplementationPlan:
    return editing.lock(ImplementationPlan.objects.select_related("municipality", "prefecture"), plan.pk, version)


def update_plan(actor, plan: ImplementationPlan, *, version, source: str = history.WEB,
                **values) -> ImplementationPlan:
    """Change the plan's own fields (those given); `version` is the version the editor saw (stale → Conflict)."""
    access.require(actor, "funding.plan_edit", plan)
    version = editing.require_version(version)
    allowed = {"title", "vision", "start_year", "operator_kind", "operator_name", "operator_corporate_number",
               "sector_models", "further_sectors", "kpis", "sector"}
    unknown = set(values) - allowed
    if unknown:
        raise ValueError(f"unknown plan fields {sorted(unknown)}")
    sector = values.pop("sector", None)
    cleaned = _clean_plan_fields(values, sector=sector or plan.sector)
    with transaction.atomic():
        current = _lock_plan(plan, version)
        if sector is None:
            sector = current.sector
        elif sector.pk != current.sector_id:
            # The stored models and further sectors were chosen for the old 分野; an editor that sends only the new
            # 分野 (the API) gets them checked as the page checks what it sends back, the same refusal.
            kept = {name: getattr(current, name) for name in ("sector_models", "further_sectors") if name not in values}
            cleaned |= _clean_plan_fields(kept, sector=sector)
        before = editing.apply(current, PLAN_FIELDS, {"sector": sector, **cleaned})
        if before is None:
            return current
        current.save()
        _record(actor, history.UPDATE, current, before, _snap(current, PLAN_FIELDS), current, source,
                object_repr=current.title)
        history.bump(AREA)
    return current


def set_participants(actor, plan: ImplementationPlan, participants, *, version,
                     source: str = history.WEB) -> ImplementationPlan:
    """The participating municipalities of a wide-area (prefecture-owned) plan, replaced by `participants`.
    Refused for a municipality's own plan, for municipalities of another prefecture, and for removing a
    municipality whose crowdfunding campaign funds the plan (the line would point outside the plan)."""
    access.require(actor, "funding.plan_edit", plan)
    version = editing.require_version(version)
    rows = list({m.pk: m for m in participants}.values())
    with transaction.atomic():
        current = _lock_plan(plan, version)
        if current.municipality_id is not None:
            raise Invalid([("participants", "参加団体は都道府県の広域計画にだけ指定できます")])
        outside = [m.name for m in rows if m.prefecture_id != current.prefecture_id]
        if outside:
            raise Invalid([("participants",
                            f"{current.prefecture.name}以外の団体は参加団体にできません: {'、'.join(outside)}")])
        old = sorted(current.participants.values_list("code", flat=True))
        new = sorted(m.pk for m in rows)
        if old == new:
            return current
        removed = set(old) - set(new)
        funded = sorted(set(FundingLine.objects.filter(plan_year__plan=current, campaign__municipality_id__in=removed)
                            .values_list("campaign__municipality__name", flat=True)))
        if funded:
            raise Invalid([("participants", f"クラウドファンディングがこの計画の財源になっている団体は外せません: "
                                            f"{'、'.join(funded)}（先にその財源を変更してください）")])
        before = {**_snap(current, PLAN_FIELDS), "participants": old}
        current.participants.set(rows)
        # The participants are a many-to-many relation, not a column editing.apply can set: the plan's version
        # still moves, so an editor holding the old list gets a Conflict.
        current.version += 1
        current.save(update_fields=["version", "updated_at"])
        _record(actor, history.UPDATE, current, before, {**_snap(current, PLAN_FIELDS), "participants": new},
                current, source, object_repr=current.title)
        history.bump(AREA)
    return current


def set_status(actor, plan: ImplementationPlan, status: str, *, version, reason: str = "",
               source: str = history.WEB) -> ImplementationPlan:
    """Publish, complete, discontinue (a reason is required) or take back to draft."""
    access.require(actor, "funding.plan_edit", plan)
    version = editing.require_version(version)
    if status not in PlanStatus.values:
        raise Invalid([("status", "状態が正しくありません")])
    reason = (reason or "").strip()
    if status == PlanStatus.DISCONTINUED and not reason:
        raise Invalid([("reason", "中止の理由を入力してください")])
    if len(reason) > 500:
        raise Invalid([("reason", "理由は500文字以内で入力してください")])
    with transaction.atomic():
        current = _lock_plan(plan, version)
        if status == current.status:
            return current
        if status not in TRANSITIONS[PlanStatus(current.status)]:
            raise Invalid([("status", f"「{current.get_status_display()}」から「{PlanStatus(status).label}」には"
                                      "変更できません")])
        if status == PlanStatus.PUBLISHED and not current.years.exists():
            raise Invalid([("status", "年度が1つもない計画は公開できません")])
        before = editing.apply(current, PLAN_FIELDS, {
            "status": status,
            "status_reason": reason if status in (PlanStatus.DISCONTINUED, PlanStatus.COMPLETED) else ""})
        if before is None:
            return current
        current.save()
        _record(actor, history.UPDATE, current, before, _snap(current, PLAN_FIELDS), current, source,
                object_repr=current.title)
        history.bump(AREA)
    return current


# ---- Years -----------------------------------------------------------------------------------------------------


def _clean_year_fields(values: dict, *, index: int | None = None, partial: bool = False) -> dict:
    where = f"{index}年目の" if index else ""
    problems, cleaned = [], {}
    if "fiscal_year" in values or not partial:
        cleaned["fiscal_year"] = _collect(problems, "fiscal_year", validation.clean_fiscal_year,
                                          values.get("fiscal_year"), label=f"{where}年度")
    if "phase" in values or not partial:
        phase = values.get("phase")
        if phase not in Phase.values:
            problems.append(("phase", f"{where}段階を選んでください（人材・ノウハウ／実装／運用・自走）"))
        cleaned["phase"] = phase
    if "activities" in values or not partial:
        cleaned["activities"] = _collect(problems, "activities", validation.clean_text, values.get("activities"),
                                         label=f"{where}取組内容", max_length=4000)
    if "total_cost" in values or not partial:
        raw = values.get("total_cost")
        cleaned["total_cost"] = _collect(problems, "total_cost", validation.clean_yen,
                                         0 if raw in (None, "") and not partial else raw, label=f"{where}事業費")
    if problems:
        raise Invalid(problems)
    return cleaned


def _check_distinct_years(years: list[int]) -> None:
    if len(years) > validation.MAX_PLAN_YEARS:
        raise Invalid([("years", f"計画の年度は{validation.MAX_PLAN_YEARS}までです")])
    if len(set(years)) != len(years):
        raise Invalid([("fiscal_year", "同じ年度が2回あります")])


def add_year(actor, plan: ImplementationPlan, *, fiscal_year, phase: str, activities: str = "", total_cost=0,
             source: str = history.WEB) -> PlanYear:
    access.require(actor, "funding.plan_edit", plan)
    cleaned = _clean_year_fields({"fiscal_year": fiscal_year, "phase": phase, "activities": activities,
                                  "total_cost": total_cost})
    with transaction.atomic():
        # The plan row is the lock every change of its years goes through: two adds of one 年度 never race.
        locked = ImplementationPlan.objects.select_for_update(of=("self",)).order_by().get(pk=plan.pk)
        existing = list(locked.years.values_list("fiscal_year", flat=True))
        if cleaned["fiscal_year"] in existing:
            raise Invalid([("fiscal_year", f"{cleaned['fiscal_year']}年度はすでにあります")])
        _check_distinct_years([*existing, cleaned["fiscal_year"]])
        year = PlanYear.objects.create(plan=plan, **cleaned)
        _record(actor, history.CREATE, year, None, _snap(year, YEAR_FIELDS), plan, source)
        history.bump(AREA)
    return year


def update_year(actor, year: PlanYear, *, version, source: str = history.WEB, **values) -> PlanYear:
    plan = year.plan
    access.require(actor, "funding.plan_edit", plan)
    version = editing.require_version(version)
    unknown = set(values) - {"fiscal_year", "phase", "activities", "total_cost"}
    if unknown:
        raise ValueError(f"unknown year fields {sorted(unknown)}")
    cleaned = _clean_year_fields(values, partial=True)
    with transaction.atomic():
        ImplementationPlan.objects.select_for_update(of=("self",)).order_by().get(pk=plan.pk)
        current = PlanYear.objects.filter(pk=year.pk).first()
        editing.check_version(current, version)
        if "fiscal_year" in cleaned and cleaned["fiscal_year"] != current.fiscal_year and (
                PlanYear.objects.filter(plan=plan, fiscal_year=cleaned["fiscal_year"]).exists()):
            raise Invalid([("fiscal_year", f"{cleaned['fiscal_year']}年度はすでにあります")])
        before = editing.apply(current, YEAR_FIELDS, cleaned)
        if before is None:
            return current
        current.save()
        _record(actor, history.UPDATE, current, before, _snap(current, YEAR_FIELDS), plan, source)
        history.bump(AREA)
    return current


def delete_year(actor, year: PlanYear, *, version, source: str = history.WEB) -> None:
    """Remove a 年度 and its funding lines (history keeps both)."""
    plan = year.plan
    access.require(actor, "funding.plan_edit", plan)
    version = editing.require_version(version)
    with transaction.atomic():
        ImplementationPlan.objects.select_for_update(of=("self",)).order_by().get(pk=plan.pk)
        current = PlanYear.objects.filter(pk=year.pk).first()
        editing.check_version(current, version)
        for line in current.lines.all():
            _record(actor, history.DELETE, line, _snap(line, LINE_FIELDS), None, plan, source)
        _record(actor, history.DELETE, current, _snap(current, YEAR_FIELDS), None, plan, source)
        current.delete()
        history.bump(AREA)


# ---- Funding lines ---------------------------------------------------------------------------------------------


def _clean_line_fields(values: dict, *, plan: ImplementationPlan, partial: bool = False,
                       current: FundingLine | None = None) -> dict:
    problems, cleaned = [], {}
    kind = values.get("source_kind", current.source_kind if current else None)
    if "source_kind" in values or not partial:
        if kind not in SourceKind.values:
            problems.append(("source_kind", "財源の種類を選んでください"))
        cleaned["source_kind"] = kind
    if "amount" in values or not partial:
        cleaned["amount"] = _collect(problems, "amount", validation.clean_yen, values.get("amount"), label="金額")
    if "state" in values or not partial:
        state = values.get("state") or FundingState.PLANNED
        if state not in FundingState.values:
            problems.append(("state", "状態を選んでください（予定／申請中／採択・確定／受領／不採択）"))
        cleaned["state"] = state
    if "label" in values or not partial:
        cleaned["label"] = _collect(problems, "label", validation.clean_text, values.get("label"),
                                    label="内訳・名称", max_length=200)
    program = values.get("program", current.program if current else None)
    campaign = values.get("campaign", current.campaign if current else None)
    if kind == SourceKind.NATIONAL_PROGRAM:
        if program is None:
            problems.append(("program", "国の支援メニューを選んでください"))
        cleaned["program"], cleaned["campaign"] = program, None
    elif kind == SourceKind.CROWDFUNDING:
        if campaign is not None and campaign.municipality_id not in _plan_municipalities(plan):
            problems.append(("campaign", "この計画の団体のクラウドファンディングではありません"))
        cleaned["program"], cleaned["campaign"] = None, campaign
    else:
        cleaned["program"], cleaned["campaign"] = None, None
    project = values.get("donation_project", current.donation_project if current else None)
    if kind == SourceKind.CORPORATE_DONATION and project is not None:
        owner = project.plan
        if (owner.municipality_id or None) != (plan.municipality_id or None) or owner.prefecture_id != plan.prefecture_id:
            problems.append(("donation_project", "この計画の団体の地域再生計画の事業ではありません"))
        cleaned["donation_project"] = project
    else:
        cleaned["donation_project"] = None
    if problems:
        raise Invalid(problems)
    return cleaned


def _plan_municipalities(plan) -> set[str]:
    codes = set(plan.participants.values_list("code", flat=True))
    if plan.municipality_id:
        codes.add(plan.municipality_id)
    return codes


YEAR_GONE = "この年度はほかの利用者が削除しました。最新の内容を確認してください。"
PROJECT_GONE = "この事業はほかの利用者が削除しました"


def _keep_project(project, field: str):
    """Inside the transaction: lock the 事業 a pledge or a funding line is about to point at, and return it as
    stored. Its deletion counts pledges and lines under the same lock, so a project deleted meanwhile is refused
    here (Invalid) instead of a row pointing at nothing (a foreign key error at commit, a 500)."""
    from .models import RevitalisationProject

    if project is None:
        return None
    current = RevitalisationProject.objects.select_for_update().order_by().filter(pk=project.pk).first()
    if current is None:
        raise Invalid([(field, PROJECT_GONE)])
    return current


def _keep_campaign(plan: ImplementationPlan, campaign) -> None:
    """Inside the transaction, with the plan row locked: set_participants removes a municipality under the same
    lock, so the participants read here are those the line is saved with (a check before the lock may be stale)."""
    if campaign is not None and campaign.municipality_id not in _plan_municipalities(plan):
        raise Invalid([("campaign", "この計画の団体のクラウドファンディングではありません")])


def add_line(actor, year: PlanYear, *, source_kind: str, amount, state: str = FundingState.PLANNED,
             program: SupportProgram | None = None, campaign: Campaign | None = None, label: str = "",
             donation_project=None, source: str = history.WEB) -> FundingLine:
    plan = year.plan
    access.require(actor, "funding.plan_edit", plan)
    cleaned = _clean_line_fields({"source_kind": source_kind, "amount": amount, "state": state, "program": program,
                                  "campaign": campaign, "label": label, "donation_project": donation_project},
                                 plan=plan)
    with transaction.atomic():
        # The plan row is the lock every change of its years goes through (add_year, delete_year): a 年度 deleted
        # meanwhile is a Conflict here instead of a line pointing at nothing (a foreign key error at commit).
        locked = ImplementationPlan.objects.select_for_update(of=("self",)).order_by().get(pk=plan.pk)
        if not PlanYear.objects.filter(pk=year.pk).exists():
            raise Conflict(YEAR_GONE)
        _keep_campaign(locked, cleaned["campaign"])
        _keep_project(cleaned["donation_project"], "donation_project")
        line = FundingLine.objects.create(plan_year=year, **cleaned)
        _record(actor, history.CREATE, line, None, _snap(line, LINE_FIELDS), plan, source,
                object_repr=f"{plan.title}: {year.fiscal_year}年度 {line}")
        history.bump(AREA)
    return line


def update_line(actor, line: FundingLine, *, version, source: str = history.WEB, **values) -> FundingLine:
    plan = line.plan_year.plan
    access.require(actor, "funding.plan_edit", plan)
    version = editing.require_version(version)
    unknown = set(values) - {"source_kind", "amount", "state", "program", "campaign", "label", "donation_project"}
    if unknown:
        raise ValueError(f"unknown line fields {sorted(unknown)}")
    with transaction.atomic():
        # The plan row first, in the order add_line and delete_year take their locks: the campaign is checked
        # against the participants set_participants changes under this lock.
        locked = ImplementationPlan.objects.select_for_update(of=("self",)).order_by().get(pk=plan.pk)
        current = editing.lock(FundingLine.objects.select_related("program", "campaign", "donation_project__plan"),
                               line.pk, version)
        cleaned = _clean_line_fields(values, plan=locked, partial=True, current=current)
        if cleaned.get("donation_project") is not None and cleaned["donation_project"] != current.donation_project:
            _keep_project(cleaned["donation_project"], "donation_project")
        before = editing.apply(current, LINE_FIELDS, cleaned)
        if before is None:
            return current
        current.save()
        _record(actor, history.UPDATE, current, before, _snap(current, LINE_FIELDS), plan, source,
                object_repr=f"{plan.title}: {line.plan_year.fiscal_year}年度 {current}")
        history.bump(AREA)
    return current


def delete_line(actor, line: FundingLine, *, version, source: str = history.WEB) -> None:
    plan = line.plan_year.plan
    access.require(actor, "funding.plan_edit", plan)
    version = editing.require_version(version)
    with transaction.atomic():
        current = editing.lock(FundingLine.objects, line.pk, version)
        _record(actor, history.DELETE, current, _snap(current, LINE_FIELDS), None, plan, source,
                object_repr=f"{plan.title}: {line.plan_year.fiscal_year}年度 {current}")
        current.delete()
        history.bump(AREA)


# ---- From the navigator's 3-year package -----------------------------------------------------------------------


def create_plan_from_package(actor, municipality: Municipality, sector: Sector, *, today=None,
                             source: str = history.WEB) -> ImplementationPlan:
    """A draft plan with the navigator's package: one year per step (phase = the step's role), and each chosen
    program as a 予定 funding line of 0 円 for the officer to fill in."""
    from chiiki.programs.navigator import navigator

    access.require(actor, "funding.plan_edit", municipality)
    _items, steps = navigator(municipality, sector.pk, today=today)
    with transaction.atomic():
        plan = create_plan(
            actor, municipality, sector=sector, title=f"{municipality.name} {sector.name} 実装計画（3か年）",
            start_year=steps[0].fiscal_year,
            years=[{"fiscal_year": s.fiscal_year, "phase": s.role, "activities": s.why} for s in steps],
            source=source)
        years = {y.fiscal_year: y for y in plan.years.all()}
        for step in steps:
            for program in step.programs:
                # 企業版ふるさと納税 and crowdfunding are lines of their own kind (a line names a program only when
                # it is a national one), so the risk check never counts them as national money.
                kind = program.funding_source_kind
                national = kind == SourceKind.NATIONAL_PROGRAM
                add_line(actor, years[step.fiscal_year], source_kind=kind, amount=0,
                         program=program if national else None, label="" if national else program.name,
                         source=source)
    return plan


# ---- Crowdfunding campaigns ------------------------------------------------------------------------------------

CAMPAIGN_FIELDS = ("municipality_id", "plan_id", "title", "use_of_funds", "target_amount", "start_date", "end_date",
                   "model", "minimum_donation", "gift_description", "gift_tier", "gift_cost", "donation_url",
                   "version")
RECEIPT_FIELDS = ("campaign_id", "received_on", "amount", "count", "external_id", "idempotency_key")
MAX_DONATION_URL = 500  # Campaign.donation_url max_length
_URL = URLValidator(schemes=["http", "https"])


def _is_url(url: str) -> bool:
    try:
        _URL(url)
    except ValidationError:
        return False
    return True


def _clean_date(raw, label: str, problems: list, name: str):
    from chiiki.core.dates import parse_date

    # A portal's receipts reach us through Excel: 2026/6/2 in its CSV, a date-time in its XLSX.
    try:
        return parse_date(raw, label=label)
    except ValueError as exc:
        problems.append((name, str(exc)))
        return None


def _clean_campaign(values: dict, municipality) -> dict:
    from .campaigns import gift_cost_problem
    from .models import CampaignModel

    problems, cleaned = [], {}
    cleaned["title"] = _collect(problems, "title", validation.clean_text, values.get("title"), label="プロジェクト名",
                                max_length=200, required=True)
    cleaned["use_of_funds"] = _collect(problems, "use_of_funds", validation.clean_text, values.get("use_of_funds"),
                                       label="寄附金の使い道", max_length=4000, required=True)
    cleaned["target_amount"] = _collect(problems, "target_amount", validation.clean_yen, values.get("target_amount"),
                                        label="目標金額", allow_zero=False)
    cleaned["start_date"] = _clean_date(values.get("start_date"), "募集開始日", problems, "start_date")
    cleaned["end_date"] = _clean_date(values.get("end_date"), "募集終了日", problems, "end_date")
    if cleaned["start_date"] and cleaned["end_date"] and cleaned["end_date"] < cleaned["start_date"]:
        problems.append(("end_date", "募集終了日は募集開始日以降にしてください"))
    model = values.get("model") or CampaignModel.ALL_IN
    if model not in CampaignModel.values:
        problems.append(("model", "方式を選んでください（All-in／All-or-Nothing）"))
    cleaned["model"] = model
    raw_minimum = values.get("minimum_donation")
    cleaned["minimum_donation"] = _collect(problems, "minimum_donation", validation.clean_yen,
                                           2000 if raw_minimum in (None, "") else raw_minimum, label="最低寄附額",
                                           allow_zero=False)
    cleaned["gift_description"] = _collect(problems, "gift_description", validation.clean_text,
                                           values.get("gift_description"), label="返礼品", max_length=200)
    tier, cost = values.get("gift_tier"), values.get("gift_cost")
    cleaned["gift_tier"] = None if tier in (None, "") else _collect(problems, "gift_tier", validation.clean_yen, tier,
                                                                    label="返礼品の対象寄附額", allow_zero=False)
    cleaned["gift_cost"] = None if cost in (None, "") else _collect(problems, "gift_cost", validation.clean_yen, cost,
                                                                    label="返礼品の調達費")
    if not any(name in ("gift_tier", "gift_cost") for name, _r in problems):
        problem = gift_cost_problem(cleaned["gift_tier"], cleaned["gift_cost"])
        if problem:
            problems.append(("gift_cost", problem))
        elif cleaned["gift_tier"] is not None and cleaned["minimum_donation"] and (
                cleaned["gift_tier"] < cleaned["minimum_donation"]):
            problems.append(("gift_tier", "返礼品の対象寄附額は最低寄附額以上にしてください"))
    url = str(values.get("donation_url") or "").strip()
    if len(url) > MAX_DONATION_URL or control_character_problem(url) or not _is_url(url):
        problems.append(("donation_url", "寄附ページのURL（https://…）を入力してください"))
    cleaned["donation_url"] = url
    plan = values.get("plan")
    if plan is not None and plan.municipality_id != municipality.pk:
        problems.append(("plan", "この団体の実装計画を選んでください"))
    cleaned["plan"] = plan
    if problems:
        raise Invalid(problems)
    return cleaned


def _campaign_record(actor, action, obj, before, after, campaign, source, object_repr=None):
    history.record(actor, action, obj, before, after, municipality=campaign.municipality, source=source,
                   object_repr=object_repr or f"{campaign.title}: {obj}")


def create_campaign(actor, municipality: Municipality, *, is_demo: bool = False, source: str = history.WEB,
                    **values) -> Campaign:
    access.require(actor, "funding.campaign_edit", municipality)
    cleaned = _clean_campaign(values, municipality)
    with transaction.atomic():
        campaign = Campaign.objects.create(municipality=municipality, is_demo=is_demo, **cleaned)
        _campaign_record(actor, history.CREATE, campaign, None, _snap(campaign, CAMPAIGN_FIELDS), campaign, source,
                         object_repr=campaign.title)
        history.bump(AREA)
    return campaign


def update_campaign(actor, campaign: Campaign, *, version, source: str = history.WEB, **values) -> Campaign:
    access.require(actor, "funding.campaign_edit", campaign)
    version = editing.require_version(version)
    cleaned = _clean_campaign(values, campaign.municipality)
    with transaction.atomic():
        current = editing.lock(Campaign.objects.select_related("municipality"), campaign.pk, version)
        before = editing.apply(current, CAMPAIGN_FIELDS, cleaned)
        if before is None:
            return current
        current.save()
        _campaign_record(actor, history.UPDATE, current, before, _snap(current, CAMPAIGN_FIELDS), current, source,
                         object_repr=current.title)
        history.bump(AREA)
    return current


def add_campaign_report(actor, campaign: Campaign, *, posted_on, text: str, source: str = history.WEB):
    from .models import CampaignReport

    access.require(actor, "funding.campaign_edit", campaign)
    problems = []
    day = _clean_date(posted_on, "報告日", problems, "posted_on")
    text = _collect(problems, "text", validation.clean_text, text, label="報告", max_length=4000, required=True)
    if problems:
        raise Invalid(problems)
    with transaction.atomic():
        report = CampaignReport.objects.create(campaign=campaign, posted_on=day, text=text)
        _campaign_record(actor, history.CREATE, report, None, _snap(report, ("campaign_id", "posted_on", "text")),
                         campaign, source)
        history.bump(AREA)
    return report


MAX_RECEIPT_COUNT = 1_000_000


def _clean_receipt(received_on, amount, count, external_id) -> dict:
    problems = []
    day = _clean_date(received_on, "受付日", problems, "received_on")
    amount = _collect(problems, "amount", validation.clean_yen, amount, label="金額", allow_zero=False)
    count = _collect(problems, "count", validation.clean_yen, 1 if count in (None, "") else count, label="件数",
                     allow_zero=False)
    if count is not None and count > MAX_RECEIPT_COUNT:  # beyond the column, the database refused it (a 500)
        problems.append(("count", f"件数は{MAX_RECEIPT_COUNT:,}件以下で入力してください"))
    external_id = _collect(problems, "external_id", validation.clean_text, external_id, label="受付番号",
                           max_length=100, required=True)
    if problems:
        raise Invalid(problems)
    return {"received_on": day, "amount": amount, "count": count, "external_id": external_id}


def record_receipt(actor, campaign: Campaign, *, received_on, amount, count=1, external_id: str,
                   idempotency_key: str = "", source: str = history.API):
    """Record what the portal received. Returns (receipt, created). The same 受付番号 or Idempotency-Key never
    counts twice: a repeat returns the stored receipt; a key reused for a different receipt is refused."""
    from .models import Receipt

    access.require(actor, "funding.campaign_edit", campaign)
    cleaned = _clean_receipt(received_on, amount, count, external_id)
    key = (idempotency_key or "").strip()[:200]

    def existing():
        found = None
        if key:
            found = Receipt.objects.filter(campaign=campaign, idempotency_key=key).first()
        if found is None:
            found = Receipt.objects.filter(campaign=campaign, external_id=cleaned["external_id"]).first()
        if found is not None and key and found.idempotency_key == key and (
                found.external_id, found.amount) != (cleaned["external_id"], cleaned["amount"]):
            raise Invalid([("idempotency_key", "この Idempotency-Key は別の受付に使われています")])
        return found

    def write():
        with transaction.atomic():
            found = existing()
            if found is not None:
                return found, False
            receipt = Receipt.objects.create(campaign=campaign, idempotency_key=key, **cleaned)
            _campaign_record(actor, history.CREATE, receipt, None, _snap(receipt, RECEIPT_FIELDS), campaign, source)
            history.bump(AREA)
            return receipt, True

    try:
        return db.retry(write, also=(IntegrityError,))
    except IntegrityError:
        found = existing()
        if found is None:
            raise
        return found, False


# ---- 企業版ふるさと納税 ------------------------------------------------------------------------------------------

COMPANY_FIELDS = ("name", "corporate_number", "head_office_id", "owner_id")
RR_PLAN_FIELDS = ("municipality_id", "prefecture_id", "name", "approved_on", "start_year", "end_year", "version")
PROJECT_FIELDS = ("plan_id", "name", "sector_id", "description", "target_amount", "version")
PLEDGE_FIELDS = ("company_id", "project_id", "amount", "fiscal_year", "state", "no_return_declared", "received_on",
                 "version")


def register_company(actor, *, name: str, corporate_number: str, head_office: Municipality | None,
                     is_demo: bool = False, source: str = history.WEB):
    """A company user registers the company it pledges for (one 法人番号 = one company)."""
    from .models import Company

    access.require(actor, "funding.company_register")
    problems = []
    name = _collect(problems, "name", validation.clean_text, name, label="法人名", max_length=200, required=True)
    number = _collect(problems, "corporate_number", validation.clean_corporate_number, corporate_number)
    if number == "":
        problems.append(("corporate_number", "法人番号を入力してください"))
    if head_office is None:
        problems.append(("head_office", "本社所在地の団体コードを入力してください"))
    taken = ("corporate_number", "この法人番号の企業はすでに登録されています")
    if number and Company.objects.filter(corporate_number=number).exists():
        problems.append(taken)
    if problems:
        raise Invalid(problems)
    try:
        with transaction.atomic():
            company = Company.objects.create(name=name, corporate_number=number, head_office=head_office,
                                             owner=_user_or_none(actor), is_demo=is_demo)
            history.record(actor, history.CREATE, company, None, _snap(company, COMPANY_FIELDS), source=source)
            history.bump(AREA)
    except IntegrityError as exc:
        db.duplicate_or_raise(exc)
        # Registered by another request between the check above and this insert (法人番号 is unique).
        raise Invalid([taken]) from None
    return company


def _clean_revitalisation_plan(name, approved_on, start_year, end_year) -> dict:
    problems = []
    name = _collect(problems, "name", validation.clean_text, name, label="地域再生計画の名称", max_length=200,
                    required=True)
    start = _collect(problems, "start_year", validation.clean_fiscal_year, start_year, label="開始年度")
    end = _collect(problems, "end_year", validation.clean_fiscal_year, end_year, label="終了年度")
    if start and end and end < start:
        problems.append(("end_year", "終了年度は開始年度以降にしてください"))
    approved = _clean_date(approved_on, "認定日", problems, "approved_on") if approved_on not in (None, "") else None
    if problems:
        raise Invalid(problems)
    return {"name": name, "approved_on": approved, "start_year": start, "end_year": end}


def create_revitalisation_plan(actor, owner, *, name: str, approved_on=None, start_year, end_year,
                               is_demo: bool = False, source: str = history.WEB):
    from .models import RevitalisationPlan

    municipality, prefecture = _owner_of(owner)
    access.require(actor, "funding.revitalisation_edit", owner)
    cleaned = _clean_revitalisation_plan(name, approved_on, start_year, end_year)
    with transaction.atomic():
        plan = RevitalisationPlan.objects.create(municipality=municipality, prefecture=prefecture, is_demo=is_demo,
                                                 **cleaned)
        history.record(actor, history.CREATE, plan, None, _snap(plan, RR_PLAN_FIELDS), municipality=municipality,
                       prefecture=prefecture, source=source)
        history.bump(AREA)
    return plan


def update_revitalisation_plan(actor, plan, *, version, name: str, approved_on=None, start_year, end_year,
                               source: str = history.WEB):
    """Change a 地域再生計画 (name, 認定日, period) — e.g. after a 変更認定 extends it. `version` is the version the
    editor saw (stale → Conflict). A change that would leave a live pledge (申出・受領) outside an approved period
    is refused: the pledge was accepted because the plan covered its 年度."""
    from .models import CorporateDonationPledge, PledgeState, RevitalisationPlan

    access.require(actor, "funding.revitalisation_edit", plan)
    version = editing.require_version(version)
    cleaned = _clean_revitalisation_plan(name, approved_on, start_year, end_year)
    with transaction.atomic():
        current = editing.lock(RevitalisationPlan.objects.select_related("municipality", "prefecture"), plan.pk,
                               version)
        live = (CorporateDonationPledge.objects.filter(project__plan=current)
                .exclude(state=PledgeState.CANCELLED).values_list("fiscal_year", flat=True))
        if cleaned["approved_on"] is None:
            stranded = sorted(set(live))
        else:
            stranded = sorted({y for y in live if not cleaned["start_year"] <= y <= cleaned["end_year"]})
        if stranded:
            raise Invalid([("start_year" if cleaned["approved_on"] else "approved_on",
                            f"{'、'.join(f'{y}年度' for y in stranded)}の寄附の申出・受領があるため、"
                            "その年度を認定された計画期間から外すことはできません（先に申出を取り消してください）")])
        _save_update(actor, current, RR_PLAN_FIELDS, cleaned, current, source)
    return current


def _save_update(actor, current, fields, cleaned: dict, owner, source: str) -> None:
    """Apply an edit to a locked 地域再生計画 row (the plan or one of its projects; `owner` is the plan): save, history
    and data version only when something changed."""
    before = editing.apply(current, fields, cleaned)
    if before is None:
        return
    current.save()
    history.record(actor, history.UPDATE, current, before, _snap(current, fields),
                   municipality=owner.municipality, prefecture=owner.prefecture, source=source)
    history.bump(AREA)


def _clean_project(name, sector, target_amount, description) -> dict:
    problems = []
    cleaned = {
        "name": _collect(problems, "name", validation.clean_text, name, label="事業名", max_length=200,
                         required=True),
        "target_amount": _collect(problems, "target_amount", validation.clean_yen, target_amount,
                                  label="寄附の目標額", allow_zero=False),
        "description": _collect(problems, "description", validation.clean_text, description, label="事業の概要",
                                max_length=4000),
        "sector": sector,
    }
    if sector is None:
        problems.append(("sector", "分野を選んでください"))
    if problems:
        raise Invalid(problems)
    return cleaned


def add_revitalisation_project(actor, plan, *, name: str, sector: Sector | None, target_amount, description="",
                               source: str = history.WEB):
    from .models import RevitalisationProject

    access.require(actor, "funding.revitalisation_edit", plan)
    cleaned = _clean_project(name, sector, target_amount, description)
    with transaction.atomic():
        project = RevitalisationProject.objects.create(plan=plan, **cleaned)
        history.record(actor, history.CREATE, project, None, _snap(project, PROJECT_FIELDS),
                       municipality=plan.municipality, prefecture=plan.prefecture, source=source)
        history.bump(AREA)
    return project


def update_revitalisation_project(actor, project, *, version, name: str, sector: Sector | None, target_amount,
                                  description="", source: str = history.WEB):
    """Change a project (事業) of a 地域再生計画: name, sector, target amount, description. Stale version → Conflict."""
    from .models import RevitalisationProject

    plan = project.plan
    access.require(actor, "funding.revitalisation_edit", plan)
    version = editing.require_version(version)
    cleaned = _clean_project(name, sector, target_amount, description)
    with transaction.atomic():
        current = editing.lock(RevitalisationProject.objects, project.pk, version)
        _save_update(actor, current, PROJECT_FIELDS, cleaned, plan, source)
    return current


def delete_revitalisation_project(actor, project, *, version, source: str = history.WEB) -> None:
    """Remove a project nobody has pledged to (a pledge, even a cancelled one, keeps its project: it is the record
    of what the company offered). History keeps the project."""
    from .models import CorporateDonationPledge, RevitalisationProject

    plan = project.plan
    access.require(actor, "funding.revitalisation_edit", plan)
    version = editing.require_version(version)
    with transaction.atomic():
        current = editing.lock(RevitalisationProject.objects, project.pk, version)
        pledges = CorporateDonationPledge.objects.filter(project=current).count()
        if pledges:
            raise Invalid([("project", f"この事業には寄附の申出が{pledges}件あるため削除できません"
                                       "（申出の記録を残すため。名称や目標額の変更はできます）")])
        lines = FundingLine.objects.filter(donation_project=current).count()
        if lines:
            raise Invalid([("project", f"この事業は実装計画の財源{lines}件に使われているため削除できません"
                                       "（先に計画の財源から外してください）")])
        history.record(actor, history.DELETE, current, _snap(current, PROJECT_FIELDS), None,
                       municipality=plan.municipality, prefecture=plan.prefecture, source=source)
        current.delete()
        history.bump(AREA)


def _lock_pledge_rules(project):
    """Inside the pledge's transaction: the project and its 地域再生計画 locked and read afresh, and the 不交付団体
    import held off, so corporate.refusals judges what stands when the pledge commits. A withdrawn 認定, a shorter
    period or an excluding import committed before is refused here; one that comes after meets the pledge (the plan
    edit locks the plan and then refuses to strand a live pledge). Order: import lock, project, plan."""
    from .importing import NON_GRANT_LOCK
    from .models import RevitalisationPlan

    db.lock_area(NON_GRANT_LOCK)
    current = _keep_project(project, "project")
    current.plan = (RevitalisationPlan.objects.select_for_update(of=("self",))
                    .select_related("municipality", "prefecture").get(pk=current.plan_id))
    return current


def pledge(actor, company, project, *, amount, fiscal_year, no_return_declared: bool, idempotency_key: str = "",
           is_demo: bool = False, source: str = history.WEB):
    """A company's pledge (申出) to a project. Returns (pledge, created): the same Idempotency-Key of the same
    company returns the stored pledge. Every rule broken is refused with its reason (corporate.refusals)."""
    from . import corporate
    from .models import CorporateDonationPledge

    access.require(actor, "funding.pledge", company)
    key = (idempotency_key or "").strip()[:200]
    if problem := control_character_problem(key):  # the page posts it as a field: PostgreSQL refuses NUL (a 500)
        raise Invalid([("idempotency_key", f"申出の識別キーに{problem}")])
    if key:
        found = CorporateDonationPledge.objects.filter(company=company, idempotency_key=key).first()
        if found is not None:
            return found, False
    problems = []
    amount = _collect(problems, "amount", validation.clean_yen, amount, label="寄附額", allow_zero=False)
    year = _collect(problems, "fiscal_year", validation.clean_fiscal_year, fiscal_year)
    if problems:
        raise Invalid(problems)
    try:
        with transaction.atomic():
            current = _lock_pledge_rules(project)
            problems = corporate.refusals(company, current, amount, year, bool(no_return_declared))
            if problems:
                raise Invalid(problems)
            made = CorporateDonationPledge.objects.create(
                company=company, project=current, amount=amount, fiscal_year=year, no_return_declared=True,
                pledged_by=_user_or_none(actor), idempotency_key=key, is_demo=is_demo)
            plan = current.plan
            history.record(actor, history.CREATE, made, None, _snap(made, PLEDGE_FIELDS), municipality=plan.municipality,
                           prefecture=plan.prefecture, source=source)
            history.bump(AREA)
    except IntegrityError:
        found = CorporateDonationPledge.objects.filter(company=company, idempotency_key=key).first()
        if found is None:
            raise
        return found, False
    return made, True


def set_pledge_state(actor, pledge_row, state: str, *, version, received_on=None, source: str = history.WEB):
    """The recipient confirms receipt (受領); the company or the recipient cancels (取消) an offer."""
    import datetime as dt

    from django.utils import timezone

    from .models import CorporateDonationPledge, PledgeState

    rule = "funding.pledge_receive" if state == PledgeState.RECEIVED else "funding.pledge_cancel"
    access.require(actor, rule, pledge_row)
    version = editing.require_version(version)
    if state not in (PledgeState.RECEIVED, PledgeState.CANCELLED):
        raise Invalid([("state", "状態は受領または取消です")])
    with transaction.atomic():
        current = editing.lock(CorporateDonationPledge.objects, pledge_row.pk, version)
        if current.state != PledgeState.OFFERED:
            raise Invalid([("state", f"「{current.get_state_display()}」の申出は変更できません")])
        changes = {"state": state}
        if state == PledgeState.RECEIVED:
            changes["received_on"] = received_on if isinstance(received_on, dt.date) else timezone.localdate()
        before = editing.apply(current, PLEDGE_FIELDS, changes)
        current.save()
        plan = pledge_row.project.plan
        history.record(actor, history.UPDATE, current, before, _snap(current, PLEDGE_FIELDS),
                       municipality=plan.municipality, prefecture=plan.prefecture, source=source)
        history.bump(AREA)
    return current


def set_credit_end_year(actor, end_year, *, version, source: str = history.WEB):
    """The national admin changes the last 年度 of the tax credit (a later 税制改正)."""
    from .models import TaxCreditSetting

    access.require(actor, "funding.tax_settings")
    version = editing.require_version(version)
    try:
        year = validation.clean_fiscal_year(end_year, label="適用期限")
    except ValueError as exc:
        raise Invalid([("credit_end_year", str(exc))]) from None
    with transaction.atomic():
        # Before the first save there is no row to lock: two first saves (PostgreSQL) would each create one and
        # the second would silently not count. The area lock makes them take turns; the second then meets the
        # first's row and its stale version (Conflict). SQLite's BEGIN IMMEDIATE already serialises them.
        db.lock_area("funding:tax-credit")
        setting = TaxCreditSetting.objects.select_for_update().order_by("pk").first()
        if setting is None:
            setting = TaxCreditSetting.objects.create()
        editing.check_version(setting, version)
        before = editing.apply(setting, ("credit_end_year", "version"), {"credit_end_year": year})
        if before is None:
            return setting
        setting.save()
        history.record(actor, history.UPDATE, setting, before, _snap(setting, ("credit_end_year", "version")),
                       source=source, object_repr="地方創生応援税制の税額控除の適用期限")
        history.bump(AREA)
    return setting
