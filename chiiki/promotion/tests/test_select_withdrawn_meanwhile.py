"""A proposal withdrawn by its organisation after the officer's request read it but before the officer's selection
wrote: the selection is refused with a Japanese message (404/409/422), never a foreign-key 500, and the challenge is
not published as decided."""

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from chiiki.promotion import actions
from chiiki.promotion.models import Challenge, Proposal
from chiiki.testing import meanwhile

from .conftest import bearer

pytestmark = pytest.mark.django_db(transaction=True)


def _proposed(users):
    officer, company = users["hachioji"], users["company"]
    actions.save_organisation(company, None, {"name": "株式会社サンプル", "kind": "startup"})
    company.refresh_from_db()
    deadline = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    challenge = actions.save_challenge(officer, officer.municipality, None,
                                       {"sector": "health", "title": "見守り", "problem": "独居高齢者",
                                        "requirements": "センサー", "deadline": deadline})
    proposal = actions.submit_proposal(company, challenge, {"summary": "見守りセンサー", "approach": "実証から",
                                                            "cost": 1_000_000, "team": "3名"})
    challenge.refresh_from_db()
    return officer, company, challenge, proposal


def test_selecting_a_proposal_withdrawn_meanwhile_is_refused_not_500(users, monkeypatch):
    officer, company, challenge, proposal = _proposed(users)
    company_auth, officer_auth = bearer(company), bearer(officer)
    meanwhile(monkeypatch, actions, lambda: Client().delete(
        f"/api/v1/challenges/{challenge.pk}/proposals/{proposal.pk}?version={proposal.version}", **company_auth))
    client = Client(raise_request_exception=False)
    response = client.post(f"/api/v1/proposals/{proposal.pk}/select", content_type="application/json",
                           data=json.dumps({"amount": 900_000, "version": challenge.version}), **officer_auth)
    assert not Proposal.objects.filter(pk=proposal.pk).exists()  # the withdrawal went through first
    assert response.status_code in (404, 409, 422), (response.status_code, response.content.decode())
    assert Challenge.objects.get(pk=challenge.pk).status == "open"
    assert response.json()["detail"] == {"": "この提案は取り下げられました"}


def test_the_challenge_page_refuses_selecting_a_proposal_withdrawn_meanwhile(users, client_for, monkeypatch):
    officer, company, challenge, proposal = _proposed(users)
    meanwhile(monkeypatch, actions, lambda: Client().delete(
        f"/api/v1/challenges/{challenge.pk}/proposals/{proposal.pk}?version={proposal.version}", **bearer(company)))
    client = client_for(officer)
    client.raise_request_exception = False
    response = client.post(challenge.get_absolute_url(), {"action": "select", "proposal": str(proposal.pk),
                                                          "amount": "900000", "version": str(challenge.version)})
    assert not Proposal.objects.filter(pk=proposal.pk).exists()
    assert response.status_code == 422, response.status_code
    assert "この提案は取り下げられました" in response.content.decode()
    assert Challenge.objects.get(pk=challenge.pk).status == "open"
