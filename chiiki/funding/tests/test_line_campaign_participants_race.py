"""A crowdfunding line added to a wide-area plan while the plan's editor removes the campaign's municipality from
the participants: set_participants refuses to strand such a line ("クラウドファンディングがこの計画の財源になっている
団体は外せません"), so whichever commits second must be refused — never a line funding the plan from a municipality
that no longer takes part in it."""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from chiiki import access
from chiiki.accounts.models import ApiToken
from chiiki.funding import actions
from chiiki.funding.models import FundingLine, ImplementationPlan
from chiiki.roadmap.models import Sector
from chiiki.testing import meanwhile

pytestmark = pytest.mark.django_db(transaction=True)


def _wide_area_plan_and_campaign(users, register):
    """A prefecture's plan with 八王子市 and 青ヶ島村 taking part, 八王子市's campaign, and the prefecture's API
    header: (plan, its first year, the campaign, the header)."""
    m = register["municipalities"]
    plan = actions.create_plan(access.SYSTEM, register["prefectures"]["13"], sector=Sector.objects.get(pk="disaster"),
                               title="東京都 島しょ防災計画", start_year=2026, participants=[m["132012"], m["134023"]])
    year = plan.years.order_by("fiscal_year").first()
    today = timezone.localdate()
    campaign = actions.create_campaign(access.SYSTEM, m["132012"], title="八王子の防災", use_of_funds="防災",
                                       target_amount=1_000_000, start_date=today, end_date=today,
                                       donation_url="https://example.jp/cf")
    token = ApiToken.issue(users["tokyo"], "t")[1]
    plan.refresh_from_db()
    return plan, year, campaign, {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_a_campaign_line_added_while_its_municipality_leaves_the_plan_is_refused(users, register, monkeypatch):
    plan, year, campaign, auth = _wide_area_plan_and_campaign(users, register)
    meanwhile(monkeypatch, actions, lambda: Client().put(
        f"/api/v1/plans/{plan.pk}/participants", content_type="application/json",
        data={"version": plan.version, "participants": ["134023"]}, **auth))
    client = Client(raise_request_exception=False)
    response = client.post(f"/api/v1/plans/{plan.pk}/years/{year.pk}/lines", content_type="application/json",
                           data={"source_kind": "crowdfunding", "amount": 500_000, "campaign": campaign.pk}, **auth)
    participants = set(ImplementationPlan.objects.get(pk=plan.pk).participants.values_list("code", flat=True))
    stranded = FundingLine.objects.filter(plan_year__plan=plan, campaign__municipality_id__in=
                                          {"132012"} - participants)
    assert not stranded.exists(), (response.status_code, participants)
    assert response.status_code in (409, 422), response.status_code


def test_a_line_changed_to_a_campaign_while_its_municipality_leaves_the_plan_is_not_stranded(users, register,
                                                                                             monkeypatch):
    """The edit checks the participants inside its transaction; the municipality's removal runs right after that
    check, before the edit commits (a real race on PostgreSQL). Under the plan's lock the removal waits for the
    edit and then refuses; without it, both commit and the line is funded from outside the plan."""
    plan, year, campaign, auth = _wide_area_plan_and_campaign(users, register)
    line = actions.add_line(access.SYSTEM, year, source_kind="general", amount=500_000)
    plan.refresh_from_db()
    answers = []

    def leave():
        try:
            answers.append(Client().put(f"/api/v1/plans/{plan.pk}/participants", content_type="application/json",
                                        data={"version": plan.version, "participants": ["134023"]}, **auth))
        finally:
            connection.close()

    real, threads = actions._plan_municipalities, []

    def municipalities(locked_plan):
        codes = real(locked_plan)
        if not threads:  # right after the edit's check: the removal runs, or waits for the plan's lock
            threads.append(threading.Thread(target=leave))
            threads[0].start()
            threads[0].join(3)
        return codes

    monkeypatch.setattr(actions, "_plan_municipalities", municipalities)
    client = Client(raise_request_exception=False)
    response = client.put(f"/api/v1/plans/{plan.pk}/lines/{line.pk}", content_type="application/json",
                          data={"version": line.version, "source_kind": "crowdfunding", "campaign": campaign.pk},
                          **auth)
    threads[0].join(60)
    participants = set(ImplementationPlan.objects.get(pk=plan.pk).participants.values_list("code", flat=True))
    stranded = FundingLine.objects.filter(plan_year__plan=plan, campaign__municipality_id__in=
                                          {"132012"} - participants)
    assert not stranded.exists(), (response.status_code, answers[0].status_code, participants)
    assert {response.status_code, answers[0].status_code} == {200, 422}, (response.status_code, answers[0].status_code)
