"""An online event's join link is for those who registered (and its organisers): the event page already keeps it
from everyone else, and the API and the public calendar feed must not hand it out either, or anyone joins past the
capacity and out of the organiser's list of participants."""

import pytest

from chiiki.promotion import actions

from .conftest import bearer
from .test_events import event_body

pytestmark = pytest.mark.django_db

LINK = "https://example.jp/meet"


def test_the_join_link_goes_only_to_registrants_and_organisers(client, client_for, users):
    event = actions.save_event(users["hachioji"], None, event_body(capacity=None))
    api = f"/api/v1/events/{event.pk}"

    def link(user, url=api):
        extra = bearer(user) if user is not None else {}
        body = client.get(url, **extra).json()
        return (body if isinstance(body, dict) else body[0])["online_url"]

    for outsider in (None, users["company"], users["advisor"]):
        assert link(outsider) == "" and link(outsider, "/api/v1/events") == ""
        assert LINK not in client_for(outsider).get(f"/promotion/events/{event.pk}/").content.decode()
    assert link(users["hachioji"]) == LINK  # the organiser, in the API and on the page alike
    assert f'href="{LINK}"' in client_for(users["hachioji"]).get(f"/promotion/events/{event.pk}/").content.decode()

    actions.register_for_event(users["company"], event)
    assert link(users["company"]) == LINK and link(users["company"], "/api/v1/events") == LINK
    assert LINK in client_for(users["company"]).get(f"/promotion/events/{event.pk}/").content.decode()
    assert link(users["advisor"]) == ""

    # The public calendar feed names the event as online without the link itself.
    for url in ("/promotion/events/calendar.ics", "/api/v1/events/calendar.ics"):
        feed = client.get(url).content.decode()
        assert "BEGIN:VEVENT" in feed and LINK not in feed.replace("\r\n ", "")
        assert "LOCATION:オンライン" in feed


# ---- the registrant's own calendar file (with the link) -----------------------------------------------------------

# Long enough to be folded, with characters that TEXT values escape (RFC 5545 3.3.11).
LONG_LINK = "https://example.jp/meet/" + "r" * 60 + "?pwd=a,b;c"


def _parsed(response):
    from icalendar import Calendar

    body = response.content.decode()
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n")), body
    events = Calendar.from_ical(body).walk("VEVENT")
    assert len(events) == 1
    return events[0]


def test_registrants_and_organisers_download_the_event_with_its_join_link(client, client_for, users):
    from django.conf import settings

    event = actions.save_event(users["hachioji"], None, event_body(capacity=None, online_url=LONG_LINK))
    actions.register_for_event(users["company"], event)
    page, own = f"/promotion/events/{event.pk}/", f"/promotion/events/{event.pk}/calendar.ics"
    api = f"/api/v1/events/{event.pk}/calendar.ics"

    html = client_for(users["company"]).get(page).content.decode()
    assert f'href="{own}"' in html and "カレンダーに追加（参加URL付き）" in html
    for response in (
        client_for(users["company"]).get(own),
        client.get(api, **bearer(users["company"])),
        client_for(users["hachioji"]).get(own),
    ):  # the registrant (page, API) and the organiser
        assert response.status_code == 200
        assert response["Content-Type"] == "text/calendar; charset=utf-8"
        assert response["Content-Disposition"] == f'attachment; filename="event-{event.pk}.ics"'
        vevent = _parsed(response)
        assert str(vevent["LOCATION"]) == LONG_LINK  # an online-only event takes place at its link
        assert f"オンライン参加のURL: {LONG_LINK}" in str(vevent["DESCRIPTION"])
        assert str(vevent["URL"]) == settings.SITE_URL + page
        assert str(vevent["SUMMARY"]) == "【オンライン】スマート農業オンライン説明会"
        assert str(vevent["UID"]) == f"event-{event.pk}-registrant@chiiki"


def test_a_hybrid_event_keeps_its_venue_as_the_place(client_for, users):
    event = actions.save_event(
        users["hachioji"], None, event_body(capacity=None, format="hybrid", venue="八王子市役所 会議室,3階")
    )
    actions.register_for_event(users["company"], event)
    vevent = _parsed(client_for(users["company"]).get(f"/promotion/events/{event.pk}/calendar.ics"))
    assert str(vevent["LOCATION"]) == "八王子市役所 会議室,3階"
    assert f"オンライン参加のURL: {LINK}" in str(vevent["DESCRIPTION"])


def test_no_one_else_gets_the_calendar_file_or_its_link(client, client_for, users):
    event = actions.save_event(users["hachioji"], None, event_body(capacity=None))
    actions.register_for_event(users["company"], event)
    page, own = f"/promotion/events/{event.pk}/", f"/promotion/events/{event.pk}/calendar.ics"
    api = f"/api/v1/events/{event.pk}/calendar.ics"

    anonymous = client.get(own)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    assert client.get(api).status_code == 401
    outsider = client_for(users["advisor"])
    assert outsider.get(own).status_code == 403
    assert client.get(api, **bearer(users["advisor"])).status_code == 403
    for viewer in (client, outsider):
        html = viewer.get(page).content.decode()
        assert "参加URL付き" not in html and own not in html
    # A cancelled registration takes the file away with it.
    actions.cancel_registration(users["company"], event)
    assert client_for(users["company"]).get(own).status_code == 403
    assert client_for(users["advisor"]).get("/promotion/events/999999/calendar.ics").status_code == 404


def test_the_calendar_file_is_never_publicly_cached(client, client_for, users):
    from chiiki.core.cache import declaration_for

    event = actions.save_event(users["hachioji"], None, event_body(capacity=None))
    actions.register_for_event(users["company"], event)
    own, api = f"/promotion/events/{event.pk}/calendar.ics", f"/api/v1/events/{event.pk}/calendar.ics"
    for response in (client_for(users["company"]).get(own), client.get(api, **bearer(users["company"]))):
        assert response.status_code == 200
        assert {"private", "no-store"} <= {w.strip() for w in response["Cache-Control"].split(",")}
    # The public page cache does not even look at these paths (nor at the public feeds next door: they drop an
    # event when it ends, a moment the stored copies cannot tell; test_event_list_cache).
    assert declaration_for(own) is None and declaration_for(api) is None
    # After the registrant's download, an anonymous request still gets the login page, not a stored copy.
    assert client.get(own).status_code == 302 and client.get(api).status_code == 401


def test_the_public_feeds_never_carry_the_link(client, users):
    event = actions.save_event(users["hachioji"], None, event_body(capacity=None, online_url=LONG_LINK))
    actions.register_for_event(users["company"], event)
    for url in ("/promotion/events/calendar.ics", "/api/v1/events/calendar.ics"):
        for extra in (
            {},
            bearer(users["company"]),
        ):  # not even for the registrant: the feed is the same for all
            feed = client.get(url, **extra).content.decode().replace("\r\n ", "")
            assert "BEGIN:VEVENT" in feed and "example.jp/meet" not in feed
