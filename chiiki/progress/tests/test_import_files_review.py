"""Workbooks and files an import must not read wrongly: formulas without results, error cells, other sheets,
unreadable files, values beyond the header (through the API, as every import path reads them alike)."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from chiiki.core.models import ChangeRecord
from chiiki.progress.models import ProgressRecord

from .conftest import HEADER, csv_file, run_import_command
from .test_api import bearer, seed

pytestmark = pytest.mark.django_db


def _post(client, user, data, name):
    return client.post("/api/v1/progress/import", {"file": SimpleUploadedFile(name, data)}, **bearer(user))


def _workbook_bytes(workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _with_cached_results(data: bytes, results: dict[str, str]) -> bytes:
    """The workbook as Excel saves it: each formula cell named in results (e.g. "E2") carries its last result."""
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                for ref, text in results.items():
                    content = re.sub(rf'<c r="{ref}"( [^>]*)?>(<f>.*?</f>)<v ?/>'.encode(),
                                     lambda m, ref=ref, text=text: (f'<c r="{ref}" t="str">'.encode() + m.group(2)
                                                                    + f"<v>{text}</v>".encode()),
                                     content)
            target.writestr(info.filename, content)
    return out.getvalue()


def _one_row_workbook(row) -> Workbook:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER.split(","))
    sheet.append(row)
    return workbook


# ---- formulas and error cells -------------------------------------------------------------------------------

def test_a_formula_without_a_stored_result_does_not_blank_a_note(client, users):
    seed([("131016", "disaster", 2026, "planned")])
    record = ProgressRecord.objects.get()
    record.note = "議会で承認済み"
    record.save()
    # Written by a program: formulas carry no cached result.
    data = _workbook_bytes(_one_row_workbook(["131016", "disaster", 2026, "planned", '="議会で"&"承認済み"', ""]))
    before = ChangeRecord.objects.count()
    response = _post(client, users["admin"], data, "survey.xlsx")
    record.refresh_from_db()
    assert record.note == "議会で承認済み", (response.status_code, response.json())
    assert response.status_code == 422 and ChangeRecord.objects.count() == before
    errors = response.json()["errors"]
    assert any(e["row"] == 2 and e["column"] == "備考" and "数式の計算結果が保存されていません" in e["message"]
               for e in errors), errors


def test_a_formula_with_a_stored_result_imports_its_result(client, users):
    seed([("131016", "disaster", 2026, "planned")])
    data = _with_cached_results(_workbook_bytes(_one_row_workbook(
        ["131016", "disaster", 2026, "planned", '="議会で"&"承認済み"', ""])), {"E2": "議会で承認済み"})
    response = _post(client, users["admin"], data, "survey.xlsx")
    assert response.status_code == 200, response.json()
    assert ProgressRecord.objects.get().note == "議会で承認済み"


def test_an_error_cell_is_named_and_nothing_is_written(client, users):
    seed([("131016", "disaster", 2026, "planned")])
    workbook = _one_row_workbook(["131016", "disaster", 2026, "implemented", "#REF!", ""])
    workbook.active["E2"].data_type = "e"  # what Excel saves for a formula whose reference was deleted
    data = _workbook_bytes(workbook)
    response = _post(client, users["admin"], data, "survey.xlsx")
    assert response.status_code == 422, response.json()
    errors = response.json()["errors"]
    assert any(e["row"] == 2 and e["column"] == "備考" and "エラー値" in e["message"] and e["value"] == "#REF!"
               for e in errors), errors
    assert ProgressRecord.objects.get().stage == "planned"


def test_formula_problems_are_named_with_the_other_problems_of_the_file(tmp_path, users):
    workbook = _one_row_workbook(["999999", "disaster", 2026, "implemented", "", ""])
    sheet = workbook.active
    sheet.append(["131016", "disaster", 2026, "implemented", "=A3", ""])
    sheet.append(["132012", "disaster", 2026, "implemented", "", ""])
    ok, _out, err = run_import_command(tmp_path, _workbook_bytes(workbook), "survey.xlsx")
    assert not ok
    assert "2行目" in err and "3行目 列「備考」: 数式の計算結果が保存されていません" in err, err
    assert not ProgressRecord.objects.exists()


# ---- other worksheets ---------------------------------------------------------------------------------------

def test_rows_on_a_second_worksheet_are_not_dropped_silently(client, users):
    workbook = Workbook()
    first = workbook.active
    first.title = "東京都"
    first.append(HEADER.split(","))
    first.append(["131016", "disaster", 2026, "implemented", "", ""])
    second = workbook.create_sheet("北海道")
    second.append(HEADER.split(","))
    second.append(["011002", "disaster", 2026, "implemented", "", ""])
    response = _post(client, users["admin"], _workbook_bytes(workbook), "survey.xlsx")
    assert response.status_code == 422 and "北海道" in str(response.json()["errors"])
    message = response.json()["errors"][0]["message"]
    assert "シート「北海道」にも値があります" in message and "「東京都」" in message, message
    assert not ProgressRecord.objects.exists()


def test_empty_extra_worksheets_and_hidden_lists_are_accepted(client, users):
    workbook = _one_row_workbook(["131016", "disaster", 2026, "implemented", "", ""])
    workbook.create_sheet("Sheet2")
    workbook.create_sheet("Sheet3")["C5"].value = "   "  # blanks only: nothing to import
    choices = workbook.create_sheet("選択肢")  # a hidden list for a drop-down, as survey templates have
    for stage in ("planned", "implemented"):
        choices.append([stage])
    choices.sheet_state = "hidden"
    response = _post(client, users["admin"], _workbook_bytes(workbook), "survey.xlsx")
    assert response.status_code == 200, response.json()
    assert ProgressRecord.objects.get().stage == "implemented"


def test_the_entry_page_xlsx_export_imports_again(client, users):
    seed([("131016", "disaster", 2026, "planned"), ("131016", "education", 2026, "implemented")])
    client.force_login(users["admin"])
    export = client.get(reverse("progress:entry", args=["131016"]) + "?format=xlsx&fiscal_year=2026")
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxmlformats")
    data = b"".join(export.streaming_content) if export.streaming else export.content
    response = _post(client, users["admin"], data, "export.xlsx")
    assert response.status_code == 200, response.json()


# ---- unreadable files ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, data", [
    ("survey.csv", (HEADER + '\r\n131016,disaster,2026,"implemented"x,,\r\n').encode("cp932")),
    ("survey.csv", (HEADER + '\r\n131016,disaster,2026,"implemented,,\r\n').encode("cp932")),
    ("survey.xlsx", csv_file(["131016,disaster,2026,implemented,,"])),
    ("survey.xlsx", b"PK\x03\x04" + b"\0" * 200),
], ids=["stray-quote-cp932", "unclosed-quote", "csv-named-xlsx", "damaged-zip"])
def test_an_unreadable_file_is_explained_in_japanese_only(client, users, name, data):
    response = _post(client, users["admin"], data, name)
    assert response.status_code == 422
    message = response.json()["errors"][0]["message"]
    assert not re.search(r"[A-Za-z]{3,} [A-Za-z]{2,}", message), message
    assert not re.search(r"expected|zip file|end of data", message, re.IGNORECASE), message


def test_a_stray_quote_keeps_its_row_number(client, users):
    data = csv_file(["131016,disaster,2026,implemented,,", '132012,disaster,2026,"implemented"x,,'])
    message = _post(client, users["admin"], data, "survey.csv").json()["errors"][0]["message"]
    assert "3行目付近" in message and "引用符" in message, message


def test_a_csv_named_xlsx_is_told_to_be_renamed(client, users):
    data = csv_file(["131016,disaster,2026,implemented,,"])
    message = _post(client, users["admin"], data, "survey.xlsx").json()["errors"][0]["message"]
    assert "XLSX形式のファイルではありません" in message and ".csv" in message, message


# ---- values beyond the header -------------------------------------------------------------------------------

def test_every_row_with_values_beyond_the_header_is_named_with_the_other_problems(client, users):
    data = csv_file(["999999,disaster,2026,implemented,,",
                     "131016,disaster,2026,implemented,,,extra",
                     "132012,disaster,2026,implemented,,,extra"])
    response = _post(client, users["admin"], data, "survey.csv")
    assert response.status_code == 422
    errors = response.json()["errors"]
    rows = {e["row"] for e in errors}
    assert {2, 3, 4} <= rows, response.json()
    assert any(e["row"] == 3 and e["column"] == "7列目" and "見出しのない列に値があります" in e["message"]
               and e["value"] == "extra" for e in errors), errors
    assert ProgressRecord.objects.count() == 0


def test_a_value_beyond_the_header_alone_writes_nothing(client, users):
    seed([("131016", "disaster", 2026, "planned")])
    before = ChangeRecord.objects.count()
    data = csv_file(["131016,disaster,2026,implemented,,", "132012,disaster,2026,implemented,,,extra"])
    response = _post(client, users["admin"], data, "survey.csv")
    assert response.status_code == 422
    assert [(e["row"], e["column"]) for e in response.json()["errors"]] == [(3, "7列目")]
    assert ProgressRecord.objects.get().stage == "planned" and ChangeRecord.objects.count() == before


def test_a_value_beyond_the_header_of_a_workbook_is_named_at_its_row(client, users):
    workbook = _one_row_workbook(["131016", "disaster", 2026, "implemented", "", "", "extra"])
    response = _post(client, users["admin"], _workbook_bytes(workbook), "survey.xlsx")
    assert response.status_code == 422
    assert [(e["row"], e["column"]) for e in response.json()["errors"]] == [(2, "7列目")]
    assert not ProgressRecord.objects.exists()
