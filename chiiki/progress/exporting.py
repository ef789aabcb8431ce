"""Exports in the import format (plus informational 団体名 / 繰越 columns the importer ignores)."""

from chiiki.core import tabular

from . import importer

EXPORT_HEADER = [importer.COL_CODE, importer.COL_NAME, importer.COL_SECTOR, importer.COL_YEAR, importer.COL_STAGE,
                 importer.COL_NOTE, importer.COL_URL, importer.COL_CARRIED]


def export_rows(rows):
    for place, sector, cell in rows:
        carried = f"{cell.record_year}年度から繰越" if cell.carried_over else ("記録なし" if cell.record_year is None else "")
        yield [place["code"], place["name"], sector["code"], cell.fiscal_year, cell.stage_label, cell.note,
               cell.evidence_url, carried]


def export_response(fmt: str, fiscal_year: int, rows):
    return tabular.table_response(fmt, f"進捗状況_{fiscal_year}年度", EXPORT_HEADER, export_rows(rows))
