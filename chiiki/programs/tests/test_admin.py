"""Catalog administration: edit with history and optimistic version, CSV/XLSX import (all-or-nothing) and export."""

import csv
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chiiki.core.models import ChangeRecord
from chiiki.programs.catalog import HEADER, row_of
from chiiki.programs.forms import ProgramForm
from chiiki.programs.models import SupportProgram


def form_data(program, **changes):
    """What the edit form posts for program, as a person would leave it (the form's own initial values)."""
    initial = ProgramForm.initial_from_row(row_of(program))
    data = {name: value for name, value in initial.items() if value not in (None, "", [])}
    data["version"] = program.version
    data.update(changes)
    return data


def test_the_form_gives_back_the_catalog_row_of_every_program(catalog):
    """The readable form (checkboxes, the rate-tier table, 募集期間 in Japanese) loses nothing: posting it
    unchanged produces the catalog row that actions.save_program would get from a file."""
    for program in SupportProgram.objects.all():
        form = ProgramForm(data=form_data(program), current=row_of(program))
        assert form.is_valid(), (program.public_id, form.errors)
        assert form.row() == row_of(program), program.public_id
    assert any(p.rate_tiers for p in SupportProgram.objects.all())


def test_the_edit_form_speaks_japanese(client_for, catalog, users):
    program = catalog["MIC-KOUDO-MUSEN"]  # rate tiers by 離島 and 財政力指数
    html = client_for(users["admin"]).get(f"/programs/p/{program.public_id}/edit").content.decode()
    shown = re.sub(r"<[^>]+>", " ", html)  # what a person reads (attribute values are not shown)
    for label in ("補助金", "資金", "官民協働サービス", "特別区", "過疎地域", "未着手", "実装資金", "財政力指数"):
        assert label in shown, label
    assert 'type="checkbox"' in html and "<select" in html
    assert re.search(r'name="tier1_flags" value="remote_island"[^>]*checked', html)
    for code in ("fiscal_index", "disadvantaged", "remote_island", "monthly:", "provider_type", "rate_tiers"):
        assert code not in shown, code
    response = client_for(users["admin"]).post(f"/programs/p/{program.public_id}/edit", form_data(
        program, tier1_rate="2/3", tier1_fiscal_bound="fiscal_index_le", tier1_fiscal_value="",
        sectors=["all", "education"], kind="宇宙"))
    errors = response.content.decode()
    assert response.status_code == 422
    for message in ("財政力指数の条件を選んだときは値を入力してください", "「すべての分野」とほかの分野は同時に選べません",
                    "正しく選択してください"):
        assert message in errors, message


def test_only_admins_manage(client_for, catalog, users):
    program = catalog["MIC-ICT-ADVISOR"]
    assert client_for(None).get("/programs/manage/").status_code == 404
    for role in ("hachioji", "tokyo", "advisor", "company"):
        c = client_for(users[role])
        assert c.get("/programs/manage/").status_code == 403
        assert c.post(f"/programs/p/{program.public_id}/edit", form_data(program, name="x")).status_code == 403
    assert client_for(users["admin"]).get("/programs/manage/").status_code == 200
    assert SupportProgram.objects.get(pk=program.pk).name == "地域情報化アドバイザー派遣制度"


def test_edit_records_history_reindexes_and_checks_version(client_for, catalog, users):
    admin = client_for(users["admin"])
    program = catalog["MIC-ICT-ADVISOR"]
    stale = form_data(program)
    before = admin.get("/api/v1/programs", {"q": "ドローン"}).json()["items"]
    assert before[0]["id"] != "MIC-ICT-ADVISOR"
    response = admin.post(f"/programs/p/{program.public_id}/edit",
                          form_data(program, summary="ドローン操縦の専門家を派遣する。", last_verified="2026-11-01"))
    assert response.status_code == 302
    program.refresh_from_db()
    assert program.version == 2 and program.edited_since_load and str(program.last_verified) == "2026-11-01"
    record = ChangeRecord.objects.filter(model="programs.supportprogram", object_id=str(program.pk)).latest("at")
    assert record.action == "update" and record.after["summary"] == "ドローン操縦の専門家を派遣する。"
    # the search index follows the edit
    found = admin.get("/api/v1/programs", {"q": "ドローン"}).json()
    assert found["items"][0]["id"] == "MIC-ICT-ADVISOR"  # the word in its own text outranks the concept table
    # a form opened before the edit cannot overwrite it
    response = admin.post(f"/programs/p/{program.public_id}/edit", {**stale, "name": "古い画面からの保存"})
    assert response.status_code == 409 and "他の利用者がこの支援メニューを更新しました" in response.content.decode()
    assert SupportProgram.objects.get(pk=program.pk).name == "地域情報化アドバイザー派遣制度"
    # and neither can one that sends no version at all (it overwrote the newer save)
    blind = {key: value for key, value in stale.items() if key != "version"}
    response = admin.post(f"/programs/p/{program.public_id}/edit", {**blind, "name": "古い画面からの保存"})
    assert response.status_code == 422 and "版（version）" in response.content.decode()
    program.refresh_from_db()
    assert (program.name, program.version) == ("地域情報化アドバイザー派遣制度", 2)
    assert program.summary == "ドローン操縦の専門家を派遣する。"


