"""The municipality's page in the register (/regions/municipalities/<code>/) lists its datasets (issue 15 §5)."""

import re

from django.urls import reverse
from django.utils import timezone

from chiiki import access
from chiiki.opendata import actions, queries
from chiiki.regions.models import Municipality, Prefecture

from .samples import upload

HACHIOJI = "/regions/municipalities/132012/"
SAPPORO = "/regions/municipalities/011002/"
AOGASHIMA = "/regions/municipalities/134023/"


def section(response) -> str:
    """The オープンデータ section of a municipality page."""
    assert response.status_code == 200
    found = re.search(r'<section aria-labelledby="opendata-heading".*?</section>', response.content.decode(), re.S)
    assert found, "the page has no オープンデータ section"
    return found.group(0)


def titles(html: str) -> list[str]:
    return re.findall(r'<tr><td><a href="/opendata/dataset/[^"]+/">([^<]+)</a>', html)


def test_public_datasets_are_listed_with_their_facts(catalog, client_for):
    html = section(client_for(None).get(HACHIOJI))
    assert titles(html) == ["八王子市 AED設置箇所一覧"]
    row = re.search(r"<tr><td><a href=\"/opendata/dataset/hachioji-aed/\">.*?</tr>", html, re.S).group(0)
    assert "不定期" in row  # update frequency
    assert "AED設置箇所一覧（準拠）" in row  # standard type and the validator's verdict
    assert "<td>CSV</td>" in row
    updated = timezone.localtime(catalog["aed"].updated_at)
    assert f"{updated.year}年{updated.month}月{updated.day}日" in row  # the site's date format, not 2026-12-04
    # The count leads to the owner page; the standard count to the catalog search filtered to this owner.
    assert '<a href="/opendata/org/132012/"><strong>1</strong>件のデータセット</a>' in html
    assert "/opendata/?organization=132012&amp;standard_type=" in html
    assert ('標準に準拠 <a href="/opendata/?organization=132012&amp;conformance=conforming" '
            'data-testid="conforming-count">1件</a>') in html
    assert "庁内限定" not in html
    assert "データセットを管理" not in html


def test_internal_datasets_only_for_those_who_manage_the_municipality(catalog, users, client_for):
    for role in ("sapporo", "aogashima", "company", "advisor"):
        html = section(client_for(users[role]).get(HACHIOJI))
        assert titles(html) == ["八王子市 AED設置箇所一覧"], role
        assert "庁内限定" not in html and "<strong>1</strong>件" in html, role
    for role in ("hachioji", "tokyo", "admin"):
        html = section(client_for(users[role]).get(HACHIOJI))
        assert sorted(titles(html)) == ["八王子市 AED設置箇所一覧", "八王子市 庁内予算データ"], role
        assert re.search(r"八王子市 庁内予算データ</a> <span class=\"badge\">庁内限定</span>", html), role
        assert "<strong>2</strong>件" in html and "データセットを管理" in html, role


def test_a_signed_in_officer_never_fills_the_anonymous_cache(catalog, users, client_for, stored_pages):
    assert "庁内予算" in section(client_for(users["hachioji"]).get(HACHIOJI))
    assert stored_pages() == 0  # pages of signed-in users are neither served from nor stored in the cache
    anonymous = client_for(None)
    assert "庁内予算" not in section(anonymous.get(HACHIOJI))
    assert stored_pages() == 1
    assert "庁内予算" not in section(anonymous.get(HACHIOJI))


def test_other_datasets_are_not_listed(catalog, client_for):
    # 札幌市's dataset on 札幌市's page, not on 八王子市's; 東京都's own dataset on neither municipality's page.
    assert titles(section(client_for(None).get(SAPPORO))) == ["札幌市 公衆トイレ一覧"]
    assert "東京都 観光施設一覧" not in section(client_for(None).get(HACHIOJI))


def test_empty_state(catalog, client_for):
    html = section(client_for(None).get(AOGASHIMA))
    assert "東京都青ヶ島村が公開しているデータセットはまだありません。" in html
    assert "<table" not in html


def test_a_new_dataset_shows_on_the_cached_page_and_leaves_other_pages_cached(catalog, client_for, stored_pages):
    anonymous = client_for(None)
    first = anonymous.get(HACHIOJI)
    other = anonymous.get(SAPPORO)
    assert stored_pages() == 2
    assert anonymous.get(HACHIOJI)["ETag"] == first["ETag"]  # served from the cache
    hachioji = Municipality.objects.get(code="132012")
    actions.create_dataset(access.SYSTEM, hachioji, {"name": "hachioji-shelters", "title": "八王子市 指定緊急避難場所一覧",
                                                     "standard_type": "evacuation_sites", "frequency": "annual"})
    after = anonymous.get(HACHIOJI)
    assert after["ETag"] != first["ETag"]
    html = section(after)
    assert titles(html)[0] == "八王子市 指定緊急避難場所一覧"  # the latest change first
    assert "毎年" in html and "<strong>2</strong>件" in html
    # Another municipality's page does not depend on 八王子市's datasets: still the stored response.
    assert anonymous.get(SAPPORO)["ETag"] == other["ETag"]
    # A prefecture's dataset is on no municipality's page.
    actions.create_dataset(access.SYSTEM, Prefecture.objects.get(code="13"), {"name": "tokyo-aed", "title": "東京都 AED"})
    assert anonymous.get(HACHIOJI)["ETag"] == after["ETag"]
    assert anonymous.get(SAPPORO)["ETag"] == other["ETag"]
    # The catalog's own pages see every write.
    assert "東京都 AED" in anonymous.get(reverse("opendata:index")).content.decode()


def test_edits_and_deletions_reach_the_cached_page(catalog, client_for):
    anonymous = client_for(None)
    assert "八王子市 AED設置箇所一覧" in section(anonymous.get(HACHIOJI))
    aed = catalog["aed"]
    aed.refresh_from_db()
    aed = actions.update_dataset(access.SYSTEM, aed, {"title": "八王子市 AED設置場所"}, version=aed.version)
    assert titles(section(anonymous.get(HACHIOJI))) == ["八王子市 AED設置場所"]
    actions.update_dataset(access.SYSTEM, aed, {"visibility": "internal"}, version=aed.version)
    html = section(anonymous.get(HACHIOJI))
    assert titles(html) == [] and "公開しているデータセットはまだありません" in html


def test_long_lists_show_the_latest_and_link_to_the_rest(register, client_for, django_assert_max_num_queries):
    hachioji = Municipality.objects.get(code="132012")
    for n in range(queries.MUNICIPALITY_PAGE_ROWS + 3):
        dataset = actions.create_dataset(access.SYSTEM, hachioji, {"name": f"ds-{n:02d}", "title": f"データ{n:02d}"})
        actions.add_resource(access.SYSTEM, dataset, name="表", upload=upload("t.csv", "a,b\n1,2\n"))
        actions.add_resource(access.SYSTEM, dataset, name="外部", url="https://example.jp/t.json", format="JSON")
    anonymous = client_for(None)
    with django_assert_max_num_queries(8):  # 6 now; not one query per listed dataset
        response = anonymous.get(HACHIOJI)
    html = section(response)
    shown = titles(html)
    assert len(shown) == queries.MUNICIPALITY_PAGE_ROWS
    assert shown[0] == "データ12" and "データ02" not in shown
    assert "<td>CSV, JSON</td>" in html
    assert '<a href="/opendata/org/132012/">ほか3件を含むすべてのデータセットを見る</a>' in html
    assert "<strong>13</strong>件" in html
