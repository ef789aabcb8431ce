"""The advisor edits their profile on a phone (375 px): each できること's 自己評価 and 根拠 are on screen beside
its name, not in columns scrolled off to the right of a table."""

import pytest

pytestmark = pytest.mark.browser


def test_the_skill_rows_of_the_profile_form_fit_a_phone(transactional_db, users, advisor_profile, page, login,
                                                        screenshot):
    page.set_viewport_size({"width": 375, "height": 800})
    login(users["advisor"])
    page.goto(f"/talent/profiles/{advisor_profile.pk}/edit")
    rows = page.locator('table:has(select[name^="level_"]) tbody tr')
    assert rows.count() >= 1
    # Where the page opens them (no sideways scrolling of the table): inside the screen's width.
    for control in (rows.first.locator("select"), rows.first.locator("input[type=text]")):
        box = control.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375, box
    wrap = page.locator('.table-wrap:has(select[name^="level_"])')
    assert wrap.evaluate("w => w.scrollWidth <= w.clientWidth")  # nothing hidden to the right
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, "talent-profile-form-375")


def test_a_municipalitys_dispatches_read_as_cards_on_a_phone(transactional_db, users, advisor_profile,
                                                             hachioji_request, page, login, screenshot):
    from chiiki.talent.models import Status, TalentRequest

    long_title = "IoTセンサーによる独居高齢者の見守りを山間の集落で導入し、職員が自ら運用できるように指導できる人"
    TalentRequest.objects.filter(pk=hachioji_request.pk).update(status=Status.COMPLETED, talent=advisor_profile,
                                                                talent_label=advisor_profile.display_name,
                                                                title=long_title)
    page.set_viewport_size({"width": 375, "height": 800})
    login(users["hachioji"])
    page.goto(f"/talent/municipalities/{hachioji_request.municipality_id}/")
    title = page.get_by_role("link", name=long_title)
    box = title.bounding_box()
    # The whole title is on screen, wrapped inside its card: not one line scrolled off to the right.
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375, box
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    wrap = page.locator(".table-wrap").first
    assert wrap.evaluate("w => w.scrollWidth <= w.clientWidth")
    assert page.locator('td[data-label="状態"]').first.inner_text() == "完了"
    screenshot(page, "talent-municipality-375")


def test_the_request_list_reads_as_cards_on_a_phone(transactional_db, users, hachioji_request, page, login,
                                                    screenshot):
    """求める人 (the only link to each request) opens each card, its 状態 and 団体 under it: before, the table
    scrolled sideways with 求める人 in its fifth column, off the screen."""
    from chiiki.testing import assert_cards_on_screen

    page.set_viewport_size({"width": 375, "height": 800})
    login(users["hachioji"])
    page.goto("/talent/requests/")
    table = page.get_by_test_id("requests")
    link = table.get_by_role("link", name=hachioji_request.title)
    box = link.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375, box
    assert_cards_on_screen(table, 375, ["団体", "状態", "申請から派遣まで"])
    screenshot(page, "talent-requests-375")
