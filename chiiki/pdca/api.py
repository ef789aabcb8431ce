"""/api/v1/kpis (live values, outlook, breakdowns), /api/v1/reviews (frozen snapshots, actions),
/api/v1/proposals (制度の見直し). Reads are public; writes go through actions.py with a required `version`."""

import datetime as dt

from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from chiiki.accounts.auth import WRITE_AUTH
from chiiki.core import history
from chiiki.core.errors import Invalid
from chiiki.core.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, paginate
from chiiki.core.schemas import ErrorOut

from . import actions, measures, queries
from .models import KPI, Action, InstitutionProposal, Review

router = Router(tags=["KPI・PDCA"])


class YearValue(Schema):
    fiscal_year: int
    value: float
    records_url: str | None = None


class OutlookOut(Schema):
    status: str = Field(..., description="on_track / caution / off_track / achieved / missed / unknown")
    label: str = Field(..., examples=["達成見込み"])
    projected_value: float | None
    slope: float | None
    formula: str


class BreakdownRow(Schema):
    code: str
    name: str
    value: float
    implemented: int | None = None
    municipalities: int | None = None
    share: float | None = None
    records_url: str | None = None


class KPIOut(Schema):
    code: str
    name: str
    unit: str
    target_value: float
    target_fiscal_year: int
    baseline_value: float | None
    baseline_date: str
    source: str
    prefecture: str | None
    measure: str
    measure_label: str
    measure_definition: str
    sectors: list[str]
    available: bool = Field(..., description="false: the measure's capability does not exist yet (no values)")
    unavailable_reason: str | None
    latest_fiscal_year: int | None
    latest_value: float | None
    latest_is_partial_year: bool = Field(False, description="true: a per-年度 measure in the current 年度, still growing")
    baseline_fiscal_year: int | None = Field(None, description="the 年度 of baseline_date (2023-03 → 2022)")
    baseline_measured_value: float | None = Field(
        None, description="this KPI's own value in baseline_fiscal_year (baseline_value is the source's figure)")
    values: list[YearValue]
    outlook: OutlookOut
    version: int


class KPIDetailOut(KPIOut):
    breakdown_fiscal_year: int | None
    by_prefecture: list[BreakdownRow]
    by_sector: list[BreakdownRow]


class KPIList(Schema):
    count: int
    items: list[KPIOut]


def _kpi_out(kpi: KPI, years: list[int] | None = None) -> dict:
    summary = queries.kpi_summary(kpi, years)
    measure, look = summary["measure"], summary["outlook"]
    kwargs = {"sectors": kpi.sectors or None, "prefecture": kpi.prefecture_id}
    return {
        "code": kpi.code, "name": kpi.name, "unit": kpi.unit, "target_value": kpi.target_value,
        "target_fiscal_year": kpi.target_fiscal_year, "baseline_value": kpi.baseline_value,
        "baseline_date": kpi.baseline_date, "source": kpi.source, "prefecture": kpi.prefecture_id,
        "measure": measure.key, "measure_label": measure.label, "measure_definition": measure.definition,
        "sectors": kpi.sectors, "available": summary["available"],
        "unavailable_reason": None if summary["available"] else measures.UNAVAILABLE,
        "latest_fiscal_year": summary["latest_year"], "latest_value": summary["latest_value"],
        "latest_is_partial_year": summary["partial_year"],
        "baseline_fiscal_year": (summary["baseline"] or {}).get("fiscal_year"),
        "baseline_measured_value": (summary["baseline"] or {}).get("value"),
        "values": [{"fiscal_year": y, "value": v,
                    "records_url": measure.rows_url(y, **kwargs) if measure.rows_url else None}
                   for y, v in sorted(summary["values"].items())],
        "outlook": {"status": look.status, "label": look.label, "projected_value": look.projected,
                    "slope": look.slope, "formula": look.formula},
        "version": kpi.version}


def _rows(rows) -> list[dict]:
    return [{**{k: r.get(k) for k in ("code", "name", "value", "implemented", "municipalities", "share")},
             "records_url": r.get("url")} for r in rows]


