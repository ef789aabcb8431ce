"""Through the API a line's link (campaign, program) sent as null is taken away, as the page's empty choice does;
a link not sent stays."""

import json

import pytest

from chiiki import access
from chiiki.funding import actions
from chiiki.pdca.tests.conftest import bearer

from .test_campaigns import _campaign

pytestmark = pytest.mark.django_db


def _put(client, plan, line, body, user):
    return client.put(f"/api/v1/plans/{plan.pk}/lines/{line.pk}", json.dumps(body), content_type="application/json",
                      **bearer(user))


def test_a_campaign_sent_as_null_is_unlinked_and_one_not_sent_stays(client, users, register, plan_factory):
    campaign = _campaign(register)
    plan = plan_factory([(2026, "operation", 100, [])])
    line = actions.add_line(access.SYSTEM, plan.years.get(), source_kind="crowdfunding", amount=500_000,
                            campaign=campaign)

    kept = _put(client, plan, line, {"version": line.version, "amount": 600_000}, users["hachioji"])
    assert kept.status_code == 200, kept.content
    line.refresh_from_db()
    assert (line.amount, line.campaign_id) == (600_000, campaign.pk)

    cleared = _put(client, plan, line, {"version": line.version, "campaign": None}, users["hachioji"])
    assert cleared.status_code == 200, cleared.content
    line.refresh_from_db()
    assert (line.amount, line.campaign_id) == (600_000, None)
