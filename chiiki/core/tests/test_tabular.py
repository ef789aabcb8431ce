import datetime as dt
import io

import pytest
from openpyxl import Workbook, load_workbook

from chiiki.core.tabular import (
    TableError,
    csv_bytes,
    read_table,
    require_columns,
    table_response,
    xlsx_bytes,
)

CSV_TEXT = "団体コード,分野,年度\r\n011002,教育,２０２６\r\n\r\n１３１０１６,　防災　,R8\r\n"
EXPECTED_ROWS = [
    (2, {"団体コード": "011002", "分野": "教育", "年度": "2026"}),
    (4, {"団体コード": "131016", "分野": "防災", "年度": "R8"}),
]


def rows_of(table):
    return [(row.number, row.values) for row in table.rows]


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (CSV_TEXT.encode("utf-8"), "utf-8"),
        (CSV_TEXT.encode("utf-8-sig"), "utf-8-sig"),
        (CSV_TEXT.encode("cp932"), "cp932"),
        (CSV_TEXT.replace("\r\n", "\n").encode("shift_jis"), "cp932"),
    ],
    ids=["utf-8", "utf-8-bom", "cp932", "shift_jis-lf"],
)
def test_csv_encodings_are_detected(data, encoding):
    table = read_table(data, "progress.csv")
    assert table.encoding == encoding
    assert table.header == ["団体コード", "分野", "年度"]
    assert rows_of(table) == EXPECTED_ROWS


def test_short_cp932_file_without_bom_is_read():
    """Too short for statistical detection: a header only, as Excel saves it."""
    table = read_table("団体コード,分野\r\n".encode("cp932"), "empty.csv")
    assert table.header == ["団体コード", "分野"]
    assert table.rows == []
    assert table.encoding == "cp932"


def test_cp932_specific_characters():
    text = "団体コード,備考\r\n011002,①髙橋さん～ＮＥＣ製\r\n"  # NEC special, IBM extension, full-width tilde
    table = read_table(text.encode("cp932"), "notes.csv")
    assert table.encoding == "cp932"
    assert table.rows[0].values["備考"] == "①髙橋さん～ＮＥＣ製"


def test_row_numbers_are_those_of_the_file():
    text = "\n団体コード,分野\n\n011002,教育\n\n\n131016,防災\n"
    table = read_table(text.encode(), "gaps.csv")
    assert table.header_number == 2
    assert [row.number for row in table.rows] == [4, 7]


def test_quoted_multiline_cell_is_one_row_as_in_excel():
    text = '団体コード,備考\n011002,"一行目\n二行目"\n131016,次の行\n'
    table = read_table(text.encode(), "multiline.csv")
    assert rows_of(table) == [(2, {"団体コード": "011002", "備考": "一行目\n二行目"}), (3, {"団体コード": "131016", "備考": "次の行"})]


def test_short_rows_are_padded_and_trailing_empty_header_cells_dropped():
    table = read_table(b"a,b,c,,\n1\n", "short.csv")
    assert table.header == ["a", "b", "c"]
    assert rows_of(table) == [(2, {"a": "1", "b": "", "c": ""})]


def test_header_aliases_map_to_canonical_names():
    table = read_table("ｺｰﾄﾞ,人口\n13101,66680\n".encode("cp932"), "p.csv", header_aliases={"ｺｰﾄﾞ": "団体コード"})
    assert table.header == ["団体コード", "人口"]


def test_full_width_digits_and_spaces_are_normalised():
    table = read_table("コード,値\n　０１１００２　,１，９７３，３９５\n".encode(), "w.csv")
    values = table.rows[0].values
    assert values["コード"] == "011002"
    assert values["値"] == "1，973，395"  # only digits and spaces are folded; the caller parses numbers


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "ファイルが空です"),
        (b"\r\n\r\n", "ヘッダー行がありません"),
        (b"\xef\xbb\xbf", "ヘッダー行がありません"),
        ("団体コード,分野,団体コード\n011002,教育,011002\n".encode(), "ヘッダーに同じ列名が複数あります: 団体コード"),
        ("団体コード,分野\n011002,教育\n131016,防災,余計な値\n".encode(), "3行目: ヘッダーのない列（3列目）に値があります"),
        ('団体コード,備考\n011002,"閉じていない\n'.encode(), "CSVとして読み込めません"),
        ('団体コード,備考\n011002,"値"のあと\n'.encode(), "CSVとして読み込めません（2行目付近）"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "Excel 97-2003 形式（.xls）は読み込めません"),
        (b"PK\x03\x04 not really a zip", "XLSXファイルを読み込めません"),
    ],
)
def test_unreadable_files_raise_table_error_in_japanese(data, message):
    with pytest.raises(TableError) as excinfo:
        read_table(data, "bad.csv")
    assert message in str(excinfo.value)