@router.get("/kpis", response=KPIList, summary="KPIの一覧（プラットフォームのデータから計算した年度ごとの値と見通し）")
def list_kpis(request, prefecture: str | None = Query(None, description="都道府県コード。national で全国KPIのみ")):
    qs = queries.kpis(None if prefecture == "national" else (prefecture or "all"))
    years = queries.measured_years()  # once for the list, not once per KPI
    items = [_kpi_out(kpi, years) for kpi in qs]
    return {"count": len(items), "items": items}


@router.get("/kpis/{code}", response={200: KPIDetailOut, 404: ErrorOut},
            summary="KPIの詳細（年度ごとの値・見通し・都道府県別と分野別の内訳）")
def get_kpi(request, code: str, fiscal_year: int | None = Query(None, description="内訳の年度（既定: 最新年度）")):
    kpi = get_object_or_404(KPI.objects.select_related("prefecture"), pk=code)
    body = _kpi_out(kpi)
    years = [v["fiscal_year"] for v in body["values"]]
    year = fiscal_year if fiscal_year in years else body["latest_fiscal_year"]
    parts = queries.breakdowns(kpi, year) if year else {"prefectures": [], "sectors": []}
    return {**body, "breakdown_fiscal_year": year,
            "by_prefecture": _rows(r for r in parts["prefectures"] if r.get("municipalities", 1)),
            "by_sector": _rows(parts["sectors"])}


class KPIIn(Schema):
    name: str
    unit: str
    target_value: float
    target_fiscal_year: str = Field(..., examples=["2027"])
    measure: str = Field(..., description="chiiki/pdca/measures.py の算定方法のキー（/api/v1/kpis の measure）")
    sectors: list[str] = []
    prefecture: str | None = Field(None, description="都道府県コード（省略: 全国KPI）")
    baseline_value: float | None = None
    baseline_date: str = ""
    source: str = ""
    order: int = Field(0, ge=0)


class KPICreateIn(KPIIn):
    code: str = Field(..., examples=["NAGANO-DX-2028"])


class KPIUpdateIn(KPIIn):
    version: int = Field(..., ge=0)


