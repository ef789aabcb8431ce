"""Browser: Escape folds an open <details> and the focused summary is on screen, even when the reader scrolled away
with the keyboard (Home, PageDown) while the summary kept focus: focus() alone does not scroll then."""

import pytest

from .keyboard import active_is, assert_focus_visible, tab_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_escape_brings_the_folded_summary_back_on_screen(register, page, screenshot):
    page.set_viewport_size({"width": 1280, "height": 240})
    page.goto("/progress/")
    tab_to(page, "details.progress-trend-table > summary")
    page.keyboard.press("Enter")
    assert page.evaluate("document.querySelector('details.progress-trend-table').open")
    # Home scrolls the page back to its top; the summary keeps focus but is now below the screen.
    page.keyboard.press("Home")
    page.wait_for_function("scrollY === 0")
    assert page.evaluate("document.activeElement.getBoundingClientRect().top >= innerHeight"), "still on screen"
    page.keyboard.press("Escape")
    assert page.evaluate("!document.querySelector('details.progress-trend-table').open")
    assert active_is(page, "details.progress-trend-table > summary")
    assert_focus_visible(page)
    screenshot(page, "keyboard-details-escape")
