"""In Chromium: log in through the real form as municipal staff, see 「マイページ」, log out; a failed login."""

import re

import pytest

from chiiki.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_municipal_staff_logs_in_sees_mypage_and_logs_out(page, users, screenshot):
    page.goto("/accounts/login/")
    screenshot(page, "accounts-login")
    page.get_by_label("ユーザー名").fill("hachioji")
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url("**/accounts/mypage/")
    assert page.locator("h1").inner_text() == "マイページ"
    assert page.locator("#role").inner_text() == "市区町村職員"
    assert page.locator("#affiliation-municipality").inner_text() == "八王子市"
    assert page.get_by_role("link", name="八王子市の進捗を更新できます").is_visible()
    screenshot(page, "accounts-mypage-municipal")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.locator("#affiliation-municipality").is_visible()
    screenshot(page, "accounts-mypage-municipal-mobile")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.locator("#affiliation-municipality").click()
    page.wait_for_url("**/regions/municipalities/132012/")
    page.go_back()

    page.get_by_role("button", name="ログアウト").click()
    page.wait_for_url(re.compile(r"^http://[^/]+/$"))  # LOGOUT_REDIRECT_URL: the top page
    assert page.get_by_role("banner").get_by_role("link", name="ログイン").is_visible()
    page.goto("/accounts/mypage/")
    page.wait_for_url("**/accounts/login/?next=/accounts/mypage/")
    assert page.get_by_role("banner").get_by_role("link", name="ログイン").is_visible()


def test_failed_login_shows_a_japanese_error(page, users, screenshot):
    page.goto("/accounts/login/")
    page.get_by_label("ユーザー名").fill("hachioji")
    page.get_by_label("パスワード").fill("not-the-password")
    page.get_by_role("button", name="ログイン").click()
    alert = page.get_by_role("alert")
    assert "ユーザー名またはパスワードが正しくありません" in alert.inner_text()
    assert page.get_by_label("ユーザー名").input_value() == "hachioji"
    screenshot(page, "accounts-login-failed")


def test_token_issue_and_history_pages(page, users, login, screenshot, register):
    from chiiki.core import history

    municipality = register["municipalities"]["132012"]
    history.record(users["hachioji"], "update", municipality, {"fiscal_strength_index": "0.85", "depopulated": None},
                   {"fiscal_strength_index": "0.91", "depopulated": False}, municipality=municipality, source="web")
    login(users["hachioji"])
    # The tokens live on their own page, one click from マイページ.
    page.get_by_role("link", name="APIトークン", exact=True).click()
    page.wait_for_url("**/accounts/tokens/")
    page.get_by_label("用途").fill("庁内システム連携")
    page.get_by_role("button", name="APIトークンを発行").click()
    key = page.locator("#new-token").input_value()
    assert key.startswith("chk_")
    screenshot(page, "accounts-token-created")
    page.get_by_role("link", name="APIトークンの一覧へ戻る").click()
    assert page.locator("#tokens").get_by_text("庁内システム連携").is_visible()
    screenshot(page, "accounts-tokens")
    page.goto("/accounts/mypage/")
    screenshot(page, "accounts-mypage-todo")
    page.get_by_role("link", name="変更履歴を見る").click()
    page.wait_for_url("**/history/")
    assert page.get_by_text("財政力指数").first.is_visible()
    screenshot(page, "history-list")
    page.get_by_role("link", name="詳細").first.click()
    page.wait_for_url("**/history/*/")
    screenshot(page, "history-detail")


def test_lockout_page_after_five_failures(page, users, screenshot):
    for _ in range(5):
        page.goto("/accounts/login/")
        page.get_by_label("ユーザー名").fill("sapporo")
        page.get_by_label("パスワード").fill("wrong-password")
        page.get_by_role("button", name="ログイン").click()
    assert page.locator("h1").inner_text() == "ログインを一時停止しました"
    screenshot(page, "accounts-locked")


def test_national_admin_opens_the_admin_site(page, users, login, screenshot):
    users["admin"].is_staff = True
    users["admin"].save()
    login(users["admin"])
    assert page.get_by_role("link", name="管理画面（ユーザー・APIトークン・変更履歴）を利用できます").is_visible()
    page.goto("/django-admin/accounts/user/")
    assert "ユーザー" in page.locator("h1").inner_text()
    assert page.get_by_role("link", name="hachioji").is_visible()
    assert page.get_by_role("columnheader", name="氏名").is_visible()
    screenshot(page, "admin-users")
