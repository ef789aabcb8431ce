"""Browser, keyboard only: the diffusion section's group sizes (隣接団体 N団体・比較グループ N団体) lead to the
municipalities counted. Enter on a size lands on its list — a folded list (<details>) opens — and the next Tab is
on the first municipality of that list; the group holds exactly as many municipalities as the size says."""

from io import StringIO

import pytest
from django.core.management import call_command

from chiiki.core.tests.keyboard import tab_to
from chiiki.regions.tests import topo_fixture
from chiiki.testing import collect_errors

from .test_diffusion import world  # noqa: F401  (R: five neighbours, a comparison group of seven)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def boundaries(register, tmp_path):
    """The maps' boundary files (loaded before the world's neighbours, which they would otherwise replace)."""
    topo_fixture.write(tmp_path)
    call_command("load_boundaries", str(tmp_path), stdout=StringIO())


def follow(page, testid: str) -> tuple[int, str]:
    """Tab to the size's link, Enter; → (the size, the id of the element landed on)."""
    link = f'[data-testid="{testid}"] a'
    tab_to(page, link)
    size = int(page.locator(link).inner_text())
    target = page.locator(link).get_attribute("href")
    page.keyboard.press("Enter")
    page.wait_for_function("(h) => location.hash === h", arg=target)
    return size, target[1:]


def lands_on(page, anchor: str, size: int):
    group = page.locator(f"#{anchor}")
    assert group.is_visible()  # opened if it was folded
    # A list of names inside a <details> is labelled only by its summary (比較グループの団体（N団体））: the page
    # scrolls so that the label stays on screen, not to the first name with the label just above the top edge.
    summary = page.evaluate("""(id) => { const s = document.getElementById(id).closest('details')?.querySelector('summary');
        return s ? s.getBoundingClientRect().top : null; }""", anchor)
    assert summary is None or summary >= 0, f"{anchor}: its summary is above the screen ({summary}px)"
    links = group.locator('a[href^="/progress/municipalities/"]')
    assert links.count() == size and links.first.is_visible()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == links.first.get_attribute("href")


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (375, 800), (375, 360)])
def test_group_sizes_lead_the_keyboard_to_the_municipalities_counted(page, boundaries, world, width, height):  # noqa: F811
    """375 × 360: a phone's screen short enough (or the list long enough: 1,272 names in the demo) that the page
    scrolls to the list itself."""
    places, _ = world
    errors = collect_errors(page)
    page.set_viewport_size({"width": width, "height": height})
    for url in (f"/promotion/model-regions/{places['R'].code}/", "/promotion/"):
        for testid in ("neighbour-count", "comparison-count"):
            page.goto(url)
            size, anchor = follow(page, testid)
            assert size > 0
            lands_on(page, anchor, size)
    assert errors == []
