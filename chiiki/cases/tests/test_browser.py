"""Browser test of the case library: search with a short word, narrow by a facet, open a case and its 似た事例."""

import pytest

from chiiki.access import SYSTEM

from .. import actions

pytestmark = pytest.mark.browser


@pytest.fixture
def cases(transactional_db, register):
    for code, title, sectors, funding in (
            ("132012", "防災アプリで避難情報を配信", ["disaster"], ["corporate_furusato"]),
            ("012025", "防災無線のデジタル化をクラウドファンディングで", ["disaster"], ["crowdfunding"]),
            ("325252", "島の観光案内", ["tourism"], ["crowdfunding"])):
        actions.save_case(SYSTEM, None, {"municipality": code, "title": title, "summary": f"{title}の概要",
                                         "sectors": sectors, "funding_kinds": funding, "status": "published",
                                         "outcomes": [{"indicator": "利用者", "unit": "人", "before": 0, "after": 500,
                                                       "fiscal_year": 2025}]}, version=0)


def test_search_narrow_and_open_a_case(page, screenshot, cases):
    page.goto("/cases/")
    page.fill("#q", "防災")
    page.get_by_role("button", name="検索").click()
    assert page.get_by_test_id("case-count").inner_text() == "2"
    page.locator('[data-facet="funding"]').get_by_role("checkbox", name="クラウドファンディング").check()
    page.get_by_role("button", name="絞り込む").click()
    page.wait_for_url("**funding=crowdfunding**")
    assert page.get_by_test_id("case-count").inner_text() == "1"
    screenshot(page, "cases-search")
    page.get_by_role("link", name="防災無線のデジタル化をクラウドファンディングで").click()
    assert page.get_by_role("heading", name="成果").is_visible()
    similar = page.locator(".similar-cases").inner_text()
    assert "防災アプリで避難情報を配信" in similar and "島の観光案内" not in similar
    screenshot(page, "cases-detail")
