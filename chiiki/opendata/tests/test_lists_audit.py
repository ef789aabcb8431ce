"""Lists and figures of the open-data pages: every figure links to exactly its rows, every list exports CSV/XLSX
with Japanese headers (the owner page, the national 公開状況 table, 利用事例, 利用状況, the management list)."""

import re

import pytest

from chiiki import access
from chiiki.core.tabular import read_table
from chiiki.opendata import actions
from chiiki.regions.models import Municipality

pytestmark = pytest.mark.django_db


@pytest.fixture
def sapporo_aed(catalog):
    # A 札幌市 AED dataset whose text names 東京都: a text search for the prefecture's name finds it, the
    # 東京都 figure on the standards page must not.
    return actions.create_dataset(access.SYSTEM, Municipality.objects.get(code="011002"), {
        "name": "sapporo-aed", "title": "札幌市 AED設置箇所一覧（東京都の様式に準じる）", "standard_type": "aed"})


def _listed_names(client, href):
    html = client.get(href.replace("&amp;", "&")).content.decode()
    count = int(re.search(r"<strong>(\d+)</strong>件", html).group(1))
    return count, set(re.findall(r'href="/opendata/dataset/([\w-]+)/"', html))


def test_standards_figures_link_to_the_datasets_of_exactly_those_municipalities(client_for, sapporo_aed):
    client = client_for(None)
    page = client.get("/opendata/standards/").content.decode()
    row = page.split('<th scope="row">東京都</th>')[1].split("</tr>")[0]
    links = re.findall(r'href="(/opendata/\?[^"]+)">(\d+)</a>', row)
    assert len(links) == 2  # いずれかを公開 and AED
    for href, number in links:
        count, names = _listed_names(client, href)
        assert count == int(number) == 1 and names == {"hachioji-aed"}, href
    assert re.search(r'<a href="/regions/\?prefecture=13">(\d+)</a>', row)
    hokkaido = page.split('<th scope="row">北海道</th>')[1].split("</tr>")[0]
    href, number = re.findall(r'href="(/opendata/\?[^"]+standard_type=aed)">(\d+)</a>', hokkaido)[0]
    assert _listed_names(client, href) == (1, {"sapporo-aed"})


def test_standards_table_exports_with_japanese_headers(client_for, sapporo_aed):
    client = client_for(None)
    table = read_table(client.get("/opendata/standards/?format=csv").content, "s.csv")
    assert table.header[:4] == ["都道府県コード", "都道府県", "市区町村数", "いずれかを公開"]
    assert "AED設置箇所一覧（公開）" in table.header and "AED設置箇所一覧（準拠）" in table.header
    tokyo = next(r.values for r in table.rows if r.values["都道府県"] == "東京都")
    assert tokyo["いずれかを公開"] == "1" and tokyo["AED設置箇所一覧（公開）"] == "1"
    assert tokyo["AED設置箇所一覧（準拠）"] == "1"
    page = client.get("/opendata/standards/").content.decode()
    assert len(table.rows) == page.split('id="standards-table"')[1].count('<th scope="row">')  # one per prefecture
    xlsx = read_table(client.get("/opendata/standards/?format=xlsx").content, "s.xlsx")
    assert [r.values for r in xlsx.rows] == [r.values for r in table.rows]


def test_owner_page_exports_the_datasets_its_visitor_sees(users, client_for, catalog):
    for user, expected in ((None, {"hachioji-aed"}), (users["hachioji"], {"hachioji-aed", "hachioji-internal-budget"})):
        client = client_for(user)
        page = client.get("/opendata/org/132012/").content.decode()
        href = re.search(r'<a href="([^"]+format=csv)">CSV</a>', page).group(1).replace("&amp;", "&")
        rows = read_table(client.get(href).content, "o.csv").rows
        assert {r.values["URL名"] for r in rows} == expected
        assert {r.values["公開団体"] for r in rows} == {"東京都八王子市"}


def test_use_cases_list_exports_the_published_ones(users, client_for, catalog):
    shown = actions.register_use_case(users["company"], catalog["aed"], title="AEDマップ", url="https://example.jp/")
    actions.moderate_use_case(users["hachioji"], shown, "approved", version=shown.version)
    actions.register_use_case(users["company"], catalog["aed"], title="確認待ちのアプリ")
    client = client_for(None)
    assert "?format=csv" in client.get("/opendata/uses/").content.decode()
    table = read_table(client.get("/opendata/uses/?format=csv").content, "u.csv")
    assert table.header == ["利用事例", "URL", "説明", "使用データ", "使用データのURL", "登録日"]
    assert [(r.values["利用事例"], r.values["使用データ"]) for r in table.rows] == [
        ("AEDマップ", "八王子市 AED設置箇所一覧")]
    xlsx = read_table(client.get("/opendata/uses/?format=xlsx").content, "u.xlsx")
    assert [r.values for r in xlsx.rows] == [r.values for r in table.rows]


