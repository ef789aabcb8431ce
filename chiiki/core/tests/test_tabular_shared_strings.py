"""Shared strings are streamed (docs/decisions/0009): read as openpyxl reads them, counted against the cells the
limits allow, and a broken table is still a TableError."""

import io
import zipfile

import pytest
from openpyxl.reader.strings import read_string_table

from chiiki.core.tabular import TableError, read_table

SST = '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{}</sst>'

ITEMS = [
    "<si><t>団体コード</t></si>",
    '<si><r><t>防災</t></r><r><rPr><b/><color rgb="FFFF0000"/></rPr><t xml:space="preserve">マップ </t></r>'
    "<r><t>2025</t></r></si>",
    '<si><t>東京</t><rPh sb="0" eb="2"><t>トウキョウ</t></rPh><phoneticPr fontId="1"/></si>',
    '<si><r><t>八王子</t></r><rPh sb="0" eb="3"><t>ハチオウジ</t></rPh><r><t>市</t></r></si>',
    "<si><t>_x005F_x000D_</t></si>",
    "<si><t>a&amp;b&lt;c</t></si>",
    "<si><x:t xmlns:x='urn:other'>ns</x:t></si>",
    "<si><r><t>1</t><t>2</t></r><t>first</t></si>",
]


def package(items: list[str], columns: int | None = None) -> bytes:
    """An XLSX whose first row refers to each shared string in turn (columns: how many cells, default all)."""
    count = len(items) if columns is None else columns
    cells = "".join(f'<c r="{column_letter(i)}1" t="s"><v>{i}</v></c>' for i in range(count))
    sheet = ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             f'<sheetData><row r="1">{cells}</row></sheetData></worksheet>')
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'),
        "_rels/.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (
            f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
            '<sheet name="data" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/></Relationships>'),
        "xl/worksheets/sheet1.xml": sheet,
        "xl/sharedStrings.xml": SST.format("".join(items)),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return out.getvalue()


def column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def test_shared_strings_read_as_openpyxl_reads_them():
    expected = read_string_table(io.BytesIO(SST.format("".join(ITEMS)).encode()))
    assert expected[1:4] == ["防災マップ 2025", "東京", "八王子市"]  # rich text joined, phonetic runs left out
    assert read_table(package(ITEMS), "strings.xlsx").header == expected


def test_shared_strings_are_limited_to_the_cells_the_limits_allow():
    items = [f"<si><t>列{i}</t></si>" for i in range(7)]
    with pytest.raises(TableError, match=r"XLSXファイルの共有文字列が多すぎます（6件まで）。CSVで保存し直してください"):
        read_table(package(items, columns=3), "many.xlsx", max_rows=2, max_columns=3)
    assert read_table(package(items[:6], columns=3), "enough.xlsx", max_rows=2, max_columns=3).header == [
        "列0", "列1", "列2"]


@pytest.mark.parametrize("items", [["<si><t>unclosed</si>"], ["<si><t>a</t></si><si>"]])
def test_a_broken_shared_strings_table_is_a_table_error(items):
    with pytest.raises(TableError, match=r"XLSXファイル.*読み込めません"):
        read_table(package(items, columns=0), "broken.xlsx")
