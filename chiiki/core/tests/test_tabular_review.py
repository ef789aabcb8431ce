"""Cells and sheets the table reader must not read wrongly (every import reads through it): formulas without
results, error values, other worksheets, values beyond the header, and files the libraries cannot read."""

import io
import re
import zipfile

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from chiiki.core.tabular import TableError, read_table, stream_records
from chiiki.regions.models import Municipality

HEADER = ["団体コード", "市区町村名", "人口"]


def _xlsx(*rows, edit=None, sheets=()) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "人口"
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    if edit:
        edit(workbook)
    for title, values in sheets:
        extra = workbook.create_sheet(title)
        for row in values:
            extra.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _error_cell(ref: str, text: str = "#N/A"):
    def edit(workbook):
        workbook.active[ref].value = text
        workbook.active[ref].data_type = "e"
    return edit


def _import_population(tmp_path, data: bytes, name: str) -> str:
    """import_population on the file (a whole table read at once, not a stream); the error text, or ""."""
    path = tmp_path / name
    path.write_bytes(data)
    try:
        call_command("import_population", str(path), "--year", "2020", "--source", "テスト")
    except CommandError as exc:
        return str(exc)
    return ""


# ---- through an import that reads the whole table first (population) -------------------------------------------

@pytest.mark.django_db
def test_a_population_formula_without_its_result_is_named_and_nothing_is_written(tmp_path, users):
    data = _xlsx(["131016", "千代田区", 66680], ["132012", "八王子市", "=1000*579"])
    error = _import_population(tmp_path, data, "population.xlsx")
    assert "3行目 列「人口」: 数式の計算結果が保存されていません" in error, error
    assert Municipality.objects.get(code="131016").population is None


@pytest.mark.django_db
def test_a_population_error_value_is_named_and_nothing_is_written(tmp_path, users):
    data = _xlsx(["131016", "千代田区", 66680], ["132012", "八王子市", None], edit=_error_cell("C3"))
    error = _import_population(tmp_path, data, "population.xlsx")
    assert "3行目 列「人口」: セルがエラー値（#N/A）です" in error, error
    assert Municipality.objects.get(code="131016").population is None


@pytest.mark.django_db
def test_population_values_beyond_the_header_are_named_on_every_row_and_nothing_is_written(tmp_path, users):
    data = ("団体コード,市区町村名,人口\r\n131016,千代田区,66680,余り\r\n132012,八王子市,579355\r\n"
            "132039,武蔵野市,150149,,余り\r\n").encode("cp932")
    error = _import_population(tmp_path, data, "population.csv")
    assert "2行目 列「4列目」: 見出しのない列に値があります" in error, error
    assert "4行目 列「5列目」: 見出しのない列に値があります" in error, error
    assert Municipality.objects.get(code="131016").population is None


@pytest.mark.django_db
def test_a_population_workbook_with_a_second_sheet_is_refused(tmp_path, users):
    data = _xlsx(["131016", "千代田区", 66680], sheets=[("多摩", [HEADER, ["132012", "八王子市", 579355]])])
    error = _import_population(tmp_path, data, "population.xlsx")
    assert "シート「多摩」にも値があります。読み込むのは1枚目のシート「人口」だけです" in error, error
    assert Municipality.objects.get(code="131016").population is None


# ---- the reader -------------------------------------------------------------------------------------------------

def test_without_collecting_a_formula_without_its_result_stops_the_reading_at_its_cell():
    with pytest.raises(TableError, match=r"3行目「人口」（3列目）: 数式の計算結果が保存されていません"):
        read_table(_xlsx(["131016", "千代田区", 1], ["132012", "八王子市", "=C2*2"]), "p.xlsx")


def test_a_header_cell_without_a_value_cannot_be_read_even_when_collecting():
    def formula_header(workbook):
        workbook.active["C1"] = '="人"&"口"'
    with pytest.raises(TableError, match=r"1行目（3列目）: 数式の計算結果が保存されていません"):
        read_table(_xlsx(["131016", "千代田区", 1], edit=formula_header), "p.xlsx", collect_controls=True)


