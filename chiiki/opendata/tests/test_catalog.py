"""Datasets and resources through the actions and the pages: permissions, 庁内限定, history, uploads, search."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from chiiki import access
from chiiki.core.errors import Conflict, Invalid
from chiiki.core.models import ChangeRecord
from chiiki.opendata import actions, queries
from chiiki.opendata.models import Conformance, Dataset, Resource

from .samples import VALID_AED, upload

ROLES = ["public", "admin", "tokyo", "hachioji", "aogashima", "sapporo", "advisor", "company"]
# Who sees 八王子市's 庁内限定 dataset: its own staff, 東京都's staff (they manage its municipalities), admins.
SEES_HACHIOJI_INTERNAL = {"admin", "tokyo", "hachioji"}


def _user(users, role):
    return None if role == "public" else users[role]


@pytest.mark.parametrize("role", ROLES)
def test_internal_dataset_is_404_on_every_surface_for_others(users, catalog, client_for, role):
    client = client_for(_user(users, role))
    resource = catalog["internal"].resources.get()
    urls = [
        "/opendata/dataset/hachioji-internal-budget/",
        f"/opendata/dataset/hachioji-internal-budget/resource/{resource.uid}/download",
        "/opendata/dataset/hachioji-internal-budget.ttl",
        "/dataset/hachioji-internal-budget.jsonld",
        "/api/v1/opendata/datasets/hachioji-internal-budget",
        "/api/3/action/package_show?id=hachioji-internal-budget",
        f"/api/action/package_show?id={catalog['internal'].uid}",
        f"/api/action/resource_show?id={resource.uid}",
    ]
    expected = 200 if role in SEES_HACHIOJI_INTERNAL else 404
    for url in urls:
        assert client.get(url, HTTP_USER_AGENT="Mozilla/5.0").status_code == expected, url
    # and it is in no list, count or facet of those who may not see it
    search = client.get("/api/3/action/package_search?q=予算").json()["result"]
    assert search["count"] == (1 if role in SEES_HACHIOJI_INTERNAL else 0)
    names = client.get("/api/action/package_list").json()["result"]
    assert ("hachioji-internal-budget" in names) is (role in SEES_HACHIOJI_INTERNAL)
    page = client.get("/opendata/?q=予算").content.decode()
    assert ("庁内予算データ" in page) is (role in SEES_HACHIOJI_INTERNAL)
    catalog_ttl = client.get("/catalog.ttl").content.decode()
    assert ("hachioji-internal-budget" in catalog_ttl) is (role in SEES_HACHIOJI_INTERNAL)


@pytest.mark.parametrize("role", ROLES)
def test_who_manages_which_dataset(users, register, catalog, role):
    user = _user(users, role)
    assert access.can(user, "opendata.manage", catalog["aed"]) is (role in {"admin", "tokyo", "hachioji"})
    assert access.can(user, "opendata.manage", catalog["pref"]) is (role in {"admin", "tokyo"})
    assert access.can(user, "opendata.manage", catalog["sapporo"]) is (role in {"admin", "sapporo"})
    assert access.can(user, "opendata.manage", None) is (role == "admin")  # national datasets


def test_create_update_delete_with_history_and_versions(users, register):
    staff = users["hachioji"]
    dataset = actions.create_dataset(staff, register["municipalities"]["132012"], {
        "name": "hachioji-parks", "title": "公園一覧", "tags": "公園、緑地", "sectors": ["tourism"]})
    assert dataset.tags == ["公園", "緑地"] and dataset.prefecture_id == "13" and dataset.version == 1
    updated = actions.update_dataset(staff, dataset, {"title": "八王子市 公園一覧"}, version=1)
    assert updated.version == 2
    with pytest.raises(Conflict):
        actions.update_dataset(staff, dataset, {"title": "古い版からの更新"}, version=1)
    records = ChangeRecord.objects.filter(model="opendata.dataset", object_id=str(dataset.pk)).order_by("at", "pk")
    assert [r.action for r in records] == ["create", "update"]
    assert records[1].before["title"] == "公園一覧" and records[1].after["title"] == "八王子市 公園一覧"
    assert records[1].municipality_id == "132012"
    actions.delete_dataset(staff, updated, version=2)
    assert not Dataset.objects.filter(pk=dataset.pk).exists()
    assert ChangeRecord.objects.filter(model="opendata.dataset", action="delete").count() == 1


def test_edit_sequence_is_core_editing(users, register):
    """A missing version is refused (Invalid on "version"); an edit that changes nothing keeps the version and
    writes no history; a stale delete is a Conflict."""
    staff = users["hachioji"]
    dataset = actions.create_dataset(staff, register["municipalities"]["132012"], {
        "name": "hachioji-benches", "title": "ベンチ一覧", "tags": "公園"})
    with pytest.raises(Invalid) as missing:
        actions.update_dataset(staff, dataset, {"title": "版なし"}, version=None)
    assert "version" in missing.value.errors
    same = actions.update_dataset(staff, dataset, {"title": "ベンチ一覧", "tags": ["公園"]}, version=1)
    assert same.version == 1 and Dataset.objects.get(pk=dataset.pk).version == 1
    assert ChangeRecord.objects.filter(model="opendata.dataset", object_id=str(dataset.pk)).count() == 1
    with pytest.raises(Conflict):
        actions.delete_dataset(staff, dataset, version=5)
    with pytest.raises(Invalid):
        actions.delete_dataset(staff, dataset, version="abc")
    assert Dataset.objects.filter(pk=dataset.pk).exists()


def test_history_pages_show_catalog_changes(users, catalog, client_for):
    client_for(users["company"]).post("/opendata/dataset/hachioji-aed/uses", {"title": "AEDマップ"})
    page = client_for(users["hachioji"]).get("/history/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "八王子市 AED設置箇所一覧" in text and "AED一覧" in text and "AEDマップ" in text
    record = ChangeRecord.objects.filter(model="opendata.resource").first()
    assert client_for(users["admin"]).get(f"/history/{record.pk}/").status_code == 200


def test_municipal_staff_cannot_create_for_another_municipality(users, register):
    with pytest.raises(PermissionDenied):
        actions.create_dataset(users["hachioji"], register["municipalities"]["011002"],
                               {"name": "x-data", "title": "他団体"})
    with pytest.raises(PermissionDenied):
        actions.create_dataset(users["tokyo"], None, {"name": "x-national", "title": "国のデータ"})
    actions.create_dataset(users["tokyo"], register["municipalities"]["134023"], {"name": "aoga", "title": "青ヶ島"})


def test_invalid_fields_are_reported_in_japanese(users, register):
    with pytest.raises(Invalid) as exc:
        actions.create_dataset(users["admin"], None, {"name": "Bad Name", "title": "", "license": "other",
                                                      "sectors": ["nope"], "visibility": "secret"})
    errors = exc.value.errors
    assert set(errors) == {"name", "title", "license_other", "sectors", "visibility"}
    assert "URL名" in errors["name"] and "その他" in errors["license_other"]


def test_upload_limit_from_settings_with_message(users, catalog, settings, client_for):
    settings.OPENDATA_MAX_UPLOAD_BYTES = 100
    with pytest.raises(Invalid) as exc:
        actions.add_resource(users["hachioji"], catalog["aed"], name="大きい", upload=upload("big.csv", "a" * 101))
    assert "ファイルが大きすぎます（100バイトまで）" in exc.value.errors["file"]
    response = client_for(users["hachioji"]).post("/opendata/dataset/hachioji-aed/resources",
                                                  {"name": "大きい", "file": upload("big.csv", "a" * 101)})
    assert response.status_code == 422  # refused like every other editor (it answered 200)
    assert "ファイルが大きすぎます（100バイトまで）" in response.content.decode()
    assert catalog["aed"].resources.count() == 1


def test_files_are_stored_under_the_configured_directory_and_downloaded(users, catalog, files_dir, client_for):
    resource = catalog["aed"].resources.get()
    assert resource.size == len(VALID_AED.encode()) and len(resource.sha256) == 64
    assert (files_dir / resource.file.name).exists()
    response = client_for(None).get(f"/opendata/dataset/hachioji-aed/resource/{resource.uid}/download",
                                    HTTP_USER_AGENT="Mozilla/5.0")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).decode() == VALID_AED


def test_standard_upload_sets_the_badge(users, catalog, client_for):
    assert Dataset.objects.get(name="hachioji-aed").conformance == Conformance.CONFORMING
    page = client_for(None).get("/opendata/dataset/hachioji-aed/").content.decode()
    assert "準拠" in page and "先頭1行のプレビュー" in page and "八王子市役所" in page
    bad = VALID_AED.replace("132012,AED001", "132013,AED001")
    actions.add_resource(users["hachioji"], catalog["aed"], name="誤りあり", upload=upload("bad.csv", bad))
    dataset = Dataset.objects.get(name="hachioji-aed")
    assert dataset.conformance == Conformance.NEEDS_FIX
    page = client_for(None).get("/opendata/dataset/hachioji-aed/").content.decode()
    assert "要修正" in page and "検査数字" in page
    assert queries.conforming_standard_datasets().count() == 0


def test_conforming_query_counts_public_conforming_standard_datasets(users, catalog):
    assert list(queries.conforming_standard_datasets()) == [catalog["aed"]]
    actions.update_dataset(users["hachioji"], catalog["aed"], {"visibility": "internal"},
                           version=Dataset.objects.get(name="hachioji-aed").version)
    assert queries.conforming_standard_datasets().count() == 0


def test_catalog_search_facets_and_exports(users, catalog, client_for):
    client = client_for(None)
    page = client.get("/opendata/?q=AED").content.decode()
    assert "八王子市 AED設置箇所一覧" in page and "札幌市 公衆トイレ一覧" not in page
    page = client.get("/opendata/?groups=tourism").content.decode()
    assert "東京都 観光施設一覧" in page and "札幌市 公衆トイレ一覧" in page and "AED設置箇所一覧" not in page
    page = client.get("/opendata/?organization=130001").content.decode()
    assert "東京都 観光施設一覧" in page and "札幌市" not in page.split("programs-results")[1]
    csv_text = client.get("/opendata/?standard_type=aed&format=csv").content.decode("utf-8-sig")
    assert "hachioji-aed" in csv_text and "tokyo-tourism" not in csv_text
    assert client.get("/opendata/?q=存在しない語句").status_code == 200


def test_owner_page_counts_standard_conformance(users, catalog, client_for):
    page = client_for(None).get("/opendata/org/132012/").content.decode()
    assert "八王子市 AED設置箇所一覧" in page and "庁内予算データ" not in page
    assert 'data-testid="conforming-count"><strong>1</strong></a> / 1 標準に準拠' in page
    own = client_for(users["hachioji"]).get("/opendata/org/132012/").content.decode()
    assert "庁内予算データ" in own
    assert client_for(None).get("/opendata/org/999999/").status_code == 404


def test_standards_page_counts_municipalities_per_prefecture(users, catalog, client_for):
    page = client_for(None).get("/opendata/standards/").content.decode()
    row = page.split("<th scope=\"row\">東京都</th>")[1].split("</tr>")[0]
    assert "standard_type=aed" in row and '>1</a>（<a href="/opendata/?visibility=public&amp;organization=132012' \
        '&amp;standard_type=aed&amp;conformance=conforming" data-testid="conforming-13-aed">1</a>）' in row


def test_standards_page_states_how_far_each_definition_is_confirmed_in_public_words(users, catalog, client_for):
    page = client_for(None).get("/opendata/standards/").content.decode()
    assert "data/README.md" not in page and "記憶" not in page  # maintainers' notes stay in the repository
    assert "AED設置箇所一覧（" in page and "定義の確認状況: 未確認）" in page
    assert "定義の確認状況: 定義書A（2026-08-01版）「13.公衆トイレ一覧」に基づく）" in page
    assert "正式版の項目定義とまだ照合できていません" in page


def test_standards_map_values(users, catalog, client_for):
    values = client_for(None).get("/opendata/standards/map.json").json()["values"]
    assert values == {"132012": {"count": 1, "label": "標準データセット1種類を公開（AED設置箇所一覧）"}}
    page = client_for(None).get("/opendata/standards/").content.decode()
    assert 'data-values-url="/opendata/standards/map.json"' in page and "opendata-map.js" in page


def test_management_forms(users, register, client_for):
    client = client_for(users["hachioji"])
    response = client.post("/opendata/manage/new", {
        "owner": "132012", "name": "hachioji-shelters", "title": "指定緊急避難場所", "license": "cc-by-4.0",
        "frequency": "annual", "visibility": "public", "standard_type": "evacuation_sites", "tags": "防災"})
    assert response.status_code == 302
    dataset = Dataset.objects.get(name="hachioji-shelters")
    assert dataset.municipality_id == "132012" and dataset.standard_type == "evacuation_sites"
    response = client.post("/opendata/manage/new", {"owner": "011002", "name": "x-y", "title": "他団体",
                                                    "license": "cc-by-4.0", "frequency": "annual",
                                                    "visibility": "public"})
    assert response.status_code == 422 and "正しく選択してください" in response.content.decode()
    response = client.post("/opendata/dataset/hachioji-shelters/edit", {
        "name": "hachioji-shelters", "title": "指定緊急避難場所一覧", "license": "cc-by-4.0", "frequency": "annual",
        "visibility": "public", "standard_type": "evacuation_sites", "version": dataset.version})
    assert response.status_code == 302
    assert Dataset.objects.get(pk=dataset.pk).title == "指定緊急避難場所一覧"
    assert client_for(users["sapporo"]).get("/opendata/dataset/hachioji-shelters/edit").status_code == 403
    assert client_for(None).get("/opendata/manage/").status_code == 302  # to the login page
    assert client_for(users["company"]).get("/opendata/manage/").status_code == 403


def test_resource_delete_removes_the_file(users, catalog, files_dir, client_for,
                                          django_capture_on_commit_callbacks):
    resource = catalog["internal"].resources.get()
    path = files_dir / resource.file.name
    assert path.exists()
    with django_capture_on_commit_callbacks(execute=True):  # the file goes once the deletion is committed
        response = client_for(users["hachioji"]).post("/opendata/dataset/hachioji-internal-budget/resources",
                                                      {"delete": str(resource.uid)})
    assert response.status_code == 302
    assert not Resource.objects.filter(pk=resource.pk).exists() and not path.exists()


def test_usage_counts_downloads_and_api_reads_without_bots(users, catalog, client_for):
    client = client_for(None)
    resource = catalog["aed"].resources.get()
    url = f"/opendata/dataset/hachioji-aed/resource/{resource.uid}/download"
    client.get(url, HTTP_USER_AGENT="Mozilla/5.0 (Windows NT 10.0)")
    client.get(url, HTTP_USER_AGENT="Mozilla/5.0 (Windows NT 10.0)")
    client.get(url, HTTP_USER_AGENT="Googlebot/2.1 (+http://www.google.com/bot.html)")
    client.get("/api/3/action/package_show?id=hachioji-aed", HTTP_USER_AGENT="ckanapi/4.11")
    months = queries.usage_by_month(catalog["aed"])
    assert len(months) == 1 and months[0]["download"] == 2 and months[0]["api"] == 1
    owner_page = client_for(users["hachioji"]).get("/opendata/dataset/hachioji-aed/usage")
    assert owner_page.status_code == 200 and "<td>2</td><td>1</td><td>3</td>" in owner_page.content.decode()
    assert client_for(users["sapporo"]).get("/opendata/dataset/hachioji-aed/usage").status_code == 403
    assert client_for(None).get("/opendata/dataset/hachioji-aed/usage").status_code == 302


def test_use_cases_are_moderated_by_the_owner(users, catalog, client_for):
    client_for(users["company"]).post("/opendata/dataset/hachioji-aed/uses",
                                      {"title": "AEDマップアプリ", "url": "https://example.jp/app"})
    assert "AEDマップアプリ" not in client_for(None).get("/opendata/uses/").content.decode()
    use = catalog["aed"].use_cases.get()
    assert client_for(users["sapporo"]).post(f"/opendata/dataset/hachioji-aed/uses/{use.pk}",
                                             {"status": "approved", "version": use.version}).status_code == 403
    client_for(users["hachioji"]).post(f"/opendata/dataset/hachioji-aed/uses/{use.pk}",
                                       {"status": "approved", "version": use.version})
    assert "AEDマップアプリ" in client_for(None).get("/opendata/uses/").content.decode()
    assert client_for(None).post("/opendata/dataset/hachioji-aed/uses", {"title": "x"}).status_code == 302


def test_get_dataset_hides_internal_from_others(users, catalog):
    with pytest.raises(Http404):
        queries.get_dataset(users["sapporo"], "hachioji-internal-budget")
    assert queries.get_dataset(users["tokyo"], str(catalog["internal"].uid)) == catalog["internal"]


def test_xlsx_preview_shows_the_first_rows(users, catalog, client_for):
    import io

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["施設名", "定員"])
    for i in range(15):
        sheet.append([f"施設{i}", 10 + i])
    buffer = io.BytesIO()
    book.save(buffer)
    actions.add_resource(users["hachioji"], catalog["aed"], name="表計算",
                         upload=upload("list.xlsx", buffer.getvalue()))
    page = client_for(None).get("/opendata/dataset/hachioji-aed/").content.decode()
    assert "先頭10行のプレビュー" in page and "<td>施設9</td>" in page and "施設10" not in page


def test_catalog_export_holds_every_dataset_the_page_counts(client, register):
    """The page says N件; its CSV holds those N rows, in the page's order, however large N is (it stopped at 10,000),
    and never an internal one."""
    import re

    municipality = register["municipalities"]["132012"]
    Dataset.objects.bulk_create(
        [Dataset(name=f"ds-{i:05d}", title=f"データ{i}", municipality=municipality,
                 prefecture=municipality.prefecture) for i in range(10_003)]
        + [Dataset(name="zz-internal", title="庁内だけ", municipality=municipality, prefecture=municipality.prefecture,
                   visibility="internal")], batch_size=2000)
    page = client.get("/opendata/").content.decode()
    assert int(re.search(r"<strong>([\d,]+)</strong>件", page).group(1).replace(",", "")) == 10_003
    response = client.get("/opendata/?format=csv")
    rows = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()[1:]
    assert len(rows) == 10_003 and [r.split(",")[0] for r in rows[:2]] == ["ds-00000", "ds-00001"]
    assert rows[-1].startswith("ds-10002,") and not any("zz-internal" in r for r in rows)


def test_deleting_a_dataset_keeps_its_resources_and_use_cases_in_history(users, catalog, client_for):
    """Only the dataset's own deletion was recorded: its files (name, URL, sha256) and the use cases people
    reported vanished from history with it."""
    aed = catalog["aed"]
    resource = aed.resources.get()
    client_for(users["company"]).post("/opendata/dataset/hachioji-aed/uses", {"title": "AEDマップ"})
    use = aed.use_cases.get()
    aed.refresh_from_db()
    response = client_for(users["hachioji"]).post("/opendata/dataset/hachioji-aed/edit",
                                                  {"delete": "1", "version": str(aed.version)})
    assert response.status_code == 302 and not Dataset.objects.filter(pk=aed.pk).exists()
    gone = ChangeRecord.objects.get(model="opendata.resource", object_id=str(resource.pk), action="delete")
    assert gone.before["name"] == resource.name and gone.before["sha256"] == resource.sha256
    assert gone.municipality_id == "132012"
    gone_use = ChangeRecord.objects.get(model="opendata.usecase", object_id=str(use.pk), action="delete")
    assert gone_use.before["title"] == "AEDマップ"
    assert not ChangeRecord.objects.filter(model="opendata.usage").exists()
    page = client_for(users["hachioji"]).get("/history/", {"model": "opendata.resource", "action": "delete"})
    assert resource.name in page.content.decode()