def test_edit_validation_errors_are_japanese_and_keep_input(client_for, catalog, users):
    admin = client_for(users["admin"])
    program = catalog["MIC-PUBLIC-WIFI"]
    response = admin.post(f"/programs/p/{program.public_id}/edit",
                          form_data(program, fiscal_index_le="たくさん", windows="いつでも", name="入力した名称"))
    html = response.content.decode()
    assert response.status_code == 422
    assert "数値で入力してください" in html and "募集期間を読み取れません" in html and "入力した名称" in html
    assert SupportProgram.objects.get(pk=program.pk).version == 1


def export_csv(client):
    response = client.get("/programs/manage/export", {"format": "csv"})
    assert response.status_code == 200
    return response.content


def upload(client, content: bytes, name="catalog.csv", confirm=True):
    """The core import flow: upload → preview (dry run) → commit of the previewed file by its hash."""
    uploaded = client.post("/programs/manage/import/", {"file": SimpleUploadedFile(name, content)})
    if uploaded.status_code != 302:
        return uploaded
    preview = client.get(uploaded["Location"])
    sha = re.search(r'name="sha256" value="([0-9a-f]+)"', preview.content.decode())
    if not confirm or sha is None:
        return preview
    return client.post(uploaded["Location"] + "commit", {"sha256": sha.group(1)})


def problems_of(client, preview) -> list[str]:
    """The downloadable problem report of a rejected preview, one 'row,column,…' line per problem."""
    report = re.search(r'href="([^"]+/report)"', preview.content.decode()).group(1)
    return client.get(report).content.decode("utf-8-sig").splitlines()[1:]


def test_export_reimports_unchanged(client_for, catalog, users):
    admin = client_for(users["admin"])
    content = export_csv(admin)
    assert content.startswith(b"\xef\xbb\xbf") and content.decode("utf-8-sig").splitlines()[0] == ",".join(HEADER)
    preview = upload(admin, content, confirm=False)
    assert "新規 <strong>0</strong>件・更新 <strong>0</strong>件・変更なし 25件" in preview.content.decode()
    xlsx = admin.get("/programs/manage/export", {"format": "xlsx"}).content
    preview = upload(admin, xlsx, name="catalog.xlsx", confirm=False)
    assert "変更なし 25件" in preview.content.decode()


def test_import_updates_and_creates_after_confirmation(client_for, catalog, users):
    admin = client_for(users["admin"])
    rows = list(csv.DictReader(io.StringIO(export_csv(admin).decode("utf-8-sig"))))
    rows[0]["summary"] = "取り込みで更新した概要"
    new = dict(rows[1], id="PREF-NAGANO-DX", name="長野県DX推進補助金", provider="長野県", provider_type="public_private")
    rows.append(new)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, HEADER)
    writer.writeheader()
    writer.writerows(rows)
    content = buffer.getvalue().encode("utf-8-sig")
    preview = upload(admin, content, confirm=False)
    assert "新規 <strong>1</strong>件・更新 <strong>1</strong>件" in preview.content.decode()
    assert not SupportProgram.objects.filter(public_id="PREF-NAGANO-DX").exists()  # preview writes nothing
    response = upload(admin, content)
    assert response.status_code == 302
    assert SupportProgram.objects.get(public_id="PREF-NAGANO-DX").edited_since_load
    assert SupportProgram.objects.get(public_id=rows[0]["id"]).summary == "取り込みで更新した概要"
    assert ChangeRecord.objects.filter(source="web-import").count() == 2


def test_import_rejects_whole_file_naming_every_bad_row(client_for, catalog, users):
    admin = client_for(users["admin"])
    rows = list(csv.DictReader(io.StringIO(export_csv(admin).decode("utf-8-sig"))))
    rows[0]["summary"] = "この変更は取り込まれない"
    rows[3]["kind"] = "loan"
    rows[5]["sectors"] = "space"
    rows[5]["fiscal_index_lt"] = "2桁"
    rows[7]["id"] = rows[6]["id"]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, HEADER)
    writer.writeheader()
    writer.writerows(rows)
    response = upload(admin, buffer.getvalue().encode("utf-8"))
    html = response.content.decode()
    assert "4件の誤り" in html and "取り込む</button>" not in html and "何も変更していません" in html
    lines = problems_of(admin, response)
    assert [line.split(",")[:3] for line in lines] == [
        ["5", "kind", "loan"], ["7", "sectors", "space"], ["7", "fiscal_index_lt", "2桁"], ["9", "id", rows[7]["id"]]]
    assert "重複しています（8行目）" in lines[3]
    assert not SupportProgram.objects.filter(summary="この変更は取り込まれない").exists()


