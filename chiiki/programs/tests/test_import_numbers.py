"""A 財政力指数 cell Decimal reads as NaN (「NaN」「sNaN」): the preview names the cell instead of a 500."""

import csv
import html
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chiiki.programs.models import SupportProgram

from .conftest import DATA_DIR


def with_first_row(column: str, value: str) -> bytes:
    text = (DATA_DIR / "support_programs.csv").read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    rows = list(reader)
    rows[0][column] = value
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, reader.fieldnames)
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


@pytest.mark.parametrize("value", ["NaN", "sNaN"])
@pytest.mark.parametrize("column", ["fiscal_index_lt", "fiscal_index_le", "excluded_fiscal_index_ge"])
def test_a_fiscal_index_that_is_not_a_number_is_named_in_the_preview(client_for, catalog, users, column, value):
    admin = client_for(users["admin"])
    uploaded = admin.post("/programs/manage/import/", {"file": SimpleUploadedFile("c.csv", with_first_row(column, value))})
    assert uploaded.status_code == 302
    preview = admin.get(uploaded["Location"])
    assert preview.status_code == 200
    rows = [[html.unescape(cell) for cell in row.removesuffix("</td>").split("</td><td>")]
            for row in re.findall(r"<tr><td class=\"num\">(.*?)</tr>", preview.content.decode())]
    assert rows == [["2", column, value, f"数値で入力してください: {value}"]]
    assert 'name="sha256"' not in preview.content.decode()  # nothing to commit
    first = SupportProgram.objects.get(public_id="MIC-IOT-IMPL")
    assert getattr(first, column) == getattr(catalog["MIC-IOT-IMPL"], column)
