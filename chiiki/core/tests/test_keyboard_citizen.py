"""A citizen (not signed in) with the keyboard only: the skip link, the main menu (and its button on a 375 px
phone, which Escape closes), the open data catalog search, a dataset page, the support programs search and its
pagination. Every tab stop shows a focus ring."""

from pathlib import Path

import pytest
from django.conf import settings as django_settings

from chiiki.opendata.tests.samples import make_catalog
from chiiki.programs.reference import load_catalog
from chiiki.testing import collect_errors

from .keyboard import activate, active_is, assert_focus_visible, menu, tab_to, walk

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def catalogs(register, settings, tmp_path):
    settings.OPENDATA_FILES_DIR = tmp_path / "opendata"
    make_catalog()
    load_catalog(data_dir=Path(django_settings.BASE_DIR) / "data")


def _search(page, words: str):
    """The page's search box (#q): type, Enter, wait for the results page."""
    tab_to(page, "#q")
    page.keyboard.type(words)
    page.keyboard.press("Enter")
    page.wait_for_url("**?q=*")


def test_skip_link_menu_catalog_and_programs(catalogs, page, screenshot):
    errors = collect_errors(page)
    page.goto("/")
    page.keyboard.press("Tab")
    assert active_is(page, "a.skip-link")
    assert_focus_visible(page)  # the skip link comes on screen when focused
    screenshot(page, "keyboard-skip-link")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")  # the next stop is inside the main content, past the header and the menu
    assert page.evaluate("!!document.activeElement.closest('main')")
    assert_focus_visible(page)

    # the main menu → オープンデータ; search the catalog; open a dataset
    menu(page, "/opendata/")
    _search(page, "AED")
    activate(page, 'main a[href="/opendata/dataset/hachioji-aed/"]', "**/opendata/dataset/hachioji-aed/")
    stops = walk(page)  # every stop of the dataset page, in order, with a ring
    assert stops[0].startswith("a 本文へ移動") and any("aed.csv" in s or "AED一覧" in s for s in stops), stops
    # 見える化 → 「推移を表で見る」 opens with Enter and closes with Escape, focus back on its summary
    menu(page, "/progress/")
    tab_to(page, "details.progress-trend-table > summary")
    page.keyboard.press("Enter")
    assert page.evaluate("document.querySelector('details.progress-trend-table').open")
    screenshot(page, "keyboard-details-open")
    page.keyboard.press("Escape")
    assert page.evaluate("!document.querySelector('details.progress-trend-table').open")
    assert active_is(page, "details.progress-trend-table > summary")
    assert_focus_visible(page)

    # 支援メニュー: search, then page through the whole catalog (25 programs, 20 a page)
    menu(page, "/programs/")
    _search(page, "防災")
    assert page.locator("ol.program-list > li").count() > 0
    page.goto("/programs/")
    tab_to(page, "nav.pagination a[rel=next]")
    screenshot(page, "keyboard-pagination-focus")
    page.keyboard.press("Enter")
    page.wait_for_url("**/programs/?*page=2*")
    assert "2 / 2ページ" in page.locator("nav.pagination").inner_text()
    activate(page, "nav.pagination a[rel=prev]", "**/programs/*")
    assert "1 / 2ページ" in page.locator("nav.pagination").inner_text()
    assert errors == []


def test_the_menu_button_on_a_phone(catalogs, browser, live_server, screenshot):
    context = browser.new_context(locale="ja-JP", viewport={"width": 375, "height": 740}, base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto("/opendata/")
        toggle = page.locator(".site-nav__toggle")
        assert toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false"
        assert not page.locator("#site-nav-list").is_visible()
        presses = tab_to(page, ".site-nav__toggle")
        assert presses == 3  # skip link, site title, menu button: the folded links are no tab stops
        screenshot(page, "keyboard-menu-closed-phone")
        page.keyboard.press("Enter")
        assert toggle.get_attribute("aria-expanded") == "true"
        page.keyboard.press("Tab")
        assert active_is(page, '#site-nav-list a[href="/progress/"]')
        assert_focus_visible(page)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        screenshot(page, "keyboard-menu-open-phone")
        page.keyboard.press("Escape")  # closes the menu and gives focus back to its button
        assert toggle.get_attribute("aria-expanded") == "false" and active_is(page, ".site-nav__toggle")
        assert not page.locator("#site-nav-list").is_visible()
        page.keyboard.press("Space")
        activate(page, 'nav.site-nav a[href="/programs/"]', "**/programs/")
        assert page.locator(".site-nav__toggle").get_attribute("aria-expanded") == "false"  # a new page: folded
        _search(page, "テレワーク")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        context.close()