def test_require_columns_names_the_missing_ones():
    table = read_table("団体コード,年度\n011002,2026\n".encode(), "t.csv")
    require_columns(table, ["団体コード", "年度"])
    with pytest.raises(TableError, match="必須の列がありません: 分野, 段階"):
        require_columns(table, ["団体コード", "分野", "段階"])


def make_xlsx(cells: dict[str, object]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for ref, value in cells.items():
        sheet[ref] = value
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_is_read_with_excel_row_numbers():
    data = make_xlsx(
        {
            "A2": "団体コード", "B2": "人口", "C2": "調査日",
            "A3": "011002", "B3": 1973395, "C3": dt.datetime(2020, 10, 1),
            "A5": 13101, "B5": 66680.0, "C5": dt.date(2020, 10, 1),
        }
    )
    table = read_table(data, "population.xlsx")
    assert table.encoding == "xlsx"
    assert table.header_number == 2
    assert rows_of(table) == [
        (3, {"団体コード": "011002", "人口": "1973395", "調査日": "2020-10-01"}),
        (5, {"団体コード": "13101", "人口": "66680", "調査日": "2020-10-01"}),
    ]


def test_xlsx_detected_by_content_whatever_the_name():
    data = make_xlsx({"A1": "a", "A2": "1"})
    assert read_table(data, "renamed.csv").encoding == "xlsx"


def test_csv_bytes_is_excel_friendly():
    body = csv_bytes(["団体コード", "名称", "備考"], [["011002", "札幌市", None], ["131016", "千代田区", 'カンマ, と "引用符"']])
    assert body.startswith(b"\xef\xbb\xbf")
    text = body[3:].decode("utf-8")
    assert text == '団体コード,名称,備考\r\n011002,札幌市,\r\n131016,千代田区,"カンマ, と ""引用符"""\r\n'


def test_csv_export_reads_back_unchanged():
    header = ["団体コード", "名称", "備考"]
    rows = [["011002", "札幌市", "一行目\n二行目"], ["131016", "千代田区", ""]]
    table = read_table(csv_bytes(header, rows), "export.csv")
    assert table.header == header
    assert [list(row.values.values()) for row in table.rows] == rows


def test_xlsx_round_trip_keeps_codes_as_text_and_formulas_as_text():
    header = ["団体コード", "名称", "人口", "備考"]
    rows = [["011002", "札幌市", 1973395, "=危険な式ではなく文字"], ["010006", "北海道", None, ""]]
    data = xlsx_bytes(header, rows, title="団体一覧")
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook.active
    assert sheet.title == "団体一覧"
    assert sheet["A2"].value == "011002" and sheet["A2"].data_type == "s"
    assert sheet["C2"].value == 1973395
    assert sheet["D2"].data_type == "s"
    table = read_table(data, "export.xlsx")
    assert table.header == header
    assert rows_of(table) == [
        (2, {"団体コード": "011002", "名称": "札幌市", "人口": "1973395", "備考": "=危険な式ではなく文字"}),
        (3, {"団体コード": "010006", "名称": "北海道", "人口": "", "備考": ""}),
    ]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_table_response_is_a_named_attachment(fmt):
    response = table_response(fmt, "団体一覧_2026", ["団体コード"], [["011002"]])
    disposition = response["Content-Disposition"]
    assert disposition.startswith(f'attachment; filename="_____2026.{fmt}"')
    assert f"filename*=UTF-8''%E5%9B%A3%E4%BD%93%E4%B8%80%E8%A6%A7_2026.{fmt}" in disposition
    if fmt == "csv":
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response.content.startswith(b"\xef\xbb\xbf")
    else:
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        assert read_table(response.content, "x.xlsx").rows[0].values == {"団体コード": "011002"}


def test_table_response_rejects_unknown_format():
    with pytest.raises(ValueError):
        table_response("pdf", "x", ["a"], [])
