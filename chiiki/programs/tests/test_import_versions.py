"""The catalog import never silently undoes an edit: a row that changes a program carries the version it was
exported at, checked under the lock when the file is written (web upload → preview → commit)."""

import csv
import io
import re

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile

from chiiki.accounts.models import Role, User
from chiiki.core.models import ChangeRecord
from chiiki.programs.catalog import HEADER
from chiiki.programs.models import SupportProgram

from .conftest import DATA_DIR
from .test_admin import export_csv, form_data, problems_of, upload

STALE = "支援メニューがほかで更新されています（最新の版を出力し直してください）"


def _rows(content: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def _csv(rows, header=HEADER) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, header)
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _line_of(rows, public_id: str) -> int:
    """The file line of a program's row (header = 1)."""
    return next(i for i, row in enumerate(rows) if row["id"] == public_id) + 2


def _edit_on_its_page(user, client_for, public_id: str, **changes) -> SupportProgram:
    program = SupportProgram.objects.get(public_id=public_id)
    response = client_for(user).post(f"/programs/p/{public_id}/edit", form_data(program, **changes))
    assert response.status_code == 302, response.content.decode()
    return SupportProgram.objects.get(pk=program.pk)


def _imported() -> int:
    return ChangeRecord.objects.filter(source="web-import").count()


def test_an_old_export_reimported_after_a_web_edit_is_refused_naming_the_row(client_for, catalog, users):
    admin = client_for(users["admin"])
    other = User.objects.create(username="admin2", role=Role.NATIONAL_ADMIN)
    old = export_csv(admin)
    edited = _edit_on_its_page(other, client_for, "MIC-ICT-ADVISOR", summary="ウェブで直した概要")
    assert edited.version == 2
    records = ChangeRecord.objects.count()

    response = upload(admin, old)
    html = response.content.decode()
    assert "1件の誤り" in html and "取り込む</button>" not in html and "何も変更していません" in html
    lines = problems_of(admin, response)
    assert [line.split(",")[:3] for line in lines] == [[str(_line_of(_rows(old), "MIC-ICT-ADVISOR")), "version", "1"]]
    assert STALE in lines[0]
    program = SupportProgram.objects.get(pk=edited.pk)
    assert (program.summary, program.version) == ("ウェブで直した概要", 2)
    assert ChangeRecord.objects.count() == records and _imported() == 0


def test_an_export_edited_and_imported_with_its_versions_updates_and_keeps_history(client_for, catalog, users):
    admin = client_for(users["admin"])
    _edit_on_its_page(users["admin"], client_for, "MIC-ICT-ADVISOR", name="地域情報化アドバイザー派遣（改）")
    content = export_csv(admin)
    rows = _rows(content)
    assert list(rows[0]) == HEADER and HEADER[-1] == "version"
    assert {row["id"]: row["version"] for row in rows} == {
        p.public_id: str(p.version) for p in SupportProgram.objects.all()}
    by_id = {row["id"]: row for row in rows}
    assert by_id["MIC-ICT-ADVISOR"]["version"] == "2"
    by_id["MIC-ICT-ADVISOR"]["summary"] = "取り込みで直した概要"
    by_id["MIC-IOT-PLAN"]["summary"] = "取り込みで直したもう一つの概要"

    response = upload(admin, _csv(rows))
    assert response.status_code == 302, response.content.decode()
    advisor = SupportProgram.objects.get(public_id="MIC-ICT-ADVISOR")
    assert (advisor.summary, advisor.name, advisor.version) == (
        "取り込みで直した概要", "地域情報化アドバイザー派遣（改）", 3)
    assert SupportProgram.objects.get(public_id="MIC-IOT-PLAN").version == 2
    record = ChangeRecord.objects.get(source="web-import", object_id=str(advisor.pk))
    assert record.action == "update" and record.after["summary"] == "取り込みで直した概要"
    assert record.before["summary"] == catalog["MIC-ICT-ADVISOR"].summary and record.before["version"] == 2
    assert _imported() == 2

    # The same file again changes nothing, so its now old versions do not matter.
    preview = upload(admin, _csv(rows), confirm=False)
    assert "更新 <strong>0</strong>件・変更なし 25件" in preview.content.decode()

    # The XLSX export carries the versions as well (a number cell read back as the same version).
    book = openpyxl.load_workbook(io.BytesIO(admin.get("/programs/manage/export", {"format": "xlsx"}).content))
    sheet = book.active
    header = [cell.value for cell in sheet[1]]
    assert header == HEADER
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "MIC-ICT-ADVISOR")
    assert str(row[header.index("version")].value) == "3"
    row[header.index("summary")].value = "XLSXで直した概要"
    buffer = io.BytesIO()
    book.save(buffer)
    response = upload(admin, buffer.getvalue(), name="catalog.xlsx")
    assert response.status_code == 302, response.content.decode()
    advisor.refresh_from_db()
    assert (advisor.summary, advisor.version) == ("XLSXで直した概要", 4)


