"""The standard-dataset validator on files people really have: long cells, Excel dates and times, files beyond
the import limits. It reads them as imports do (chiiki.core.tabular), never answering with a 500."""

import datetime as dt
import io

import openpyxl

from .samples import VALID_AED, upload

HEADER = VALID_AED.splitlines()[0]
ROW = VALID_AED.splitlines()[1]


def validate(client, name: str, data: str | bytes) -> dict:
    response = client.post("/api/v1/opendata/validate", {"standard_type": "aed", "file": upload(name, data)})
    assert response.status_code == 200, response.content
    return response.json()


def file_problems(body: dict) -> list[str]:
    return [p["message"] for p in body["problems"] if p["row"] is None]


def test_a_cell_longer_than_the_csv_modules_limit_is_a_problem_not_a_500(db, client):
    # A 備考 of 140,000 characters (a pasted log, an image as text): the csv module's field limit is 131,072.
    text = HEADER + "\n" + ROW.rstrip(",") + "," + "あ" * 140_000 + "\n"
    client.raise_request_exception = False
    page = client.post("/opendata/validate/", {"schema": "aed", "file": upload("aed.csv", text)})
    assert page.status_code == 200 and "CSVとして読み込めません（2行目付近）" in page.content.decode()
    body = validate(client, "aed.csv", text)
    assert body["ok"] is False and any("CSVとして読み込めません" in m for m in file_problems(body)), body


def test_csv_with_a_value_beyond_the_column_limit_is_refused_as_xlsx_is(db, client, settings):
    settings.IMPORT_MAX_COLUMNS = 30
    wide = HEADER + "," + ",".join(f"x{i}" for i in range(40)) + "\n" + ROW + "," + ",".join("v" * 40) + "\n"
    body = validate(client, "aed.csv", wide)
    assert body["ok"] is False
    assert any("31列目に値があります" in m and "列が多すぎます" in m for m in file_problems(body)), body


def test_csv_with_a_value_beyond_the_row_limit_is_refused(db, client, settings):
    settings.IMPORT_MAX_ROWS = 5
    text = HEADER + "\n" + (ROW + "\n") * 5
    body = validate(client, "aed.csv", text)
    assert body["ok"] is False and any("6行目に値があります" in m and "行が多すぎます" in m
                                       for m in file_problems(body)), body
    assert validate(client, "aed.csv", HEADER + "\n" + (ROW + "\n") * 4)["ok"] is True


def test_validation_stops_at_the_time_budget(db, client, settings):
    settings.IMPORT_TIME_BUDGET = -1  # already spent: the first check stops the work
    body = validate(client, "aed.csv", VALID_AED)
    assert body["ok"] is False and any("処理時間の上限" in m for m in file_problems(body)), body


def test_xlsx_date_and_time_cells_are_valid_dates_and_times(db, client):
    book = openpyxl.Workbook()
    sheet = book.active
    header = HEADER.split(",")
    sheet.append(header)
    values = ROW.split(",")
    values[header.index("開始時間")] = dt.time(8, 30)
    values[header.index("終了時間")] = dt.time(17, 15)
    values[header.index("パッドの使用期限")] = dt.datetime(2027, 3, 31)
    values[header.index("全国地方公共団体コード")] = 132012  # a number cell: no leading zero to lose here
    sheet.append(values)
    buffer = io.BytesIO()
    book.save(buffer)
    body = validate(client, "aed.xlsx", buffer.getvalue())
    assert body["ok"] is True, body["problems"]
    assert body["encoding"] == "XLSX" and body["rows"] == 1


def test_full_width_digits_are_still_reported_as_written(db, client):
    # The validator checks the file as published: it does not normalise digits the way imports do.
    text = HEADER + "\n" + ROW.replace(",08:30,", ",０８:３０,") + "\n"
    body = validate(client, "aed.csv", text)
    assert [(p["column"], p["value"]) for p in body["problems"]] == [("開始時間", "０８:３０")], body
