"""/api/v1/capabilities and /api/v1/talent/…: the vocabulary, public profiles, requests scoped by role, the
workflow's transitions (POST), visits and explained candidates. The same actions and queries as the pages."""

import datetime as dt

from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from chiiki import access
from chiiki.accounts.auth import WRITE_AUTH
from chiiki.core import history
from chiiki.core.fiscal import InvalidFiscalYear, parse_fiscal_year
from chiiki.core.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, paginate
from chiiki.core.schemas import ErrorOut
from chiiki.core.search_request import MAX_Q_LENGTH
from chiiki.regions.queries import get_municipality

from . import actions, indexing, matching, queries
from .models import Capability, Format, Kind, TalentProfile, TalentRequest
from .models import Status as RequestStatus

router = Router(tags=["人材"])

WRITE_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class CapabilityOut(Schema):
    id: str
    sector: str
    label: str
    synonyms: list[str]
    models: list[str]


def capability_out(c: Capability) -> dict:
    return {"id": c.pk, "sector": c.sector, "label": c.label, "synonyms": c.synonym_list,
            "models": [m for m in c.sector_models.split(";") if m]}


@router.get("/capabilities", response=list[CapabilityOut], summary="できること（語彙）の一覧。q で「○○ができる人」から候補を検索")
def list_capabilities(request, q: str = Query("", description=f"「○○ができる人」（先頭{MAX_Q_LENGTH}文字まで）")):
    q = q.strip()[:MAX_Q_LENGTH]  # cut as the search pages cut it
    items = indexing.suggest(q, limit=20) if q else Capability.objects.all()
    return [capability_out(c) for c in items]


# ---- Profiles (public fields only) ------------------------------------------------------------------------------


class SkillOut(Schema):
    capability: str
    label: str
    level: int


class ProfileOut(Schema):
    id: int
    display_name: str
    kind: str
    kind_label: str
    sectors: list[str]
    home_prefecture: str | None
    prefectures_served: list[str]
    online_available: bool
    uturn_prefectures: list[str]
    available_days: float
    available_hours: float
    public_profile: str
    skills: list[SkillOut]
    version: int
    is_demo: bool


class ContactOut(Schema):
    email: str
    phone: str


class ProfileDetailOut(ProfileOut):
    contact: ContactOut | None = Field(None, description="本人・事務局・派遣が承諾された団体の職員にだけ含めます")


class ProfileList(Schema):
    count: int
    items: list[ProfileOut]


def profile_out(p: TalentProfile) -> dict:
    return {"id": p.pk, "display_name": p.display_name, "kind": p.kind, "kind_label": Kind(p.kind).label,
            "sectors": p.sectors or [], "home_prefecture": p.home_prefecture_id,
            "prefectures_served": sorted(x.pk for x in p.prefectures_served.all()),
            "online_available": p.online_available, "uturn_prefectures": sorted(x.pk for x in p.uturn_prefectures.all()),
            "available_days": float(p.available_days), "available_hours": float(p.available_hours),
            "public_profile": p.public_profile,
            "skills": [{"capability": s.capability_id, "label": s.capability.label, "level": s.level}
                       for s in p.skills.all()], "version": p.version, "is_demo": p.is_demo}


class ProfileFilters(Schema):
    q: str = ""
    capability: str = ""
    sector: str = ""
    kind: str = ""
    prefecture: str = ""


@router.get("/talent/profiles", response=ProfileList, summary="人材の一覧（公開項目のみ）")
def list_profiles(request, filters: Query[ProfileFilters], page: int = Query(1, ge=1),
                  page_size: int = Query(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)):
    qs = queries.profiles(**filters.dict()).prefetch_related("prefectures_served", "uturn_prefectures")
    page_obj = paginate(qs, page, page_size)
    return {"count": page_obj.paginator.count, "items": [profile_out(p) for p in page_obj.object_list]}


@router.get("/talent/profiles/{pk}", response={200: ProfileDetailOut, 404: ErrorOut},
            summary="人材1人（連絡先は見てよい人にだけ）")
def get_profile(request, pk: int):
    p = get_object_or_404(TalentProfile, pk=pk)
    out = profile_out(p)
    out["contact"] = ({"email": p.email, "phone": p.phone} if access.can(request.user, "talent.view_contact", p)
                      else None)
    return out


class SkillIn(Schema):
    capability: str
    level: int = 2
    evidence: str = ""


class ProfileIn(Schema):
    display_name: str
    kind: str
    skills: list[SkillIn]
    sectors: list[str] = []
    home_prefecture: str | None = None
    prefectures_served: list[str] = []
    online_available: bool = False
    uturn_prefectures: list[str] = []
    available_days: float = 0
    available_hours: float = 0
    public_profile: str = ""
    email: str = ""
    phone: str = ""


