"""core.dates.parse_date: a date cell in every form a spreadsheet writes one (Japanese Excel's CSV 2026/6/2, an XLSX
date-time cell, full-width digits), and the catalog import reading its dates through it."""

import csv
import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chiiki.core.dates import parse_date
from chiiki.programs.models import SupportProgram
from chiiki.programs.reference import load_catalog
from chiiki.programs.tests.conftest import DATA_DIR


@pytest.mark.parametrize("raw", ["2026-06-02", "2026-6-2", "2026/6/2", "2026/06/02", "２０２６／６／２", " 2026-06-02 ",
                                 "2026-06-02T10:30:00", "2026-06-02T10:30", "2026/6/2 10:30",
                                 "2026-06-02T10:30:00.123456+09:00", dt.date(2026, 6, 2), dt.datetime(2026, 6, 2, 9)])
def test_the_forms_a_spreadsheet_writes_read_as_the_date(raw):
    assert parse_date(raw) == dt.date(2026, 6, 2)


@pytest.mark.parametrize("raw", ["2026-02-30", "2026/6-2", "20260602", "2026-06-02T25:00", "2026-06-02 10", "令和8年6月2日",
                                 "6/2/2026", "2026-06-02x"])
def test_anything_else_is_refused_in_japanese(raw):
    with pytest.raises(ValueError) as refused:
        parse_date(raw, label="受付日")
    assert str(refused.value) == f"受付日は YYYY-MM-DD の形式で入力してください（入力: {raw}）"


def test_an_empty_cell_is_refused_without_an_empty_value():
    with pytest.raises(ValueError, match=r"^受付日は YYYY-MM-DD の形式で入力してください$"):
        parse_date("", label="受付日")


def _catalog_with_last_verified(client, value: str) -> tuple[bytes, int]:
    """The exported catalog with one program's 最終確認日 set to value, and that row's line."""
    exported = client.get("/programs/manage/export", {"format": "csv"}).content.decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(exported))
    rows = list(reader)
    row = next(r for r in rows if r["id"] == "MIC-IOT-IMPL")
    row["last_verified"] = value
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, reader.fieldnames)
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8"), rows.index(row) + 2


@pytest.mark.django_db
def test_a_catalog_date_saved_by_excel_imports(client_for, users):
    load_catalog(data_dir=DATA_DIR)
    admin = client_for(users["admin"])
    content, _line = _catalog_with_last_verified(admin, "2026/6/2")
    uploaded = admin.post("/programs/manage/import/", {"file": SimpleUploadedFile("catalog.csv", content)})
    preview = admin.get(uploaded["Location"])
    assert [(p.row, p.column, p.reason) for p in preview.context["result"].problems] == []
    done = admin.post(uploaded["Location"] + "commit", {"sha256": preview.context["upload"].sha256})
    assert done.status_code == 302
    assert SupportProgram.objects.get(public_id="MIC-IOT-IMPL").last_verified == dt.date(2026, 6, 2)


@pytest.mark.django_db
def test_a_catalog_date_that_is_none_is_named(client_for, users):
    load_catalog(data_dir=DATA_DIR)
    admin = client_for(users["admin"])
    before = SupportProgram.objects.get(public_id="MIC-IOT-IMPL").last_verified
    content, line = _catalog_with_last_verified(admin, "2026/2/30")
    uploaded = admin.post("/programs/manage/import/", {"file": SimpleUploadedFile("catalog.csv", content)})
    problems = admin.get(uploaded["Location"]).context["result"].problems
    assert [(p.row, p.column, p.reason) for p in problems] == [
        (line, "last_verified", "日付は YYYY-MM-DD の形式で入力してください（入力: 2026/2/30）")]
    assert SupportProgram.objects.get(public_id="MIC-IOT-IMPL").last_verified == before
