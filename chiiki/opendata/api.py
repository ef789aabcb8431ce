"""/api/v1/opendata: catalog search, a dataset (CKAN's dict), create/update with optimistic locking, and the
自治体標準オープンデータセット validator. The CKAN Action API (chiiki.opendata.ckan) reads the same queries."""

from typing import Literal

from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from chiiki.accounts.auth import WRITE_AUTH
from chiiki.core import history
from chiiki.core.codes import is_valid_code
from chiiki.core.errors import Invalid
from chiiki.core.schemas import ErrorOut
from chiiki.core.search_request import MAX_Q_LENGTH
from chiiki.regions.models import Municipality, Prefecture

from . import actions, queries, search, standard
from .indexing import sector_names
from .models import UsageKind
from .serialize import NATIONAL, dataset_dict

router = Router(tags=["オープンデータ"])


class FacetCount(Schema):
    value: str
    count: int


class DatasetList(Schema):
    count: int
    items: list[dict]
    facets: dict[str, list[FacetCount]]


class SearchFilters(Schema):
    q: str = Field("", description=f"全文検索の語（先頭{MAX_Q_LENGTH}文字まで、検索ページと同じ）")
    organization: list[str] = Field(default_factory=list, description="公開団体（団体コード、国は national）")
    groups: list[str] = Field(default_factory=list, description="分野のコード")
    tags: list[str] = Field(default_factory=list)
    res_format: list[str] = Field(default_factory=list, description="形式（CSV, XLSX …）")
    license_id: list[str] = Field(default_factory=list)
    standard_type: list[str] = Field(default_factory=list, description="自治体標準オープンデータセットの種類")
    conformance: list[Literal["conforming", "needs_fix"]] = Field(default_factory=list,
                                   description="標準への準拠: conforming（準拠）| needs_fix（要修正）。facets には含みません")
    visibility: list[Literal["public", "internal"]] = Field(
        default_factory=list, description="公開範囲: public（公開）| internal（庁内限定、見られる人だけ）。facets には含みません")
    sort: str = Field("relevance", description="relevance | name | -modified | modified | id")
    page: int = Field(1, ge=1, le=100_000)
    page_size: int = Field(20, ge=1, le=1000)


class DatasetIn(Schema):
    owner: str = Field(..., description="公開団体: 市区町村・都道府県の団体コード、または national")
    name: str
    title: str
    notes: str = ""
    license: str = "cc-by-4.0"
    license_other: str = ""
    tags: list[str] = Field(default_factory=list)
    sectors: list[str] = Field(default_factory=list)
    frequency: str = "irregular"
    standard_type: str = ""
    visibility: str = Field("public", description="public（公開）| internal（庁内限定）")


class DatasetUpdate(Schema):
    name: str
    title: str
    notes: str = ""
    license: str = "cc-by-4.0"
    license_other: str = ""
    tags: list[str] = Field(default_factory=list)
    sectors: list[str] = Field(default_factory=list)
    frequency: str = "irregular"
    standard_type: str = ""
    visibility: str = "public"
    version: int = Field(..., ge=0, description="読み込んだときの版。必須: 古い版での更新は 409")


class ProblemOut(Schema):
    row: int | None
    column: str
    message: str
    value: str
    level: str


class ValidationOut(Schema):
    standard_type: str
    ok: bool
    encoding: str
    rows: int
    errors: int
    warnings: int
    omitted: int
    problems: list[ProblemOut]


@router.get("/datasets", response=DatasetList, summary="データセットの検索（見られるものだけ）")
def list_datasets(request, filters: Query[SearchFilters]):
    sort = filters.sort if filters.sort in search.SORTS else "relevance"
    selected = {name: getattr(filters, name) for name in (*search.FACETS, *search.FILTERS)}
    result = search.run(request.user, q=filters.q.strip()[:MAX_Q_LENGTH], filters=selected, sort=sort,
                        start=(filters.page - 1) * filters.page_size, rows=filters.page_size)
    names = sector_names()
    return {"count": result.count, "items": [dataset_dict(request, d, names) for d in result.datasets],
            "facets": {k: [{"value": v, "count": c} for v, c in values] for k, values in result.facets.items()}}


@router.get("/datasets/{name}", response={200: dict, 404: ErrorOut}, summary="データセット（CKAN の package と同じ形）")
def get_dataset(request, name: str):
    dataset = queries.get_dataset(request.user, name)
    actions.count_use(dataset, UsageKind.API, user_agent=request.headers.get("User-Agent", ""))
    return dataset_dict(request, dataset, sector_names())


def _owner(key: str):
    if key == NATIONAL:
        return None
    found = Municipality.objects.filter(code=key).first() or Prefecture.objects.filter(lg_code=key).first()
    if found is None:
        raise Invalid([("owner", "公開団体の団体コードが見つかりません")])
    return found


@router.post("/datasets", auth=WRITE_AUTH, response={201: dict, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
             summary="データセットを作成")
def create_dataset(request, payload: DatasetIn):
    values = payload.dict()
    owner = _owner(values.pop("owner"))
    dataset = actions.create_dataset(request.user, owner, values, source=history.API)
    return Status(201, dataset_dict(request, queries.get_dataset(request.user, dataset.name), sector_names()))


@router.put("/datasets/{name}", auth=WRITE_AUTH,
            response={200: dict, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
            summary="データセットを更新（version が必須、古い版なら 409）")
def update_dataset(request, name: str, payload: DatasetUpdate):
    dataset = queries.get_dataset(request.user, name)
    values = payload.dict()
    version = values.pop("version")
    updated = actions.update_dataset(request.user, dataset, values, version=version, source=history.API)
    return dataset_dict(request, queries.get_dataset(request.user, updated.name), sector_names())


@router.post("/validate", response={200: ValidationOut, 422: ErrorOut},
             summary="自治体標準オープンデータセットの検証（ファイルは保存しません）")
def validate(request, file: File[UploadedFile], standard_type: Form[str], code: Form[str] = ""):
    if standard_type not in standard.schemas():
        raise Invalid([("standard_type", f"標準データセットの種類が正しくありません（{', '.join(standard.schemas())}）")])
    owner = None
    if code:
        if not is_valid_code(code):
            raise Invalid([("code", "団体コードが正しくありません（6桁、検査数字を含む）")])
        owner = (actions.validation_owner("", code[:2]) if Prefecture.objects.filter(lg_code=code).exists()
                 else actions.validation_owner(code, code[:2]))
    data = actions.read_upload(file)
    return standard.validate(data, file.name or "", standard_type, owner).summary()