class ProfileUpdateIn(ProfileIn):
    version: int = Field(..., ge=1, description="読み込んだときの版。古い版での更新は 409")


def _profile_data(payload: ProfileIn) -> dict:
    data = payload.dict()
    data.pop("version", None)
    data["skills"] = [s for s in data["skills"]]
    data["uturn_intention"] = bool(data["uturn_prefectures"])
    return data


@router.post("/talent/profiles", auth=WRITE_AUTH, response={201: ProfileDetailOut, **WRITE_ERRORS},
             summary="人材のプロフィールを登録（アドバイザー・企業は自分の分、事務局は誰の分でも）")
def create_profile(request, payload: ProfileIn):
    p = actions.create_profile(request.user, _profile_data(payload), source=history.API)
    return Status(201, profile_out(p) | {"contact": {"email": p.email, "phone": p.phone}})


@router.put("/talent/profiles/{pk}", auth=WRITE_AUTH, response={200: ProfileDetailOut, **WRITE_ERRORS},
            summary="プロフィールを更新（本人・事務局。version で楽観的排他）")
def update_profile(request, pk: int, payload: ProfileUpdateIn):
    p = get_object_or_404(TalentProfile, pk=pk)
    p = actions.update_profile(request.user, p, _profile_data(payload), version=payload.version, source=history.API)
    return profile_out(p) | {"contact": {"email": p.email, "phone": p.phone}}


class AccountIn(Schema):
    username: str | None = Field(None, description="アドバイザーまたは企業のアカウントのユーザー名。null か空で解除")
    version: int = Field(..., ge=1, description="読み込んだときの版。古い版での更新は 409")


class LinkedProfileOut(ProfileDetailOut):
    account: str | None = Field(None, description="結び付いたアカウントのユーザー名（事務局だけが見る操作の結果）")


@router.put("/talent/profiles/{pk}/account", auth=WRITE_AUTH, response={200: LinkedProfileOut, **WRITE_ERRORS},
            summary="プロフィールを本人のアカウント（アドバイザー・企業）に結び付ける、または解除する（事務局）")
def link_account(request, pk: int, payload: AccountIn):
    p = get_object_or_404(TalentProfile, pk=pk)
    p = actions.link_account(request.user, p, payload.username, version=payload.version, source=history.API)
    return profile_out(p) | {"contact": {"email": p.email, "phone": p.phone},
                             "account": p.user.username if p.user_id else None}


class VersionIn(Schema):
    version: int = Field(..., ge=1)


@router.delete("/talent/profiles/{pk}", auth=WRITE_AUTH, response={204: None, **WRITE_ERRORS},
               summary="プロフィールを削除（本人・事務局）。過去の派遣記録の名前は匿名にします")
def delete_profile(request, pk: int, version: int = Query(..., ge=1)):
    p = get_object_or_404(TalentProfile, pk=pk)
    actions.delete_profile(request.user, p, version=version, source=history.API)
    return Status(204, None)


# ---- Requests ------------------------------------------------------------------------------------------------


class VisitOut(Schema):
    date: dt.date
    hours: float
    mode: str
    participants: int
    note: str


class ReportOut(Schema):
    done: str
    handed_over_to: str
    gained: list[str]
    next_steps: str


class RequestOut(Schema):
    id: int
    municipality: str
    municipality_name: str
    organisation: str
    sector: str
    fiscal_year: int
    title: str
    vision: str
    required: list[str]
    desired: list[str]
    format: str
    preferred_from: dt.date | None
    preferred_to: dt.date | None
    plan_url: str
    plan: int | None = Field(None, description="この依頼が支える実装計画（/api/v1/plans/{id}）。"
                                               "利用者が見られない計画（下書き）は null")
    status: str
    status_label: str
    round: str | None
    round_id: int | None = Field(None, description="募集回のID（一覧の round で絞り込めます）")
    talent_id: int | None
    talent_label: str
    reason: str
    rating: int | None
    rating_comment: str
    overdue: bool
    visits: list[VisitOut]
    report: ReportOut | None
    transitions: list[str] = Field(description="この利用者がいま行える操作")
    version: int


class RequestList(Schema):
    count: int
    items: list[RequestOut]


