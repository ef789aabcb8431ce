"""Concurrent writes of promotion data through a live server (ADR 0010): the candidate-score weights' first save,
removing one council member twice, and proposals arriving while the challenge is being decided."""

import datetime as dt
from collections import Counter

import pytest
from django.utils import timezone

from chiiki.accounts.models import ApiToken
from chiiki.core.models import ChangeRecord
from chiiki.promotion import actions
from chiiki.promotion.models import Challenge, CouncilMembership, Proposal, ScoringWeights
from chiiki.testing import at_once, together

pytestmark = pytest.mark.django_db(transaction=True)

COPIES = 8
ROUNDS = 3


def test_first_saves_of_the_weights_at_once_give_one_winner(live_server, users):
    token = ApiToken.issue(users["admin"], "race")[1]
    answers = together([("PUT", f"{live_server.url}/api/v1/model-regions/weights", token,
                         {"max_population": 50000 + i, "implemented_weight": 1, "progress_weight": 2,
                          "commitment_weight": 3, "plans_weight": 4, "version": 0}) for i in range(COPIES)])
    assert Counter(status for status, _ in answers) == {200: 1, 409: COPIES - 1}, answers
    winner = next(body for status, body in answers if status == 200)
    assert ScoringWeights.objects.get().max_population == winner["max_population"]
    assert ChangeRecord.objects.filter(model="promotion.scoringweights").count() == 1


def test_one_member_removed_twice_at_once_is_removed_once(live_server, users):
    council = actions.save_council(users["hachioji"], None, {"name": "八王子スマートシティ協議会",
                                                              "municipality": "132012"})
    organisation = actions.save_organisation(users["admin"], None, {"name": "株式会社サンプル", "kind": "startup"})
    token = ApiToken.issue(users["hachioji"], "race")[1]
    url = f"{live_server.url}/api/v1/councils/{council.pk}/members/{organisation.pk}"
    for _ in range(ROUNDS):
        membership = actions.add_council_member(users["hachioji"], council, organisation, "member")
        answers = at_once(COPIES, "DELETE", url, token, None)
        assert Counter(status for status, _ in answers) == {204: 1, 404: COPIES - 1}, answers
        assert not CouncilMembership.objects.filter(pk=membership.pk).exists()
        assert ChangeRecord.objects.filter(model="promotion.councilmembership", object_id=str(membership.pk),
                                           action="delete").count() == 1


def test_proposals_arriving_while_the_challenge_is_decided_are_refused(live_server, users, django_user_model):
    officer = ApiToken.issue(users["hachioji"], "race")[1]
    companies = []
    for n in range(COPIES - 1):
        user = django_user_model.objects.create(username=f"startup{n}", role="company")
        actions.save_organisation(user, None, {"name": f"スタートアップ{n}", "kind": "startup"})
        companies.append(ApiToken.issue(user, "race")[1])
    first = django_user_model.objects.create(username="first", role="company")
    actions.save_organisation(first, None, {"name": "最初の提案者", "kind": "startup"})
    deadline = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    body = {"summary": "見守りセンサー", "approach": "実証から", "cost": 1_000_000, "team": "3名"}
    for n in range(ROUNDS):
        challenge = actions.save_challenge(users["hachioji"], users["hachioji"].municipality, None,
                                           {"sector": "health", "title": f"見守り{n}", "problem": "独居高齢者",
                                            "requirements": "センサー", "deadline": deadline})
        proposal = actions.submit_proposal(first, challenge, body)
        challenge.refresh_from_db()
        api = live_server.url + "/api/v1"
        answers = together([("POST", f"{api}/proposals/{proposal.pk}/select", officer,
                             {"amount": 900_000, "version": challenge.version})]
                           + [("POST", f"{api}/challenges/{challenge.pk}/proposals", token, body) for token in companies])
        assert answers[0][0] == 200 and {status for status, _ in answers[1:]} <= {201, 422}, answers
        assert all(body["detail"] == {"": "この課題の提案の受付は終了しています"}
                   for status, body in answers[1:] if status == 422)
        assert Challenge.objects.get(pk=challenge.pk).status == "decided"
        # Every proposal the challenge has was decided on: none is left "submitted" after the decision.
        statuses = Counter(Proposal.objects.filter(challenge=challenge).values_list("status", flat=True))
        accepted = sum(status == 201 for status, _ in answers[1:])
        assert statuses["selected"] == 1 and statuses["not_selected"] == accepted and sum(statuses.values()) == accepted + 1
