"""/api/v1/plans (implementation plans, their years and funding lines), /api/v1/funding/flows and /cliffs.

Reads are public for published plans; a draft is 404 to everyone but its editors. Writes call the same actions as
the pages (version required on updates: stale → 409 with the row as it is now).
"""

from datetime import date

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, File, Form, Header, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from chiiki import access
from chiiki.accounts.auth import WRITE_AUTH
from chiiki.core import history, tabular
from chiiki.core.codes import InvalidCode, typed_code
from chiiki.core.errors import Conflict, Invalid
from chiiki.core.fiscal import InvalidFiscalYear, current_fiscal_year, parse_fiscal_year
from chiiki.core.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Window, paginate, window_of, window_openapi
from chiiki.core.schemas import ErrorOut
from chiiki.programs.models import SupportProgram
from chiiki.regions.models import Municipality, Prefecture
from chiiki.roadmap.models import Sector

from . import actions, queries
from .flags import LABELS as FLAG_LABELS
from .imports import FUNDING_LINES, RECEIPTS
from .models import Campaign, FundingLine, FundingState, ImplementationPlan, PlanStatus, PlanYear, SourceKind

router = Router(tags=["実装計画・資金循環"])


class RowRefOut(Schema):
    kind: str
    id: int
    fiscal_year: int
    label: str


class FlagOut(Schema):
    code: str
    label: str
    reason: str
    rows: list[RowRefOut]


class LineOut(Schema):
    id: int
    source_kind: str
    source_kind_label: str
    program: str | None = Field(None, description="支援メニューID（国の支援メニューのとき）")
    campaign: int | None = None
    donation_project: int | None = Field(None, description="企業版ふるさと納税の事業ID")
    label: str
    amount: int
    state: str
    state_label: str
    version: int


class YearOut(Schema):
    id: int
    fiscal_year: int
    phase: str
    phase_label: str
    activities: str
    total_cost: int
    version: int
    lines: list[LineOut]


class PlanSummaryOut(Schema):
    id: int
    title: str
    municipality: str | None
    prefecture: str
    owner_name: str
    sector: str
    status: str
    status_label: str
    start_year: int
    version: int
    flags: list[str]
    url: str


class PlanList(Schema):
    count: int
    items: list[PlanSummaryOut]


class KpiIn(Schema):
    indicator: str
    baseline: str = ""
    target: str
    fiscal_year: int | None = None


class PlanOut(PlanSummaryOut):
    participants: list[str]
    sector_models: list[str]
    further_sectors: list[str]
    vision: str
    operator_kind: str
    operator_name: str
    operator_corporate_number: str
    kpis: list[KpiIn]
    status_reason: str
    years: list[YearOut]
    risk_flags: list[FlagOut]


# 年度 as the pages take it: 2026, "令和8", "R8" (the actions read it; one that cannot be read is 422 with the reason).
FISCAL_YEAR_INPUT = "年度（西暦の数値、または 2026・令和8年度・R8 のような文字列）"


class YearIn(Schema):
    fiscal_year: int | str = Field(..., description=FISCAL_YEAR_INPUT)
    phase: str
    activities: str = ""
    total_cost: int = 0


class PlanIn(Schema):
    municipality: str | None = Field(None, description="策定団体の団体コード（市区町村の計画）")
    prefecture: str | None = Field(None, description="都道府県コード（広域計画。municipality と同時には指定しない）")
    participants: list[str] = Field(default_factory=list, description="広域計画の参加団体コード")
    title: str
    sector: str
    start_year: int | str = Field(..., description="開始" + FISCAL_YEAR_INPUT)
    years: list[YearIn] | None = Field(None, description="省略時は開始年度から3年度（人材・ノウハウ→実装→運用・自走）")
    vision: str = ""
    operator_kind: str = "undecided"
    operator_name: str = ""
    operator_corporate_number: str = ""
    sector_models: list[str] = Field(default_factory=list)
    further_sectors: list[str] = Field(default_factory=list)
    kpis: list[KpiIn] = Field(default_factory=list)


class PlanUpdateIn(Schema):
    version: int = Field(..., ge=0, description="読み込んだときの版。必須: 古い版での更新は 409")
    title: str | None = None
    sector: str | None = None
    start_year: int | str | None = Field(None, description="開始" + FISCAL_YEAR_INPUT)
    vision: str | None = None
    operator_kind: str | None = None
    operator_name: str | None = None
    operator_corporate_number: str | None = None
    sector_models: list[str] | None = None
    further_sectors: list[str] | None = None
    kpis: list[KpiIn] | None = None


class StatusIn(Schema):
    version: int = Field(..., ge=0)
    status: str
    reason: str = ""


class YearUpdateIn(Schema):
    version: int = Field(..., ge=0)
    fiscal_year: int | str | None = Field(None, description=FISCAL_YEAR_INPUT)
    phase: str | None = None
    activities: str | None = None
    total_cost: int | None = None


class LineIn(Schema):
    source_kind: str
    amount: int
    state: str = "planned"
    program: str | None = Field(None, description="支援メニューID")
    campaign: int | None = None
    donation_project: int | None = Field(None, description="企業版ふるさと納税の事業ID")
    label: str = ""


class LineUpdateIn(Schema):
    version: int = Field(..., ge=0)
    source_kind: str | None = None
    amount: int | None = None
    state: str | None = None
    program: str | None = Field(None, description="支援メニューID（null で紐付けを外す。省略時はそのまま）")
    campaign: int | None = Field(None, description="クラウドファンディングのID（null で紐付けを外す。省略時はそのまま）")
    donation_project: int | None = Field(None, description="企業版ふるさと納税の事業ID（null で紐付けを外す。省略時はそのまま）")
    label: str | None = None


class PlanConflict(Schema):
    detail: str
    current: PlanOut | None = None


class FlowRow(Schema):
    source_kind: str | None = None
    sector: str | None = None
    fiscal_year: int | None = None
    prefecture: str | None = None
    planned: int
    secured: int
    received: int
    lines: int