@pytest.mark.parametrize("content, message", [
    (b"", "ファイルが空です"),
    (b"id,name\nX,Y\n", "必須の列がありません"),
])
def test_import_file_level_errors(client_for, catalog, users, content, message):
    response = upload(client_for(users["admin"]), content)
    assert message in response.content.decode() and "取り込む</button>" not in response.content.decode()


def test_import_size_limit_and_undecodable_text_are_refused(client_for, catalog, users, settings):
    admin = client_for(users["admin"])
    content = export_csv(admin)
    settings.IMPORT_MAX_BYTES = len(content) - 1
    response = upload(admin, content)
    assert response.status_code == 400 and "ファイルが大きすぎます（" in response.content.decode()
    settings.IMPORT_MAX_BYTES = 20 * 1024 * 1024
    response = upload(admin, "id,name\r\nMIC-ICT-ADVISOR,café crème\r\n".encode("latin-1"))
    assert "ファイルの文字コードを判別できません（推定される候補: " in response.content.decode()
    assert not SupportProgram.objects.filter(name__contains="caf").exists()


def test_detail_page_public_and_edit_link_for_admin(client_for, catalog, users):
    html = client_for(None).get("/programs/p/MIC-DX-PKG-PLAN/").content.decode()
    assert "財政力指数1未満" in html and "編集" not in html.split("<h1>")[1].split("</p>")[1]
    admin_html = client_for(users["admin"]).get("/programs/p/MIC-DX-PKG-PLAN/").content.decode()
    assert "/programs/p/MIC-DX-PKG-PLAN/edit" in admin_html
    staff_html = client_for(users["hachioji"]).get("/programs/p/MIC-DX-PKG-PLAN/").content.decode()
    assert "八王子市での利用" in staff_html and "財政力指数が未登録のため要確認" in staff_html
    assert client_for(None).get("/programs/p/NOPE/").status_code == 404


def test_admin_creates_a_program_in_the_ui(client_for, catalog, users):
    admin = client_for(users["admin"])
    data = form_data(catalog["MIC-IOT-PLAN"], id="PREF-NAGANO-ADVISOR", name="長野県DXアドバイザー派遣",
                     provider="長野県", provider_type="public_private", windows="2026-05-01..2026-05-31")
    data.pop("version")
    response = admin.post("/programs/manage/new", data)
    assert response.status_code == 302 and response["Location"] == "/programs/p/PREF-NAGANO-ADVISOR/"
    created = SupportProgram.objects.get(public_id="PREF-NAGANO-ADVISOR")
    assert created.edited_since_load and ChangeRecord.objects.filter(object_id=str(created.pk), action="create").exists()
    duplicate = admin.post("/programs/manage/new", data)
    assert duplicate.status_code == 422 and "既に使われています" in duplicate.content.decode()
    assert admin.get("/api/v1/programs", {"q": "長野県DX"}).json()["items"][0]["id"] == "PREF-NAGANO-ADVISOR"


def test_cached_public_pages_show_an_edit_on_the_next_request(client_for, catalog, users, stored_pages):
    anonymous, program = client_for(None), catalog["MIC-ICT-ADVISOR"]
    pages = [f"/programs/p/{program.public_id}/", "/programs/?q=ドローン"]
    api = f"/api/v1/programs/{program.public_id}"
    for url in pages:
        assert "ドローン操縦の専門家" not in anonymous.get(url).content.decode()
    assert anonymous.get(api).json()["version"] == 1
    assert stored_pages() == len(pages) + 1
    response = client_for(users["admin"]).post(f"/programs/p/{program.public_id}/edit",
                                               form_data(program, summary="ドローン操縦の専門家を派遣する。"))
    assert response.status_code == 302
    for url in pages:
        assert "ドローン操縦の専門家" in anonymous.get(url).content.decode(), url
    assert anonymous.get(api).json()["summary"] == "ドローン操縦の専門家を派遣する。"


def test_control_characters_are_refused_in_the_program_editor_and_saved_searches(client_for, catalog, users):
    program = catalog["MIC-IOT-PLAN"]
    admin = client_for(users["admin"])
    response = admin.post(f"/programs/p/{program.public_id}/edit", form_data(program, summary="概要\x07です"))
    assert response.status_code == 422 and "制御文字（U+0007" in response.content.decode()
    assert SupportProgram.objects.get(pk=program.pk).summary == program.summary
    staff = client_for(users["hachioji"])
    assert staff.post("/programs/saved/new", {"name": "検索\x1b", "params": "q=防災"}).status_code == 422
    from chiiki.programs.models import SavedSearch

    assert not SavedSearch.objects.exists()


def test_a_refused_saved_search_says_which_field_and_why(client_for, users):
    staff = client_for(users["hachioji"])
    response = staff.post("/programs/saved/new", {"name": "名" * 101, "params": "q=防災"})
    text = response.content.decode()
    assert response.status_code == 422
    assert '<ul class="errorlist" id="id_name_error"><li>この値は 100 文字以下でなければなりません' in text
    from chiiki.programs.models import SavedSearch

    assert not SavedSearch.objects.exists()
