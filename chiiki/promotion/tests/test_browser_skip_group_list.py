"""Browser, keyboard only: the diffusion section's folded lists of municipalities (比較グループの団体: ~1,600 names
in the demo, each a link to its progress page) start with a link past them. A keyboard user who opens a list with
Enter reaches 「…の一覧を飛ばす」 with the next Tab and, with Enter, is past every name: the next Tab is on what follows
the list (the diffusion downloads, or the next list) — three presses whatever the size of the group, not one per name.
Every name still links to its municipality (the group sizes lead there: test_browser_group_links.py)."""

import pytest

from chiiki.core.tests.keyboard import active_is, assert_focus_visible, tab_to
from chiiki.testing import collect_errors

from .test_browser_group_links import boundaries  # noqa: F401  (the maps' boundary files)
from .test_diffusion import world  # noqa: F401  (R: five neighbours, a comparison group of seven)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MORE = 60  # more towns of the comparison stratum: a list long enough that Tabbing through it is the problem


@pytest.fixture
def long_group(boundaries, world, make_municipality):  # noqa: F811
    for i in range(MORE):
        make_municipality(f"{33001 + i}", f"比較{i + 1}町", kind="town", population=8_000)
    return world


def open_list(page, details: str) -> int:
    """Tab to the folded list's summary, Enter; → how many names (links) the opened list holds."""
    tab_to(page, f"#{details} > summary")
    page.keyboard.press("Enter")
    assert page.evaluate("(id) => document.getElementById(id).open", details)
    return page.locator(f'#{details} a[href^="/progress/municipalities/"]').count()


def skip_past(page, details: str, after: str) -> int:
    """From the open list's summary: Tab to the skip link, Enter, Tab; focus must then be on `after`, with the
    list's names all passed. → the presses it took (Tab, Enter, Tab)."""
    presses = 0
    page.keyboard.press("Tab")
    presses += 1
    assert active_is(page, f"#{details} a.list-skip"), page.evaluate("document.activeElement.outerHTML.slice(0, 120)")
    assert_focus_visible(page)
    assert "一覧を飛ばす" in page.evaluate("document.activeElement.textContent")
    page.keyboard.press("Enter")
    presses += 1
    page.keyboard.press("Tab")
    presses += 1
    assert active_is(page, after), page.evaluate("document.activeElement.outerHTML.slice(0, 120)")
    assert_focus_visible(page)
    return presses


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (375, 640)])
def test_a_long_group_list_can_be_passed_with_three_presses(page, long_group, screenshot, width, height):
    places, _ = long_group
    errors = collect_errors(page)
    page.set_viewport_size({"width": width, "height": height})

    page.goto(f"/promotion/model-regions/{places['R'].code}/")
    names = open_list(page, "comparison-group")
    assert names >= MORE
    screenshot(page, f"promotion-region-comparison-open-{width}")
    assert skip_past(page, "comparison-group", '#diffusion-downloads a[href*="format=csv"]') == 3 < names

    page.goto("/promotion/")
    names = open_list(page, "national-neighbours")
    assert names > 0
    assert skip_past(page, "national-neighbours", "#national-comparison > summary") == 3
    page.keyboard.press("Enter")  # the next list, opened from where the skip link left focus
    names = page.locator('#national-comparison a[href^="/progress/municipalities/"]').count()
    assert names >= MORE
    assert skip_past(page, "national-comparison", '#national-diffusion-downloads a[href*="format=csv"]') == 3 < names
    screenshot(page, f"promotion-national-comparison-skipped-{width}")
    assert errors == []