class FlowsOut(Schema):
    group_by: list[str]
    rows: list[FlowRow]
    total: dict[str, int]


class CliffOut(Schema):
    plan: int
    title: str
    owner_name: str
    program: str
    program_name: str
    last_year: int
    ending: int
    replacement: int
    at_risk: int


# ---- Serialising ------------------------------------------------------------------------------------------------


def _line(line: FundingLine) -> dict:
    return {"id": line.pk, "source_kind": line.source_kind, "source_kind_label": line.get_source_kind_display(),
            "program": line.program.public_id if line.program_id else None, "campaign": line.campaign_id,
            "donation_project": line.donation_project_id,
            "label": line.label, "amount": line.amount, "state": line.state, "state_label": line.get_state_display(),
            "version": line.version}


def _summary(plan: ImplementationPlan, flags) -> dict:
    return {"id": plan.pk, "title": plan.title, "municipality": plan.municipality_id, "prefecture": plan.prefecture_id,
            "owner_name": plan.owner_name, "sector": plan.sector_id, "status": plan.status,
            "status_label": plan.get_status_display(), "start_year": plan.start_year, "version": plan.version,
            "flags": sorted({f.code for f in flags}), "url": plan.get_absolute_url()}


def _plan_out(pk: int) -> dict:
    plan = queries.plan_detail(pk)
    flags = queries.plan_flags(pk)
    return {**_summary(plan, flags),
            "participants": [m.code for m in plan.participants.all()], "sector_models": plan.sector_models,
            "further_sectors": plan.further_sectors, "vision": plan.vision, "operator_kind": plan.operator_kind,
            "operator_name": plan.operator_name, "operator_corporate_number": plan.operator_corporate_number,
            "kpis": plan.kpis, "status_reason": plan.status_reason,
            "years": [{"id": y.pk, "fiscal_year": y.fiscal_year, "phase": y.phase, "phase_label": y.get_phase_display(),
                       "activities": y.activities, "total_cost": y.total_cost, "version": y.version,
                       "lines": [_line(line) for line in y.lines.all()]} for y in plan.years.all()],
            "risk_flags": [{"code": f.code, "label": f.label, "reason": f.reason,
                            "rows": [vars(r) for r in f.rows]} for f in flags]}


def _visible(request, pk) -> ImplementationPlan:
    plan = (ImplementationPlan.objects.select_related("municipality", "prefecture").filter(pk=pk).first())
    if plan is None:
        raise Http404("実装計画が見つかりません")
    access.require_view(request.user, plan)
    return plan


def _conflict(plan_pk, exc: Conflict):
    current = _plan_out(plan_pk) if ImplementationPlan.objects.filter(pk=plan_pk).exists() else None
    return Status(409, {"detail": str(exc), "current": current})


def _program(public_id):
    if not public_id:
        return None
    program = SupportProgram.objects.filter(public_id=public_id).first()
    if program is None:
        raise Invalid([("program", f"支援メニュー {public_id} は登録されていません")])
    return program


def _campaign(pk):
    if pk is None:
        return None
    campaign = Campaign.objects.filter(pk=pk).first()
    if campaign is None:
        raise Invalid([("campaign", f"クラウドファンディング {pk} は登録されていません")])
    return campaign


def _donation_project(pk):
    if pk is None:
        return None
    from .models import RevitalisationProject

    project = RevitalisationProject.objects.select_related("plan").filter(pk=pk).first()
    if project is None:
        raise Invalid([("donation_project", f"事業 {pk} は登録されていません")])
    return project


def _code(raw) -> str:
    """A 団体コード filter as stored ("" for none): 5 digits and full-width digits name the same municipality."""
    try:
        return typed_code(raw)
    except InvalidCode as exc:
        raise HttpError(422, str(exc)) from None


def _year(raw) -> int | None:
    if raw in (None, ""):
        return None
    try:
        return parse_fiscal_year(raw)
    except InvalidFiscalYear as exc:
        raise HttpError(422, str(exc)) from None


# ---- Plans ------------------------------------------------------------------------------------------------------


class PlanFilters(Schema):
    prefecture: str | None = None
    municipality: str | None = None
    sector: str | None = None
    status: str | None = Field(None, description=f"状態（{queries.PUBLIC}: 公開・完了）")
    started_by: str | None = Field(None, description="この年度までに開始した計画（西暦または和暦: 2026, R8, 令和8）")
    min_years: int | None = Field(None, ge=1, le=50, description="年度数がこれ以上の計画")
    published_by: str | None = Field(None, description="この年度末（3月31日）までに初めて公開した計画（西暦または和暦）")
    flag: str | None = Field(None, description="リスクの種類: " + "・".join(FLAG_LABELS))


@router.get("/plans", response=PlanList, summary="実装計画の一覧（公開分。編集できる下書きを含む）")
def list_plans(request, filters: Query[PlanFilters], page: int = Query(1, ge=1),
               page_size: int = Query(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)):
    if filters.status and filters.status not in (*PlanStatus.values, queries.PUBLIC):
        raise HttpError(422, f"状態が正しくありません: {filters.status}")
    if filters.flag and filters.flag not in FLAG_LABELS:
        raise HttpError(422, f"リスクの種類が正しくありません: {filters.flag}")
    qs = queries.filter_plans(queries.visible_plans(request.user), prefecture=filters.prefecture or "",
                              municipality=_code(filters.municipality), sector=filters.sector or "",
                              status=filters.status or "", started_by=_year(filters.started_by),
                              min_years=filters.min_years, published_by=_year(filters.published_by))
    plans, computed = queries.with_flags(qs, filters.flag or "")
    page_obj = paginate(plans, page, page_size)
    return {"count": page_obj.paginator.count,
            "items": [_summary(p, computed.get(p.pk, [])) for p in page_obj.object_list]}


