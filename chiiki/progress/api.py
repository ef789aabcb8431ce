"""/api/v1/progress: list, summary, per-cell update (optimistic locking), bulk import, export."""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from chiiki.accounts.auth import WRITE_AUTH
from chiiki.core import history, tabular
from chiiki.core.codes import InvalidCode, normalize_code
from chiiki.core.errors import Conflict as CoreConflict
from chiiki.core.errors import Invalid
from chiiki.core.fiscal import InvalidFiscalYear, parse_fiscal_year
from chiiki.core.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, paginate
from chiiki.core.schemas import ErrorOut
from chiiki.regions.api import MunicipalityRef  # the register's reference shape, one component
from chiiki.regions.queries import get_municipality
from chiiki.roadmap.models import Sector

from . import actions, queries
from .exporting import export_response
from .imports import PROGRESS
from .models import ProgressRecord, Stage

router = Router(tags=["進捗状況"])


class ProgressItem(Schema):
    municipality: MunicipalityRef
    sector: str
    fiscal_year: int
    stage: str
    stage_label: str
    carried_over: bool
    note: str
    evidence_url: str
    version: int
    source: str


class ProgressList(Schema):
    count: int
    items: list[ProgressItem]


class SummaryGroup(Schema):
    key: str
    name: str
    municipalities: int
    stages: dict[str, int] | None = None
    sectors: dict[str, dict[str, int]] | None = None


class SummaryTotal(Schema):
    municipalities: int
    stages: dict[str, int] | None = None
    sectors: dict[str, dict[str, int]] | None = None


class SummaryOut(Schema):
    fiscal_year: int
    sector: str | None
    group_by: str | None
    groups: list[SummaryGroup]
    total: SummaryTotal


class ProgressIn(Schema):
    stage: str
    note: str = ""
    evidence_url: str = ""
    version: int = Field(..., ge=0, description="読み込んだときの版（記録がまだない年度は 0）。必須: 古い版での更新は 409")


class Conflict(Schema):
    detail: str
    current: ProgressItem | None = None  # the record as it is now (absent when another write held the lock)




class ImportError_(Schema):
    row: int
    column: str
    message: str
    value: str = ""


class ImportResult(Schema):
    ok: bool
    committed: bool
    rows: int
    created: int
    updated: int
    unchanged: int
    duplicates: int
    skipped: int = 0
    errors: list[ImportError_]


class ListFilters(Schema):
    fiscal_year: str | None = None
    sector: str | None = None
    prefecture: str | None = None
    municipality: str | None = None
    kind: str | None = None
    # The pages' links repeat it (?stage=implemented&stage=self_sustaining); a comma list works too.
    stage: list[str] = Field(default_factory=list, description="段階（繰り返し、またはカンマ区切りで複数: いずれかに当たるセル）")
    peer_group: str | None = None
    implemented_any: bool = False
    unreported: bool = False  # only the cells without a record of fiscal_year itself (not yet reported)


def _year(raw) -> int:
    if raw in (None, ""):
        return queries.default_fiscal_year()
    try:
        return parse_fiscal_year(raw)
    except InvalidFiscalYear as exc:
        raise HttpError(422, str(exc)) from None


def _rows(filters: ListFilters):
    year = _year(filters.fiscal_year)
    stages = [part for value in filters.stage for part in value.split(",") if part]
    unknown = [s for s in stages if s not in Stage.values]
    if unknown:
        raise HttpError(422, f"段階が正しくありません: {', '.join(unknown)}")
    municipality = None
    if filters.municipality:
        try:
            municipality = normalize_code(filters.municipality)
        except InvalidCode as exc:
            raise HttpError(422, str(exc)) from None
    return year, queries.list_cells(
        year, sector=filters.sector or None, prefecture=filters.prefecture or None, kind=filters.kind or None,
        municipality=municipality, stages=stages, peer_group=filters.peer_group or None,
        implemented_any=filters.implemented_any, unreported=filters.unreported)


def item_of(place, sector_code, cell) -> dict:
    return {"municipality": {"code": place["code"], "name": place["name"]}, "sector": sector_code,
            "fiscal_year": cell.fiscal_year, "stage": cell.stage, "stage_label": cell.stage_label,
            "carried_over": cell.carried_over, "note": cell.note, "evidence_url": cell.evidence_url,
            "version": cell.version, "source": cell.source}


