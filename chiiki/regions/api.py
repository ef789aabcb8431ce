"""Public read API of the national register: prefectures and municipalities (sectors: chiiki/roadmap/api.py)."""

from decimal import Decimal

from ninja import Field, Query, Router, Schema

from chiiki.core.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, paginate
from chiiki.core.schemas import ErrorOut

from . import queries
from .models import Municipality, MunicipalityKind, Prefecture

router = Router(tags=["団体"])




class PrefectureRef(Schema):
    code: str = Field(..., description="都道府県コード（2桁）", examples=["13"])
    name: str = Field(..., examples=["東京都"])


class PrefectureOut(PrefectureRef):
    lg_code: str = Field(..., description="都道府県の団体コード（6桁）", examples=["130001"])
    kana: str
    municipality_count: int = Field(..., description="市区町村の数")


class MunicipalityRef(Schema):
    code: str = Field(..., description="団体コード（6桁）", examples=["131024"])
    name: str = Field(..., examples=["中央区"])


class MunicipalityOut(Schema):
    code: str = Field(..., description="全国地方公共団体コード（6桁、チェックディジット付き）", examples=["131016"])
    name: str = Field(..., examples=["千代田区"])
    kana: str = Field(..., examples=["チヨダク"])
    kind: MunicipalityKind
    kind_label: str = Field(..., examples=["特別区"])
    prefecture: PrefectureRef
    population: int | None = Field(None, description="人口（未登録は null）")
    population_year: int | None = Field(None, description="人口の基準年")
    area_km2: float | None = Field(None, description="面積（km²、未登録は null）")
    lat: float | None = Field(None, description="役所の緯度")
    lng: float | None = Field(None, description="役所の経度")


class AttributesOut(Schema):
    fiscal_strength_index: Decimal | None = Field(None, description="財政力指数（未登録は null）")
    depopulated: bool | None = Field(None, description="過疎地域（未登録は null）")
    remote_island: bool | None = Field(None, description="離島地域（未登録は null）")
    mountainous: bool | None = Field(None, description="中山間地域（未登録は null）")


class MunicipalityDetailOut(MunicipalityOut):
    population_source: str = Field("", description="人口の出典")
    area_source: str = Field("", description="面積の出典（境界データから算出した概算値はその旨）")
    neighbours: list[MunicipalityRef] = Field(..., description="境界を接する団体")
    attributes: AttributesOut


class MunicipalityPage(Schema):
    count: int = Field(..., description="条件に合う団体の総数")
    page: int
    page_size: int
    items: list[MunicipalityOut]


class MunicipalityFilters(Schema):
    prefecture: str | None = Field(None, description="都道府県コード（2桁、例: 13）")
    kind: MunicipalityKind | None = Field(None, description="区分")
    q: str | None = Field(None, description="名称・よみ（ひらがな/カタカナ）・団体コード（5桁/6桁）")
    page: int = Field(1, ge=1)
    page_size: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


def _municipality(m: Municipality) -> dict:
    return {
        "code": m.code, "name": m.name, "kana": m.kana, "kind": m.kind,
        "kind_label": queries.KIND_LABELS.get(m.kind, m.kind),
        "prefecture": {"code": m.prefecture_id, "name": m.prefecture.name},
        "population": m.population, "population_year": m.population_year,
        "area_km2": float(m.area_km2) if m.area_km2 is not None else None,
        "lat": m.lat, "lng": m.lng,
    }


@router.get("/prefectures", response=list[PrefectureOut], summary="都道府県の一覧")
def list_prefectures(request):
    return [
        {"code": p.code, "lg_code": p.lg_code, "name": p.name, "kana": p.kana, "municipality_count": p.municipality_count}
        for p in queries.prefectures_with_counts()
    ]


@router.get("/municipalities", response=MunicipalityPage, summary="市区町村の検索・一覧")
def list_municipalities(request, filters: Query[MunicipalityFilters]):
    rows = queries.search_municipalities(filters.q, filters.prefecture, filters.kind)
    page = paginate(rows, filters.page, filters.page_size)
    return {"count": page.paginator.count, "page": page.number, "page_size": filters.page_size,
            "items": [_municipality(m) for m in page.object_list]}


@router.get("/municipalities/{code}", response={200: MunicipalityDetailOut, 404: ErrorOut},
            summary="市区町村の詳細（5桁の団体コードも可）")
def get_municipality(request, code: str):
    m = queries.get_municipality(code)
    return {
        **_municipality(m),
        "population_source": m.population_source,
        "area_source": m.area_source,
        "neighbours": [{"code": n.code, "name": n.name} for n in queries.neighbours_of(m)],
        "attributes": {"fiscal_strength_index": m.fiscal_strength_index, "depopulated": m.depopulated,
                       "remote_island": m.remote_island, "mountainous": m.mountainous},
    }


@router.get("/prefectures/{code}", response={200: PrefectureOut, 404: ErrorOut}, summary="都道府県の詳細")
def get_prefecture(request, code: str):
    p = queries.get_prefecture(code)
    return {"code": p.code, "lg_code": p.lg_code, "name": p.name, "kana": p.kana,
            "municipality_count": Prefecture.objects.get(pk=p.pk).municipalities.count()}
