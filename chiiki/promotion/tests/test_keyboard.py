"""The event creation form sent with the keyboard only at 1280 px and on a 375 px phone (the other promotion forms
are in chiiki/core/tests/test_keyboard_forms.py): a municipal officer types the dates into the datetime-local
fields in the order headless Chromium shows them, sends with Enter an end before the start, lands on 終了日時 with
its Japanese message (the summary names it), everything typed still there; corrected, the event is saved."""

import datetime as dt

import pytest
from django.utils import timezone

from chiiki.core.tests import test_keyboard_forms as kb
from chiiki.core.tests.keyboard import activate, tab_to
from chiiki.core.tests.test_keyboard_forms import world  # noqa: F401 (the fixture)
from chiiki.promotion.models import Event

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def type_datetime(page, when: dt.datetime):
    """A focused <input type=datetime-local> (focus on its first part): headless Chromium shows it as
    mm/dd/yyyy, hh:mm AM/PM whatever the page's language, and moves from part to part by itself as digits are typed,
    except after the year (it takes up to six digits): → moves on; A or P sets the half of the day."""
    page.keyboard.type(when.strftime("%m%d%Y"))
    page.keyboard.press("ArrowRight")
    page.keyboard.type(when.strftime("%I%M") + ("P" if when.hour >= 12 else "A"))
    assert page.evaluate("document.activeElement.value") == when.strftime("%Y-%m-%dT%H:%M")


@pytest.mark.parametrize("width", kb.WIDTHS)
def test_an_event_created_with_the_keyboard(users, world, page, screenshot, width):  # noqa: F811
    errors = kb.start(page, width, "hachioji")
    page.goto("/promotion/events/")
    activate(page, 'main a[href="/promotion/events/new"]', "**/promotion/events/new")
    kb.check_page(page)
    day = timezone.localdate() + dt.timedelta(days=14)
    starts = dt.datetime.combine(day, dt.time(14, 0))
    kb.fill(page, "#id_title", "見守りセンサー導入説明会")
    tab_to(page, 'input[name=sectors][value="health"]')
    page.keyboard.press("Space")
    tab_to(page, "#id_starts_at")
    type_datetime(page, starts)
    tab_to(page, "#id_ends_at")
    type_datetime(page, starts - dt.timedelta(hours=1))  # before the start, by mistake
    kb.fill(page, "#id_online_url", "https://example.jp/meet")
    kb.fill(page, "#id_capacity", "40")
    kb.send(page, "main form")
    kb.refused(page, "id_ends_at", {"id_ends_at"})
    assert "終了日時は開始日時より後にしてください" in page.locator("#id_ends_at_error").inner_text()
    assert "終了日時（日本時間）: 終了日時は開始日時より後" in page.locator("[data-error-summary]").inner_text()
    assert [kb.value(page, s) for s in ("#id_title", "#id_starts_at", "#id_online_url", "#id_capacity")] == [
        "見守りセンサー導入説明会", starts.strftime("%Y-%m-%dT%H:%M"), "https://example.jp/meet", "40"]
    assert kb.value(page, 'input[name=sectors][value="health"]') is True
    screenshot(page, f"keyboard-event-new-refused-{width}")
    type_datetime(page, starts + dt.timedelta(hours=2))  # the focused 終了日時, typed over part by part
    kb.send(page, "main form")
    page.wait_for_url("**/promotion/events/*/")
    event = Event.objects.get(title="見守りセンサー導入説明会")
    local = timezone.localtime(event.starts_at), timezone.localtime(event.ends_at)
    assert [t.strftime("%Y-%m-%dT%H:%M") for t in local] == [
        starts.strftime("%Y-%m-%dT%H:%M"), (starts + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")]
    assert (event.capacity, [s.code for s in event.sectors.all()], event.organiser_municipality_id) == (
        40, ["health"], "132012")
    assert kb._unexpected(errors) == []
