"""/api/v1/progress: list, summary, per-cell update (optimistic locking), bulk import, export."""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from ninja import File, Form, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from chiiki.api import WRITE_AUTH
from chiiki.core.fiscal import InvalidFiscalYear, parse_fiscal_year
from chiiki.core.paging import page_size_of, paginate
from chiiki.regions.queries import get_municipality

from . import actions, queries
from .exporting import export_response
from .models import Stage

router = Router(tags=["進捗状況"])


class MunicipalityRef(Schema):
    code: str
    name: str


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
    version: int | None = None


class Conflict(Schema):
    detail: str
    current: ProgressItem


class Detail(Schema):
    detail: str | list | dict


class ImportError_(Schema):
    row: int
    column: str
    message: str


class ImportResult(Schema):
    ok: bool
    committed: bool
    rows: int
    created: int
    updated: int
    unchanged: int
    duplicates: int
    errors: list[ImportError_]


class ListFilters(Schema):
    fiscal_year: str | None = None
    sector: str | None = None
    prefecture: str | None = None
    municipality: str | None = None
    kind: str | None = None
    stage: str | None = None  # one stage or several separated by commas
    peer_group: str | None = None
    implemented_any: bool = False


def _year(raw) -> int:
    if raw in (None, ""):
        return queries.default_fiscal_year()
    try:
        return parse_fiscal_year(raw)
    except InvalidFiscalYear as exc:
        raise HttpError(422, str(exc)) from None


def _rows(filters: ListFilters):
    year = _year(filters.fiscal_year)
    stages = [s for s in (filters.stage or "").split(",") if s]
    unknown = [s for s in stages if s not in Stage.values]
    if unknown:
        raise HttpError(422, f"段階が正しくありません: {', '.join(unknown)}")
    municipality = None
    if filters.municipality:
        from chiiki.core.codes import InvalidCode, normalize_code

        try:
            municipality = normalize_code(filters.municipality)
        except InvalidCode as exc:
            raise HttpError(422, str(exc)) from None
    return year, queries.list_cells(
        year, sector=filters.sector or None, prefecture=filters.prefecture or None, kind=filters.kind or None,
        municipality=municipality, stages=stages, peer_group=filters.peer_group or None,
        implemented_any=filters.implemented_any)


def item_of(place, sector_code, cell) -> dict:
    return {"municipality": {"code": place["code"], "name": place["name"]}, "sector": sector_code,
            "fiscal_year": cell.fiscal_year, "stage": cell.stage, "stage_label": cell.stage_label,
            "carried_over": cell.carried_over, "note": cell.note, "evidence_url": cell.evidence_url,
            "version": cell.version, "source": cell.source}


@router.get("", response=ProgressList, summary="進捗状況の一覧（年度ごと、繰越を含む）")
def list_progress(request, filters: Query[ListFilters], page: int = 1, page_size: int = 50):
    _year_value, rows = _rows(filters)
    page_obj = paginate(rows, page, page_size_of(page_size))
    return {"count": page_obj.paginator.count,
            "items": [item_of(place, sector["code"], cell) for place, sector, cell in page_obj.object_list]}


@router.get("/summary", response={200: SummaryOut, 422: Detail}, summary="段階別の集計")
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
            response={200: ProgressItem, 409: Conflict, 403: Detail, 404: Detail, 422: Detail},
            summary="1団体・1分野・1年度の段階を更新（version で楽観的排他）")
def update_progress(request, code: str, sector: str, fiscal_year: str, payload: ProgressIn):
    from chiiki.roadmap.models import Sector

    municipality = get_municipality(code)
    code = municipality.code
    sector_obj = get_object_or_404(Sector, pk=sector)
    year = _year(fiscal_year)
    try:
        actions.save_progress(request.user, municipality, sector_obj, year, stage=payload.stage, note=payload.note,
                              evidence_url=payload.evidence_url, version=payload.version, via="api")
    except actions.StaleVersion:
        cell = queries.cells(year, sector=sector, municipality=code)[(code, sector)]
        return Status(409, {"detail": "他の利用者が先に更新しました。最新の内容を確認してから保存してください。",
                     "current": item_of({"code": code, "name": municipality.name}, sector, cell)})
    except actions.InvalidProgress as exc:
        return Status(422, {"detail": exc.errors})
    cell = queries.cells(year, sector=sector, municipality=code)[(code, sector)]
    return Status(200, item_of({"code": code, "name": municipality.name}, sector, cell))


@router.post("/import", auth=WRITE_AUTH, response={200: ImportResult, 422: ImportResult, 403: Detail},
             summary="一括取込（CSV/XLSX、全件成功時のみ反映。dry_run で検査のみ）")
def import_file(request, file: File[UploadedFile], dry_run: Form[bool] = False, fiscal_year: Form[str] = ""):
    year = _year(fiscal_year) if fiscal_year else None
    report = actions.import_progress(request.user, file.read(), file.name or "", fiscal_year=year,
                                     dry_run=dry_run, via="api")
    return Status(200 if report.ok else 422, report.as_dict())
