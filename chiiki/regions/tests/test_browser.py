"""Browser tests: the map component draws, colours and links; directory search; screenshots to look at."""

import pytest
from django.core.management import call_command

from chiiki.testing import collect_errors

from . import topo_fixture

pytestmark = pytest.mark.browser
CREDIT = "「国土数値情報（行政区域データ）」（国土交通省）を加工して作成"


@pytest.fixture
def boundaries_loaded(transactional_db, register, tmp_path):
    directory = tmp_path / "boundaries"
    topo_fixture.write(directory)
    call_command("load_boundaries", str(directory))




def test_national_map_draws_polygons_and_credit(boundaries_loaded, page, screenshot, settings):
    settings.CSP_ENABLED = True  # production's script-src 'self': the map must need no inline script
    errors = collect_errors(page)
    response = page.goto("/regions/map/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector("#national-map[data-map-ready=boundaries]")
    assert page.locator("#national-map .leaflet-overlay-pane path").count() == 3  # municipalities
    assert page.locator("#national-map .leaflet-prefectures-pane path").count() == 1  # outline drawn on top
    assert CREDIT in page.locator(".map-credit").inner_text()
    assert CREDIT in page.locator("#national-map .leaflet-control-attribution").inner_text()
    page.locator("#national-map .leaflet-overlay-pane path").first.hover()
    assert "千代田区" in page.locator(".leaflet-tooltip").inner_text()
    screenshot(page, "regions-national-map")
    assert errors == []


def test_map_controller_colours_and_legend(boundaries_loaded, page):
    page.goto("/regions/map/")
    page.wait_for_selector("#national-map[data-map-ready=boundaries]")
    page.evaluate("""() => {
        const c = document.getElementById('national-map')._chiikiMap;
        c.setValues({'132012': {color: '#3460fb', label: '導入済み'}});
        c.setLegend([{color: '#3460fb', label: '導入済み'}]);
        window.clicked = null;
        c.configure({onClick: (code) => { window.clicked = code; }});
    }""")
    fills = page.eval_on_selector_all("#national-map .leaflet-overlay-pane path", "els => els.map(e => e.getAttribute('fill'))")
    assert "#3460fb" in fills
    assert "導入済み" in page.locator("[data-map-legend-for=national-map]").inner_text()
    page.locator("#national-map .leaflet-overlay-pane path").nth(1).click(force=True)
    assert page.evaluate("window.clicked") in ("131016", "132012", "134023")


def test_clicking_a_municipality_opens_its_page(boundaries_loaded, page):
    page.goto("/regions/prefectures/13/")
    page.wait_for_selector("#prefecture-map[data-map-ready=boundaries]")
    box = page.locator("#prefecture-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # the middle square: 八王子市
    page.wait_for_url("**/regions/municipalities/132012/")
    assert "八王子市" in page.locator("h1").inner_text()


def test_municipality_page_map_as_municipal_staff(boundaries_loaded, users, page, login, screenshot):
    errors = collect_errors(page)
    login(users["hachioji"])
    page.goto("/regions/municipalities/132012/")
    page.wait_for_selector("#municipality-map[data-map-ready=boundaries]")
    focused = page.eval_on_selector_all("#municipality-map .leaflet-overlay-pane path",
                                        "els => els.filter(e => e.getAttribute('fill') === '#ffd43d').length")
    assert focused == 1
    assert "千代田区" in page.locator(".neighbour-list").inner_text()
    assert page.get_by_role("link", name="団体情報（財政力指数・地域区分）を編集").is_visible()
    screenshot(page, "regions-municipality")
    assert errors == []


def test_map_falls_back_to_office_points(transactional_db, register, page, screenshot):
    page.goto("/regions/map/")
    page.wait_for_selector("#national-map[data-map-ready=points]")
    assert page.locator("#national-map .leaflet-overlay-pane path").count() == 8  # circle markers
    assert "役所の位置を点で表示" in page.locator("[data-map-status]").inner_text()
    screenshot(page, "regions-map-points")


def test_directory_search_by_kana_and_edit(users, page, login, screenshot):
    page.goto("/regions/")
    page.fill("#id_q", "はちおうじ")
    page.keyboard.press("Enter")
    page.wait_for_url("**/regions/?q=*")
    rows = page.locator("table.data tbody tr")
    assert rows.count() == 1 and "八王子市" in rows.inner_text()
    screenshot(page, "regions-directory-search")
    login(users["hachioji"])
    page.goto("/regions/municipalities/132012/edit/")
    page.fill("#id_fiscal_strength_index", "0.85")
    page.select_option("#id_mountainous", "true")
    page.click("form.attribute-form button[type=submit]")
    page.wait_for_url("**/regions/municipalities/132012/")
    assert "0.85" in page.locator("dl.profile").inner_text()
    screenshot(page, "regions-municipality-edited")
