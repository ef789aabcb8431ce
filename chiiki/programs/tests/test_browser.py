"""Browser tests: search 「防災」, narrow by a facet, open a program; the navigator as a municipal user."""

from decimal import Decimal

import pytest

from chiiki.programs.models import SupportProgram
from chiiki.testing import collect_errors

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]




def test_search_narrow_and_open_a_program(catalog, page, screenshot, settings):
    settings.CSP_ENABLED = True
    errors = collect_errors(page)
    page.goto("/")
    page.click("nav.site-nav >> text=支援メニュー")
    page.wait_for_selector("h1:has-text('支援メニュー')")
    assert page.locator(".program-card").count() == 20  # first page of 23 (25 but 2 募集終了), no login needed
    screenshot(page, "programs-index")

    page.fill("#q", "防災")
    page.click("form.programs-search button[type=submit]")
    page.wait_for_url("**/programs/?q=*")
    # Every program the 防災 sector filter holds (its own program first, then the all-sector ones), but the 2 ended
    assert page.locator(".program-card").count() == 16
    assert "公衆無線LAN環境整備支援事業" in page.locator(".program-card__name").first.inner_text()
    screenshot(page, "programs-search-bosai")

    # Back to everything, then narrow by a facet: 支援の種類 = 人材 (5 programs)
    page.fill("#q", "")
    page.click("form.programs-search button[type=submit]")
    people = page.locator(".facet[data-facet=support_type] li", has_text="人材")
    assert people.locator(".facet__count").evaluate("(a) => a.firstChild.textContent") == "5"
    people.get_by_role("checkbox").check()
    page.get_by_role("button", name="絞り込む").click()
    page.wait_for_url("**support_type=people**")
    assert page.locator(".program-card").count() == 5
    assert page.locator(".facet[data-facet=support_type] input:checked").count() == 1
    screenshot(page, "programs-facet-people")

    page.click(".program-card__name >> text=地域情報化アドバイザー派遣制度")
    page.wait_for_selector("h1:has-text('地域情報化アドバイザー派遣制度')")
    assert "毎年度4月〜12月の毎月締切（締切日の記載がないため月末として表示" in page.content()
    assert "未確認" in page.locator("dl.profile").inner_text()
    screenshot(page, "programs-detail")
    assert errors == []


def test_a_keyboard_user_ticks_a_facet_with_space_and_narrows(catalog, page, screenshot):
    """The facets are checkboxes: Space ticks one where focus is (a link ignored Space), 絞り込む sends it."""
    errors = collect_errors(page)
    page.goto("/programs/")
    box = page.get_by_role("checkbox", name="人材")
    assert not box.is_checked()
    box.focus()
    page.keyboard.press("Space")
    assert box.is_checked() and page.url.endswith("/programs/")  # nothing reloaded under the user
    assert page.evaluate("document.activeElement.name + '=' + document.activeElement.value") == "support_type=people"
    page.get_by_role("button", name="絞り込む").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "support_type=people" in page.url
    assert page.locator(".program-card").count() == 5
    assert page.get_by_role("checkbox", name="人材").is_checked()
    # the keyword box belongs to the same form: Enter there keeps the ticked boxes
    page.fill("#q", "アドバイザー")
    # Wait for this navigation itself: the URL already held "q=" (the form sends the empty box), so waiting for a
    # URL pattern returned at once and the screenshot below raced the page load.
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "q=%E3%82%A2" in page.url
    assert "support_type=people" in page.url and page.get_by_role("checkbox", name="人材").is_checked()
    screenshot(page, "programs-facets-keyboard-1280")
    assert errors == []


