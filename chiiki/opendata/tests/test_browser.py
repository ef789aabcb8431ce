"""The main flow in Chromium: a municipal officer creates a standard dataset, uploads a file with mistakes, sees
要修正, and a visitor finds it through the catalog search and its facets."""

import pytest

from chiiki.opendata.models import Dataset

from .samples import VALID_AED

pytestmark = pytest.mark.browser


def test_officer_publishes_and_visitor_finds(users, catalog, page, login, screenshot, tmp_path):
    login(users["hachioji"])
    page.goto("/opendata/manage/new")
    page.select_option("#id_owner", "132012")
    page.fill("#id_name", "hachioji-aed-2")
    page.fill("#id_title", "八王子市 AED設置箇所一覧（南部）")
    page.select_option("#id_standard_type", "aed")
    page.get_by_label("防災").check()
    page.get_by_role("button", name="保存する").click()
    page.wait_for_url("**/opendata/dataset/hachioji-aed-2/resources")
    bad = tmp_path / "aed-south.csv"
    bad.write_text(VALID_AED.replace("08:30", "8時"), encoding="cp932")
    page.set_input_files("#id_file", str(bad))
    page.get_by_role("button", name="登録する").click()
    page.wait_for_selector(".message--success")
    assert "誤りがあります" in page.locator(".messages").inner_text()
    page.goto("/opendata/dataset/hachioji-aed-2/")
    assert page.get_by_text("要修正", exact=True).first.is_visible()
    page.get_by_text("標準データセットの検証: 要修正").click()
    assert "時刻は hh:mm" in page.locator("details").first.inner_text()
    assert page.locator("table caption", has_text="先頭1行のプレビュー").is_visible()
    screenshot(page, "opendata-dataset")
    assert Dataset.objects.get(name="hachioji-aed-2").conformance == "needs_fix"

    page.context.clear_cookies()
    page.goto("/opendata/?q=AED")
    assert page.locator(".program-card").count() == 2
    page.locator("[data-facet=standard_type]").get_by_role("checkbox", name="AED設置箇所一覧").check()
    page.get_by_role("button", name="絞り込む").click()
    page.wait_for_url("**standard_type=aed**")
    page.locator("[data-facet=organization] li", has_text="八王子市").get_by_role("checkbox").check()
    page.get_by_role("button", name="絞り込む").click()
    page.wait_for_url("**organization=132012**")
    assert "standard_type=aed" in page.url and "organization=132012" in page.url
    assert page.locator(".program-card__name").all_inner_texts() == ["八王子市 AED設置箇所一覧",
                                                                      "八王子市 AED設置箇所一覧（南部）"]
    assert "庁内予算" not in page.content()
    screenshot(page, "opendata-catalog")


def test_national_map_colours_publishing_municipalities(users, catalog, page, screenshot, tmp_path):
    from io import StringIO

    from django.core.management import call_command

    from chiiki.regions.tests import topo_fixture

    topo_fixture.write(tmp_path / "boundaries")
    call_command("load_boundaries", str(tmp_path / "boundaries"), stdout=StringIO())
    page.goto("/opendata/standards/")
    page.wait_for_selector("#opendata-map-wrap[data-ready=true]")
    legend = page.locator("[data-map-legend-for=opendata-map]").inner_text()
    assert "1種類（1団体）" in legend and "2種類（0団体）" in legend
    screenshot(page, "opendata-standards-map")


def test_owner_sees_page_views_by_month(users, catalog, client, page, login, screenshot, settings):
    """Page views (counted outside the page cache) beside downloads and API reads on the owner's usage page."""
    settings.OPENDATA_VIEW_FLUSH_EVERY = 1000
    for _ in range(4):  # a visitor's browser (Chromium headless names itself, so it would count as a bot)
        assert client.get("/opendata/dataset/hachioji-aed/", HTTP_USER_AGENT="Mozilla/5.0 (iPhone)").status_code == 200
    client.get("/api/3/action/package_show?id=hachioji-aed", HTTP_USER_AGENT="ckanapi/4.11")
    login(users["hachioji"])
    page.goto("/opendata/dataset/hachioji-aed/usage")
    row = page.locator("table.data tbody tr").first
    cells = row.locator("td").all_inner_texts()
    headers = page.locator("table.data thead th").all_inner_texts()
    assert headers[:5] == ["月", "ページ閲覧", "ダウンロード", "API", "合計"]
    assert cells[:4] == ["4", "0", "1", "5"]
    screenshot(page, "opendata-usage")
    page.set_viewport_size({"width": 375, "height": 800})
    page.reload()
    screenshot(page, "opendata-usage-375")


def test_municipality_page_lists_its_datasets(users, catalog, page, login, screenshot):
    """The register's page of 八王子市 shows its datasets; on a phone the table scrolls inside its box."""
    page.goto("/regions/municipalities/132012/")
    table = page.locator("#opendata-datasets")
    assert table.locator("tbody tr").count() == 1
    assert "庁内予算" not in page.content()
    table.get_by_role("link", name="八王子市 AED設置箇所一覧").click()
    page.wait_for_url("**/opendata/dataset/hachioji-aed/")
    page.go_back()
    screenshot(page, "regions-municipality-opendata")
    login(users["hachioji"])
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto("/regions/municipalities/132012/#opendata")
    assert page.locator("#opendata-datasets tbody tr").count() == 2
    assert page.locator("#opendata-datasets .badge", has_text="庁内限定").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, "regions-municipality-opendata-375")
