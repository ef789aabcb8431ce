"""Helpers for progress tests: files in the import format."""

import io
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
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


def run_import_command(tmp_path, data: bytes, name="progress.csv", *args) -> tuple[bool, str, str]:
    """`manage.py import_progress` on data written to a file: (succeeded, stdout, stderr + the error)."""
    path = tmp_path / name
    path.write_bytes(data)
    out, err = StringIO(), StringIO()
    try:
        call_command("import_progress", str(path), *args, stdout=out, stderr=err)
    except CommandError as exc:
        return False, out.getvalue(), err.getvalue() + str(exc)
    return True, out.getvalue(), err.getvalue()
