"""Browser: the council form's municipality select (every municipality, by prefecture, for the national admin) gets a
box above it that narrows the options as a name is typed; the keyboard reaches and picks the match, a phone shows it
without widening the page, and without JS the select works alone."""

import pytest

from chiiki.promotion.models import Council
from chiiki.testing import collect_errors

pytestmark = pytest.mark.browser


@pytest.fixture
def people(transactional_db, users):  # the live server's thread reads the rows: committed, not in a test transaction
    return users


def _options(page):
    return page.eval_on_selector("#id_municipality", """s => Array.from(s.querySelectorAll("optgroup")).map(
        g => [g.label, Array.from(g.children).map(o => o.textContent)])""")


def test_typing_a_name_narrows_the_municipalities_and_the_keyboard_picks_one(page, login, screenshot, people):
    errors = collect_errors(page)
    login(people["admin"])
    page.goto("/promotion/councils/new")
    box = page.get_by_label("市区町村名で絞り込み")
    assert len(_options(page)) == 3  # 北海道, 東京都, 島根県 in the test register

    box.fill("松")  # a kanji in two prefectures' names: both groups, only the matches
    assert _options(page) == [["北海道", ["松前町（013315）"]], ["島根県", ["松江市（322016）"]]]
    assert "2件が該当します" in page.locator("#id_municipality-filter-count").inner_text()
    box.fill("東京")  # a prefecture's name keeps its whole group
    assert _options(page) == [["東京都", ["千代田区（131016）", "八王子市（132012）", "青ヶ島村（134023）"]]]
    box.fill("")
    assert len(_options(page)) == 3

    page.fill("#id_name", "八王子市IoT推進協議会")
    page.focus("#id_name")
    page.keyboard.press("Tab")  # the next stop after the prefecture's select is the filter box
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "id_municipality-filter"
    page.keyboard.type("八王子")
    assert _options(page) == [["東京都", ["八王子市（132012）"]]]
    page.keyboard.press("Enter")  # to the narrowed list, not a submit
    assert page.evaluate("document.activeElement.id") == "id_municipality"
    assert not Council.objects.exists()
    page.keyboard.press("ArrowDown")
    assert page.eval_on_selector("#id_municipality", "s => s.value") == "132012"
    page.get_by_role("button", name="保存する").click()
    page.wait_for_url("**/promotion/councils/*/")
    council = Council.objects.get()
    assert (council.name, council.municipality_id) == ("八王子市IoT推進協議会", "132012")
    assert errors == []


def test_the_filter_fits_a_phone_and_the_select_works_without_js(browser, live_server, login, page, screenshot, people):
    page.set_viewport_size({"width": 375, "height": 800})
    login(people["admin"])
    page.goto("/promotion/councils/new")
    page.get_by_label("市区町村名で絞り込み").fill("海士")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert page.get_by_label("市区町村名で絞り込み").bounding_box()["width"] <= 375
    screenshot(page, "promotion-council-filter-375")

    context = browser.new_context(locale="ja-JP", java_script_enabled=False, base_url=live_server.url,
                                  storage_state=page.context.storage_state())
    plain = context.new_page()
    plain.goto("/promotion/councils/new")
    assert plain.get_by_label("市区町村名で絞り込み").count() == 0
    plain.fill("#id_name", "海士町協議会")
    plain.select_option("#id_municipality", "325252")
    plain.get_by_role("button", name="保存する").click()
    plain.wait_for_url("**/promotion/councils/*/")
    context.close()
    assert Council.objects.get().municipality_id == "325252"
