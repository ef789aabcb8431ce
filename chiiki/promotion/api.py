"""/api/v1/model-regions (見本となる地域, candidates, diffusion) and /api/v1/municipalities/{code}/… (commitments,
package advice, neighbours' uptake). Reads are public; writes go through actions (WRITE_AUTH)."""

import datetime as dt

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Field, Path, Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import BaseModel
from pydantic_core import to_json
from typing_extensions import TypedDict

from chiiki import access
from chiiki.accounts.auth import WRITE_AUTH
from chiiki.core import history
from chiiki.core.codes import InvalidCode, typed_code
from chiiki.core.fiscal import InvalidFiscalYear, parse_fiscal_year
from chiiki.core.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Window, paginate, window_of, window_openapi
from chiiki.core.schemas import ErrorOut
from chiiki.regions.queries import get_municipality

from . import actions, ics, queries
from .models import (
    Challenge,
    Commitment,
    Council,
    CouncilMembership,
    Event,
    ModelRegion,
    Organisation,
    PlanParticipation,
    Proposal,
)

router = Router(tags=["推進体制（見本となる地域）"])
MAX_ID = 2_147_483_647  # ids and 年度 in paths beyond a database integer answer 422, never a database error


def _year_query():
    return Query("", max_length=20, description="年度（2026、令和8年度、R8 など）。省略時は現在の年度")


def _id(description: str = "ID"):
    return Path(..., ge=1, le=MAX_ID, description=description)


def _year(raw, default=None) -> int:
    if raw in (None, ""):
        return default if default is not None else queries.default_year()
    try:
        return parse_fiscal_year(raw)
    except InvalidFiscalYear as exc:
        raise HttpError(422, str(exc)) from None


# ---- schemas ----------------------------------------------------------------------------------------------------

class ModelRegionOut(Schema):
    code: str
    name: str
    prefecture: str
    fiscal_year: int
    sectors: list[str]
    package_name: str
    story: str
    lat: float | None
    lng: float | None
    is_demo: bool
    version: int
    url: str
    diffusion_url: str


class ModelRegionList(Schema):
    count: int
    items: list[ModelRegionOut]


class DesignationIn(Schema):
    code: str = Field(..., description="団体コード（5桁または6桁）")
    fiscal_year: str = Field(..., description="指定年度（2026、令和8年度、R8 など）")
    sectors: list[str] = Field(..., description="対象分野のコード")
    story: str
    package_name: str = ""


class DesignationUpdate(Schema):
    sectors: list[str]
    story: str
    package_name: str = ""
    version: int = Field(..., ge=0, description="読み込んだときの版。古い版での更新は 409")


# The large computed answers (diffusion, package advice: thousands of nested rows) are plain pydantic models: they
# are validated from dicts in pydantic-core, without ninja.Schema's per-object attribute resolver, which cost most
# of a cold request (bench/promotion_bench.py).
class DiffusionYear(BaseModel):
    fiscal_year: int
    neighbour_implemented: int
    neighbour_cells: int
    neighbour_share: float | None
    comparison_implemented: int
    comparison_cells: int
    comparison_share: float | None
    difference: float | None = Field(None, description="隣接団体の割合 − 比較グループの割合（ポイント）")


class NeighbourChange(BaseModel):
    code: str
    name: str
    before: int
    after: int
    change: int


class DiffusionOut(BaseModel):
    code: str
    name: str
    designation_year: int
    sectors: list[str]
    neighbour_count: int
    comparison_count: int
    too_small: bool
    warning: str
    baseline_year: int
    last_year: int
    years: list[DiffusionYear]
    neighbours: list[NeighbourChange]
    comparison: list[str]


class NationalDiffusionOut(BaseModel):
    regions: int
    neighbour_count: int
    comparison_count: int
    too_small: bool
    warning: str
    years: list[DiffusionYear]


class WeightsOut(Schema):
    max_population: int
    implemented_weight: int
    progress_weight: int
    commitment_weight: int
    plans_weight: int
    version: int


class WeightsIn(Schema):
    max_population: int
    implemented_weight: int
    progress_weight: int
    commitment_weight: int
    plans_weight: int
    version: int = Field(..., ge=0, description="読み込んだときの版（未保存なら 0）。古い版での更新は 409")


class ModelRegionCandidateOut(Schema):
    rank: int  # nationally, also when one prefecture's candidates are listed
    code: str
    name: str
    prefecture: str
    kind: str
    population: int | None
    score: float
    implemented: float
    progress: float
    commitment: bool
    plans: bool
    commitment_date: dt.date | None
    commitment_url: str
    implemented_sectors: list[str]
    designated: bool


class CandidateList(Schema):
    fiscal_year: int
    compared_with: int
    formula: str
    weights: WeightsOut
    count: int
    items: list[ModelRegionCandidateOut]


class CommitmentOut(Schema):
    id: int
    municipality: str
    declared_on: dt.date
    title: str
    document_url: str
    is_demo: bool
    version: int


class CommitmentIn(Schema):
    declared_on: str = Field(..., description="表明日（YYYY-MM-DD）")
    title: str
    document_url: str


# A TypedDict, not a model: package advice lists thousands of these (each combination names its municipalities),
# and validating them into dicts instead of model instances halves the cost of writing that answer.
class MunicipalityName(TypedDict):
    code: str
    name: str


class PackageRule(BaseModel):
    if_: list[str] = Field(..., alias="if")
    then: str
    confidence: float = Field(..., description="if の分野をすべて実装した団体のうち then も実装した割合（%）")
    base: int = Field(..., description="if の分野をすべて実装した団体数")


class PlanProgram(BaseModel):
    public_id: str
    name: str
    plans: int = Field(..., description="この組み合わせの分野でこの支援メニューを財源にした公開中の実装計画の数")
    municipalities: list[str]


