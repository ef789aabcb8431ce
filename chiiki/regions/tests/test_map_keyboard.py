"""Browser tests: the map is one keyboard widget (arrow keys, Enter, a search box), each polygon has a name, and
the progress map's legend is a list."""

import pytest
from django.core.management import call_command

from chiiki.core.fiscal import current_fiscal_year
from chiiki.progress import actions
from chiiki.roadmap.models import Sector
from chiiki.testing import collect_errors

from . import topo_fixture

pytestmark = pytest.mark.browser


@pytest.fixture
def boundaries_loaded(transactional_db, register, tmp_path):
    directory = tmp_path / "boundaries"
    topo_fixture.write(directory)
    call_command("load_boundaries", str(directory))


def _tab_stops_in(page, selector) -> int:
    return page.evaluate("""(selector) => Array.from(document.querySelectorAll(selector + ' *'))
        .filter((el) => el.tabIndex >= 0 && !el.disabled && el.getClientRects().length).length""", selector)


def test_the_map_is_one_tab_stop_moved_with_arrow_keys(boundaries_loaded, page, screenshot):
    errors = collect_errors(page)
    page.goto("/regions/map/")
    page.wait_for_selector("#national-map[data-map-ready=boundaries]")
    paths = page.locator("#national-map .leaflet-overlay-pane path")
    assert paths.count() == 3
    # every polygon is an image named after its municipality; none of them is a tab stop
    names = paths.evaluate_all("els => els.map((e) => [e.getAttribute('role'), e.getAttribute('aria-label'), e.tabIndex])")
    assert sorted(names) == [["img", "東京都八王子市", -1], ["img", "東京都千代田区", -1], ["img", "東京都青ヶ島村", -1]]
    assert _tab_stops_in(page, "#national-map") <= 3  # the map itself and Leaflet's ＋／− buttons

    page.focus("#national-map-search")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "national-map"
    page.keyboard.press("ArrowRight")  # the first key picks the municipality nearest the centre of the view
    assert page.get_attribute("#national-map", "data-current") in ("131016", "132012", "134023")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    assert page.get_attribute("#national-map", "data-current") == "131016"  # the west end
    page.keyboard.press("ArrowRight")
    assert page.get_attribute("#national-map", "data-current") == "132012"
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")  # nothing further east: stays
    assert page.get_attribute("#national-map", "data-current") == "134023"
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    assert page.get_attribute("#national-map", "data-current") == "131016"
    active = page.get_attribute("#national-map", "aria-activedescendant")
    page.keyboard.press("Tab")  # past the map in one step: no polygon is a tab stop (Chromium would make them so)
    assert page.evaluate("document.activeElement.classList.contains('leaflet-control-zoom-in')")
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.id") == "national-map"
    assert page.get_attribute(f"#{active}", "aria-label") == "東京都千代田区"
    assert "東京都千代田区" in page.locator("[data-map-live]").inner_text()
    screenshot(page, "regions-map-keyboard")
    page.keyboard.press("Enter")
    page.wait_for_url("**/regions/municipalities/131016/")
    assert errors == []


def test_the_search_box_jumps_to_a_municipality(boundaries_loaded, page):
    page.goto("/regions/map/")
    page.wait_for_selector("#national-map[data-map-ready=boundaries]")
    page.get_by_label("地図上の市区町村を探す").fill("青ヶ島")
    page.keyboard.press("Enter")
    assert page.get_attribute("#national-map", "data-current") == "134023"
    assert page.evaluate("document.activeElement.id") == "national-map"
    page.get_by_label("地図上の市区町村を探す").fill("存在しない町")
    page.get_by_role("button", name="地図で表示").click()
    assert "見つかりませんでした" in page.locator("[data-map-live]").inner_text()
    page.focus("#national-map")
    page.keyboard.press("Enter")
    page.wait_for_url("**/regions/municipalities/134023/")


def test_progress_map_keyboard_opens_the_progress_page_and_names_the_stage(boundaries_loaded, users, page):
    year = current_fiscal_year()
    hachioji = users["hachioji"].municipality
    actions.save_progress(users["hachioji"], hachioji, Sector.objects.get(pk="disaster"), year,
                          stage="implemented", version=0)
    page.goto(f"/progress/map/?fiscal_year={year}&sector=disaster")
    page.wait_for_selector('#progress-map-wrap[data-ready="true"]')
    assert page.locator("ul.progress-legend > li").count() == 6
    label = page.get_attribute("#progress-map-m132012", "aria-label")
    assert label.startswith("東京都八王子市：") and "実装済" in label
    page.get_by_label("地図上の市区町村を探す").fill("八王子市")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/progress/municipalities/{hachioji.code}/**")


@pytest.mark.parametrize("url", ["/regions/map/", "/regions/municipalities/132012/", "/progress/map/"])
def test_the_zoom_buttons_are_named_in_japanese(boundaries_loaded, page, url):
    """Leaflet's ＋／− are read out and shown on hover as 拡大／縮小, not "Zoom in"/"Zoom out" (every map mounts
    through static/js/map.js)."""
    page.goto(url)
    page.wait_for_selector(".leaflet-control-zoom-in")
    names = page.evaluate("""() => ['in', 'out'].map((which) => {
        const button = document.querySelector('.leaflet-control-zoom-' + which);
        return [button.getAttribute('title'), button.getAttribute('aria-label')]; })""")
    assert names == [["拡大", "拡大"], ["縮小", "縮小"]]
    assert page.locator(".leaflet-control-zoom").count() == page.locator(".leaflet-container").count()
    assert "Zoom" not in page.locator("main").inner_html()
