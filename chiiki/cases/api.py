"""/api/v1/cases: search (the programs' request shape), detail, create and update (version required)."""

import datetime as dt
from typing import Annotated

from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status
from pydantic import StringConstraints

from chiiki import access
from chiiki.accounts.auth import WRITE_AUTH
from chiiki.core import history
from chiiki.core.errors import Invalid
from chiiki.core.schemas import ErrorOut

from . import actions, queries
from .models import Case
from .search import SPEC, SearchRequest, search

router = Router(tags=["事例ライブラリ"])


class Outcome(Schema):
    indicator: str
    unit: str
    before: float
    after: float
    fiscal_year: int


class CaseMunicipality(Schema):
    code: str
    name: str
    prefecture: str


class CaseOut(Schema):
    id: int
    title: str
    summary: str
    municipality: CaseMunicipality
    partners: list[CaseMunicipality]
    sectors: list[str]
    sector_models: list[str]
    funding_kinds: list[str]
    programs: list[str]
    sharing_economy: bool
    outcomes: list[Outcome]
    cost: int | None
    operator: str
    lessons: str
    contact_organisation: str
    source_url: str
    status: str
    is_demo: bool
    version: int
    updated_at: dt.datetime


class FacetOut(Schema):
    key: str
    label: str
    count: int


class CaseList(Schema):
    count: int
    items: list[CaseOut]
    facets: dict[str, list[FacetOut]]


class CaseIn(Schema):
    municipality: str = Field(..., examples=["202151"])
    partners: list[str] = []
    title: str
    summary: str
    sectors: list[str] = Field(..., examples=[["disaster"]])
    sector_models: list[str] = []
    funding_kinds: list[str] = Field([], description="crowdfunding / corporate_furusato / national_program / own_budget / private")
    programs: list[str] = Field([], description="支援メニューのID")
    sharing_economy: bool = False
    outcomes: list[Outcome] = []
    cost: int | None = None
    operator: str = ""
    lessons: str = ""
    contact_organisation: str = ""
    source_url: str = ""
    status: str = Field("draft", description="published / draft")


class CaseUpdateIn(CaseIn):
    version: int = Field(..., ge=0)


def _ref(m) -> dict:
    return {"code": m.code, "name": m.name, "prefecture": m.prefecture_id}


def case_out(case: Case) -> dict:
    return {"id": case.pk, "title": case.title, "summary": case.summary, "municipality": _ref(case.municipality),
            "partners": [_ref(p) for p in case.partners.all()], "sectors": case.sectors,
            "sector_models": case.sector_models, "funding_kinds": case.funding_kinds,
            "programs": [p.public_id for p in case.programs.all()], "sharing_economy": case.sharing_economy,
            "outcomes": case.outcomes, "cost": case.cost, "operator": case.operator, "lessons": case.lessons,
            "contact_organisation": case.contact_organisation, "source_url": case.source_url,
            "status": case.status, "is_demo": case.is_demo, "version": case.version, "updated_at": case.updated_at}


# Facet keys are short ASCII codes; bounding them (and q) keeps every valid request line under the servers'
# limit: gunicorn answers 414 past 4,094 bytes, before the application could say anything. Worst case:
# 5 filters × 8 values × (40 + name) ≈ 2,300 bytes, q 100 characters percent-encoded ≤ 1,200 bytes.
FacetKey = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,30}(,[a-z0-9_]{1,30})*$", max_length=40)]
FacetValues = Annotated[list[FacetKey], Field(max_length=8)]


class CaseSearchParams(Schema):
    """The documented parameters; the request itself is read by SearchRequest.from_params, as on the page."""

    q: str | None = Field(None, max_length=SPEC.max_q_length)
    sector: FacetValues = []
    prefecture: FacetValues = []
    funding: FacetValues = []
    population_class: FacetValues = []
    sharing: FacetValues = []
    sort: Annotated[str, StringConstraints(pattern=r"^[a-z_]{0,20}$")] | None = None
    page: int = Field(1, ge=1, le=100000)
    page_size: int = Field(SPEC.default_page_size, ge=1, le=SPEC.max_page_size)


@router.get("", response={200: CaseList, 422: ErrorOut},
            summary="事例の検索（q・分野・都道府県・財源・人口規模・シェアリングエコノミーの絞り込み、sort、page）")
def list_cases(request, params: Query[CaseSearchParams]):
    req = SearchRequest.from_params(request.GET)
    if req.errors:
        return Status(422, {"detail": list(req.errors)})
    result = search(req, queryset=queries.visible(request.user))
    return {"count": result.count, "items": [case_out(c) for c in result.items],
            "facets": {name: [v.as_dict() for v in values] for name, values in result.facets.items()}}


@router.get("/{case_id}", response={200: CaseOut, 404: ErrorOut}, summary="事例")
def get_case(request, case_id: int):
    case = get_object_or_404(Case.objects.select_related("municipality"), pk=case_id)
    access.require_view(request.user, case)
    return case_out(case)


@router.post("", auth=WRITE_AUTH, response={201: CaseOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
             summary="事例を登録（その団体・都道府県の職員、事務局）")
def create_case(request, payload: CaseIn):
    try:
        case, _ = actions.save_case(request.user, None, payload.dict(), version=0, source=history.API)
    except Invalid as exc:
        return Status(422, {"detail": exc.errors})
    return Status(201, case_out(case))


@router.put("/{case_id}", auth=WRITE_AUTH, response={200: CaseOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
            summary="事例を更新（version で楽観的排他）")
def update_case(request, case_id: int, payload: CaseUpdateIn):
    case = get_object_or_404(Case.objects.select_related("municipality"), pk=case_id)
    data = payload.dict()
    version = data.pop("version")
    try:
        case, _ = actions.save_case(request.user, case, data, version=version, source=history.API)
    except Invalid as exc:
        return Status(422, {"detail": exc.errors})
    return Status(200, case_out(case))
