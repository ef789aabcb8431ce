"""Numbers no column can hold are refused with a Japanese message (422, the typed values kept), never a 500:
SQLite raised OverflowError beyond 64-bit integers, PostgreSQL refused amounts beyond a 32-bit column."""

import pytest

from chiiki.promotion.models import Challenge, Event, Proposal

from .conftest import bearer, send
from .test_challenges import in_days, market  # noqa: F401 (fixture)
from .test_events import event_body

pytestmark = pytest.mark.django_db


def test_capacity_beyond_any_column(client, client_for, users):
    response = send(client, "post", "/api/v1/events", event_body(capacity=3_000_000_000), **bearer(users["hachioji"]))
    assert response.status_code == 422 and "定員" in response.json()["detail"]["capacity"]
    page = client_for(users["hachioji"]).post("/promotion/events/new", {
        **event_body(sectors="agriculture"), "capacity": "3000000000"})
    assert page.status_code == 422 and "定員は1,000,000人以下" in page.content.decode()
    assert 'value="3000000000"' in page.content.decode()
    assert not Event.objects.exists()


def test_yen_amounts_up_to_the_validated_limit_are_stored(client, users, market):  # noqa: F811
    """1,000億円 is accepted by the checks; the columns used to hold only 21億 (PostgreSQL: a 500)."""
    body = {"sector": "health", "title": "広域の見守り", "problem": "安否確認", "requirements": "センサー",
            "budget_min": 3_000_000_000, "budget_max": 100_000_000_000, "deadline": in_days(30)}
    response = send(client, "post", "/api/v1/municipalities/132012/challenges", body, **bearer(users["hachioji"]))
    assert response.status_code == 201, response.content
    assert Challenge.objects.get(pk=response.json()["id"]).budget_max == 100_000_000_000
    proposal = send(client, "post", f"/api/v1/challenges/{response.json()['id']}/proposals",
                    {"summary": "大規模", "approach": "段階的に", "cost": 50_000_000_000, "team": "50名"},
                    **bearer(users["company"]))
    assert proposal.status_code == 201, proposal.content
    assert Proposal.objects.get(pk=proposal.json()["id"]).cost == 50_000_000_000