@router.get("/plans/{plan_id}", response={200: PlanOut, 404: ErrorOut}, summary="実装計画（年度・財源・リスク）")
def get_plan(request, plan_id: int):
    _visible(request, plan_id)
    return _plan_out(plan_id)


def _municipality(raw) -> Municipality:
    """The municipality of a 団体コード in a payload, typed as the pages take it (5 digits, full-width)."""
    try:
        code = typed_code(raw)
    except InvalidCode as exc:
        raise Invalid([("municipality", str(exc))]) from None
    municipality = Municipality.objects.select_related("prefecture").filter(pk=code).first()
    if municipality is None:
        raise Invalid([("municipality", f"団体コード {raw} の団体は登録されていません")])
    return municipality


def _participants(codes) -> list:
    found, problems = queries.municipalities_from_codes(codes)
    if problems:
        raise Invalid([("participants", p) for p in problems])
    return found


@router.post("/plans", auth=WRITE_AUTH, response={201: PlanOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
             summary="実装計画を作成（下書き）")
def create_plan(request, payload: PlanIn):
    if bool(payload.municipality) == bool(payload.prefecture):
        raise Invalid([("municipality", "municipality（市区町村の計画）か prefecture（広域計画）のどちらか一方を指定してください")])
    if payload.municipality:
        owner = _municipality(payload.municipality)
    else:
        owner = Prefecture.objects.filter(pk=payload.prefecture).first()
    if owner is None:
        raise Invalid([("municipality", "策定団体が見つかりません")])
    sector = Sector.objects.filter(pk=payload.sector).first()
    if sector is None:
        raise Invalid([("sector", f"分野が正しくありません: {payload.sector}")])
    participants = _participants(payload.participants)
    plan = actions.create_plan(
        request.user, owner, sector=sector, title=payload.title, start_year=payload.start_year,
        years=[y.dict() for y in payload.years] if payload.years is not None else None, vision=payload.vision,
        operator_kind=payload.operator_kind, operator_name=payload.operator_name,
        operator_corporate_number=payload.operator_corporate_number, sector_models=payload.sector_models,
        further_sectors=payload.further_sectors, kpis=[k.dict() for k in payload.kpis], participants=participants,
        source=history.API)
    return Status(201, _plan_out(plan.pk))


@router.put("/plans/{plan_id}", auth=WRITE_AUTH,
            response={200: PlanOut, 409: PlanConflict, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
            summary="実装計画の内容を更新（version で楽観的排他）")
def update_plan(request, plan_id: int, payload: PlanUpdateIn):
    plan = _visible(request, plan_id)
    values = {k: v for k, v in payload.dict(exclude={"version"}).items() if v is not None}
    if "sector" in values:
        sector = Sector.objects.filter(pk=values["sector"]).first()
        if sector is None:
            raise Invalid([("sector", f"分野が正しくありません: {values['sector']}")])
        values["sector"] = sector
    try:
        actions.update_plan(request.user, plan, version=payload.version, source=history.API, **values)
    except Conflict as exc:
        return _conflict(plan_id, exc)
    return Status(200, _plan_out(plan_id))


@router.post("/plans/{plan_id}/status", auth=WRITE_AUTH,
             response={200: PlanOut, 409: PlanConflict, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
             summary="公開・完了・中止（理由が必要）・下書きに戻す")
def set_status(request, plan_id: int, payload: StatusIn):
    plan = _visible(request, plan_id)
    try:
        actions.set_status(request.user, plan, payload.status, version=payload.version, reason=payload.reason,
                           source=history.API)
    except Conflict as exc:
        return _conflict(plan_id, exc)
    return Status(200, _plan_out(plan_id))


class ParticipantsIn(Schema):
    version: int = Field(..., ge=0, description="読み込んだときの計画の版。必須: 古い版での更新は 409")
    participants: list[str] = Field(..., description="参加団体の団体コード（広域計画の都道府県の市区町村）。この一覧で置き換える")


@router.put("/plans/{plan_id}/participants", auth=WRITE_AUTH,
            response={200: PlanOut, 409: PlanConflict, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
            summary="広域計画の参加団体を置き換える（version で楽観的排他）")
def set_participants(request, plan_id: int, payload: ParticipantsIn):
    plan = _visible(request, plan_id)
    found = _participants(payload.participants)
    try:
        actions.set_participants(request.user, plan, found, version=payload.version, source=history.API)
    except Conflict as exc:
        return _conflict(plan_id, exc)
    return Status(200, _plan_out(plan_id))


# ---- Years and funding lines ------------------------------------------------------------------------------------


def _plan_year(request, plan_id, year_id) -> PlanYear:
    plan = _visible(request, plan_id)
    return get_object_or_404(PlanYear.objects.select_related("plan__municipality", "plan__prefecture"),
                             pk=year_id, plan=plan)


@router.post("/plans/{plan_id}/years", auth=WRITE_AUTH,
             response={201: PlanOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}, summary="年度を追加")
def add_year(request, plan_id: int, payload: YearIn):
    plan = _visible(request, plan_id)
    actions.add_year(request.user, plan, source=history.API, **payload.dict())
    return Status(201, _plan_out(plan_id))


@router.put("/plans/{plan_id}/years/{year_id}", auth=WRITE_AUTH,
            response={200: PlanOut, 409: PlanConflict, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
            summary="年度を更新（version で楽観的排他）")
def update_year(request, plan_id: int, year_id: int, payload: YearUpdateIn):
    year = _plan_year(request, plan_id, year_id)
    values = {k: v for k, v in payload.dict(exclude={"version"}).items() if v is not None}
    try:
        actions.update_year(request.user, year, version=payload.version, source=history.API, **values)
    except Conflict as exc:
        return _conflict(plan_id, exc)
    return Status(200, _plan_out(plan_id))


@router.delete("/plans/{plan_id}/years/{year_id}", auth=WRITE_AUTH,
               response={200: PlanOut, 409: PlanConflict, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
               summary="年度を削除（その年度の財源も。変更履歴に残る）")
def delete_year(request, plan_id: int, year_id: int, version: int = Query(..., ge=0)):
    year = _plan_year(request, plan_id, year_id)
    try:
        actions.delete_year(request.user, year, version=version, source=history.API)
    except Conflict as exc:
        return _conflict(plan_id, exc)
    return Status(200, _plan_out(plan_id))


@router.post("/plans/{plan_id}/years/{year_id}/lines", auth=WRITE_AUTH,
             response={201: PlanOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}, summary="財源を追加")
def add_line(request, plan_id: int, year_id: int, payload: LineIn):
    year = _plan_year(request, plan_id, year_id)
    actions.add_line(request.user, year, source_kind=payload.source_kind, amount=payload.amount, state=payload.state,
                     program=_program(payload.program), campaign=_campaign(payload.campaign), label=payload.label,
                     donation_project=_donation_project(payload.donation_project), source=history.API)
    return Status(201, _plan_out(plan_id))


def _plan_line(request, plan_id, line_id) -> FundingLine:
    plan = _visible(request, plan_id)
    return get_object_or_404(FundingLine.objects.select_related("plan_year__plan__municipality",
                                                                "plan_year__plan__prefecture"),
                             pk=line_id, plan_year__plan=plan)


@router.put("/plans/{plan_id}/lines/{line_id}", auth=WRITE_AUTH,
            response={200: PlanOut, 409: PlanConflict, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
            summary="財源を更新（version で楽観的排他）")
def update_line(request, plan_id: int, line_id: int, payload: LineUpdateIn):
    line = _plan_line(request, plan_id, line_id)
    values = {k: v for k, v in payload.dict(exclude={"version", "program", "campaign", "donation_project"}).items()
              if v is not None}
    # A link sent as null is taken away (the page's empty choice); one not sent stays as it is.
    sent = payload.model_fields_set
    if "donation_project" in sent:
        values["donation_project"] = _donation_project(payload.donation_project)
    if "program" in sent:
        values["program"] = _program(payload.program)
    if "campaign" in sent:
        values["campaign"] = _campaign(payload.campaign)
    try:
        actions.update_line(request.user, line, version=payload.version, source=history.API, **values)
    except Conflict as exc:
        return _conflict(plan_id, exc)
    return Status(200, _plan_out(plan_id))


@router.delete("/plans/{plan_id}/lines/{line_id}", auth=WRITE_AUTH,
               response={200: PlanOut, 409: PlanConflict, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
               summary="財源を削除（変更履歴に残る）")
def delete_line(request, plan_id: int, line_id: int, version: int = Query(..., ge=0)):
    line = _plan_line(request, plan_id, line_id)
    try:
        actions.delete_line(request.user, line, version=version, source=history.API)
    except Conflict as exc:
        return _conflict(plan_id, exc)
    return Status(200, _plan_out(plan_id))


# ---- Fund flow --------------------------------------------------------------------------------------------------


@router.get("/funding/flows", response={200: FlowsOut, 422: ErrorOut},
            summary="お金の流れ: 公開計画の財源を財源の種類・分野・年度・都道府県で集計（計画・確定・受領）")
def flows(request, group_by: str = Query("source_kind,sector,fiscal_year",
                                         description="source_kind・sector・fiscal_year・prefecture をカンマ区切りで"),
          prefecture: str | None = None, municipality: str | None = None, fiscal_year: str | None = None):
    dims = [g.strip() for g in group_by.split(",") if g.strip()]
    unknown = [g for g in dims if g not in queries.FLOW_DIMENSIONS]
    if not dims or unknown or len(set(dims)) != len(dims):
        raise HttpError(422, "group_by は source_kind・sector・fiscal_year・prefecture から重複なく選んでください")
    rows = queries.flows(group_by=dims, prefecture=prefecture or "", municipality=_code(municipality),
                         fiscal_year=_year(fiscal_year))
    return {"group_by": dims, "rows": rows,
            "total": {k: sum(r[k] for r in rows) for k in ("planned", "secured", "received", "lines")}}


class LineFilters(Schema):
    source_kind: str | None = Field(None, description="財源の種類")
    sector: str | None = None
    fiscal_year: str | None = Field(None, description="年度（西暦または和暦）")
    state: str | None = Field(None, description="状態")
    prefecture: str | None = None
    municipality: str | None = None
    plan: int | None = Field(None, ge=1, le=2_147_483_647, description="実装計画ID")
    program: str | None = Field(None, max_length=60, description="この支援メニューID の財源だけ")
    other_than_program: str | None = Field(None, max_length=60,
                                           description="この支援メニューID 以外の財源（支援メニューのない財源を含む）")
    secured: bool = Field(False, description="採択・確定と受領だけ")
    exclude_rejected: bool = Field(False, description="不採択を除く")
    public: bool = Field(False, description="下書きの計画の財源を除く（お金の流れが数える財源）")


class PlanLineOut(LineOut):
    plan: int
    plan_title: str
    owner_name: str
    sector: str
    fiscal_year: int


class LineList(Schema):
    count: int
    total_amount: int = Field(description="絞り込んだ財源の金額の合計（円）")
    items: list[PlanLineOut]


@router.get("/funding/lines", response={200: LineList, 422: ErrorOut},
            summary="財源の一覧（見られる計画の年度ごとの財源。財源の崖・お金の流れの数値の内訳）")
def list_lines(request, filters: Query[LineFilters], page: int = Query(1, ge=1),
               page_size: int = Query(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)):
    if filters.source_kind and filters.source_kind not in SourceKind.values:
        raise HttpError(422, f"財源の種類が正しくありません: {filters.source_kind}")
    if filters.state and filters.state not in FundingState.values:
        raise HttpError(422, f"状態が正しくありません: {filters.state}")
    qs = queries.filter_lines(queries.visible_lines(request.user), source_kind=filters.source_kind or "",
                              sector=filters.sector or "", fiscal_year=_year(filters.fiscal_year),
                              state=filters.state or "", prefecture=filters.prefecture or "",
                              municipality=_code(filters.municipality), plan=filters.plan,
                              program=filters.program or "", other_than_program=filters.other_than_program or "",
                              secured=filters.secured, exclude_rejected=filters.exclude_rejected,
                              public_only=filters.public)
    totals = queries.line_totals(qs)
    page_obj = paginate(queries.listed_lines(qs), page, page_size)
    items = []
    for line in page_obj.object_list:
        plan = line.plan_year.plan
        items.append({**_line(line), "plan": plan.pk, "plan_title": plan.title, "owner_name": plan.owner_name,
                      "sector": plan.sector_id, "fiscal_year": line.plan_year.fiscal_year})
    return {"count": totals["count"], "total_amount": totals["amount"] or 0, "items": items}


@router.get("/funding/cliffs", response={200: list[CliffOut], 422: ErrorOut},
            summary="財源の崖: 支援が指定年度（省略時は来年度）で終わり、その翌年度の代わりの財源が足りない公開計画",
            openapi_extra=window_openapi())
def cliffs(request, response: HttpResponse, window: Query[Window], fiscal_year: str | None = None,
           sort: str | None = Query(None, description="並び順: plan（計画の登録順。省略時は途切れる額の大きい順）")):
    if sort and sort not in queries.CLIFF_SORTS:
        raise HttpError(422, f"並び順が正しくありません: {sort}")
    year = _year(fiscal_year) or current_fiscal_year() + 1
    # Ordered by the amount at risk, which is computed in Python: national_cliffs bounds its input in the
    # database instead (only plans with program money in that 年度 are read), and the window slices the result.
    found = window_of(request, response, queries.national_cliffs(year, sort or ""), window)
    return [{"plan": p.pk, "title": p.title, "owner_name": p.owner_name, "program": c.program.public_id,
             "program_name": c.program.name, "last_year": c.last_year, "ending": c.ending,
             "replacement": c.replacement, "at_risk": c.at_risk} for p, c in found]


class ImportErrorOut(Schema):
    row: int
    column: str
    message: str
    value: str = ""


class ImportResultOut(Schema):
    ok: bool
    committed: bool
    rows: int
    created: int
    updated: int
    unchanged: int
    duplicates: int
    skipped: int = 0
    errors: list[ImportErrorOut]


@router.post("/funding/lines/import", auth=WRITE_AUTH,
             response={200: ImportResultOut, 422: ImportResultOut | ErrorOut, 403: ErrorOut},
             summary="財源の一括取込（CSV/XLSX、財源の一覧の出力形式。全件成功時のみ反映。dry_run で検査のみ）")
def import_lines(request, file: File[UploadedFile], dry_run: Form[bool] = False):
    result = FUNDING_LINES.run(request.user, tabular.read_limited(file), file.name or "", dry_run=dry_run,
                               source=history.API)
    return Status(200 if result.ok else 422, result.as_dict())


# ---- Crowdfunding campaigns ------------------------------------------------------------------------------------


class CampaignOut(Schema):
    id: int
    municipality: str
    municipality_name: str
    plan: int | None
    title: str
    use_of_funds: str
    target_amount: int
    raised: int
    donations: int
    percent: int
    status: str
    status_label: str
    days_left: int | None
    start_date: date
    end_date: date
    model: str
    minimum_donation: int
    gift_description: str
    gift_tier: int | None
    gift_cost: int | None
    donation_url: str
    version: int
    url: str


class CampaignList(Schema):
    count: int
    items: list[CampaignOut]


class CampaignIn(Schema):
    municipality: str
    plan: int | None = None
    title: str
    use_of_funds: str
    target_amount: int
    start_date: date
    end_date: date
    model: str = "all_in"
    minimum_donation: int = 2000
    gift_description: str = ""
    gift_tier: int | None = None
    gift_cost: int | None = None
    donation_url: str


class CampaignUpdateIn(CampaignIn):
    municipality: str | None = None
    version: int = Field(..., ge=0)


class ReceiptIn(Schema):
    external_id: str = Field(..., description="ポータル・決済ページの受付番号（同じ番号は二度数えない）")
    received_on: date
    amount: int
    count: int = 1


class ReceiptOut(Schema):
    id: int
    campaign: int
    external_id: str
    received_on: date
    amount: int
    count: int
    created: bool
    raised: int


class CampaignConflict(Schema):
    detail: str
    current: CampaignOut | None = None


def _campaign_out(campaign, user) -> dict:
    # The linked plan's id only to those who may see the plan: a draft's id would say it exists (the page hides it).
    plan = campaign.plan_id if campaign.plan_id and queries.visible_plans(user).filter(
        pk=campaign.plan_id).exists() else None
    [(c, p)] = queries.campaign_rows(Campaign.objects.filter(pk=campaign.pk).select_related("municipality"),
                                     timezone.localdate())
    return {"id": c.pk, "municipality": c.municipality_id, "municipality_name": c.municipality.full_name,
            "plan": plan, "title": c.title, "use_of_funds": c.use_of_funds, "target_amount": c.target_amount,
            "raised": p.raised, "donations": p.count, "percent": p.percent, "status": p.status,
            "status_label": p.status_label, "days_left": p.days_left, "start_date": c.start_date,
            "end_date": c.end_date, "model": c.model, "minimum_donation": c.minimum_donation,
            "gift_description": c.gift_description, "gift_tier": c.gift_tier, "gift_cost": c.gift_cost,
            "donation_url": c.donation_url, "version": c.version, "url": c.get_absolute_url()}


def _campaign_values(payload) -> dict:
    values = payload.dict(exclude={"municipality", "version", "plan"})
    plan = None
    if payload.plan is not None:
        plan = ImplementationPlan.objects.filter(pk=payload.plan).first()
        if plan is None:
            raise Invalid([("plan", f"実装計画 {payload.plan} は登録されていません")])
    return {**values, "plan": plan}


@router.get("/campaigns", response=CampaignList, summary="クラウドファンディングの一覧（寄附額・状態つき）")
def list_campaigns(request, prefecture: str | None = None, municipality: str | None = None,
                   status: str | None = Query(None, description="upcoming・open・achieved・missed・ended"),
                   page: int = Query(1, ge=1), page_size: int = Query(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)):
    from .campaigns import STATUS_LABELS

    if status and status not in STATUS_LABELS:
        raise HttpError(422, f"状態が正しくありません: {status}")
    rows = queries.campaign_rows(queries.filter_campaigns(queries.campaigns(), prefecture=prefecture or "",
                                                          municipality=_code(municipality)), timezone.localdate())
    if status:
        rows = [(c, p) for c, p in rows if p.status == status]
    page_obj = paginate(rows, page, page_size)
    return {"count": page_obj.paginator.count, "items": [_campaign_out(c, request.user) for c, _p in page_obj.object_list]}


@router.get("/campaigns/{campaign_id}", response={200: CampaignOut, 404: ErrorOut}, summary="クラウドファンディング")
def get_campaign(request, campaign_id: int):
    return _campaign_out(get_object_or_404(Campaign, pk=campaign_id), request.user)


@router.post("/campaigns", auth=WRITE_AUTH, response={201: CampaignOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
             summary="クラウドファンディングを登録（返礼品の調達費は寄附額の3割以下）")
def create_campaign(request, payload: CampaignIn):
    municipality = _municipality(payload.municipality)
    campaign = actions.create_campaign(request.user, municipality, source=history.API, **_campaign_values(payload))
    return Status(201, _campaign_out(campaign, request.user))


@router.put("/campaigns/{campaign_id}", auth=WRITE_AUTH,
            response={200: CampaignOut, 409: CampaignConflict, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
            summary="クラウドファンディングを更新（version で楽観的排他）")
def update_campaign(request, campaign_id: int, payload: CampaignUpdateIn):
    campaign = get_object_or_404(Campaign.objects.select_related("municipality"), pk=campaign_id)
    try:
        saved = actions.update_campaign(request.user, campaign, version=payload.version, source=history.API,
                                        **_campaign_values(payload))
    except Conflict as exc:
        return Status(409, {"detail": str(exc), "current": _campaign_out(campaign, request.user)})
    return Status(200, _campaign_out(saved, request.user))


@router.post("/campaigns/{campaign_id}/receipts", auth=WRITE_AUTH,
             response={200: ReceiptOut, 201: ReceiptOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
             summary="寄附の受付を記録（Idempotency-Key ヘッダー推奨。同じ受付番号・キーは二度数えない: 2回目以降は 200）")
def add_receipt(request, campaign_id: int, payload: ReceiptIn,
                idempotency_key: str = Header("", alias="Idempotency-Key",
                                              description="再送しても二重に数えないためのキー（任意の文字列）")):
    campaign = get_object_or_404(Campaign.objects.select_related("municipality"), pk=campaign_id)
    receipt, created = actions.record_receipt(request.user, campaign, received_on=payload.received_on,
                                              amount=payload.amount, count=payload.count,
                                              external_id=payload.external_id, idempotency_key=idempotency_key,
                                              source=history.API)
    raised = queries.campaign_totals([campaign.pk])[campaign.pk][0]
    return Status(201 if created else 200, {
        "id": receipt.pk, "campaign": campaign.pk, "external_id": receipt.external_id,
        "received_on": receipt.received_on, "amount": receipt.amount, "count": receipt.count, "created": created,
        "raised": raised})


@router.post("/campaigns/receipts/import", auth=WRITE_AUTH,
             response={200: ImportResultOut, 422: ImportResultOut | ErrorOut, 403: ErrorOut},
             summary="ポータルの受付CSV/XLSXを取込（全件成功時のみ反映。取込済みの受付番号は変更なし）")
def import_receipts(request, file: File[UploadedFile], campaign: Form[int], dry_run: Form[bool] = False):
    result = RECEIPTS.run(request.user, tabular.read_limited(file), file.name or "", dry_run=dry_run,
                          source=history.API, campaign=campaign)
    return Status(200 if result.ok else 422, result.as_dict())


# ---- 企業版ふるさと納税 ------------------------------------------------------------------------------------------


class ProjectOut(Schema):
    id: int
    name: str
    description: str
    sector: str
    owner_name: str
    municipality: str | None
    prefecture: str
    plan_name: str
    approved_on: date | None
    start_year: int
    end_year: int
    target_amount: int
    pledged: int
    received: int
    remaining: int
    url: str
    version: int


class ProjectList(Schema):
    count: int
    items: list[ProjectOut]


class ReliefOut(Schema):
    amount: int
    fiscal_year: int
    credit_end_year: int
    within_period: bool
    deduction: int = Field(..., description="損金算入（約3割）")
    resident_tax_credit: int = Field(..., description="法人住民税の税額控除（最大4割）")
    business_tax_credit: int = Field(..., description="法人事業税の税額控除（最大2割）")
    corporate_tax_credit_max: int = Field(..., description="法人税: 法人住民税で4割を控除しきれない分（最大1割、6割の内数）")
    total: int
    net_cost: int
    note: str


class PledgeIn(Schema):
    project: int
    amount: int
    fiscal_year: int
    no_return_declared: bool = Field(..., description="経済的な見返りを受けないことの申告（true が必要）")


class PledgeOut(Schema):
    id: int
    company: str
    corporate_number: str
    project: int
    project_name: str
    recipient: str
    amount: int
    fiscal_year: int
    state: str
    state_label: str
    received_on: date | None
    version: int
    created: bool = False
    relief: ReliefOut


class PledgeStateIn(Schema):
    version: int = Field(..., ge=0)


class CompanyIn(Schema):
    name: str
    corporate_number: str = Field(..., description="法人番号（13桁、チェックデジットを検査）")
    head_office: str = Field(..., description="本社所在地の団体コード")


class CompanyOut(Schema):
    id: int
    name: str
    corporate_number: str
    head_office: str


def _relief_out(amount, fiscal_year) -> dict:
    from . import corporate

    r = corporate.relief(amount, fiscal_year)
    return {"amount": r.amount, "fiscal_year": r.fiscal_year, "credit_end_year": r.end_year,
            "within_period": r.within_period, "deduction": r.deduction, "resident_tax_credit": r.resident,
            "business_tax_credit": r.business, "corporate_tax_credit_max": r.corporate, "total": r.total,
            "net_cost": r.net_cost,
            "note": r.period_label + "。控除の上限は企業の法人住民税・法人事業税・法人税の額によって決まります"}


def _project_out(row) -> dict:
    project, pledged, received, remaining = row
    plan = project.plan
    return {"id": project.pk, "name": project.name, "description": project.description, "sector": project.sector_id,
            "owner_name": plan.owner_name, "municipality": plan.municipality_id, "prefecture": plan.prefecture_id,
            "plan_name": plan.name, "approved_on": plan.approved_on, "start_year": plan.start_year,
            "end_year": plan.end_year, "target_amount": project.target_amount, "pledged": pledged,
            "received": received, "remaining": remaining, "url": project.get_absolute_url(),
            "version": project.version}


def _pledge_out(pledge_row, created: bool = False) -> dict:
    return {"id": pledge_row.pk, "company": pledge_row.company.name,
            "corporate_number": pledge_row.company.corporate_number, "project": pledge_row.project_id,
            "project_name": pledge_row.project.name, "recipient": pledge_row.project.plan.owner_name,
            "amount": pledge_row.amount, "fiscal_year": pledge_row.fiscal_year, "state": pledge_row.state,
            "state_label": pledge_row.get_state_display(), "received_on": pledge_row.received_on,
            "version": pledge_row.version, "created": created,
            "relief": _relief_out(pledge_row.amount, pledge_row.fiscal_year)}


@router.get("/revitalisation-projects", response=ProjectList,
            summary="企業版ふるさと納税を受けられる事業（認定済みで、指定年度〈省略時は今年度〉に計画期間内）")
def list_projects(request, prefecture: str | None = None, sector: str | None = None,
                  min_remaining: int | None = Query(None, ge=0, description="残りの額（円）がこれ以上"),
                  fiscal_year: str | None = None, page: int = Query(1, ge=1),
                  page_size: int = Query(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)):
    year = _year(fiscal_year) or current_fiscal_year()
    rows = queries.project_rows(queries.filter_projects(queries.projects(), prefecture=prefecture or "",
                                                        sector=sector or "", in_force_year=year),
                                min_remaining=min_remaining)
    page_obj = paginate(rows, page, page_size)
    return {"count": page_obj.paginator.count, "items": [_project_out(r) for r in page_obj.object_list]}


@router.get("/revitalisation-projects/{project_id}", response={200: ProjectOut, 404: ErrorOut},
            summary="企業版ふるさと納税の事業")
def get_project(request, project_id: int):
    return _project_out(_project_or_404(project_id))


class ProjectIn(Schema):
    version: int = Field(..., ge=0, description="読み込んだときの版。必須: 古い版での更新は 409")
    name: str
    sector: str = Field(..., description="分野コード")
    target_amount: int = Field(..., ge=1, le=10**13, description="寄附の目標額（円）")
    description: str = ""


class ProjectConflict(Schema):
    detail: str
    current: ProjectOut | None = None


def _project_or_404(project_id: int):
    rows = queries.project_rows(queries.projects().filter(pk=project_id))
    if not rows:
        raise Http404("事業が見つかりません")
    return rows[0]


@router.put("/revitalisation-projects/{project_id}", auth=WRITE_AUTH,
            response={200: ProjectOut, 409: ProjectConflict, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
            summary="企業版ふるさと納税の事業を更新（名称・分野・目標額・概要。version で楽観的排他）")
def update_project(request, project_id: int, payload: ProjectIn):
    project = _project_or_404(project_id)[0]
    try:
        actions.update_revitalisation_project(
            request.user, project, version=payload.version, name=payload.name,
            sector=Sector.objects.filter(pk=payload.sector).first(), target_amount=payload.target_amount,
            description=payload.description, source=history.API)
    except Conflict as exc:
        return Status(409, {"detail": str(exc), "current": _project_out(_project_or_404(project_id))})
    return Status(200, _project_out(_project_or_404(project_id)))


@router.delete("/revitalisation-projects/{project_id}", auth=WRITE_AUTH,
               response={204: None, 409: ProjectConflict, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
               summary="企業版ふるさと納税の事業を削除（申出のある事業・財源に使われている事業は 422）")
def delete_project(request, project_id: int, version: int = Query(..., ge=0, le=2**31 - 1)):
    project = _project_or_404(project_id)[0]
    try:
        actions.delete_revitalisation_project(request.user, project, version=version, source=history.API)
    except Conflict as exc:
        return Status(409, {"detail": str(exc), "current": _project_out(_project_or_404(project_id))})
    return Status(204, None)


@router.get("/revitalisation-projects/{project_id}/relief", response={200: ReliefOut, 404: ErrorOut, 422: ErrorOut},
            summary="寄附額に対する税の軽減の目安（損金算入 約3割 + 税額控除 最大6割）")
def project_relief(request, project_id: int, amount: int = Query(..., ge=1, le=10**13),
                   fiscal_year: int | None = Query(None, ge=1990, le=2100, description="年度（西暦、省略時は今年度）")):
    get_object_or_404(queries.projects(), pk=project_id)
    return _relief_out(amount, fiscal_year or current_fiscal_year())


class RevitalisationPlanOut(Schema):
    id: int
    name: str
    owner_name: str
    municipality: str | None
    prefecture: str
    approved_on: date | None
    start_year: int
    end_year: int
    version: int
    projects: list[int]


class RevitalisationPlanIn(Schema):
    version: int = Field(..., ge=0, description="読み込んだときの版。必須: 古い版での更新は 409")
    name: str
    approved_on: date | None = Field(None, description="認定日（未認定なら null）")
    start_year: int
    end_year: int


class RevitalisationPlanConflict(Schema):
    detail: str
    current: RevitalisationPlanOut | None = None


def _rr_plan_out(plan) -> dict:
    return {"id": plan.pk, "name": plan.name, "owner_name": plan.owner_name, "municipality": plan.municipality_id,
            "prefecture": plan.prefecture_id, "approved_on": plan.approved_on, "start_year": plan.start_year,
            "end_year": plan.end_year, "version": plan.version,
            "projects": list(plan.projects.order_by("pk").values_list("pk", flat=True))}


def _rr_plan(pk):
    from .models import RevitalisationPlan

    return get_object_or_404(RevitalisationPlan.objects.select_related("municipality", "prefecture"), pk=pk)


@router.get("/revitalisation-plans/{plan_id}", response={200: RevitalisationPlanOut, 404: ErrorOut},
            summary="地域再生計画（認定日・計画期間・事業）")
def get_revitalisation_plan(request, plan_id: int):
    return _rr_plan_out(_rr_plan(plan_id))


@router.put("/revitalisation-plans/{plan_id}", auth=WRITE_AUTH,
            response={200: RevitalisationPlanOut, 409: RevitalisationPlanConflict, 403: ErrorOut, 404: ErrorOut,
                      422: ErrorOut},
            summary="地域再生計画を更新（名称・認定日・計画期間。version で楽観的排他。申出のある年度は期間から外せない）")
def update_revitalisation_plan(request, plan_id: int, payload: RevitalisationPlanIn):
    plan = _rr_plan(plan_id)
    try:
        saved = actions.update_revitalisation_plan(request.user, plan, version=payload.version, name=payload.name,
                                                   approved_on=payload.approved_on, start_year=payload.start_year,
                                                   end_year=payload.end_year, source=history.API)
    except Conflict as exc:
        return Status(409, {"detail": str(exc), "current": _rr_plan_out(_rr_plan(plan_id))})
    return Status(200, _rr_plan_out(saved))


@router.post("/companies", auth=WRITE_AUTH, response={201: CompanyOut, 403: ErrorOut, 422: ErrorOut},
             summary="寄附する企業を登録（企業の利用者）")
def register_company(request, payload: CompanyIn):
    head = Municipality.objects.filter(pk=payload.head_office).first()
    company = actions.register_company(request.user, name=payload.name, corporate_number=payload.corporate_number,
                                       head_office=head, source=history.API)
    return Status(201, {"id": company.pk, "name": company.name, "corporate_number": company.corporate_number,
                        "head_office": company.head_office_id})


@router.get("/pledges", auth=WRITE_AUTH, response={200: list[PledgeOut], 403: ErrorOut},
            summary="申出の一覧（企業は自社の、団体は受けたもの）",
            openapi_extra=window_openapi())
def list_pledges(request, response: HttpResponse, window: Query[Window]):
    return [_pledge_out(p) for p in window_of(request, response, queries.visible_pledges(request.user), window)]


@router.post("/pledges", auth=WRITE_AUTH,
             response={200: PledgeOut, 201: PledgeOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
             summary="企業版ふるさと納税を申し出る（Idempotency-Key で二重の申出を防ぐ。対象外の理由は 422）")
def create_pledge(request, payload: PledgeIn,
                  idempotency_key: str = Header("", alias="Idempotency-Key",
                                                description="再送しても二重に申し出ないためのキー")):
    from .models import Company

    company = Company.objects.select_related("head_office__prefecture").filter(owner=request.user).first()
    if company is None:
        if not access.can(request.user, "funding.pledge"):
            raise PermissionDenied("この操作を行う権限がありません")
        raise Invalid([("company", "先に企業を登録してください（POST /api/v1/companies）")])
    project = get_object_or_404(queries.projects(), pk=payload.project)
    made, created = actions.pledge(request.user, company, project, amount=payload.amount,
                                   fiscal_year=payload.fiscal_year, no_return_declared=payload.no_return_declared,
                                   idempotency_key=idempotency_key, source=history.API)
    return Status(201 if created else 200, _pledge_out(made, created))


def _pledge(request, pledge_id):
    from .models import CorporateDonationPledge

    found = CorporateDonationPledge.objects.select_related("company", "project__plan__municipality",
                                                           "project__plan__prefecture").filter(pk=pledge_id).first()
    if found is None or not access.can(request.user, "funding.pledge_view", found):
        raise Http404("申出が見つかりません")
    return found


@router.get("/pledges/{pledge_id}", auth=WRITE_AUTH, response={200: PledgeOut, 404: ErrorOut}, summary="申出")
def get_pledge(request, pledge_id: int):
    return _pledge_out(_pledge(request, pledge_id))


class PledgeConflict(Schema):
    detail: str
    current: PledgeOut | None = None


def _pledge_state(request, pledge_id, state, version):
    found = _pledge(request, pledge_id)
    try:
        saved = actions.set_pledge_state(request.user, found, state, version=version, source=history.API)
    except Conflict as exc:
        return Status(409, {"detail": str(exc), "current": _pledge_out(_pledge(request, pledge_id))})
    return Status(200, _pledge_out(saved))


@router.post("/pledges/{pledge_id}/receive", auth=WRITE_AUTH,
             response={200: PledgeOut, 409: PledgeConflict, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
             summary="受領を確認（受け取った団体）")
def receive_pledge(request, pledge_id: int, payload: PledgeStateIn):
    return _pledge_state(request, pledge_id, "received", payload.version)


@router.post("/pledges/{pledge_id}/cancel", auth=WRITE_AUTH,
             response={200: PledgeOut, 409: PledgeConflict, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
             summary="申出を取り消す（企業または受け取る団体）")
def cancel_pledge(request, pledge_id: int, payload: PledgeStateIn):
    return _pledge_state(request, pledge_id, "cancelled", payload.version)
