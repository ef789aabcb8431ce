"""Helpers for progress tests: files in the import format."""

import io

import pytest
from openpyxl import Workbook

HEADER = "団体コード,分野,年度,段階,備考,根拠URL"


def csv_file(lines, header=HEADER, encoding="utf-8-sig") -> bytes:
    return ("\r\n".join([header, *lines]) + "\r\n").encode(encoding)


def xlsx_file(rows, header=HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header.split(","))
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def records():
    """records() → {(code, sector, year): (stage, version)} of every ProgressRecord."""
    from chiiki.progress.models import ProgressRecord

    def read():
        return {(r.municipality_id, r.sector_id, r.fiscal_year): (r.stage, r.version)
                for r in ProgressRecord.objects.all()}

    return read


@pytest.fixture
def history_count():
    from chiiki.core.models import ChangeRecord

    return lambda: ChangeRecord.objects.filter(model="progress.progressrecord").count()
