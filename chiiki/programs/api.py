"""支援メニュー API: search (same request shape as the page), detail, navigator."""

import json
from datetime import date

from django.http import HttpResponse
from django.urls import reverse
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.responses import NinjaJSONEncoder

from chiiki.core.schemas import ErrorOut
from chiiki.progress.models import Stage
from chiiki.regions.queries import get_municipality

from .eligibility import FIT_LABELS
from .models import SupportType
from .navigator import navigator as navigate
from .queries import get_program
from .search import DEFAULT_PAGE_SIZE, Hit, SearchRequest, run_search, snapshot
from .serialize import program_detail, program_item
from .suggestions import suggest

router = Router(tags=["支援メニュー"])


class FacetValueOut(Schema):
    key: str
    label: str
    count: int


class FitOut(Schema):
    fit: str
    label: str
    reasons: list[str]
    rate: str = ""
    prerequisites: list[str] = []


class SuccessorOut(Schema):
    """The program that replaced this one."""

    id: str
    name: str
    url: str


class ProgramItemOut(Schema):
    id: str
    name: str
    provider: str
    provider_type: str
    kind: str
    kind_label: str
    support_type: str
    support_type_label: str
    sectors: list[str]
    all_sectors: bool
    summary: str
    status: str
    status_label: str
    next_deadline: date | None = None
    next_deadline_estimated: bool = Field(False, description="true: 出典に締切日の記載がなく、月末を締切として示した日付"
                                                             "（募集案内で確認してください）")
    next_opening: date | None = None
    url: str
    score: float | None = None
    fit: FitOut | None = None
    ended_fiscal_year: int | None = None  # last 年度 of applications; status "ended" once it is past
    successor: SuccessorOut | None = None


class SuggestionOut(Schema):
    """A search to try instead, offered when a search finds nothing."""

    kind: str  # sector | municipality | query_only | ended | all
    label: str
    reason: str
    params: dict[str, str]
    count: int
    url: str  # this API with params
    page_url: str  # the search page with params


class SearchOut(Schema):
    count: int
    page: int
    page_size: int
    num_pages: int
    sort: str
    items: list[ProgramItemOut]
    facets: dict[str, list[FacetValueOut]]
    suggestions: list[SuggestionOut] = []


class WindowOut(Schema):
    kind: str
    label: str
    opens: date | None = None
    closes: date | None = None


class ProgramDetailOut(ProgramItemOut):
    subsidy_rate: str
    cap_yen: int | None = None
    min_project_yen: int | None = None
    max_years: int | None = None
    eligibility: str
    source_url: str
    rules: dict
    prerequisites: list[str]
    stages: list[str]
    package_roles: list[str]
    windows: list[WindowOut]
    terms_year: int | None = None
    last_verified: date | None = None
    version: int


class NamedCode(Schema):
    code: str
    name: str


class NavigatorItemOut(Schema):
    program: ProgramItemOut
    fit: str
    fit_label: str
    reasons: list[str]
    rate: str = ""
    prerequisites: list[str] = []


class PackageStepOut(Schema):
    year: int
    fiscal_year: int
    role: str
    title: str
    programs: list[str]
    why: str


class NavigatorOut(Schema):
    municipality: NamedCode
    sector: NamedCode
    stage: str | None = None
    support_type: str | None = None
    items: list[NavigatorItemOut]
    package: list[PackageStepOut]


class SearchParams(Schema):
    """The documented parameters; the request itself is read by SearchRequest.from_params, as on the page."""

    q: str | None = None
    sector: list[str] = []
    kind: list[str] = []
    support_type: list[str] = []
    provider: list[str] = []
    status: list[str] = []
    eligible_for: str | None = None
    fit: list[str] = []
    sort: str | None = None
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE


