"""Lowering an event's capacity counts the registrations under the event row's lock, which a registration takes
before it counts too: one arriving while the edit is on its way is either counted (the edit refused) or refused
as full, never left beyond the new capacity. Before, the edit counted before locking."""

import types

import pytest
from django.db import transaction

from chiiki.core.models import ChangeRecord
from chiiki.promotion import actions
from chiiki.promotion.models import Event, Registration

from .conftest import bearer, send
from .test_events import event_body

pytestmark = pytest.mark.django_db


def test_a_registration_arriving_while_the_capacity_is_lowered_is_counted(client, users, monkeypatch):
    officer = bearer(users["hachioji"])
    event = send(client, "post", "/api/v1/events", event_body(capacity=20), **officer).json()
    url = f"/api/v1/events/{event['id']}"
    assert send(client, "post", f"{url}/registrations", {}, **bearer(users["company"])).status_code == 201
    arrived = []

    def atomic(*args, **kwargs):
        # The advisor's registration commits just as the edit opens its transaction (after the old code counted,
        # before the event row is locked): the interleaving two requests at the same moment may take.
        if not arrived:
            arrived.append(True)
            actions.register_for_event(users["advisor"], Event.objects.get(pk=event["id"]))
        return transaction.atomic(*args, **kwargs)

    monkeypatch.setattr(actions, "transaction", types.SimpleNamespace(atomic=atomic))
    records = ChangeRecord.objects.filter(model="promotion.event").count()
    response = send(client, "put", url, event_body(capacity=1, version=event["version"]), **officer)
    assert arrived
    assert response.status_code == 422, response.content
    assert "capacity" in response.json()["detail"]
    assert Event.objects.get(pk=event["id"]).capacity == 20
    assert Registration.objects.filter(event_id=event["id"]).count() == 2
    assert ChangeRecord.objects.filter(model="promotion.event").count() == records


def test_a_capacity_still_above_the_registrations_is_saved(client, users):
    officer = bearer(users["hachioji"])
    event = send(client, "post", "/api/v1/events", event_body(capacity=20), **officer).json()
    url = f"/api/v1/events/{event['id']}"
    assert send(client, "post", f"{url}/registrations", {}, **bearer(users["company"])).status_code == 201
    saved = send(client, "put", url, event_body(capacity=1, version=event["version"]), **officer)
    assert saved.status_code == 200 and saved.json()["capacity"] == 1
    refused = send(client, "post", f"{url}/registrations", {}, **bearer(users["advisor"]))
    assert refused.status_code == 409