def test_on_a_phone_the_filters_fold_above_the_results(catalog, browser, live_server, screenshot):
    context = browser.new_context(locale="ja-JP", viewport={"width": 375, "height": 667}, base_url=live_server.url)
    page = context.new_page()
    page.goto("/programs/?support_type=people")
    panel = page.locator("details.filter-panel")
    assert panel.evaluate("(d) => d.open") is False
    assert panel.locator("summary").inner_text() == "絞り込み（1件選択中）"
    assert not page.get_by_role("checkbox", name="人材").is_visible()
    # the results begin on the first screen: only the folded panel sits between the keyword box and them, and
    # the first program's card starts there too (the menu button and ログイン share one row of the header)
    assert page.locator(".programs-results .toolbar").bounding_box()["y"] < 667
    assert page.locator(".program-card").first.bounding_box()["y"] < 667
    menu, login = page.locator(".site-nav__toggle").bounding_box(), page.locator(".site-user").bounding_box()
    assert login["y"] < menu["y"] + menu["height"] and login["x"] > menu["x"] + menu["width"]
    screenshot(page, "programs-facets-375")
    # unfold with the keyboard, untick with Space, send: back to all 25, the panel folded again over them
    panel.locator("summary").focus()
    page.keyboard.press("Enter")
    box = page.get_by_role("checkbox", name="人材")
    assert box.is_visible() and box.is_checked()
    box.focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="絞り込む").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "support_type" not in url)
    # 23 = the 25 programs but the 2 ended ones (募集終了), which the default view leaves out
    assert page.locator(".programs-results .toolbar strong").first.inner_text() == "23"
    assert panel.locator("summary").inner_text() == "絞り込み（0件選択中）" and panel.evaluate("(d) => d.open") is False
    context.close()


def test_navigator_as_municipal_staff_shows_the_package(catalog, users, register, page, login, screenshot):
    hachioji = register["municipalities"]["132012"]
    hachioji.fiscal_strength_index = Decimal("1.02")
    hachioji.depopulated = hachioji.remote_island = hachioji.mountainous = False
    hachioji.save()
    errors = collect_errors(page)
    login(users["hachioji"])
    page.goto("/programs/navigator/")
    assert page.input_value("#municipality") == "132012 東京都八王子市"  # prefilled
    page.select_option("#sector", "disaster")
    page.click("form.filters button[type=submit]")
    page.wait_for_selector(".package")
    steps = page.locator(".package__step")
    assert steps.count() == 3
    assert "1年目" in steps.nth(0).inner_text() and "地域情報化アドバイザー派遣制度" in steps.nth(0).inner_text()
    assert "2年目" in steps.nth(1).inner_text() and steps.nth(1).locator("li").count() >= 1
    assert "3年目以降" in steps.nth(2).inner_text()
    excluded = page.locator(".fit-row--excluded")
    assert excluded.count() == 3  # 計画策定支援 (財政力指数1以上) and both 企業版ふるさと納税 (三大都市圏の不交付団体)
    assert "財政力指数が1以上のため対象外（1.02）" in excluded.first.inner_text() or \
        "財政力指数が1以上のため対象外（1.02）" in page.locator(".navigator-table").inner_text()
    assert "企業版ふるさと納税" not in steps.nth(2).inner_text()
    screenshot(page, "programs-navigator")
    assert errors == []


def test_admin_edits_rate_tiers_in_japanese_and_the_page_reads_naturally(catalog, users, page, login, screenshot):
    login(users["admin"])
    page.goto("/programs/p/MIC-KOUDO-MUSEN/edit")
    screenshot(page, "programs-edit-form")
    page.get_by_label("区分4の補助率").fill("1/4")
    page.get_by_label("区分4の財政力指数の条件").select_option(label="財政力指数が次の値以下")
    page.get_by_label("区分4の財政力指数の値").fill("0.8")
    page.locator("fieldset.tier-flags").nth(3).get_by_label("離島地域").check()
    page.get_by_role("button", name="保存する").click()
    page.wait_for_url("**/programs/p/MIC-KOUDO-MUSEN/")
    text = page.locator("main").inner_text()
    assert "1/4（財政力指数0.8以下かつ離島地域）" in text
    assert "fiscal_index" not in text and "remote_island" not in text and "disadvantaged" not in text
    assert SupportProgram.objects.get(public_id="MIC-KOUDO-MUSEN").rate_tiers.endswith(
        "|1/4:fiscal_index_le=0.8+remote_island")
