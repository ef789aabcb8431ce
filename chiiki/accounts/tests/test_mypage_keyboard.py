"""マイページ with the keyboard only: from the top of the page, Tab alone reaches every to-do item's link and every
section's 一覧で見る / すべて見る link in document order, each with a focus ring on screen, at 1280 px and on a
375 px phone (screenshots in test-artifacts/screenshots/mypage-keyboard-*.png)."""

import datetime as dt

import pytest
from django.utils import timezone

from chiiki.access import SYSTEM
from chiiki.conftest import PASSWORD
from chiiki.core.tests.keyboard import focused, sign_in
from chiiki.funding import actions as funding
from chiiki.promotion import actions as promotion
from chiiki.roadmap.models import Sector
from chiiki.testing import collect_errors

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every link in the to-do sections, in document order.
TODO_LINKS = "() => [...document.querySelectorAll('#todo a[href]')].map(a => a.getAttribute('href'))"
# The vertical gaps between consecutive to-do cards (they used to touch, reading as one box).
CARD_GAPS = """() => [...document.querySelectorAll('#todo .todo-section')].map(s => s.getBoundingClientRect())
  .slice(1).map((box, i, rest) => box.top - document.querySelectorAll('#todo .todo-section')[i].getBoundingClientRect().bottom)"""
FOCUSED_HREF = "() => document.activeElement && document.activeElement.closest('#todo') ? " \
               "document.activeElement.getAttribute('href') : null"


@pytest.fixture
def waiting(users, register):
    """八王子市's staff have sectors to update, two draft plans (a section with its list link) and an event."""
    for title in ("見守りの計画（案）", "公共交通の計画（案）"):
        funding.create_plan(SYSTEM, register["municipalities"]["132012"], sector=Sector.objects.get(pk="education"),
                            title=title, start_year=2026, operator_kind="direct",
                            years=[{"fiscal_year": 2026, "phase": "people_knowhow", "total_cost": 1_000_000}])
    day = timezone.localdate() + dt.timedelta(days=10)
    event = promotion.save_event(users["hachioji"], None, {
        "organiser": "municipality:132012", "format": "online", "title": "見守りIoT説明会", "capacity": 30,
        "starts_at": f"{day.isoformat()}T14:00", "ends_at": f"{day.isoformat()}T15:00",
        "online_url": "https://example.jp/meet", "sectors": ["health"]})
    promotion.register_for_event(users["hachioji"], event)


@pytest.mark.parametrize("width", [1280, 375])
def test_tab_alone_reaches_every_todo_link_in_order_with_a_focus_ring(users, waiting, page, screenshot, width):
    errors = collect_errors(page)
    page.set_viewport_size({"width": width, "height": 800 if width < 700 else 900})
    sign_in(page, users["hachioji"].username, PASSWORD)
    expected = page.evaluate(TODO_LINKS)
    assert any("/progress/entry/132012/" in h for h in expected)  # the sectors not updated
    assert "/funding/plans/?municipality=132012&status=draft" in expected  # a section's list link
    assert any(h.startswith("/promotion/events/") for h in expected)
    screenshot(page, f"mypage-keyboard-{width}px")
    assert all(gap >= 8 for gap in page.evaluate(CARD_GAPS)), page.evaluate(CARD_GAPS)

    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.evaluate("window.scrollTo(0, 0)")
    reached, rings = [], []
    for _ in range(200):
        page.keyboard.press("Tab")
        now = focused(page)
        if now is None:
            break
        href = page.evaluate(FOCUSED_HREF)
        if href is not None:
            reached.append(href)
            rings.append(now)
            if href == "/funding/plans/?municipality=132012&status=draft":
                screenshot(page, f"mypage-keyboard-{width}px-focus")
        elif reached:  # past the to-do list
            break
    assert reached == expected
    assert all(stop["ring"] and stop["shown"] for stop in rings), [s for s in rings if not s["ring"] or not s["shown"]]
    assert errors == []
