"""A registration cannot be cancelled once the event has started (the page stops offering the button then, as it
stops offering registration): the organiser's list of participants of an event held stays as it was."""

import datetime as dt

import pytest
from django.utils import timezone

from chiiki.core.models import ChangeRecord
from chiiki.promotion.models import Registration

from .conftest import bearer, send

pytestmark = pytest.mark.django_db
JST = timezone.get_default_timezone()


def at(day, hour, minute=0):
    return lambda: dt.datetime.combine(day, dt.time(hour, minute), tzinfo=JST)


@pytest.fixture
def registered(client, users, monkeypatch):
    """An event at 10:00 today, the company user registered for it at 9:00; returns its id."""
    day = timezone.localdate()
    body = {"title": "スマート農業オンライン説明会", "organiser": "municipality:132012", "format": "online",
            "starts_at": f"{day.isoformat()}T10:00", "ends_at": f"{day.isoformat()}T11:00",
            "online_url": "https://example.jp/meet", "sectors": ["agriculture"], "capacity": 20}
    monkeypatch.setattr(timezone, "now", at(day, 9))
    eid = send(client, "post", "/api/v1/events", body, **bearer(users["hachioji"])).json()["id"]
    assert send(client, "post", f"/api/v1/events/{eid}/registrations", {},
                **bearer(users["company"])).status_code == 201
    return eid


def test_a_registration_is_not_cancelled_through_the_api_after_the_event_started(client, client_for, users,
                                                                                  registered, monkeypatch):
    monkeypatch.setattr(timezone, "now", at(timezone.localdate(), 10, 30))
    page = client_for(users["company"]).get(f"/promotion/events/{registered}/").content.decode()
    assert "申込を取り消す" not in page  # the page no longer offers it …
    records = ChangeRecord.objects.count()
    response = client.delete(f"/api/v1/events/{registered}/registrations", **bearer(users["company"]))
    assert response.status_code == 422, response.status_code  # … and neither does the API
    assert "開始したイベントの申込は取り消せません" in str(response.json()["detail"])
    assert Registration.objects.filter(event_id=registered, user=users["company"]).exists()
    assert ChangeRecord.objects.count() == records


def test_a_registration_is_not_cancelled_by_the_pages_form_after_the_event_started(client_for, users, registered,
                                                                                   monkeypatch):
    monkeypatch.setattr(timezone, "now", at(timezone.localdate(), 10))  # the very minute it starts
    records = ChangeRecord.objects.count()
    response = client_for(users["company"]).post(f"/promotion/events/{registered}/", {"action": "cancel"})
    assert response.status_code == 422
    assert "開始したイベントの申込は取り消せません" in response.content.decode()
    assert Registration.objects.filter(event_id=registered, user=users["company"]).exists()
    assert ChangeRecord.objects.count() == records


def test_a_registration_is_cancelled_before_the_event_starts(client, users, registered, monkeypatch):
    monkeypatch.setattr(timezone, "now", at(timezone.localdate(), 9, 59))
    assert client.delete(f"/api/v1/events/{registered}/registrations",
                         **bearer(users["company"])).status_code == 204
    assert not Registration.objects.filter(event_id=registered, user=users["company"]).exists()
