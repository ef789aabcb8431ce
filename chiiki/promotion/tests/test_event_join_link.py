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
    assert link(users["hachioji"]) == LINK  # the organiser

    actions.register_for_event(users["company"], event)
    assert link(users["company"]) == LINK and link(users["company"], "/api/v1/events") == LINK
    assert LINK in client_for(users["company"]).get(f"/promotion/events/{event.pk}/").content.decode()
    assert link(users["advisor"]) == ""

    # The public calendar feed names the event as online without the link itself.
    for url in ("/promotion/events/calendar.ics", "/api/v1/events/calendar.ics"):
        feed = client.get(url).content.decode()
        assert "BEGIN:VEVENT" in feed and LINK not in feed.replace("\r\n ", "")
        assert "LOCATION:オンライン" in feed
