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
