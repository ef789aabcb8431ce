"""/api/v1/model-regions (見本となる地域, candidates, diffusion) and /api/v1/municipalities/{code}/… (commitments,
package advice, neighbours' uptake). Reads are public; writes go through actions (WRITE_AUTH)."""

import datetime as dt

from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from chiiki.accounts.auth import WRITE_AUTH
from chiiki.core import history
from chiiki.core.fiscal import InvalidFiscalYear, parse_fiscal_year
from chiiki.core.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, paginate
from chiiki.core.schemas import ErrorOut
from chiiki.regions.queries import get_municipality

from . import actions, queries
from .models import Commitment, ModelRegion

router = Router(tags=["推進体制（見本となる地域）"])


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


class DiffusionYear(Schema):
    fiscal_year: int
    neighbour_implemented: int
    neighbour_cells: int
    neighbour_share: float | None
    comparison_implemented: int
    comparison_cells: int
    comparison_share: float | None
    difference: float | None = Field(None, description="隣接団体の割合 − 比較グループの割合（ポイント）")


class NeighbourChange(Schema):
    code: str
    name: str
    before: int
    after: int
    change: int


class DiffusionOut(Schema):
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


class NationalDiffusionOut(Schema):
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
    version: int


class WeightsIn(Schema):
    max_population: int
    implemented_weight: int
    progress_weight: int
    commitment_weight: int
    version: int = Field(..., ge=0, description="読み込んだときの版（未保存なら 0）。古い版での更新は 409")


class CandidateOut(Schema):
    code: str
    name: str
    prefecture: str
    kind: str
    population: int | None
    score: float
    implemented: float
    progress: float
    commitment: bool
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
    items: list[CandidateOut]


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


class MunicipalityName(Schema):
    code: str
    name: str


class PackageRule(Schema):
    if_: list[str] = Field(..., alias="if")
    then: str
    confidence: float = Field(..., description="if の分野をすべて実装した団体のうち then も実装した割合（%）")
    base: int = Field(..., description="if の分野をすべて実装した団体数")


class PackageOut(Schema):
    sectors: list[str]
    support: int = Field(..., description="組み合わせのすべての分野を実装した類似団体の数")
    municipalities: list[MunicipalityName]
    rules: list[PackageRule]
    have: list[str]
    missing: list[str]


class PackagesOut(Schema):
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
def list_model_regions(request, fiscal_year: str | None = None):
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
def update_designation(request, code: str, fiscal_year: int, payload: DesignationUpdate):
    region = _region(code, fiscal_year)
    actions.update_designation(request.user, region, sectors=payload.sectors, story=payload.story,
                               package_name=payload.package_name, version=payload.version, source=history.API)
    return Status(200, region_item(queries.region_of(region.municipality_id, fiscal_year)))


@router.delete("/model-regions/{code}/{int:fiscal_year}", auth=WRITE_AUTH,
               response={204: None, 409: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
               summary="指定を取り消す（事務局のみ、version 必須、変更履歴に残る）")
def revoke_designation(request, code: str, fiscal_year: int, version: int):
    actions.revoke_designation(request.user, _region(code, fiscal_year), version=version, source=history.API)
    return Status(204, None)


def _warning(too_small: bool) -> str:
    return ("比較するグループが小さすぎる（5団体未満）ため、この差に意味はありません。" if too_small else "")


@router.get("/model-regions/diffusion", response=NationalDiffusionOut,
            summary="全国: 見本となる地域の隣接団体と比較グループの実装割合の差（年度ごと）")
def national_diffusion(request):
    result = queries.national_diffusion()
    return {**result, "warning": _warning(result["too_small"])}


@router.get("/model-regions/{code}/diffusion", response=DiffusionOut,
            summary="見本となる地域の隣接団体と比較グループの実装割合の差（年度ごと）")
def region_diffusion(request, code: str, fiscal_year: str | None = None):
    municipality = get_municipality(code)
    year = _year(fiscal_year) if fiscal_year else None
    region = queries.region_of(municipality.code, year)
    if region is None:
        raise HttpError(404, f"{municipality.name}は見本となる地域に指定されていません")
    result = queries.region_diffusion(region)
    neighbours = [{"code": c, "name": result["neighbour_names"][c], **result["changes"][c]}
                  for c in result["neighbours"]]
    return {"code": municipality.code, "name": municipality.name, "designation_year": region.fiscal_year,
            "sectors": result["sectors"], "neighbour_count": result["neighbour_count"],
            "comparison_count": result["comparison_count"], "too_small": result["too_small"],
            "warning": _warning(result["too_small"]), "baseline_year": result["baseline_year"],
            "last_year": result["last_year"], "years": result["years"], "neighbours": neighbours,
            "comparison": result["comparison"]}


@router.get("/model-regions/candidates", response=CandidateList,
            summary="見本となる地域の候補（スコアの式と重みつき、スコアの高い順）")
def candidates(request, fiscal_year: str | None = None, page: int = Query(1, ge=1),
               page_size: int = Query(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)):
    result = queries.candidates(_year(fiscal_year))
    page_obj = paginate(result["items"], page, page_size)
    weights = queries.current_weights()
    return {"fiscal_year": result["fiscal_year"], "compared_with": result["compared_with"],
            "formula": result["formula"], "weights": weights, "count": page_obj.paginator.count,
            "items": list(page_obj.object_list)}


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


@router.get("/municipalities/{code}/packages", response=PackagesOut,
            summary="パッケージ型の実装: 類似団体が一緒に実装した分野の組み合わせ（支持数・確信度・団体名）")
def packages(request, code: str, fiscal_year: str | None = None):
    municipality = get_municipality(code)
    result = queries.package_advice(municipality, _year(fiscal_year))
    combos = [{**c, "municipalities": c["municipality_names"]} for c in result["combinations"]]
    return {**result, "combinations": combos}


@router.get("/municipalities/{code}/neighbour-uptake", response=list[UptakeOut],
            summary="近隣の取組: 隣接団体が実装済みで、この団体がまだの分野")
def neighbour_uptake(request, code: str, fiscal_year: str | None = None):
    municipality = get_municipality(code)
    return [{**row, "url": reverse("progress:municipality", args=[row["code"]])}
            for row in queries.neighbour_uptake(municipality, _year(fiscal_year))]

