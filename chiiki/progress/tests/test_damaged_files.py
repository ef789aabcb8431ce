"""Files damaged by hand or by another program, through the progress import: a broken XLSX row number is a
file problem (not a 500), and values under a blank header cell are named, never dropped."""


import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chiiki.core.models import ChangeRecord
from chiiki.progress.models import ProgressRecord
from chiiki.testing import xlsx_with_row_number

from .conftest import csv_file, run_import_command, xlsx_file


def post(client, data: bytes, name: str, **fields):
    client.raise_request_exception = False
    return client.post("/api/v1/progress/import", {"file": SimpleUploadedFile(name, data), **fields})


@pytest.mark.parametrize("dry_run", ["true", "false"])
@pytest.mark.parametrize("number", [b"inf", b"1e999", b"nan", b"3.0", b"0"])
def test_a_damaged_xlsx_row_number_is_a_file_problem(client_for, users, number, dry_run):
    data = xlsx_with_row_number(xlsx_file([["132012", "education", 2026, "planned", "", ""]]), number)
    response = post(client_for(users["admin"]), data, "progress.xlsx", dry_run=dry_run)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert len(errors) == 1 and errors[0]["row"] == 0
    assert "XLSXファイルの行番号が正しくありません" in errors[0]["message"]
    assert not ProgressRecord.objects.exists()


BLANK_NOTE_HEADING = csv_file([
    "132012,education,2026,planned,議会で予算承認済み,https://example.jp/a",
    "131016,education,2026,planned,,",
    "131016,health,2026,planned,庁内調整中,",
], header="団体コード,分野,年度,段階,,根拠URL")  # the 備考 heading deleted by mistake


@pytest.mark.parametrize("dry_run", ["true", "false"])
def test_values_under_a_blank_header_cell_are_named_not_dropped(client_for, users, register, dry_run):
    response = post(client_for(users["admin"]), BLANK_NOTE_HEADING, "progress.csv", dry_run=dry_run)
    body = response.json()
    assert response.status_code == 422, body
    assert [(e["row"], e["column"], e["value"]) for e in body["errors"]] == [
        (2, "5列目", "議会で予算承認済み"), (4, "5列目", "庁内調整中")]
    assert all("見出しが空の列に値があります" in e["message"] for e in body["errors"])
    assert not ProgressRecord.objects.exists() and not ChangeRecord.objects.exists()


def test_a_blank_header_cell_of_a_merged_xlsx_heading_is_named_too(client_for, users, register):
    data = xlsx_file([["132012", "education", 2026, "planned", "予算承認済み", ""]],
                     header="団体コード,分野,年度,段階,,根拠URL")
    body = post(client_for(users["admin"]), data, "progress.xlsx").json()
    assert [(e["row"], e["column"]) for e in body["errors"]] == [(2, "5列目")], body
    assert not ProgressRecord.objects.exists()


def test_the_command_names_them_too(tmp_path, register):
    ok, _out, err = run_import_command(tmp_path, BLANK_NOTE_HEADING)
    assert not ok and "2行目 列「5列目」: 見出しが空の列に値があります" in err and "4行目 列「5列目」" in err
    assert not ProgressRecord.objects.exists()


def test_an_empty_spacer_column_under_a_blank_header_cell_still_imports(client_for, users, register):
    data = csv_file(["132012,education,2026,,planned,議会で予算承認済み,"],
                    header="団体コード,分野,年度,,段階,備考,根拠URL")
    response = post(client_for(users["admin"]), data, "progress.csv")
    assert response.status_code == 200, response.json()
    assert response.json()["created"] == 1
    assert ProgressRecord.objects.get().note == "議会で予算承認済み"
