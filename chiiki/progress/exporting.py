"""Exports in the import format (plus informational 団体名 / 繰越 columns the importer ignores)."""

from chiiki.core import tabular

from . import importer

EXPORT_HEADER = [importer.COL_CODE, importer.COL_NAME, importer.COL_SECTOR, importer.COL_YEAR, importer.COL_STAGE,
                 importer.COL_NOTE, importer.COL_URL, importer.COL_CARRIED]


def export_rows(rows):
    # The 分野 by name, as the pages say it; the importer reads names as well as codes, so the file goes back in.
    for place, sector, cell in rows:
        carried = f"{cell.record_year}年度から繰越" if cell.carried_over else ("記録なし" if cell.record_year is None else "")
        yield [place["code"], place["name"], sector["name"], cell.fiscal_year, cell.stage_label, cell.note,
               cell.evidence_url, carried]


def export_response(fmt: str, fiscal_year: int, rows, *, name: str = "進捗状況"):
    return tabular.table_response(fmt, f"{name}_{fiscal_year}年度", EXPORT_HEADER, export_rows(rows))


MUNICIPALITY_EXPORT_HEADER = ["団体コード", "都道府県", "団体名", "区分", "該当する分野と段階"]


def export_municipalities_response(fmt: str, fiscal_year: int, groups, kinds: dict[str, str]):
    """The per-municipality list (records?per=municipality): one row per municipality, its matching cells in one
    column. Not the import format: the cells themselves come with per=cell."""
    rows = ([g["place"]["code"], g["place"]["prefecture__name"], g["place"]["name"],
             kinds.get(g["place"]["kind"], g["place"]["kind"]),
             "・".join(f"{s['name']}（{cell.stage_with_origin}）" for s, cell in g["cells"])] for g in groups)
    return tabular.table_response(fmt, f"進捗状況_団体別_{fiscal_year}年度", MUNICIPALITY_EXPORT_HEADER, rows)