class PackageOut(BaseModel):
    sectors: list[str]
    support: int = Field(..., description="組み合わせのすべての分野を実装した類似団体の数")
    municipalities: list[MunicipalityName]
    rules: list[PackageRule]
    have: list[str]
    missing: list[str]
    programs: list[PlanProgram] = Field(..., description="組み合わせの団体の公開中の実装計画が使った支援メニュー")


class PackagesOut(BaseModel):
    municipality: str
    fiscal_year: int
    similar_label: str
    similar_count: int
    min_support: int
    implemented: list[str]
    combinations: list[PackageOut]


class UptakeOut(Schema):
    code: str
    name: str
    sector: str
    sector_name: str
    stage: str
    stage_label: str
    fiscal_year: int
    url: str


# ---- model regions ----------------------------------------------------------------------------------------------

def region_item(region: ModelRegion) -> dict:
    m = region.municipality
    return {"code": m.code, "name": m.name, "prefecture": m.prefecture.name, "fiscal_year": region.fiscal_year,
            "sectors": [s.code for s in region.sectors.all()], "package_name": region.package_name,
            "story": region.story, "lat": m.lat, "lng": m.lng, "is_demo": region.is_demo, "version": region.version,
            "url": region.get_absolute_url(), "diffusion_url": f"/api/v1/model-regions/{m.code}/diffusion"}
# (Invalid → 422 and Conflict → 409 are mapped once for every router in chiiki/api.py.)


@router.get("/model-regions", response=ModelRegionList, summary="見本となる地域の一覧（年度で絞込み可）")
def list_model_regions(request, fiscal_year: str = _year_query()):
    year = _year(fiscal_year) if fiscal_year else None
    items = [region_item(r) for r in queries.model_regions(year)]
    return {"count": len(items), "items": items}


@router.post("/model-regions", auth=WRITE_AUTH, response={201: ModelRegionOut, 403: ErrorOut, 404: ErrorOut,
                                                          422: ErrorOut},
             summary="見本となる地域を指定（事務局のみ）")
def designate(request, payload: DesignationIn):
    municipality = get_municipality(payload.code)
    region = actions.designate(request.user, municipality, fiscal_year=payload.fiscal_year, sectors=payload.sectors,
                               story=payload.story, package_name=payload.package_name, source=history.API)
    return Status(201, region_item(queries.region_of(municipality.code, region.fiscal_year)))


def _region(code: str, fiscal_year: int) -> ModelRegion:
    municipality = get_municipality(code)
    return get_object_or_404(ModelRegion, municipality=municipality, fiscal_year=fiscal_year)