@router.post("/kpis", auth=WRITE_AUTH, response={201: KPIOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
             summary="KPIを追加（全国: 事務局、都道府県のKPI: その都道府県の職員も）")
def create_kpi(request, payload: KPICreateIn):
    try:
        kpi, _ = actions.save_kpi(request.user, None, payload.dict(), version=0, source=history.API)
    except Invalid as exc:
        return Status(422, {"detail": exc.errors})
    return Status(201, _kpi_out(kpi))


@router.put("/kpis/{code}", auth=WRITE_AUTH,
            response={200: KPIOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
            summary="KPIを更新（version で楽観的排他）")
def update_kpi(request, code: str, payload: KPIUpdateIn):
    kpi = get_object_or_404(KPI.objects.select_related("prefecture"), pk=code)
    data = payload.dict()
    version = data.pop("version")
    try:
        kpi, _ = actions.save_kpi(request.user, kpi, data, version=version, source=history.API)
    except Invalid as exc:
        return Status(422, {"detail": exc.errors})
    return Status(200, _kpi_out(kpi))


# ---- reviews --------------------------------------------------------------------------------------------------

class EntryOut(Schema):
    kpi: str
    kpi_name: str
    unit: str
    value: float | None = Field(..., description="記録時の値（再計算しない）")
    live_value: float | None = Field(..., description="現在の値（同じ年度、いま計算したもの）")
    target_value: float
    target_fiscal_year: int
    projected_value: float | None
    outlook: str
    formula: str
    assessment: str
    version: int


class ActionOut(Schema):
    id: int
    review: int
    kpi: str | None
    title: str
    owner_organisation: str
    due_date: dt.date
    status: str
    status_label: str
    overdue: bool
    result: str
    version: int


class ReviewOut(Schema):
    id: int
    fiscal_year: int
    prefecture: str | None
    title: str
    summary: str
    snapshot_at: dt.datetime
    is_demo: bool
    version: int


class ReviewDetailOut(ReviewOut):
    entries: list[EntryOut]
    actions: list[ActionOut]
    previous_review: int | None
    previous_actions: list[ActionOut]


class ReviewList(Schema):
    count: int
    items: list[ReviewOut]


class ReviewIn(Schema):
    fiscal_year: str = Field(..., examples=["2026"])
    prefecture: str | None = Field(None, description="都道府県コード（省略: 全国のレビュー）")
    title: str = ""
    summary: str = ""


class AssessmentIn(Schema):
    assessment: str
    version: int = Field(..., ge=0)


class ActionIn(Schema):
    title: str
    owner_organisation: str
    due_date: str = Field(..., examples=["2027-03-31"])
    kpi: str | None = None
    status: str = "not_started"
    result: str = ""


class ActionUpdateIn(ActionIn):
    version: int = Field(..., ge=0)


def _review_out(review: Review) -> dict:
    return {"id": review.pk, "fiscal_year": review.fiscal_year, "prefecture": review.prefecture_id,
            "title": review.title, "summary": review.summary, "snapshot_at": review.snapshot_at,
            "is_demo": review.is_demo, "version": review.version}


def _action_out(action: Action, today=None) -> dict:
    today = today or timezone.localdate()
    return {"id": action.pk, "review": action.review_id, "kpi": action.kpi_id, "title": action.title,
            "owner_organisation": action.owner_organisation, "due_date": action.due_date, "status": action.status,
            "status_label": action.get_status_display(), "overdue": action.is_overdue(today),
            "result": action.result, "version": action.version}


def _review_detail(review: Review) -> dict:
    from django.utils import timezone

    today = timezone.localdate()
    entries = []
    for e in review.entries.select_related("kpi"):
        live = queries.values(e.kpi, [review.fiscal_year])
        entries.append({"kpi": e.kpi_id, "kpi_name": e.kpi_name, "unit": e.unit, "value": e.value,
                        "live_value": None if live is None else live.get(review.fiscal_year),
                        "target_value": e.target_value, "target_fiscal_year": e.target_fiscal_year,
                        "projected_value": e.projected_value, "outlook": e.outlook, "formula": e.formula,
                        "assessment": e.assessment, "version": e.version})
    previous = queries.previous_review(review)
    return {**_review_out(review), "entries": entries,
            "actions": [_action_out(a, today) for a in queries.actions_of(review)],
            "previous_review": previous.pk if previous else None,
            "previous_actions": [_action_out(a, today) for a in queries.actions_of(previous)] if previous else []}


@router.get("/reviews", response=ReviewList, summary="年次レビューの一覧")
def list_reviews(request, page: int = Query(1, ge=1),
                 page_size: int = Query(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)):
    page_obj = paginate(list(queries.reviews()), page, page_size)
    return {"count": page_obj.paginator.count, "items": [_review_out(r) for r in page_obj.object_list]}


@router.get("/reviews/{review_id}", response={200: ReviewDetailOut, 404: ErrorOut},
            summary="年次レビュー（記録時の値と現在の値、対応、前回の対応のその後）")
def get_review(request, review_id: int):
    return _review_detail(get_object_or_404(Review, pk=review_id))


@router.post("/reviews", auth=WRITE_AUTH, response={201: ReviewDetailOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
             summary="年次レビューを作成（その時点のKPIの値を記録）")
def create_review(request, payload: ReviewIn):
    try:
        review = actions.open_review(request.user, fiscal_year=payload.fiscal_year, prefecture=payload.prefecture,
                                     title=payload.title, summary=payload.summary, source=history.API)
    except Invalid as exc:
        return Status(422, {"detail": exc.errors})
    return Status(201, _review_detail(review))


@router.put("/reviews/{review_id}/entries/{kpi}", auth=WRITE_AUTH,
            response={200: EntryOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
            summary="KPIの評価を保存（記録した値は変わりません。version で楽観的排他）")
def save_assessment(request, review_id: int, kpi: str, payload: AssessmentIn):
    review = get_object_or_404(Review, pk=review_id)
    entry = get_object_or_404(review.entries.select_related("review", "review__prefecture", "kpi"), kpi_id=kpi)
    try:
        actions.save_assessment(request.user, entry, assessment=payload.assessment, version=payload.version,
                                source=history.API)
    except Invalid as exc:
        return Status(422, {"detail": exc.errors})
    return Status(200, next(e for e in _review_detail(review)["entries"] if e["kpi"] == kpi))


@router.post("/reviews/{review_id}/actions", auth=WRITE_AUTH,
             response={201: ActionOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}, summary="対応を追加")
def add_action(request, review_id: int, payload: ActionIn):
    review = get_object_or_404(Review.objects.select_related("prefecture"), pk=review_id)
    try:
        action = actions.add_action(request.user, review, payload.dict(), source=history.API)
    except Invalid as exc:
        return Status(422, {"detail": exc.errors})
    return Status(201, _action_out(action))


@router.put("/actions/{action_id}", auth=WRITE_AUTH,
            response={200: ActionOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
            summary="対応を更新（状況・結果など。version で楽観的排他）")
def update_action(request, action_id: int, payload: ActionUpdateIn):
    action = get_object_or_404(Action.objects.select_related("review", "review__prefecture"), pk=action_id)
    data = payload.dict()
    version = data.pop("version")
    try:
        action = actions.update_action(request.user, action, data, version=version, source=history.API)
    except Invalid as exc:
        return Status(422, {"detail": exc.errors})
    return Status(200, _action_out(action))


# ---- 制度の見直し --------------------------------------------------------------------------------------------

class ProposalOut(Schema):
    id: int
    title: str
    problem: str
    rule_concerned: str
    program: str | None = Field(..., description="関連する支援メニューのID（/api/v1/programs）")
    evidence_links: list[str]
    proposer_label: str
    status: str
    status_label: str
    status_reason: str
    is_demo: bool
    created_at: dt.datetime
    version: int


class ProposalList(Schema):
    count: int
    items: list[ProposalOut]


class ProposalIn(Schema):
    title: str
    problem: str
    rule_concerned: str
    program: str | None = None
    evidence_links: list[str] = []


class ProposalStatusIn(Schema):
    status: str = Field(..., description="received / under_review / reflected / declined")
    reason: str = ""
    version: int = Field(..., ge=0)


def _proposal_out(p: InstitutionProposal) -> dict:
    return {"id": p.pk, "title": p.title, "problem": p.problem, "rule_concerned": p.rule_concerned,
            "program": p.program.public_id if p.program else None, "evidence_links": p.evidence_links,
            "proposer_label": p.proposer_label, "status": p.status, "status_label": p.get_status_display(),
            "status_reason": p.status_reason, "is_demo": p.is_demo, "created_at": p.created_at,
            "version": p.version}


@router.get("/proposals", response={200: ProposalList, 422: ErrorOut}, summary="制度の見直しの提案の一覧")
def list_proposals(request, status: str | None = None, page: int = Query(1, ge=1),
                   page_size: int = Query(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)):
    from .models import ProposalStatus

    if status and status not in ProposalStatus.values:
        return Status(422, {"detail": "status は received・under_review・reflected・declined のいずれかです"})
    page_obj = paginate(queries.proposals(status or None), page, page_size)
    return {"count": page_obj.paginator.count, "items": [_proposal_out(p) for p in page_obj.object_list]}


@router.get("/proposals/{proposal_id}", response={200: ProposalOut, 404: ErrorOut}, summary="制度の見直しの提案")
def get_proposal(request, proposal_id: int):
    return _proposal_out(get_object_or_404(InstitutionProposal.objects.select_related("program"), pk=proposal_id))


@router.post("/proposals", auth=WRITE_AUTH, response={201: ProposalOut, 403: ErrorOut, 422: ErrorOut},
             summary="制度の見直しを提案（ログインした全ての役割）")
def create_proposal(request, payload: ProposalIn):
    try:
        proposal = actions.submit_proposal(request.user, payload.dict(), source=history.API)
    except Invalid as exc:
        return Status(422, {"detail": exc.errors})
    return Status(201, _proposal_out(proposal))


@router.put("/proposals/{proposal_id}/status", auth=WRITE_AUTH,
            response={200: ProposalOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
            summary="提案の状況を更新（事務局。見送りは理由が必須。version で楽観的排他）")
def set_status(request, proposal_id: int, payload: ProposalStatusIn):
    proposal = get_object_or_404(InstitutionProposal, pk=proposal_id)
    try:
        proposal = actions.set_proposal_status(request.user, proposal, status=payload.status, reason=payload.reason,
                                               version=payload.version, source=history.API)
    except Invalid as exc:
        return Status(422, {"detail": exc.errors})
    return Status(200, _proposal_out(proposal))
