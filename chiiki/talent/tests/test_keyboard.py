"""The talent profile form with the keyboard only, at 1280 px and on a 375 px phone: several 「できること」 and
prefectures are ticked without Ctrl (a folding group per sector / region: Enter opens it, Tab and Space tick), the
form is sent with Enter missing the 表示名, focus lands there with the summary naming it, every tick is kept (its group
open); completed, the profile is saved with them."""

import pytest

from chiiki.core.tests.keyboard import tab_to
from chiiki.core.tests.test_keyboard_forms import WIDTHS, check_page, refused, send, start, value
from chiiki.core.tests.test_keyboard_officer import _unexpected  # talent forms answer 422 when refused
from chiiki.talent.models import TalentProfile

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def tick(page, field: str, value_: str):
    """Open the folded group holding the checkbox with Enter, Tab to the checkbox, Space."""
    inner = f'input[value="{value_}"]'
    tab_to(page, f"#id_{field} details:has({inner}) > summary")
    page.keyboard.press("Enter")
    tab_to(page, f"#id_{field} {inner}")
    page.keyboard.press("Space")


@pytest.mark.parametrize("width", WIDTHS)
def test_profile_checkbox_lists_with_the_keyboard(users, vocabulary, page, screenshot, width):
    errors = start(page, width, "advisor")
    page.goto("/talent/profiles/new")
    check_page(page)
    tick(page, "capabilities", "CAP-HLT-07")
    tick(page, "capabilities", "CAP-COM-03")
    tick(page, "prefectures_served", "13")
    send(page, "main form")  # without 表示名
    refused(page, "id_display_name", {"id_display_name"})
    assert "表示名: 表示名を入力してください" in page.locator("[data-error-summary]").inner_text()
    for field, ticked in (("capabilities", "CAP-HLT-07"), ("capabilities", "CAP-COM-03"), ("prefectures_served", "13")):
        box = f'#id_{field} input[value="{ticked}"]'
        assert value(page, box) is True and page.evaluate(f"document.querySelector('{box}').closest('details').open")
    assert "（1件選択）" in page.locator("#id_prefectures_served summary", has_text="関東").inner_text()
    screenshot(page, f"keyboard-talent-profile-refused-{width}")
    page.keyboard.type("見守 一郎")
    send(page, "main form")
    page.wait_for_url("**/talent/profiles/*/")
    profile = TalentProfile.objects.get(user=users["advisor"])
    assert sorted(s.capability_id for s in profile.skills.all()) == ["CAP-COM-03", "CAP-HLT-07"]
    assert list(profile.prefectures_served.values_list("pk", flat=True)) == ["13"]
    assert _unexpected(errors) == []
