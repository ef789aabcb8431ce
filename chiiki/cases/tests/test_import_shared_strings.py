"""An XLSX whose shared-strings table is far longer than its cells: refused as it is read, within the time budget;
rich-text and phonetic shared strings read as openpyxl reads them."""

import io
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from chiiki.core import budget

from ..models import Case

pytestmark = pytest.mark.django_db

SHARED_STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
SHARED_STRINGS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"


def xlsx_with_shared_strings(count: int) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["団体コード", "事例名", "概要", "分野"])
    sheet.append(["132012", "防災", "概要", "防災"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return with_shared_strings(buffer.getvalue(), "<si><t>a</t></si>" * count)


def with_shared_strings(data: bytes, items: str, sheet_data: str | None = None) -> bytes:
    """The XLSX with a sharedStrings.xml of `items` (its <si> elements), and its sheet's cells replaced by
    `sheet_data` when given (openpyxl itself writes inline strings)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "[Content_Types].xml":
                content = content.replace(b"</Types>", f'<Override PartName="/xl/sharedStrings.xml" '
                                                       f'ContentType="{SHARED_STRINGS_TYPE}"/></Types>'.encode())
            if info.filename == "xl/_rels/workbook.xml.rels":
                content = content.replace(b"</Relationships>", f'<Relationship Id="rIdSS" Type="{SHARED_STRINGS_REL}"'
                                                               f' Target="sharedStrings.xml"/></Relationships>'.encode())
            if info.filename.startswith("xl/worksheets/") and sheet_data is not None:
                content = re.sub(rb"<dimension [^>]*/>", b"", content)
                content = re.sub(rb"<sheetData>.*</sheetData>", sheet_data.encode(), content, flags=re.S)
            package.writestr(info.filename, content)
        package.writestr("xl/sharedStrings.xml", '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
                                                 f'main">{items}</sst>')
    return out.getvalue()


def preview_of(client, data: bytes):
    uploaded = client.post("/cases/import/", {"file": SimpleUploadedFile("cases.xlsx", data)})
    return client.get(uploaded["Location"]) if uploaded.status_code == 302 else uploaded


def test_a_shared_strings_table_beyond_the_sheet_limits_is_refused(client_for, users, register, settings):
    settings.IMPORT_MAX_ROWS, settings.IMPORT_MAX_COLUMNS = 100, 20
    data = xlsx_with_shared_strings(200_000)
    assert len(data) < 20_000
    admin = client_for(users["admin"])
    uploaded = admin.post("/cases/import/", {"file": SimpleUploadedFile("cases.xlsx", data)})
    preview = admin.get(uploaded["Location"]) if uploaded.status_code == 302 else uploaded
    text = preview.content.decode()
    assert "誤りはありません" not in text
    assert "XLSX" in text or "文字列" in text
    assert not Case.objects.exists()


def test_the_refusal_names_the_most_strings_the_cells_can_use(client_for, users, register, settings):
    settings.IMPORT_MAX_ROWS, settings.IMPORT_MAX_COLUMNS = 100, 20
    admin = client_for(users["admin"])
    text = preview_of(admin, xlsx_with_shared_strings(2_001)).content.decode()
    assert "XLSXファイルの共有文字列が多すぎます（2,000件まで）。CSVで保存し直してください" in text
    assert "誤りはありません" in preview_of(admin, xlsx_with_shared_strings(2_000)).content.decode()
    assert not Case.objects.exists()


class Clock:
    """A clock that advances a second each time it is read: the budget runs out after so many checks."""

    def __init__(self):
        self.now = 0.0

    def monotonic(self) -> float:
        self.now += 1
        return self.now


def test_the_time_budget_stops_reading_shared_strings(client_for, users, register, settings, monkeypatch):
    # 100,000 strings are within the limits (1,000 × 200 cells), so only the budget can stop the reading.
    settings.IMPORT_MAX_ROWS, settings.IMPORT_MAX_COLUMNS, settings.IMPORT_TIME_BUDGET = 1_000, 200, 10
    data = xlsx_with_shared_strings(100_000)
    admin = client_for(users["admin"])
    uploaded = admin.post("/cases/import/", {"file": SimpleUploadedFile("cases.xlsx", data)})
    monkeypatch.setattr(budget, "time", Clock())
    text = (admin.get(uploaded["Location"]) if uploaded.status_code == 302 else uploaded).content.decode()
    assert "処理時間の上限（10秒）を超えたため中止しました" in text
    assert "誤りはありません" not in text


def test_rich_text_and_phonetic_shared_strings_import_as_their_text(client_for, users, register):
    workbook = Workbook()
    workbook.active.append(["x"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    items = ("<si><t>団体コード</t></si><si><t>事例名</t></si><si><t>概要</t></si><si><t>分野</t></si>"
             "<si><t>132012</t></si>"
             # Rich text: the runs' text joined, their formatting dropped.
             '<si><r><t>防災</t></r><r><rPr><b/><sz val="11"/></rPr><t xml:space="preserve">マップ 2025</t></r></si>'
             # Phonetic guide (furigana): left out, as Excel shows the cell.
             '<si><t>八王子市の取組</t><rPh sb="0" eb="3"><t>ハチオウジシ</t></rPh>'
             '<phoneticPr fontId="1" type="fullwidthKatakana"/></si>'
             "<si><t>防災</t></si>")
    cells = [["A1", 0], ["B1", 1], ["C1", 2], ["D1", 3], ["A2", 4], ["B2", 5], ["C2", 6], ["D2", 7]]
    rows = {}
    for ref, index in cells:
        rows.setdefault(ref[1:], []).append(f'<c r="{ref}" t="s"><v>{index}</v></c>')
    sheet_data = "<sheetData>" + "".join(f'<row r="{r}">{"".join(c)}</row>' for r, c in rows.items()) + "</sheetData>"
    data = with_shared_strings(buffer.getvalue(), items, sheet_data)
    admin = client_for(users["admin"])
    uploaded = admin.post("/cases/import/", {"file": SimpleUploadedFile("cases.xlsx", data)})
    preview = admin.get(uploaded["Location"])
    assert "誤りはありません" in preview.content.decode()
    done = admin.post(uploaded["Location"] + "commit", {"sha256": preview.context["upload"].sha256})
    assert done.status_code == 302
    case = Case.objects.get()
    assert (case.title, case.summary) == ("防災マップ 2025", "八王子市の取組")