def test_the_reference_file_without_a_version_column_reimports_unchanged(client_for, catalog, users):
    admin = client_for(users["admin"])
    content = (DATA_DIR / "support_programs.csv").read_bytes()
    assert "version" not in content.decode("utf-8-sig").splitlines()[0].split(",")
    html = upload(admin, content).content.decode()
    assert "誤りはありません" in html and "新規 <strong>0</strong>件・更新 <strong>0</strong>件・変更なし 25件" in html
    assert "取り込む変更はありません" in html and _imported() == 0
    assert set(SupportProgram.objects.values_list("version", flat=True)) == {1}


def test_a_save_between_the_check_and_the_commit_refuses_the_whole_file(client_for, catalog, users):
    admin = client_for(users["admin"])
    other = User.objects.create(username="admin2", role=Role.NATIONAL_ADMIN)
    rows = _rows(export_csv(admin))
    first = rows[0]["id"]
    assert first != "MIC-ICT-ADVISOR"
    rows[0]["summary"] = "この変更も取り込まれない"
    by_id = {row["id"]: row for row in rows}
    by_id["MIC-ICT-ADVISOR"]["summary"] = "古いファイルの概要"
    uploaded = admin.post("/programs/manage/import/", {"file": SimpleUploadedFile("c.csv", _csv(rows))})
    preview = admin.get(uploaded["Location"]).content.decode()
    assert "更新 <strong>2</strong>件" in preview
    sha = re.search(r'name="sha256" value="([0-9a-f]+)"', preview).group(1)

    edited = _edit_on_its_page(other, client_for, "MIC-ICT-ADVISOR", summary="確認の後にウェブで直した概要")
    records = ChangeRecord.objects.count()

    response = admin.post(uploaded["Location"] + "commit", {"sha256": sha})
    assert response.status_code == 302 and response["Location"] == uploaded["Location"]
    again = admin.get(response["Location"])
    html = again.content.decode()
    assert "確認後にデータが変わったため取り込めませんでした" in html and "取り込む</button>" not in html
    lines = problems_of(admin, again)
    assert [line.split(",")[:3] for line in lines] == [[str(_line_of(rows, "MIC-ICT-ADVISOR")), "version", "1"]]
    assert STALE in lines[0]
    program = SupportProgram.objects.get(pk=edited.pk)
    assert (program.summary, program.version) == ("確認の後にウェブで直した概要", 2)
    assert SupportProgram.objects.get(public_id=first).summary == catalog[first].summary
    assert not SupportProgram.objects.filter(summary__in=["この変更も取り込まれない", "古いファイルの概要"]).exists()
    assert ChangeRecord.objects.count() == records and _imported() == 0


def test_a_change_without_a_version_or_with_a_bad_one_is_refused_naming_the_row(client_for, catalog, users):
    admin = client_for(users["admin"])
    # A file without the column (the reference file, an old download) may add programs, not change them.
    text = (DATA_DIR / "support_programs.csv").read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    rows = list(reader)
    rows[1]["summary"] = "版のない変更"
    rows.append(dict(rows[2], id="PREF-NAGANO-DX", name="長野県DX推進補助金"))
    response = upload(admin, _csv(rows, reader.fieldnames))
    assert "1件の誤り" in response.content.decode()
    lines = problems_of(admin, response)
    assert [line.split(",")[:3] for line in lines] == [["3", "version", ""]]
    assert "出力したファイルの version 列が必要です" in lines[0]
    assert not SupportProgram.objects.filter(public_id="PREF-NAGANO-DX").exists()

    # In a downloaded file: an emptied version, and versions that are not versions, each named by its row.
    rows = _rows(export_csv(admin))
    for number, version in ((0, ""), (1, "abc"), (2, "-1"), (3, "1.5")):
        rows[number]["summary"] = f"{number}行目の変更"
        rows[number]["version"] = version
    rows[4]["version"] = "x"  # a bad version is refused even on a row that changes nothing
    rows[5]["version"] = ""  # an unchanged row needs none
    response = upload(admin, _csv(rows))
    lines = problems_of(admin, response)
    assert [line.split(",")[:3] for line in lines] == [
        ["2", "version", ""], ["3", "version", "abc"], ["4", "version", "'-1"],  # the report guards against formulas
        ["5", "version", "1.5"], ["6", "version", "x"]]
    assert "出力したファイルの version 列が必要です" in lines[0]
    assert all("版（version）は0以上の整数です" in line for line in lines[1:])
    assert not SupportProgram.objects.filter(summary__endswith="行目の変更").exists() and _imported() == 0