@router.put("/model-regions/{code}/{int:fiscal_year}", auth=WRITE_AUTH,
            response={200: ModelRegionOut, 409: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
            summary="指定の内容（分野・紹介）を更新（事務局のみ、version で楽観的排他）")
def update_designation(request, code: str, payload: DesignationUpdate, fiscal_year: int = _id("指定年度")):
    region = _region(code, fiscal_year)
    actions.update_designation(request.user, region, sectors=payload.sectors, story=payload.story,
                               package_name=payload.package_name, version=payload.version, source=history.API)
    return Status(200, region_item(queries.region_of(region.municipality_id, fiscal_year)))


@router.delete("/model-regions/{code}/{int:fiscal_year}", auth=WRITE_AUTH,
               response={204: None, 409: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
               summary="指定を取り消す（事務局のみ、version 必須、変更履歴に残る）")
def revoke_designation(request, code: str, version: int, fiscal_year: int = _id("指定年度")):
    actions.revoke_designation(request.user, _region(code, fiscal_year), version=version, source=history.API)
    return Status(204, None)


def _json(model, data: dict) -> HttpResponse:
    """The answer validated by its schema and written as JSON by pydantic-core in one step: the large computed
    answers (thousands of nested rows) spent most of a request in ninja's Python JSON encoder otherwise."""
    return HttpResponse(model.model_validate(data).model_dump_json(), content_type="application/json")


def _warning(too_small: bool) -> str:
    return ("比較するグループが小さすぎる（5団体未満）ため、この差に意味はありません。" if too_small else "")


@router.get("/model-regions/diffusion", response=NationalDiffusionOut,
            summary="全国: 見本となる地域の隣接団体と比較グループの実装割合の差（年度ごと）")
def national_diffusion(request):
    result = queries.national_diffusion()
    return _json(NationalDiffusionOut, {**result, "warning": _warning(result["too_small"])})


@router.get("/model-regions/{code}/diffusion", response=DiffusionOut,
            summary="見本となる地域の隣接団体と比較グループの実装割合の差（年度ごと）")
def region_diffusion(request, code: str, fiscal_year: str = _year_query()):
    municipality = get_municipality(code)
    year = _year(fiscal_year) if fiscal_year else None
    region = queries.region_of(municipality.code, year)
    if region is None:
        raise HttpError(404, f"{municipality.name}は見本となる地域に指定されていません")
    result = queries.region_diffusion(region)
    neighbours = [{"code": c, "name": result["neighbour_names"][c], **result["changes"][c]}
                  for c in result["neighbours"]]
    return _json(DiffusionOut, {
        "code": municipality.code, "name": municipality.name, "designation_year": region.fiscal_year,
        "sectors": result["sectors"], "neighbour_count": result["neighbour_count"],
        "comparison_count": result["comparison_count"], "too_small": result["too_small"],
        "warning": _warning(result["too_small"]), "baseline_year": result["baseline_year"],
        "last_year": result["last_year"], "years": result["years"], "neighbours": neighbours,
        "comparison": result["comparison"]})


class DiffusionCell(BaseModel):
    code: str
    name: str
    prefecture: str
    sector: str
    sector_name: str
    stage: str
    stage_label: str
    record_year: int | None = Field(None, description="その年度に効いている記録の年度（記録がなければ null）")


class DiffusionCellList(BaseModel):
    fiscal_year: int
    group: str
    group_label: str
    implemented_only: bool
    count: int = Field(..., description="セル（団体×分野）の数: 波及の表の数値と同じ")
    municipality_count: int
    items: list[DiffusionCell]


def _cells(request, region, year: str, group: str, implemented: bool, page: int, page_size: int) -> HttpResponse:
    result = queries.diffusion_cells(_year(year), group, implemented, region)
    if result is None:
        raise HttpError(404, "この年度・グループの数値はありません")
    page_obj = paginate(result["rows"], page, page_size)
    return _json(DiffusionCellList, {**result, "fiscal_year": result["year"], "count": len(result["rows"]),
                                     "items": list(page_obj.object_list)})


_GROUP = Query(..., pattern="^(neighbours|comparison)$", description="neighbours（隣接団体）または comparison（比較グループ）")
_IMPLEMENTED = Query(False, description="true: 実装済以上のセル（割合の分子）、false: すべてのセル（分母）")


@router.get("/model-regions/diffusion/cells", response={200: DiffusionCellList, 404: ErrorOut, 422: ErrorOut},
            summary="全国の波及の表の数値の内訳: 年度・グループのセル（団体×指定分野）と、その年度の段階")
def national_diffusion_cells(request, year: str = Query(..., max_length=20, description="表の年度（空なら現在の年度）"),
                             group: str = _GROUP, implemented: bool = _IMPLEMENTED, page: int = Query(1, ge=1),
                             page_size: int = Query(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)):
    return _cells(request, None, year, group, implemented, page, page_size)


@router.get("/model-regions/{code}/diffusion/cells", response={200: DiffusionCellList, 404: ErrorOut, 422: ErrorOut},
            summary="見本となる地域の波及の表の数値の内訳: 年度・グループのセル（団体×対象分野）と、その年度の段階")
def region_diffusion_cells(request, code: str, year: str = Query(..., max_length=20, description="表の年度（空なら現在の年度）"),
                           group: str = _GROUP, implemented: bool = _IMPLEMENTED,
                           fiscal_year: str = _year_query(), page: int = Query(1, ge=1),
                           page_size: int = Query(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)):
    municipality = get_municipality(code)
    region = queries.region_of(municipality.code, _year(fiscal_year) if fiscal_year else None)
    if region is None:
        raise HttpError(404, f"{municipality.name}は見本となる地域に指定されていません")
    return _cells(request, region, year, group, implemented, page, page_size)


@router.get("/model-regions/candidates", response=CandidateList,
            summary="見本となる地域の候補（スコアの式と重みつき、スコアの高い順）")
def candidates(request, fiscal_year: str = _year_query(), page: int = Query(1, ge=1),
               page_size: int = Query(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE),
               prefecture: str | None = Query(None, description="都道府県コード（その都道府県の候補だけ、順位は全国）")):
    result = queries.candidates(_year(fiscal_year))
    page_obj = paginate(queries.ranked_candidates(result, prefecture), page, page_size)
    weights = queries.current_weights()
    return {"fiscal_year": result["fiscal_year"], "compared_with": result["compared_with"],
            "formula": result["formula"], "weights": weights, "count": page_obj.paginator.count,
            "items": [{**e, "rank": rank} for rank, e in page_obj.object_list]}


@router.get("/model-regions/weights", response=WeightsOut, summary="候補スコアの重み")
def get_weights(request):
    return queries.current_weights()


@router.put("/model-regions/weights", auth=WRITE_AUTH,
            response={200: WeightsOut, 409: ErrorOut, 403: ErrorOut, 422: ErrorOut},
            summary="候補スコアの重みを変更（事務局のみ、version で楽観的排他、変更履歴に残る）")
def put_weights(request, payload: WeightsIn):
    data = payload.dict()
    version = data.pop("version")
    return Status(200, actions.save_weights(request.user, data, version=version, source=history.API))


# ---- per municipality -------------------------------------------------------------------------------------------

def commitment_item(c: Commitment) -> dict:
    return {"id": c.pk, "municipality": c.municipality_id, "declared_on": c.declared_on, "title": c.title,
            "document_url": c.document_url, "is_demo": c.is_demo, "version": c.version}


class CommitmentList(Schema):
    count: int
    items: list[CommitmentOut]


@router.get("/commitments", response=CommitmentList,
            summary="首長のコミットメントの全国の一覧（新しい順。都道府県・団体コードで絞込み）")
def all_commitments(request, prefecture: str = "", municipality: str = "", page: int = Query(1, ge=1),
                    page_size: int = Query(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)):
    page_obj = paginate(queries.all_commitments(prefecture=prefecture, municipality=municipality), page, page_size)
    return {"count": page_obj.paginator.count, "items": [commitment_item(c) for c in page_obj.object_list]}


@router.get("/municipalities/{code}/commitments", response=list[CommitmentOut], summary="首長のコミットメントの記録")
def list_commitments(request, code: str):
    return [commitment_item(c) for c in queries.commitments(get_municipality(code))]


@router.post("/municipalities/{code}/commitments", auth=WRITE_AUTH,
             response={201: CommitmentOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
             summary="首長のコミットメントを記録（その団体の職員・都道府県・事務局）")
def add_commitment(request, code: str, payload: CommitmentIn):
    commitment = actions.record_commitment(request.user, get_municipality(code), declared_on=payload.declared_on,
                                           title=payload.title, document_url=payload.document_url,
                                           source=history.API)
    return Status(201, commitment_item(commitment))


@router.delete("/municipalities/{code}/commitments/{int:pk}", auth=WRITE_AUTH,
               response={204: None, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
               summary="誤って記録したコミットメントを削除（version 必須、変更履歴に残る）")
def delete_commitment(request, code: str, version: int, pk: int = _id()):
    commitment = get_object_or_404(Commitment, pk=pk, municipality=get_municipality(code))
    actions.delete_commitment(request.user, commitment, version=version, source=history.API)
    return Status(204, None)


@router.get("/municipalities/{code}/packages", response=PackagesOut,
            summary="パッケージ型の実装: 類似団体が一緒に実装した分野の組み合わせ（支持数・確信度・団体名）")
def packages(request, code: str, fiscal_year: str = _year_query()):
    group = queries.package_group_by_code(code)  # Http404 for an invalid or unknown code, before the 年度 (422)
    year = _year(fiscal_year)
    # The written JSON is cached, not the nested rows: a repeated request allocates one bytes object instead of
    # thousands of dicts, whose churn set off full garbage collections (~70 ms).
    return HttpResponse(queries.advice_of_group(group, year, "packages-json", packages_json, bases=False),
                        content_type="application/json")


def packages_json(advice: dict) -> bytes:
    """The answer as PackagesOut writes it (`model_dump_json(by_alias=True)`: a rule's condition is "if", as the
    OpenAPI document says), by pydantic-core's serializer from plain dicts in the schema's field order, without
    validating them first: the same bytes (the comparison tests in chiiki/promotion/tests/test_packages.py hold
    them equal). Each similar municipality's {"code", "name"} is written once and spliced into every combination
    that names it (about 4,000 times in a large group) instead of being serialised again each time."""
    named = {code: to_json({"code": code, "name": name}) for code, name in advice["names"].items()}
    combos = []
    # packages.mine writes each rule and packages.programs_of each program in their schemas' field order already.
    for c in advice["combinations"]:
        head = to_json({"sectors": c["sectors"], "support": c["support"]})  # b'{…}': its "}" gives way
        tail = to_json({"rules": c["rules"], "have": c["have"], "missing": c["missing"], "programs": c["programs"]})
        combos.append(b"".join((head[:-1], b',"municipalities":[', b",".join([named[m] for m in c["municipalities"]]),
                                b"],", tail[1:])))
    top = to_json({"municipality": advice["municipality"], "fiscal_year": advice["fiscal_year"],
                   "similar_label": advice["similar_label"], "similar_count": advice["similar_count"],
                   "min_support": advice["min_support"], "implemented": advice["implemented"], "combinations": []})
    return b"".join((top[:-3], b"[", b",".join(combos), b"]}"))  # top ends in "combinations":[]}


@router.get("/municipalities/{code}/neighbour-uptake", response=list[UptakeOut],
            summary="近隣の取組: 隣接団体が実装済みで、この団体がまだの分野")
def neighbour_uptake(request, code: str, fiscal_year: str = _year_query()):
    municipality = get_municipality(code)
    return [{**row, "url": reverse("progress:municipality", args=[row["code"]])}
            for row in queries.neighbour_uptake(municipality, _year(fiscal_year))]



# ---- organisations and councils -----------------------------------------------------------------------------------

class OrganisationOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    corporate_number: str
    prefecture: str | None
    sectors: list[str]
    website: str
    is_demo: bool
    version: int
    url: str


class OrganisationList(Schema):
    count: int
    items: list[OrganisationOut]


class OrganisationIn(Schema):
    name: str
    kind: str = Field(..., description="industry・academia・npo・company・startup・finance・council・government")
    corporate_number: str = Field("", description="法人番号（13桁、検査用数字を確認）")
    prefecture: str = Field("", description="都道府県コード（2桁）")
    sectors: list[str] = []
    website: str = ""


class OrganisationUpdate(OrganisationIn):
    version: int = Field(..., ge=0)


def organisation_item(o: Organisation) -> dict:
    return {"id": o.pk, "name": o.name, "kind": o.kind, "kind_label": o.get_kind_display(),
            "corporate_number": o.corporate_number, "prefecture": o.prefecture_id,
            "sectors": sorted(s.code for s in o.sectors.all()), "website": o.website, "is_demo": o.is_demo,
            "version": o.version, "url": o.get_absolute_url()}


@router.get("/organisations", response=OrganisationList, summary="推進体制の担い手（組織）の一覧")
def list_organisations(request, q: str = "", kind: str = "", prefecture: str = "", sector: str = "",
                       page: int = Query(1, ge=1), page_size: int = Query(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)):
    page_obj = paginate(queries.organisations(q=q, kind=kind, prefecture=prefecture, sector=sector), page, page_size)
    return {"count": page_obj.paginator.count, "items": [organisation_item(o) for o in page_obj.object_list]}


@router.get("/organisations/{int:organisation_id}", response=OrganisationOut, summary="組織")
def get_organisation(request, organisation_id: int = _id()):
    return organisation_item(get_object_or_404(Organisation, pk=organisation_id))


@router.post("/organisations", auth=WRITE_AUTH, response={201: OrganisationOut, 403: ErrorOut, 422: ErrorOut},
             summary="組織を登録（企業の利用者はその組織の所属になります）")
def create_organisation(request, payload: OrganisationIn):
    o = actions.save_organisation(request.user, None, payload.dict(), source=history.API)
    return Status(201, organisation_item(o))


@router.put("/organisations/{int:organisation_id}", auth=WRITE_AUTH,
            response={200: OrganisationOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
            summary="組織を更新（所属する利用者・事務局、version で楽観的排他）")
def update_organisation(request, payload: OrganisationUpdate, organisation_id: int = _id()):
    data = payload.dict()
    version = data.pop("version")
    o = actions.save_organisation(request.user, get_object_or_404(Organisation, pk=organisation_id), data,
                                  version=version, source=history.API)
    return Status(200, organisation_item(o))


class CouncilMemberOut(Schema):
    organisation: int
    name: str
    role: str
    role_label: str


class CouncilOut(Schema):
    id: int
    name: str
    prefecture: str
    municipality: str | None
    description: str
    website: str
    is_demo: bool
    version: int
    url: str
    members: list[CouncilMemberOut] | None = None
    member_count: int


class CouncilIn(Schema):
    name: str
    prefecture: str = Field("", description="都道府県コード（市区町村の協議会では省略可）")
    municipality: str = Field("", description="団体コード（都道府県の協議会では空）")
    description: str = ""
    website: str = ""


class CouncilUpdate(CouncilIn):
    version: int = Field(..., ge=0)


class CouncilMemberIn(Schema):
    organisation: int = Field(..., ge=1, le=MAX_ID)
    role: str = Field("member", description="chair（会長）・secretariat（事務局）・member（会員）")


def council_item(c: Council, *, members: bool = False) -> dict:
    item = {"id": c.pk, "name": c.name, "prefecture": c.prefecture_id, "municipality": c.municipality_id,
            "description": c.description, "website": c.website, "is_demo": c.is_demo, "version": c.version,
            "url": c.get_absolute_url(), "member_count": getattr(c, "member_count", None) or c.memberships.count()}
    if members:
        item["members"] = [{"organisation": m.organisation_id, "name": m.organisation.name, "role": m.role,
                            "role_label": m.get_role_display()} for m in queries.council_members(c)]
    return item


@router.get("/councils", response=list[CouncilOut], summary="推進協議会などの一覧",
            openapi_extra=window_openapi())
def list_councils(request, response: HttpResponse, window: Query[Window], prefecture: str = ""):
    return [council_item(c) for c in window_of(request, response, queries.councils(prefecture=prefecture), window)]


@router.get("/councils/{int:council_id}", response=CouncilOut, summary="協議会（構成員と役割つき）")
def get_council(request, council_id: int = _id()):
    return council_item(get_object_or_404(Council, pk=council_id), members=True)


@router.post("/councils", auth=WRITE_AUTH, response={201: CouncilOut, 403: ErrorOut, 422: ErrorOut},
             summary="協議会を登録（都道府県・市区町村の担当者、事務局）")
def create_council(request, payload: CouncilIn):
    return Status(201, council_item(actions.save_council(request.user, None, payload.dict(), source=history.API),
                                    members=True))


@router.put("/councils/{int:council_id}", auth=WRITE_AUTH,
            response={200: CouncilOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
            summary="協議会を更新（version で楽観的排他）")
def update_council(request, payload: CouncilUpdate, council_id: int = _id()):
    data = payload.dict()
    version = data.pop("version")
    council = actions.save_council(request.user, get_object_or_404(Council, pk=council_id), data, version=version,
                                   source=history.API)
    return Status(200, council_item(council, members=True))


@router.post("/councils/{int:council_id}/members", auth=WRITE_AUTH,
             response={201: CouncilOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
             summary="協議会に構成員（組織と役割）を加える")
def add_council_member(request, payload: CouncilMemberIn, council_id: int = _id()):
    council = get_object_or_404(Council, pk=council_id)
    organisation = get_object_or_404(Organisation, pk=payload.organisation)
    actions.add_council_member(request.user, council, organisation, payload.role, source=history.API)
    return Status(201, council_item(council, members=True))


@router.delete("/councils/{int:council_id}/members/{int:organisation_id}", auth=WRITE_AUTH,
               response={204: None, 403: ErrorOut, 404: ErrorOut}, summary="協議会の構成員を外す（変更履歴に残る）")
def remove_council_member(request, council_id: int = _id(), organisation_id: int = _id()):
    membership = get_object_or_404(CouncilMembership.objects.select_related("council", "organisation"),
                                   council_id=council_id, organisation_id=organisation_id)
    actions.remove_council_member(request.user, membership, source=history.API)
    return Status(204, None)


# ---- organisations' roles in implementation plans (funding) --------------------------------------------------------

class PlanOrganisationOut(Schema):
    id: int
    plan: int
    plan_title: str
    organisation: int
    organisation_name: str
    role: str = Field(..., description="operator（運営主体）・partner（連携）・funder（資金提供）")
    role_label: str
    note: str
    is_demo: bool
    version: int


class PlanOrganisationIn(Schema):
    organisation: int = Field(..., ge=1, le=MAX_ID)
    role: str = Field(..., description="operator・partner・funder")
    note: str = Field("", description="担う内容（200文字以内）")


class PlanOrganisationUpdate(Schema):
    role: str = Field(..., description="operator・partner・funder")
    note: str = ""
    version: int = Field(..., ge=0)


def participation_item(p: PlanParticipation) -> dict:
    return {"id": p.pk, "plan": p.plan_id, "plan_title": p.plan.title, "organisation": p.organisation_id,
            "organisation_name": p.organisation.name, "role": p.role, "role_label": p.get_role_display(),
            "note": p.note, "is_demo": p.is_demo, "version": p.version}


def _plan(request, plan_id: int):
    from chiiki.funding.models import ImplementationPlan

    plan = get_object_or_404(ImplementationPlan.objects.select_related("municipality", "prefecture"), pk=plan_id)
    if not access.can_view(request.user, plan):
        raise Http404("実装計画が見つかりません")
    return plan


def _participation(request, participation_id: int) -> PlanParticipation:
    participation = get_object_or_404(PlanParticipation.objects.select_related("plan__municipality", "organisation"),
                                      pk=participation_id)
    if not access.can_view(request.user, participation.plan):
        raise Http404("見つかりません")
    return participation


@router.get("/plans/{int:plan_id}/organisations", response=list[PlanOrganisationOut],
            summary="実装計画で役割を担う組織（運営主体・連携・資金提供）")
def list_plan_organisations(request, plan_id: int = _id()):
    return [participation_item(p) for p in queries.plan_participations(_plan(request, plan_id))]


@router.post("/plans/{int:plan_id}/organisations", auth=WRITE_AUTH,
             response={201: PlanOrganisationOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
             summary="実装計画に組織の役割を加える（計画を編集できる利用者）")
def add_plan_organisation(request, payload: PlanOrganisationIn, plan_id: int = _id()):
    plan = _plan(request, plan_id)
    organisation = get_object_or_404(Organisation, pk=payload.organisation)
    p = actions.add_plan_participation(request.user, plan, organisation, {"role": payload.role, "note": payload.note},
                                       source=history.API)
    return Status(201, participation_item(p))


@router.put("/plan-organisations/{int:participation_id}", auth=WRITE_AUTH,
            response={200: PlanOrganisationOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
            summary="実装計画での組織の役割を変更（version で楽観的排他）")
def update_plan_organisation(request, payload: PlanOrganisationUpdate, participation_id: int = _id()):
    p = actions.update_plan_participation(request.user, _participation(request, participation_id),
                                          {"role": payload.role, "note": payload.note}, version=payload.version,
                                          source=history.API)
    return Status(200, participation_item(p))


@router.delete("/plan-organisations/{int:participation_id}", auth=WRITE_AUTH,
               response={204: None, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
               summary="実装計画から組織の役割を外す（version 必須、変更履歴に残る）")
def remove_plan_organisation(request, version: int, participation_id: int = _id()):
    actions.remove_plan_participation(request.user, _participation(request, participation_id), version=version,
                                      source=history.API)
    return Status(204, None)


@router.get("/organisations/{int:organisation_id}/plans", response=list[PlanOrganisationOut],
            summary="組織が役割を担う実装計画（見られる計画のみ）")
def organisation_plans(request, organisation_id: int = _id()):
    organisation = get_object_or_404(Organisation, pk=organisation_id)
    return [participation_item(p) for p in queries.organisation_plans(request.user, organisation)
            .select_related("organisation")]


# ---- challenges and proposals -------------------------------------------------------------------------------------

class OutcomeOut(Schema):
    organisation: str
    organisation_id: int
    amount: int | None
    summary: str
    published_at: dt.datetime | None


class ChallengeOut(Schema):
    id: int
    municipality: MunicipalityName
    prefecture: str
    sector: str
    title: str
    problem: str
    requirements: str
    budget_min: int | None
    budget_max: int | None
    deadline: dt.date
    small_orders: bool
    no_track_record: bool
    pilot_first: bool
    startup_friendly: bool
    status: str = Field(..., description="open（募集中）・closed（審査中: 提案の締切を過ぎ、結果の公表前）・decided（決定）・"
                                         "withdrawn（取下げ）")
    withdrawal_reason: str = Field("", description="取下げの理由（status が withdrawn のとき）")
    outcome: OutcomeOut | None
    proposal_count: int | None = Field(..., description=(
        "提案数（この課題への提案の件数。課題の一覧の「提案数」と同じ）。提案を審査できる利用者（課題を出した団体の担当者・"
        "事務局）にだけ件数を返し、それ以外（未ログイン、提案した企業を含む企業、都道府県の担当者、他の団体、アドバイザー）"
        "には null（結果の公表まで提案は非公開のため）"))
    is_demo: bool
    version: int
    url: str


class ChallengeList(Schema):
    count: int
    items: list[ChallengeOut]


class ChallengeIn(Schema):
    sector: str
    title: str
    problem: str
    requirements: str
    budget_min: int | None = None
    budget_max: int | None = None
    deadline: str = Field(..., description="提案の締切（YYYY-MM-DD）")
    small_orders: bool = False
    no_track_record: bool = False
    pilot_first: bool = False


class ChallengeUpdate(ChallengeIn):
    version: int = Field(..., ge=0)


class ChallengeProposalOut(Schema):
    id: int
    challenge: int
    organisation: str
    organisation_id: int
    summary: str
    approach: str
    cost: int
    team: str
    status: str
    version: int


class ChallengeProposalIn(Schema):
    summary: str
    approach: str
    cost: int = Field(..., ge=0, description="見積額（円）")
    team: str


class ProposalUpdate(ChallengeProposalIn):
    version: int = Field(..., ge=0, description="提案の版")


class ShortlistIn(Schema):
    shortlisted: bool = True
    version: int = Field(..., ge=0)


class SelectIn(Schema):
    amount: int = Field(..., ge=0, description="契約金額（円）。結果として公表されます")
    version: int = Field(..., ge=0, description="課題の版")


def challenge_item(c: Challenge, user) -> dict:
    """c from queries.with_visible_proposal_counts(user, …) (its proposal_count, for those who review it)."""
    return {"id": c.pk, "municipality": {"code": c.municipality_id, "name": c.municipality.name},
            "prefecture": c.municipality.prefecture_id, "sector": c.sector_id, "title": c.title, "problem": c.problem,
            "requirements": c.requirements, "budget_min": c.budget_min, "budget_max": c.budget_max,
            "deadline": c.deadline, "small_orders": c.small_orders, "no_track_record": c.no_track_record,
            "pilot_first": c.pilot_first, "startup_friendly": c.startup_friendly, "status": c.current_status(),
            "withdrawal_reason": c.withdrawal_reason, "outcome": queries.public_outcome(c), "proposal_count": queries.visible_proposal_count(user, c),
            "is_demo": c.is_demo, "version": c.version,
            "url": c.get_absolute_url()}


def _challenge_out(request, challenge_id: int) -> dict:
    rows = queries.with_visible_proposal_counts(request.user, queries.challenges(status="all"))
    return challenge_item(get_object_or_404(rows, pk=challenge_id), request.user)


def proposal_item(p: Proposal) -> dict:
    return {"id": p.pk, "challenge": p.challenge_id, "organisation": p.organisation.name,
            "organisation_id": p.organisation_id, "summary": p.summary, "approach": p.approach, "cost": p.cost,
            "team": p.team, "status": p.status, "version": p.version}


class ChallengeFilters(Schema):
    sector: str = ""
    prefecture: str = ""
    municipality: str = ""
    deadline_before: dt.date | None = None
    startup_friendly: bool = False
    status: str = Field("open", description="open（募集中・締切前）・awaiting（締切後、選定を待つ提案がある。"
                                            "提案を審査する団体の担当者・事務局のみ: 自分が審査する課題）・closed・"
                                            "decided・withdrawn（取り下げた課題）・all")


def _challenge_filters(filters: ChallengeFilters) -> dict:
    """The filters for queries.challenges; a 団体コード that is not one is 422, as a bad date is."""
    try:
        municipality = typed_code(filters.municipality)
    except InvalidCode as exc:
        raise HttpError(422, str(exc)) from None
    return {**filters.dict(), "municipality": municipality}


@router.get("/challenges", response=ChallengeList, summary="自治体の課題（募集中のもの。絞込み: 分野・都道府県・締切・スタートアップ向け）")
def list_challenges(request, filters: Query[ChallengeFilters], page: int = Query(1, ge=1),
                    page_size: int = Query(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)):
    qs = queries.with_visible_proposal_counts(request.user,
                                              queries.challenges(**_challenge_filters(filters), viewer=request.user))
    page_obj = paginate(qs, page, page_size)
    return {"count": page_obj.paginator.count,
            "items": [challenge_item(c, request.user) for c in page_obj.object_list]}


@router.get("/challenges/deadlines.ics", summary="募集中の課題の提案締切（iCalendar）")
def challenge_deadlines_ics(request, filters: Query[ChallengeFilters]):
    rows = queries.challenges(**_challenge_filters(filters), viewer=request.user)
    return HttpResponse(ics.challenge_deadlines(rows), content_type="text/calendar; charset=utf-8")


@router.get("/challenges/{int:challenge_id}", response=ChallengeOut, summary="課題（結果の公表後は選定された提案の概要つき）")
def get_challenge(request, challenge_id: int = _id()):
    return _challenge_out(request, challenge_id)


@router.post("/municipalities/{code}/challenges", auth=WRITE_AUTH,
             response={201: ChallengeOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}, summary="課題を掲載（その団体の担当者）")
def create_challenge(request, code: str, payload: ChallengeIn):
    challenge = actions.save_challenge(request.user, get_municipality(code), None, payload.dict(), source=history.API)
    return Status(201, _challenge_out(request, challenge.pk))


@router.put("/challenges/{int:challenge_id}", auth=WRITE_AUTH,
            response={200: ChallengeOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
            summary="課題を更新（version で楽観的排他。結果の公表後は不可）")
def update_challenge(request, payload: ChallengeUpdate, challenge_id: int = _id()):
    challenge = get_object_or_404(Challenge, pk=challenge_id)
    data = payload.dict()
    version = data.pop("version")
    challenge = actions.save_challenge(request.user, challenge.municipality, challenge, data, version=version,
                                       source=history.API)
    return Status(200, _challenge_out(request, challenge.pk))


class ChallengeWithdrawal(Schema):
    reason: str = Field(description="取下げの理由（課題のページに表示し、提案した組織にメールで伝えます）")
    version: int


@router.post("/challenges/{int:challenge_id}/withdraw", auth=WRITE_AUTH,
             response={200: ChallengeOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
             summary="課題を取り下げる（その団体の担当者・事務局。結果の公表後は不可。提案した組織にメールで通知）")
def withdraw_challenge(request, payload: ChallengeWithdrawal, challenge_id: int = _id()):
    challenge = get_object_or_404(Challenge, pk=challenge_id)
    actions.withdraw_challenge(request.user, challenge, reason=payload.reason, version=payload.version,
                               source=history.API)
    return Status(200, _challenge_out(request, challenge.pk))


@router.get("/challenges/{int:challenge_id}/proposals", response=list[ChallengeProposalOut],
            summary="課題への提案（提案した組織・その団体・事務局だけが見られます）")
def list_proposals(request, challenge_id: int = _id()):
    challenge = get_object_or_404(Challenge, pk=challenge_id)
    return [proposal_item(p) for p in queries.visible_proposals(request.user, challenge)]


@router.post("/challenges/{int:challenge_id}/proposals", auth=WRITE_AUTH,
             response={201: ChallengeProposalOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
             summary="課題に提案する（企業・スタートアップの利用者、所属する組織として1件）")
def create_proposal(request, payload: ChallengeProposalIn, challenge_id: int = _id()):
    challenge = get_object_or_404(Challenge, pk=challenge_id)
    return Status(201, proposal_item(actions.submit_proposal(request.user, challenge, payload.dict(),
                                                             source=history.API)))


def _proposal(request, proposal_id: int, challenge_id: int | None = None) -> Proposal:
    rows = Proposal.objects.select_related("challenge__municipality", "organisation")
    if challenge_id is not None:
        rows = rows.filter(challenge_id=challenge_id)
    proposal = get_object_or_404(rows, pk=proposal_id)
    if not queries.visible_proposals(request.user, proposal.challenge).filter(pk=proposal.pk).exists():
        raise Http404("見つかりません")
    return proposal


@router.put("/challenges/{int:challenge_id}/proposals/{int:proposal_id}", auth=WRITE_AUTH,
            response={200: ChallengeProposalOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
            summary="自分の組織の提案を修正する（提案の締切まで。version で楽観的排他）")
def update_proposal(request, payload: ProposalUpdate, challenge_id: int = _id(), proposal_id: int = _id()):
    data = payload.dict()
    version = data.pop("version")
    proposal = actions.update_proposal(request.user, _proposal(request, proposal_id, challenge_id), data,
                                       version=version, source=history.API)
    return Status(200, proposal_item(proposal))


@router.delete("/challenges/{int:challenge_id}/proposals/{int:proposal_id}", auth=WRITE_AUTH,
               response={204: None, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
               summary="自分の組織の提案を取り下げる（提案の締切まで。変更履歴に残る）")
def withdraw_proposal(request, challenge_id: int = _id(), proposal_id: int = _id(),
                      version: int = Query(..., ge=0, le=2**31 - 1)):
    actions.withdraw_proposal(request.user, _proposal(request, proposal_id, challenge_id), version=version,
                              source=history.API)
    return Status(204, None)


@router.put("/proposals/{int:proposal_id}/shortlist", auth=WRITE_AUTH,
            response={200: ChallengeProposalOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
            summary="提案を候補にする／戻す（課題を出した団体・事務局）")
def shortlist(request, payload: ShortlistIn, proposal_id: int = _id()):
    proposal = actions.shortlist_proposal(request.user, _proposal(request, proposal_id),
                                          shortlisted=payload.shortlisted, version=payload.version,
                                          source=history.API)
    return Status(200, proposal_item(proposal))


@router.post("/proposals/{int:proposal_id}/select", auth=WRITE_AUTH,
             response={200: ChallengeOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
             summary="提案を選定して結果（組織・金額）を公表する")
def select(request, payload: SelectIn, proposal_id: int = _id()):
    challenge = actions.select_proposal(request.user, _proposal(request, proposal_id), amount=payload.amount,
                                        version=payload.version, source=history.API)
    return Status(200, _challenge_out(request, challenge.pk))


# ---- events -------------------------------------------------------------------------------------------------------

class EventOut(Schema):
    id: int
    title: str
    organiser: str
    sectors: list[str]
    format: str
    format_label: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    online_url: str
    venue: str
    description: str
    capacity: int | None
    registered: int
    recording_url: str
    materials_url: str
    is_demo: bool
    version: int
    url: str


class EventIn(Schema):
    title: str
    organiser: str = Field(..., description="organisation:<id>・municipality:<団体コード>・prefecture:<都道府県コード>")
    format: str = Field(..., description="online・onsite・hybrid")
    starts_at: str = Field(..., description="開始日時（YYYY-MM-DDTHH:MM、タイムゾーンなしは日本時間）")
    ends_at: str
    sectors: list[str] = []
    online_url: str = ""
    venue: str = ""
    description: str = ""
    capacity: int | None = None
    recording_url: str = ""
    materials_url: str = ""


class EventUpdate(EventIn):
    version: int = Field(..., ge=0)


def event_item(e: Event, user, registered_ids: set[int] | None = None) -> dict:
    registered = getattr(e, "registered", None)
    if registered_ids is None:
        registered_ids = queries.registered_event_ids(user, [e])
    return {"id": e.pk, "title": e.title, "organiser": e.organiser_name, "sectors": sorted(s.code for s in e.sectors.all()),
            "format": e.format, "format_label": e.get_format_display(), "starts_at": e.starts_at, "ends_at": e.ends_at,
            "online_url": queries.online_url_for(user, e, registered_ids), "venue": e.venue, "description": e.description, "capacity": e.capacity,
            "registered": registered if registered is not None else e.registrations.count(),
            "recording_url": e.recording_url, "materials_url": e.materials_url, "is_demo": e.is_demo,
            "version": e.version, "url": e.get_absolute_url()}


class EventFilters(Schema):
    sector: str = ""
    format: str = ""
    municipality: str = Field("", description="団体コード: 離島・中山間の団体ならオンラインの催しを先に並べます")
    past: bool = Field(False, description="終了した催しも含める")
    prefecture: str = Field("", description="都道府県コード（2桁）: その都道府県・域内の市区町村・所在する組織が主催する催し")


def _events(filters: EventFilters):
    try:
        place = get_municipality(filters.municipality) if filters.municipality else None
    except Http404 as exc:  # a filter value, not the resource asked for
        raise HttpError(422, str(exc)) from None
    return queries.events(sector=filters.sector, fmt=filters.format, upcoming=not filters.past,
                          online_first=queries.online_first_for(place), prefecture=filters.prefecture)


@router.get("/events", response=list[EventOut], summary="イベント・オンライン説明会（離島・中山間の団体にはオンラインを先に）",
            openapi_extra=window_openapi())
def list_events(request, response: HttpResponse, filters: Query[EventFilters], window: Query[Window]):
    rows = list(window_of(request, response, _events(filters), window))
    registered_ids = queries.registered_event_ids(request.user, rows)
    return [event_item(e, request.user, registered_ids) for e in rows]


@router.get("/events/calendar.ics", summary="イベントのカレンダー（iCalendar）")
def events_ics(request, filters: Query[EventFilters]):
    return HttpResponse(ics.event_calendar(_events(filters)), content_type="text/calendar; charset=utf-8")


@router.get("/events/{int:event_id}", response=EventOut, summary="イベント")
def get_event(request, event_id: int = _id()):
    return event_item(get_object_or_404(Event, pk=event_id), request.user)


@router.get("/events/{int:event_id}/calendar.ics", auth=WRITE_AUTH,
            response={401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
            summary="イベントのカレンダー（オンライン参加のURL付き。申込者と主催者だけ）")
def event_calendar(request, event_id: int = _id()):
    event = get_object_or_404(Event, pk=event_id)
    access.require(request.user, "promotion.event_join", event)
    return ics.personal_response(ics.event_with_join_link(event), f"event-{event.pk}.ics")


@router.post("/events", auth=WRITE_AUTH, response={201: EventOut, 403: ErrorOut, 422: ErrorOut},
             summary="イベントを登録")
def create_event(request, payload: EventIn):
    return Status(201, event_item(actions.save_event(request.user, None, payload.dict(), source=history.API),
                                  request.user))


@router.put("/events/{int:event_id}", auth=WRITE_AUTH,
            response={200: EventOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
            summary="イベントを更新（録画・資料の追加も。登録者・事務局、version で楽観的排他）")
def update_event(request, payload: EventUpdate, event_id: int = _id()):
    data = payload.dict()
    version = data.pop("version")
    event = actions.save_event(request.user, get_object_or_404(Event, pk=event_id), data, version=version,
                               source=history.API)
    return Status(200, event_item(event, request.user))


@router.post("/events/{int:event_id}/registrations", auth=WRITE_AUTH,
             response={201: EventOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
             summary="参加を申し込む（定員を超えると 409）")
def register(request, event_id: int = _id()):
    event = get_object_or_404(Event, pk=event_id)
    actions.register_for_event(request.user, event, source=history.API)
    return Status(201, event_item(get_object_or_404(Event, pk=event_id), request.user))


@router.delete("/events/{int:event_id}/registrations", auth=WRITE_AUTH,
               response={204: None, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}, summary="参加の申込を取り消す")
def unregister(request, event_id: int = _id()):
    actions.cancel_registration(request.user, get_object_or_404(Event, pk=event_id), source=history.API)
    return Status(204, None)
