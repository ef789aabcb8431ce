"""The public list of upcoming events (and its calendar feed) hides an event once it has ended — a moment, not a
date — and an event's page offers registration until it starts. The public page cache keys its entries on the
data versions and the local *date* only, so a list stored while an event was running was served unchanged after
the event ended (until a write or the entry's hour was up)."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from .conftest import bearer, send

pytestmark = pytest.mark.django_db
JST = timezone.get_default_timezone()


def _event_today(client, users, start: str, end: str) -> int:
    day = timezone.localdate()
    body = {"title": "スマート農業オンライン説明会", "organiser": "municipality:132012", "format": "online",
            "starts_at": f"{day.isoformat()}T{start}", "ends_at": f"{day.isoformat()}T{end}",
            "online_url": "https://example.jp/meet", "sectors": ["agriculture"], "capacity": 20}
    created = send(client, "post", "/api/v1/events", body, **bearer(users["hachioji"]))
    assert created.status_code == 201
    return created.json()["id"]


def _at(monkeypatch, hour: int, minute: int):
    moment = dt.datetime.combine(timezone.localdate(), dt.time(hour, minute), tzinfo=JST)
    monkeypatch.setattr(timezone, "now", lambda: moment)


def test_an_event_that_has_ended_leaves_the_public_list(client, users, monkeypatch):
    marker = f"/promotion/events/{_event_today(client, users, '10:00', '11:00')}/"
    anonymous = Client()
    _at(monkeypatch, 10, 30)
    for url in ("/promotion/events/", "/api/v1/events", "/promotion/events/calendar.ics"):
        assert marker in anonymous.get(url).content.decode(), url  # running: listed
    _at(monkeypatch, 11, 30)
    for url in ("/promotion/events/", "/api/v1/events", "/promotion/events/calendar.ics"):
        assert marker not in anonymous.get(url).content.decode(), url  # ended


def test_an_event_that_has_started_no_longer_offers_registration(client, users, monkeypatch):
    page = f"/promotion/events/{_event_today(client, users, '10:00', '11:00')}/"
    anonymous = Client()
    _at(monkeypatch, 9, 30)
    assert "ログインして申し込む" in anonymous.get(page).content.decode()
    _at(monkeypatch, 10, 30)
    assert "ログインして申し込む" not in anonymous.get(page).content.decode()