def test_usage_by_month_exports_for_the_owner_only(users, client_for, catalog):
    from django.utils import timezone

    from chiiki.opendata.models import Usage, UsageKind

    month = timezone.localdate().replace(day=1)
    Usage.objects.create(dataset=catalog["aed"], month=month, kind=UsageKind.DOWNLOAD, count=4)
    owner = client_for(users["hachioji"])
    assert "?format=xlsx" in owner.get("/opendata/dataset/hachioji-aed/usage").content.decode()
    table = read_table(owner.get("/opendata/dataset/hachioji-aed/usage?format=csv").content, "m.csv")
    assert table.header == ["月", "ページ閲覧", "ダウンロード", "API", "合計"]
    assert [r.values for r in table.rows] == [
        {"月": f"{month:%Y-%m}", "ページ閲覧": "0", "ダウンロード": "4", "API": "0", "合計": "4"}]
    assert client_for(users["sapporo"]).get("/opendata/dataset/hachioji-aed/usage?format=csv").status_code == 403


def test_manage_list_exports_the_managed_datasets(users, client_for, catalog):
    client = client_for(users["hachioji"])
    table = read_table(client.get("/opendata/manage/?format=csv").content, "d.csv")
    assert table.header == ["URL名", "タイトル", "公開団体", "公開範囲", "標準データセット", "準拠", "更新日時", "URL"]
    assert {r.values["URL名"] for r in table.rows} == {"hachioji-aed", "hachioji-internal-budget"}
    aed = next(r.values for r in table.rows if r.values["URL名"] == "hachioji-aed")
    assert aed["標準データセット"] == "AED設置箇所一覧" and aed["公開範囲"] == "公開"
    xlsx = read_table(client.get("/opendata/manage/?format=xlsx").content, "d.xlsx")
    assert {r.values["URL名"] for r in xlsx.rows} == {"hachioji-aed", "hachioji-internal-budget"}


def test_resources_list_exports_the_rows_it_shows_to_its_managers_only(users, client_for, catalog):
    actions.add_resource(access.SYSTEM, catalog["aed"], name="=外部の地図", url="https://example.jp/aed-map",
                         description="地図アプリ")
    owner = client_for(users["hachioji"])
    page = owner.get("/opendata/dataset/hachioji-aed/resources").content.decode()
    assert '<a href="?format=csv">CSV</a>' in page and '<a href="?format=xlsx">XLSX</a>' in page
    shown = re.findall(r"<tr><td>([^<]+)</td>", page.split("登録済みのリソース")[1].split("</table>")[0])
    table = read_table(owner.get("/opendata/dataset/hachioji-aed/resources?format=csv").content, "r.csv")
    assert table.header == ["ID", "名称", "形式", "サイズ（バイト）", "標準の検証", "誤り（件）", "説明", "URL", "更新日時"]
    assert [r.values["名称"] for r in table.rows] == shown == [
        "AED一覧", "=外部の地図"]
    file_row, link_row = (r.values for r in table.rows)
    uid = str(catalog["aed"].resources.get(name="AED一覧").uid)
    assert file_row["ID"] == uid and file_row["形式"] == "CSV" and int(file_row["サイズ（バイト）"]) > 0
    assert file_row["標準の検証"] == "準拠" and file_row["誤り（件）"] == "0"
    assert file_row["URL"] == f"http://testserver/opendata/dataset/hachioji-aed/resource/{uid}/download"
    assert link_row["URL"] == "https://example.jp/aed-map" and link_row["サイズ（バイト）"] == ""
    assert link_row["説明"] == "地図アプリ" and link_row["標準の検証"] == ""
    xlsx = read_table(owner.get("/opendata/dataset/hachioji-aed/resources?format=xlsx").content, "r.xlsx")
    assert [r.values for r in xlsx.rows] == [r.values for r in table.rows]
    other = client_for(users["sapporo"]).get("/opendata/dataset/hachioji-aed/resources?format=csv")
    assert other.status_code == 403
    anonymous = client_for(None).get("/opendata/dataset/hachioji-aed/resources?format=csv")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