def test_a_row_of_formulas_without_results_is_not_skipped_as_blank():
    def blank_formulas(workbook):
        workbook.active["A3"], workbook.active["C3"] = "=A2", "=C2"
    table = read_table(_xlsx(["131016", "千代田区", 1], edit=blank_formulas), "p.xlsx", collect_controls=True)
    assert [(p.row, p.column, p.value) for p in table.control_problems] == [(3, "団体コード", "=A2"),
                                                                             (3, "人口", "=C2")]
    assert [row.values for row in table.rows][1] == {"団体コード": "", "市区町村名": "", "人口": ""}


def test_an_empty_text_result_of_a_formula_is_a_value():
    """Excel saves a formula that gives "" as t="str" with an empty <v>: that is a result, not a missing one."""
    data = _xlsx(["131016", "千代田区", 1], ["132012", "=\"\"", 2])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = re.sub(rb'<c r="B3"( [^>]*)?>', b'<c r="B3" t="str">', content)
            target.writestr(info.filename, content)
    table = read_table(out.getvalue(), "p.xlsx", collect_controls=True)
    assert table.control_problems == []
    assert table.rows[1].values == {"団体コード": "132012", "市区町村名": "", "人口": "2"}


def test_the_standard_dataset_reading_keeps_an_error_value_as_its_text():
    _encoding, rows = stream_records(_xlsx(["131016", None, 1], edit=_error_cell("B2", "#REF!")), "d.xlsx")
    assert list(rows) == [(1, HEADER), (2, ["131016", "#REF!", "1"])]


def test_other_sheets_are_read_only_up_to_their_first_value_and_each_is_named():
    def stale_range(workbook):
        # An empty sheet with a stale used range beyond the limits is still empty.
        workbook.create_sheet("Sheet2")["XFD1048576"] = None
    many = [HEADER] + [["131016", "千代田区", n] for n in range(3)]
    data = _xlsx(["131016", "千代田区", 1], edit=stale_range, sheets=[("A", many), ("B", [[None, None, "x"]])])
    with pytest.raises(TableError) as caught:
        read_table(data, "p.xlsx", max_rows=2)
    assert "シート「A」「B」にも値があります" in str(caught.value)
    assert read_table(_xlsx(["131016", "千代田区", 1], edit=stale_range), "p.xlsx").rows[0].values["人口"] == "1"


def test_a_damaged_other_sheet_is_explained_in_japanese():
    data = _xlsx(["131016", "千代田区", 1], sheets=[("B", [["x"]])])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet2.xml":
                content = content.replace(b"<sheetData>", b"<sheetData><row><c r=")
            target.writestr(info.filename, content)
    with pytest.raises(TableError, match="シート「B」を読み込めません") as caught:
        read_table(out.getvalue(), "p.xlsx")
    assert not re.search(r"[A-Za-z]{3,} [A-Za-z]{2,}", str(caught.value)), caught.value


@pytest.mark.parametrize(("data", "name", "message"), [
    ('団体コード,備考\n011002,"値"のあと\n'.encode(), "p.csv",
     "CSVとして読み込めません（2行目付近）: 引用符（\"）の位置が正しくありません"),
    ('団体コード,備考\n011002,"閉じていない\n'.encode(), "p.csv", "引用符（\"）の位置が正しくありません"),
    ("団体コード,備考\n011002,ふつう\n".encode(), "p.xlsx", "XLSX形式のファイルではありません。CSV なら拡張子を .csv"),
    (b"PK\x03\x04" + b"\0" * 100, "p.xlsx", "XLSXファイルを読み込めません"),
    (b"PK\x05\x06" + b"\0" * 18, "p.xlsx", "XLSXファイルを読み込めません: ファイルが壊れているか"),
], ids=["stray-quote", "unclosed-quote", "csv-named-xlsx", "damaged-zip", "empty-zip"])
def test_unreadable_files_are_explained_in_japanese_only(data, name, message):
    with pytest.raises(TableError) as caught:
        read_table(data, name)
    assert message in str(caught.value)
    assert not re.search(r"[A-Za-z]{3,} [A-Za-z]{2,}", str(caught.value)), caught.value


def test_a_cell_over_the_csv_field_limit_is_explained_in_japanese():
    data = ("団体コード,備考\n011002,\"" + "あ" * 140_000 + "\"\n").encode()
    with pytest.raises(TableError, match=r"2行目付近）: 1つのセルが長すぎます（131,072文字まで）") as caught:
        read_table(data, "p.csv", max_bytes=10_000_000)
    assert not re.search(r"[A-Za-z]{3,} [A-Za-z]{2,}", str(caught.value)), caught.value
