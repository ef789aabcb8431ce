"""The PDCA forms not yet covered by chiiki/core/tests/test_keyboard_forms.py, sent with the keyboard only at 1280 px
and on a 375 px phone: the KPI form (national admin), a prefecture's review creation, and the admin's status form of a
制度の見直しの提案. Each is sent with Enter carrying one bad value: focus lands on the field to correct (its
Japanese message tied to it), what was typed is still there; corrected, it is saved."""

import pytest

from chiiki.core.fiscal import current_fiscal_year
from chiiki.core.tests.keyboard import activate, arrow_to, retype, tab_to
from chiiki.core.tests.test_keyboard_forms import (
    WIDTHS,
    _unexpected,
    check_page,
    fill,
    refused,
    send,
    start,
    value,
    world,  # noqa: F401 (the fixture)
)

from ..models import KPI, InstitutionProposal, Review

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_form(page, width: int, username: str, listing: str, form: str) -> list[str]:
    """Signed in as username, from the list page Tab to the link to the form and press Enter; the page errors."""
    errors = start(page, width, username)
    page.goto(listing)
    activate(page, f'main a[href="{form}"]', f"**{form}")
    check_page(page)
    return errors


@pytest.mark.parametrize("width", WIDTHS)
def test_a_kpi_added_with_the_keyboard(users, world, page, screenshot, width):  # noqa: F811
    errors = open_form(page, width, "admin", "/pdca/", "/pdca/kpis/new")
    year = current_fiscal_year()
    fill(page, "#id_code", "KB-DX-1")
    fill(page, "#id_name", "防災アプリを導入した団体数")
    fill(page, "#id_unit", "団体")
    tab_to(page, "#id_measure")
    arrow_to(page, "progress_implemented_sectors")
    tab_to(page, 'input[name=sectors][value="disaster"]')
    page.keyboard.press("Space")
    fill(page, "#id_target_value", "たくさん")
    fill(page, "#id_target_fiscal_year", str(year + 2))
    send(page, "main form")
    refused(page, "id_target_value", {"id_target_value"})
    assert "目標値は数値で入力してください" in page.locator("#id_target_value_error").inner_text()
    assert "目標値: 目標値は数値で入力してください" in page.locator("[data-error-summary]").inner_text()  # names it
    assert [value(page, s) for s in ("#id_code", "#id_name", "#id_unit", "#id_target_fiscal_year")] == [
        "KB-DX-1", "防災アプリを導入した団体数", "団体", str(year + 2)]
    assert value(page, "#id_measure") == "progress_implemented_sectors"
    assert value(page, 'input[name=sectors][value="disaster"]') is True
    screenshot(page, f"keyboard-pdca-kpi-refused-{width}")
    assert _unexpected(errors) == []  # (the KPI page it goes to next asks for map boundaries tests do not load)
    retype(page, "40")
    send(page, "main form")
    page.wait_for_url("**/pdca/kpis/KB-DX-1/")
    kpi = KPI.objects.get(pk="KB-DX-1")
    assert (kpi.name, kpi.target_value, kpi.target_fiscal_year, kpi.sectors) == (
        "防災アプリを導入した団体数", 40, year + 2, ["disaster"])


@pytest.mark.parametrize("width", WIDTHS)
def test_a_prefecture_review_created_with_the_keyboard(users, world, page, screenshot, width):  # noqa: F811
    errors = open_form(page, width, "tokyo-pref", "/pdca/reviews/", "/pdca/reviews/new")
    assert value(page, "#id_prefecture") == "13"  # the officer's own prefecture is the only scope offered
    fill(page, "#id_fiscal_year", "昨年")
    fill(page, "#id_title", "東京都のKPIレビュー（試行）")
    fill(page, "#id_summary", "防災分野は順調。")
    send(page, "main form")
    refused(page, "id_fiscal_year", {"id_fiscal_year"})
    assert "年度が正しくありません" in page.locator("#id_fiscal_year_error").inner_text()
    assert "対象年度: 年度が正しくありません" in page.locator("[data-error-summary]").inner_text()
    assert (value(page, "#id_title"), value(page, "#id_summary")) == ("東京都のKPIレビュー（試行）", "防災分野は順調。")
    screenshot(page, f"keyboard-pdca-review-refused-{width}")
    retype(page, f"令和{current_fiscal_year() - 2018}年度")
    send(page, "main form")
    page.wait_for_url("**/pdca/reviews/*/")
    review = Review.objects.get(prefecture="13")
    assert (review.fiscal_year, review.title, review.summary) == (
        current_fiscal_year(), "東京都のKPIレビュー（試行）", "防災分野は順調。")
    assert [e.kpi_id for e in review.entries.all()] == ["TOKYO-DISASTER"]
    assert _unexpected(errors) == []


@pytest.mark.parametrize("width", WIDTHS)
def test_the_admin_declines_a_proposal_with_the_keyboard(users, world, page, screenshot, width):  # noqa: F811
    proposal = InstitutionProposal.objects.get(pk=world["proposal"])
    errors = open_form(page, width, "admin", "/pdca/proposals/", f"/pdca/proposals/{proposal.pk}/")
    tab_to(page, "#id_status")
    arrow_to(page, "declined")
    send(page, "main form")  # 見送り without a reason
    refused(page, "id_status_reason", {"id_status_reason"})
    assert "見送りにするときは理由を入力してください" in page.locator("#id_status_reason_error").inner_text()
    assert "理由・対応の内容: 見送りにするときは" in page.locator("[data-error-summary]").inner_text()
    assert value(page, "#id_status") == "declined"
    screenshot(page, f"keyboard-pdca-proposal-status-refused-{width}")
    page.keyboard.type("法令で定められているため、様式は変えられない")
    send(page, "main form")
    page.wait_for_url(f"**/pdca/proposals/{proposal.pk}/")
    page.get_by_text("状況を更新しました").wait_for()
    proposal.refresh_from_db()
    assert (proposal.status, proposal.status_reason, proposal.version) == (
        "declined", "法令で定められているため、様式は変えられない", 2)
    assert _unexpected(errors) == []
