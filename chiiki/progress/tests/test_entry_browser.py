"""Browser tests of the entry page for people: focus and announcements after an htmx save, saving every changed row
at once, a question before leaving unsaved edits, an ended session, and a 375 px phone."""

import pytest
from django.contrib.sessions.models import Session

from chiiki.core.fiscal import current_fiscal_year
from chiiki.progress.models import ProgressRecord

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _open_entry(page, login, users):
    login(users["hachioji"])
    page.goto(f"/progress/entry/132012/?fiscal_year={current_fiscal_year()}")
    page.wait_for_selector("#entry-save-all:not([hidden])")


def test_focus_stays_on_the_saved_row_and_the_result_is_announced(page, login, users, screenshot):
    _open_entry(page, login, users)
    row = page.locator("#entry-disaster")
    row.locator("select[name=stage]").select_option("planned")
    row.locator("textarea[name=note]").fill("防災アプリの導入を計画")
    row.locator("button[type=submit]").focus()
    page.keyboard.press("Enter")
    page.locator("#entry-disaster .progress-entry__ok").wait_for()
    focused = page.evaluate("[document.activeElement.tagName, document.activeElement.closest('tr').id]")
    assert focused == ["BUTTON", "entry-disaster"]
    live = page.locator("#entry-live")
    assert live.get_attribute("aria-live") == "polite"
    page.wait_for_function("document.getElementById('entry-live').textContent.includes('保存しました')")
    assert live.inner_text().startswith("防災")
    screenshot(page, "progress-entry-focus-after-save")


def test_save_all_changed_rows_at_once_and_ask_before_leaving(page, login, users, screenshot):
    _open_entry(page, login, users)
    save_all = page.locator("#entry-save-all")
    assert save_all.is_disabled()
    page.locator("#entry-education select[name=stage]").select_option("considering")
    page.locator("#entry-tourism select[name=stage]").select_option("piloting")
    page.locator("#entry-work input[name=evidence_url]").fill("https://example.jp/telework")
    page.locator("#entry-work select[name=stage]").select_option("implemented")
    assert save_all.inner_text() == "変更した3行をまとめて保存"
    assert page.locator("tr.progress-entry__row--dirty").count() == 3

    dialogs = []

    def answer(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()  # stay on the page

    page.on("dialog", answer)
    page.locator(".breadcrumbs a").first.click()
    page.wait_for_timeout(300)
    assert dialogs == ["beforeunload"] and "/progress/entry/132012/" in page.url
    page.remove_listener("dialog", answer)

    save_all.click()
    page.wait_for_function("document.getElementById('entry-live').textContent.includes('3行を処理しました')")
    stages = dict(ProgressRecord.objects.filter(municipality_id="132012", fiscal_year=current_fiscal_year())
                  .values_list("sector_id", "stage"))
    assert stages == {"education": "considering", "tourism": "piloting", "work": "implemented"}
    assert page.locator("tr.progress-entry__row--dirty").count() == 0 and save_all.is_disabled()
    screenshot(page, "progress-entry-saved-all")
    page.goto("/progress/")  # nothing unsaved: no question
    assert page.url.endswith("/progress/")


def test_an_ended_session_says_so_and_keeps_the_row(page, login, users, screenshot):
    _open_entry(page, login, users)
    row = page.locator("#entry-health")
    row.locator("select[name=stage]").select_option("planned")
    row.locator("textarea[name=note]").fill("遠隔診療の検討")
    Session.objects.all().delete()  # the session ends (expiry, logout elsewhere)
    row.locator("button[type=submit]").click()
    message = page.locator("#entry-health .session-ended")
    message.wait_for()
    assert "ログインの有効期限が切れたため、保存していません" in message.inner_text()
    # the row is still a row with what was typed; the table keeps its five columns
    assert page.locator("#entry-health td").count() == 4
    assert row.locator("textarea[name=note]").input_value() == "遠隔診療の検討"
    assert page.locator("table.progress-entry form").count() == 8
    page.wait_for_function("document.getElementById('entry-live').textContent.includes('有効期限')")
    screenshot(page, "progress-entry-session-ended")
    link = message.get_by_role("link", name="ログインし直す")
    assert "next=%2Fprogress%2Fentry%2F132012%2F" in link.get_attribute("href")
    page.on("dialog", lambda dialog: dialog.accept())  # unsaved edits: leave anyway
    link.click()
    page.fill("#id_username", "hachioji")
    page.fill("#id_password", "pass-for-tests-1")
    page.click("form button[type=submit]")
    page.wait_for_url("**/progress/entry/132012/**")
    assert not ProgressRecord.objects.filter(municipality_id="132012", sector_id="health").exists()


def test_the_entry_page_works_on_a_phone(browser, live_server, users, screenshot):
    context = browser.new_context(locale="ja-JP", viewport={"width": 375, "height": 740}, base_url=live_server.url,
                                  is_mobile=True, has_touch=True, device_scale_factor=2)
    page = context.new_page()
    try:
        page.goto("/accounts/login/")
        page.fill("#id_username", "hachioji")
        page.fill("#id_password", "pass-for-tests-1")
        page.click("form button[type=submit]")
        page.wait_for_url("**/accounts/mypage/**")
        page.goto(f"/progress/entry/132012/?fiscal_year={current_fiscal_year()}")
        assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
        # Every 保存 button is on screen without scrolling the table sideways (rows stack on a phone).
        boxes = page.evaluate("""Array.from(document.querySelectorAll('table.progress-entry button[type=submit]'))
            .map((b) => { const r = b.getBoundingClientRect(); return [r.left, r.right, r.height]; })""")
        assert len(boxes) == 8
        for left, right, height in boxes:
            assert left >= 0 and right <= 375 and height >= 24, boxes
        assert page.evaluate("document.querySelector('.table-wrap').scrollLeft") == 0
        row = page.locator("#entry-agriculture")
        row.locator("select[name=stage]").select_option("piloting")
        row.locator("button[type=submit]").tap()
        page.locator("#entry-agriculture .progress-entry__ok").wait_for()
        screenshot(page, "progress-entry-phone")

        page.goto("/programs/navigator/?municipality=132012")
        assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
        outside = page.evaluate("""Array.from(document.querySelectorAll('main input, main select, main button'))
            .filter((el) => el.offsetParent !== null)
            .map((el) => [el.name || el.textContent.trim(), el.getBoundingClientRect().left, el.getBoundingClientRect().right])
            .filter(([, left, right]) => left < 0 || right > 375)""")
        assert outside == []
        screenshot(page, "programs-navigator-phone")
    finally:
        context.close()