@router.get("", response={200: SearchOut, 404: ErrorOut}, summary="支援メニューの検索（ファセット件数付き）")
def search(request, params: Query[SearchParams]):
    """`q` は全文検索（1〜2文字の語、全角半角・ひらがなカタカナの違いを吸収。分野名・分野別モデル名でも見つかる）。
    `q` があれば関連度順。1件も見つからないときは `suggestions` に代わりの検索（語が一致した分野・団体、
    絞り込みを外した検索など。`params` と件数付き）を返します。
    絞り込みは複数指定可（`sector=disaster&sector=tourism`）。`eligible_for`（団体コード）を指定すると
    その団体が利用可能なもの（既定）に絞り込み、`fit` ファセット（eligible / check / excluded）を返します。
    パラメータの読み方と検査は検索ページと同じです（複数値は `sector=a,b` とも書けます）。使えない値は 422。"""
    req = SearchRequest.from_params(request.GET)
    if req.errors:
        raise HttpError(422, " / ".join(req.errors))
    result = run_search(req, user=request.user)
    sector_names = snapshot().sector_names
    items = result.items
    payload = {
        "count": result.count, "page": result.page, "page_size": req.page_size, "num_pages": result.num_pages,
        "sort": result.sort,
        "items": [program_item(hit, request, sector_names) for hit in items],
        "facets": {name: [v.as_dict() for v in values] for name, values in result.facets.items()},
        "suggestions": [
            {"kind": s.kind, "label": s.label, "reason": s.reason, "params": s.params, "count": s.count,
             "url": f"/api/v1/programs?{s.querystring}".rstrip("?"),
             "page_url": f"{reverse('programs:index')}?{s.querystring}".rstrip("?")}
            for s in suggest(result, user=request.user)
        ],
    }
    # The hot path: serialise directly instead of re-validating every item through the schema (≈ 40 % of the
    # request time at 20 items). test_search_api.py validates responses against SearchOut instead.
    return HttpResponse(json.dumps(payload, cls=NinjaJSONEncoder, ensure_ascii=False),
                        content_type="application/json; charset=utf-8")


# Declared before /{public_id} so that "navigator" is not taken for a program id.
@router.get("/navigator", response={200: NavigatorOut, 404: ErrorOut},
            summary="支援メニューナビ（適合判定と3か年パッケージ）")
def navigator(request, municipality: str, sector: str, stage: str | None = None, support_type: str | None = None):
    """団体×分野について、関係する支援メニューの適合（eligible / check（要確認）/ excluded）と理由、
    今年度から3か年のパッケージ（1年目: 人材・ノウハウ、2年目: 実装資金、3年目以降: 運用・自走資金）を返します。"""
    if stage and stage not in Stage.values:
        raise HttpError(422, f"stage は {', '.join(Stage.values)} のいずれかです")
    if support_type and support_type not in SupportType.values:
        raise HttpError(422, f"support_type は {', '.join(SupportType.values)} のいずれかです")
    target = get_municipality(municipality)
    items, steps = navigate(target, sector, stage=stage or "", support_type=support_type or "")
    snap = snapshot()
    return {
        "municipality": {"code": target.code, "name": target.full_name},
        "sector": {"code": sector, "name": snap.sector_names[sector]},
        "stage": stage, "support_type": support_type,
        "items": [
            {"program": program_item(Hit(i.program, i.status, successor=i.successor), request), "fit": i.fit.fit,
             "fit_label": FIT_LABELS[i.fit.fit], "reasons": i.fit.reasons, "rate": i.fit.rate,
             "prerequisites": i.fit.prerequisites}
            for i in items
        ],
        "package": [
            {"year": s.year, "fiscal_year": s.fiscal_year, "role": s.role, "title": s.title,
             "programs": [p.public_id for p in s.programs], "why": s.why}
            for s in steps
        ],
    }


@router.get("/{public_id}", response=ProgramDetailOut, summary="支援メニューの詳細")
def detail(request, public_id: str):
    program = get_program(public_id)
    return program_detail(program, request)