def request_out(r: TalentRequest, user) -> dict:
    report = getattr(r, "report", None) if hasattr(r, "report") else None
    return {
        "id": r.pk, "municipality": r.municipality_id, "municipality_name": r.municipality.name,
        "organisation": r.organisation, "sector": r.sector_id, "fiscal_year": r.fiscal_year, "title": r.title,
        "vision": r.vision, "required": sorted(c.pk for c in r.required.all()),
        "desired": sorted(c.pk for c in r.desired.all()), "format": r.format, "preferred_from": r.preferred_from,
        "preferred_to": r.preferred_to, "plan_url": r.plan_url,
        "plan": r.plan_id if r.plan_id is not None and access.can_view(user, r.plan) else None, "status": r.status,
        "status_label": RequestStatus(r.status).label, "round": str(r.round) if r.round_id else None, "round_id": r.round_id,
        "talent_id": r.talent_id, "talent_label": r.talent_label, "reason": r.reason, "rating": r.rating,
        "rating_comment": r.rating_comment, "overdue": queries.overdue(r),
        "visits": [{"date": v.date, "hours": float(v.hours), "mode": v.mode, "participants": v.participants,
                    "note": v.note} for v in r.visits.all()],
        "report": {"done": report.done, "handed_over_to": report.handed_over_to,
                   "gained": sorted(c.pk for c in report.gained.all()), "next_steps": report.next_steps}
        if report else None,
        "transitions": actions.allowed_transitions(user, r), "version": r.version}


class RequestFilters(Schema):
    status: str = ""
    sector: str = ""
    fiscal_year: str = Field("", description="年度（2026、令和8年度、R8 など）")
    capability: str = ""
    municipality: str = ""
    prefecture: str = ""
    overdue: bool = False
    unmet: bool = False
    gained: str = Field("", description="報告で「職員が自らできるようになった」とされたできることのID")
    round: int | None = Field(None, ge=1, le=2_147_483_647,
                              description="募集回のID（round_id）: その募集回に申請された依頼（募集回の件数の内訳）")


@router.get("/talent/requests", response={200: RequestList, 422: ErrorOut},
            summary="派遣依頼の一覧（役割で絞り込み: 事務局はすべて、都道府県は管内、市区町村は自団体、人材は依頼されたもの）")
def list_requests(request, filters: Query[RequestFilters], page: int = Query(1, ge=1),
                  page_size: int = Query(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)):
    values = filters.dict()
    if values["fiscal_year"]:
        try:
            values["fiscal_year"] = parse_fiscal_year(values["fiscal_year"])
        except InvalidFiscalYear as exc:
            raise HttpError(422, str(exc)) from None
    else:
        values["fiscal_year"] = None
    values["application_round"] = values.pop("round")
    qs = queries.requests_for(request.user, **values).prefetch_related("required", "desired", "visits")
    page_obj = paginate(qs, page, page_size)
    return {"count": page_obj.paginator.count, "items": [request_out(r, request.user) for r in page_obj.object_list]}


class DispatchOut(Schema):
    id: int
    fiscal_year: int
    municipality: str
    municipality_name: str
    prefecture: str
    sector: str
    sector_name: str
    title: str = Field(description="求めた人（「○○ができる人」）")
    status: str
    status_label: str
    talent_label: str
    completed_at: dt.datetime | None
    gained: list[str] = Field(description="報告で「職員が自らできるようになった」とされたできることのID")


class DispatchList(Schema):
    count: int
    items: list[DispatchOut]


class DispatchFilters(Schema):
    status: str = Field("", description="accepted, dispatching, reported, rated, completed（カンマ区切りで複数。"
                                        "空なら承諾以降すべて）")
    fiscal_year: str = Field("", description="依頼の年度（2026、令和8年度、R8 など）")
    prefecture: str = ""
    sector: str = ""
    municipality: str = Field("", description="団体コード（5桁または6桁）")
    gained: str = Field("", description="報告で「職員が自らできるようになった」とされたできることのID")


def dispatch_out(d: TalentRequest) -> dict:
    report = getattr(d, "report", None) if hasattr(d, "report") else None
    return {"id": d.pk, "fiscal_year": d.fiscal_year, "municipality": d.municipality_id,
            "municipality_name": d.municipality.name, "prefecture": d.municipality.prefecture_id,
            "sector": d.sector_id, "sector_name": d.sector.name, "title": d.title, "status": d.status,
            "status_label": RequestStatus(d.status).label, "talent_label": d.talent_label,
            "completed_at": d.completed_at, "gained": sorted(c.pk for c in report.gained.all()) if report else []}


@router.get("/talent/dispatches", response={200: DispatchList, 404: ErrorOut, 422: ErrorOut},
            summary="人材派遣の実績（承諾以降の派遣。公開。/talent/dispatches/ と同じ行）")
def list_dispatches(request, filters: Query[DispatchFilters], page: int = Query(1, ge=1),
                    page_size: int = Query(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)):
    values = filters.dict()
    try:
        values["fiscal_year"] = parse_fiscal_year(values["fiscal_year"]) if values["fiscal_year"] else None
        if values["municipality"]:
            values["municipality"] = get_municipality(values["municipality"])
        qs = queries.listed_dispatches(**values)
    except (InvalidFiscalYear, queries.UnknownDispatchStatus) as exc:
        raise HttpError(422, str(exc)) from None
    page_obj = paginate(qs, page, page_size)
    return {"count": page_obj.paginator.count, "items": [dispatch_out(d) for d in page_obj.object_list]}