@router.get("", response=ProgressList, summary="進捗状況の一覧（年度ごと、繰越を含む）")
def list_progress(request, filters: Query[ListFilters], page: int = Query(1, ge=1),
                  page_size: int = Query(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)):
    _year_value, rows = _rows(filters)
    page_obj = paginate(rows, page, page_size)
    return {"count": page_obj.paginator.count,
            "items": [item_of(place, sector["code"], cell) for place, sector, cell in page_obj.object_list]}


@router.get("/summary", response={200: SummaryOut, 422: ErrorOut}, summary="段階別の集計")
def summary(request, fiscal_year: str | None = None, sector: str | None = None, group_by: str | None = None):
    year = _year(fiscal_year)
    if group_by not in (None, "", "prefecture", "kind", "population_class", "peer_group"):
        raise HttpError(422, "group_by は prefecture・kind・population_class・peer_group のいずれかです")
    if sector and sector not in {s["code"] for s in queries.sectors()}:
        raise HttpError(422, f"分野が正しくありません: {sector}")
    body = queries.cached("summary-json", (year, sector, group_by or None), lambda: json.dumps(
        queries.summary(year, sector or None, group_by or None), ensure_ascii=False, cls=DjangoJSONEncoder).encode())
    return HttpResponse(body, content_type="application/json")


@router.get("/export.csv", summary="CSVで出力（取込形式）")
def export_csv(request, filters: Query[ListFilters]):
    year, rows = _rows(filters)
    return export_response("csv", year, rows)


@router.get("/export.xlsx", summary="XLSXで出力（取込形式）")
def export_xlsx(request, filters: Query[ListFilters]):
    year, rows = _rows(filters)
    return export_response("xlsx", year, rows)


@router.put("/{code}/{sector}/{fiscal_year}", auth=WRITE_AUTH,
            response={200: ProgressItem, 409: Conflict, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
            summary="1団体・1分野・1年度の段階を更新（version で楽観的排他）")
def update_progress(request, code: str, sector: str, fiscal_year: str, payload: ProgressIn):
    municipality = get_municipality(code)
    code = municipality.code
    sector_obj = get_object_or_404(Sector, pk=sector)
    year = _year(fiscal_year)
    try:
        actions.save_progress(request.user, municipality, sector_obj, year, stage=payload.stage, note=payload.note,
                              evidence_url=payload.evidence_url, version=payload.version, source=history.API)
    except CoreConflict:
        cell = queries.cells(year, sector=sector, municipality=code)[(code, sector)]
        return Status(409, {"detail": "他の利用者が先に更新しました。最新の内容を確認してから保存してください。",
                     "current": item_of({"code": code, "name": municipality.name}, sector, cell)})
    except Invalid as exc:
        return Status(422, {"detail": exc.errors})
    cell = queries.cells(year, sector=sector, municipality=code)[(code, sector)]
    return Status(200, item_of({"code": code, "name": municipality.name}, sector, cell))


@router.delete("/{code}/{sector}/{fiscal_year}", auth=WRITE_AUTH,
               response={204: None, 409: Conflict, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
               summary="誤った記録を削除（事務局のみ。version 必須、変更履歴に残る）")
def delete_progress(request, code: str, sector: str, fiscal_year: int, version: int):
    code = get_municipality(code).code
    record = get_object_or_404(ProgressRecord.objects.select_related("municipality", "sector"),
                               municipality_id=code, sector_id=sector, fiscal_year=fiscal_year)
    try:
        actions.delete_progress(request.user, record, version=version, source=history.API)
    except CoreConflict:
        cell = queries.cells(fiscal_year, sector=sector, municipality=code)[(code, sector)]
        return Status(409, {"detail": CoreConflict.DEFAULT,
                            "current": item_of({"code": code, "name": record.municipality.name}, sector, cell)})
    except Invalid as exc:
        return Status(422, {"detail": exc.errors})
    return Status(204, None)


@router.post("/import", auth=WRITE_AUTH, response={200: ImportResult, 422: ImportResult | ErrorOut, 403: ErrorOut},
             summary="一括取込（CSV/XLSX、全件成功時のみ反映。dry_run で検査のみ）")
def import_file(request, file: File[UploadedFile], dry_run: Form[bool] = False, fiscal_year: Form[str] = ""):
    year = _year(fiscal_year) if fiscal_year else None
    # At most the size limit + 1 bytes: read_table refuses a larger file without it being read into memory.
    result = PROGRESS.run(request.user, tabular.read_limited(file), file.name or "", dry_run=dry_run,
                          source=history.API, fiscal_year=year)
    return Status(200 if result.ok else 422, result.as_dict())
