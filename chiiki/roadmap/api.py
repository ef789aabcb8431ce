"""Public read API of the roadmap: /api/v1/sectors."""

from ninja import Field, Router, Schema

from . import queries

# Listed with the register in the API docs ("団体"), where it has always been.
router = Router(tags=["団体"])


class SectorModelOut(Schema):
    name: str
    order: int


class SectorOut(Schema):
    code: str = Field(..., examples=["education"])
    name: str = Field(..., examples=["教育"])
    name_en: str
    note: str
    order: int
    models: list[SectorModelOut]


# operation_id as published while this endpoint lived in chiiki/regions/api.py (generated clients use it).
@router.get("/sectors", response=list[SectorOut], summary="分野（とモデル）の一覧",
            operation_id="chiiki_regions_api_list_sectors")
def list_sectors(request):
    return [
        {"code": s.code, "name": s.name, "name_en": s.name_en, "note": s.note, "order": s.order,
         "models": [{"name": m.name, "order": m.order} for m in s.models.all()]}
        for s in queries.sectors_with_models()
    ]
