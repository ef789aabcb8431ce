"""Browser: a text box written without a type (年度, 団体コード, 金額) looks like the select boxes beside it."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = ["/funding/lines/", "/funding/cliffs/", "/funding/flows/", "/funding/projects/"]

STYLE = """() => [...document.querySelectorAll('main input:not([type=hidden]):not([type=checkbox]):not([type=radio])')]
  .map(e => { const s = getComputedStyle(e); return [e.id, s.borderTopLeftRadius, s.minHeight]; })"""


def test_untyped_text_boxes_are_styled_like_the_selects(register, page, screenshot):
    checked = 0
    for url in PAGES:
        page.goto(url)
        select = page.locator("main select").first
        radius, height = select.evaluate("e => [getComputedStyle(e).borderTopLeftRadius, getComputedStyle(e).minHeight]")
        for box_id, box_radius, box_height in page.evaluate(STYLE):
            assert (box_radius, box_height) == (radius, height), (url, box_id)
            checked += 1
    page.goto("/funding/cliffs/")
    screenshot(page, "funding-cliffs-year-box")
    assert checked >= 4
