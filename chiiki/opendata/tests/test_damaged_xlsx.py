"""A damaged XLSX (a row numbered "inf" or "1e999") is a clear message on every opendata path, never a 500."""

import io

import openpyxl
import pytest

from chiiki.core import tabular
from chiiki.testing import xlsx_with_row_number

from .samples import VALID_AED, upload


def aed_with_row_number(number: bytes) -> bytes:
    """A valid AED file whose second <row> has r=number (as a broken writer or a hand edit leaves it)."""
    book = openpyxl.Workbook()
    sheet = book.active
    for line in VALID_AED.splitlines():
        sheet.append(line.split(","))
    buffer = io.BytesIO()
    book.save(buffer)
    return xlsx_with_row_number(buffer.getvalue(), number)


@pytest.mark.parametrize("number", [b"inf", b"1e999", b"2.5", b"0", b"-2", b"1048577", b"99999999999999999999"])
def test_validate_page_and_api_name_a_damaged_row_number(db, client, number):
    client.raise_request_exception = False
    data = aed_with_row_number(number)
    page = client.post("/opendata/validate/", {"schema": "aed", "file": upload("aed.xlsx", data)})
    assert page.status_code == 200
    assert "XLSXファイルの行番号が正しくありません" in page.content.decode()
    api = client.post("/api/v1/opendata/validate", {"standard_type": "aed", "file": upload("aed.xlsx", data)})
    assert api.status_code == 200
    body = api.json()
    assert body["ok"] is False
    assert body["problems"][0]["row"] is None and "行番号が正しくありません" in body["problems"][0]["message"]


def test_a_damaged_xlsx_resource_does_not_break_the_public_dataset_page(client_for, users, catalog):
    # 札幌市's 公衆トイレ一覧 has no standard type: its files are stored without validation.
    sapporo = client_for(users["sapporo"])
    added = sapporo.post("/opendata/dataset/sapporo-toilets/resources", {
        "name": "一覧", "file": upload("toilets.xlsx", aed_with_row_number(b"inf"))})
    assert added.status_code == 302
    visitor = client_for(None)
    visitor.raise_request_exception = False
    page = visitor.get("/opendata/dataset/sapporo-toilets/")
    assert page.status_code == 200
    assert "プレビューを表示できません: XLSXファイルの行番号が正しくありません" in page.content.decode()


def test_a_file_no_reader_foresaw_still_leaves_the_page_up(client_for, users, catalog, monkeypatch):
    sapporo = client_for(users["sapporo"])
    book = openpyxl.Workbook()
    book.active.append(["名称", "住所"])
    buffer = io.BytesIO()
    book.save(buffer)
    sapporo.post("/opendata/dataset/sapporo-toilets/resources", {
        "name": "一覧", "file": upload("toilets.xlsx", buffer.getvalue())})

    def broken(data, limits):
        raise OverflowError("cannot convert float infinity to integer")
        yield  # pragma: no cover

    monkeypatch.setattr(tabular, "_xlsx_records", broken)
    visitor = client_for(None)
    visitor.raise_request_exception = False
    page = visitor.get("/opendata/dataset/sapporo-toilets/")
    assert page.status_code == 200
    assert "プレビューを表示できません: ファイルを読み込めません" in page.content.decode()