@router.get("/talent/requests/{pk}", response={200: RequestOut, 404: ErrorOut}, summary="派遣依頼1件")
def get_request(request, pk: int):
    return request_out(queries.get_request(request.user, pk), request.user)


class RequestIn(Schema):
    municipality: str = Field(..., description="依頼団体の団体コード")
    title: str
    vision: str
    sector: str
    required: list[str]
    desired: list[str] = []
    format: str = Format.MIXED
    preferred_from: dt.date | None = None
    preferred_to: dt.date | None = None
    plan_url: str = ""
    plan: int | None = Field(None, description="実装計画のID（この団体の計画か、参加している広域の計画）")
    organisation: str = ""


@router.post("/talent/requests", auth=WRITE_AUTH, response={201: RequestOut, **WRITE_ERRORS},
             summary="派遣依頼を下書きとして作成（市区町村・都道府県の職員、事務局）")
def create_request(request, payload: RequestIn):
    municipality = get_municipality(payload.municipality)
    data = payload.dict()
    data.pop("municipality")
    r = actions.create_request(request.user, municipality, data, source=history.API)
    return Status(201, request_out(r, request.user))


class ReportIn(Schema):
    done: str
    handed_over_to: str
    gained: list[str] = []
    next_steps: str = ""


class TransitionIn(Schema):
    version: int = Field(..., ge=1, description="読み込んだときの版。古い版での操作は 409")
    reason: str = ""
    talent: int | None = Field(None, description="ask: 依頼する人材のID")
    rating: int | None = Field(None, description="rate: 1〜5")
    comment: str = ""
    report: ReportIn | None = Field(None, description="report: 報告の内容")


@router.post("/talent/requests/{pk}/transitions/{name}", auth=WRITE_AUTH,
             response={200: RequestOut, **WRITE_ERRORS},
             summary="状態を進める（submit, receive, propose, ask, accept, decline, report, rate, complete, withdraw, reject）")
def move_request(request, pk: int, name: str, payload: TransitionIn):
    r = queries.get_request(request.user, pk)
    talent = get_object_or_404(TalentProfile, pk=payload.talent) if payload.talent is not None else None
    r = actions.transition(request.user, r, name, version=payload.version, reason=payload.reason, talent=talent,
                           rating=payload.rating, comment=payload.comment,
                           report=payload.report.dict() if payload.report else None, source=history.API)
    return request_out(r, request.user)


class VisitIn(Schema):
    version: int = Field(..., ge=1)
    date: dt.date
    hours: float = Field(..., gt=0, le=24)
    mode: str
    participants: int = Field(0, ge=0)
    note: str = ""


@router.post("/talent/requests/{pk}/visits", auth=WRITE_AUTH, response={201: RequestOut, **WRITE_ERRORS},
             summary="訪問・オンライン支援を記録（依頼された人材・事務局）。3日・10時間の上限を確かめます")
def add_visit(request, pk: int, payload: VisitIn):
    r = queries.get_request(request.user, pk)
    actions.add_visit(request.user, r, date=payload.date, hours=str(payload.hours), mode=payload.mode,
                      participants=payload.participants, note=payload.note, version=payload.version,
                      source=history.API)
    return Status(201, request_out(queries.get_request(request.user, pk), request.user))


class TalentCandidateOut(Schema):
    profile_id: int
    display_name: str
    kind: str
    kind_label: str
    score: float
    full: bool
    required_covered: list[str]
    required_missing: list[str]
    desired_covered: list[str]
    sector_reason: str
    distance: str
    distance_reason: str
    remaining: str
    dispatches_this_year: int
    average_rating: float | None
    reasons: list[str]


class CandidatesOut(Schema):
    required: int
    desired: int
    formula: list[list[str]]
    ranked: list[TalentCandidateOut]
    partial: list[TalentCandidateOut]


@router.get("/talent/requests/{pk}/candidates", response={200: CandidatesOut, 403: ErrorOut, 404: ErrorOut},
            summary="候補の人材（理由つき、順位の付け方は formula）。事務局と依頼団体の職員")
def candidates(request, pk: int, limit: int = Query(50, ge=1, le=500)):
    r = queries.get_request(request.user, pk)
    if not (access.can(request.user, "talent.manage") or access.can(request.user, "talent.request", r)):
        access.require(request.user, "talent.manage")
    found = matching.candidates(r, limit=limit)
    return {"required": found["required"], "desired": found["desired"],
            "formula": [list(f) for f in matching.FORMULA],
            "ranked": [c.__dict__ for c in found["ranked"]], "partial": [c.__dict__ for c in found["partial"]]}
