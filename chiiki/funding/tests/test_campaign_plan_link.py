"""A campaign's linked plan is named in the API only to those who may see the plan (a draft's id stays hidden)."""

import pytest

from .test_campaigns import _campaign

pytestmark = pytest.mark.django_db


def test_a_draft_plans_id_is_not_given_with_its_campaign(client, client_for, users, register, plan_factory):
    draft = plan_factory([(2026, "operation", 100, [])])
    campaign = _campaign(register, plan=draft)

    assert client.get(f"/api/v1/campaigns/{campaign.pk}").json()["plan"] is None
    assert client.get("/api/v1/campaigns").json()["items"][0]["plan"] is None
    assert client_for(users["sapporo"]).get(f"/api/v1/campaigns/{campaign.pk}").json()["plan"] is None
    # Its own municipality and the admin see the link, as on the page.
    assert client_for(users["hachioji"]).get(f"/api/v1/campaigns/{campaign.pk}").json()["plan"] == draft.pk
    assert client_for(users["admin"]).get(f"/api/v1/campaigns/{campaign.pk}").json()["plan"] == draft.pk


def test_a_published_plans_id_is_given_to_everyone(client, register, plan_factory):
    published = plan_factory([(2026, "operation", 100, [])], status="published")
    campaign = _campaign(register, plan=published)

    assert client.get(f"/api/v1/campaigns/{campaign.pk}").json()["plan"] == published.pk
