"""Pledges racing the deletion of their 事業 through a live server (ADR 0010): either the project is deleted and no
pledge points at it (the pledges that came too late are refused with a reason), or the pledges are kept and the
deletion is refused — never a 500 from the foreign key."""

import datetime as dt
from collections import Counter

import pytest

from chiiki import access
from chiiki.accounts.models import ApiToken
from chiiki.funding import actions
from chiiki.funding.models import CorporateDonationPledge, NonGrantStatus, RevitalisationProject
from chiiki.roadmap.models import Sector
from chiiki.testing import together

pytestmark = pytest.mark.django_db(transaction=True)

PLEDGES = 7
ROUNDS = 5


def test_pledges_racing_the_deletion_of_their_project(live_server, users, register):
    m = register["municipalities"]
    actions.register_company(users["company"], name="株式会社サンプル", corporate_number="7000012050002",
                             head_office=m["131016"])
    NonGrantStatus.objects.create(code="132012", fiscal_year=2026, non_grant=False, metropolitan=True)
    plan = actions.create_revitalisation_plan(access.SYSTEM, m["132012"], name="八王子の地域再生計画",
                                              approved_on=dt.date(2025, 6, 1), start_year=2025, end_year=2029)
    company, officer = (ApiToken.issue(users[name], "race")[1] for name in ("company", "hachioji"))
    for n in range(ROUNDS):
        project = actions.add_revitalisation_project(access.SYSTEM, plan, name=f"防災センサー{n}",
                                                     sector=Sector.objects.get(pk="disaster"), target_amount=10**7)
        url = f"{live_server.url}/api/v1"
        answers = together(
            [("DELETE", f"{url}/revitalisation-projects/{project.pk}?version={project.version}", officer, None)]
            + [("POST", f"{url}/pledges", company, {"project": project.pk, "amount": 1_000_000, "fiscal_year": 2026,
                                                   "no_return_declared": True}) for _ in range(PLEDGES)])
        assert set(Counter(status for status, _ in answers)) <= {201, 204, 404, 422}, answers
        pledged = CorporateDonationPledge.objects.filter(project_id=project.pk).count()
        if RevitalisationProject.objects.filter(pk=project.pk).exists():
            assert answers[0][0] == 422 and pledged == sum(status == 201 for status, _ in answers[1:]) > 0
        else:
            assert answers[0][0] == 204 and pledged == 0
            assert all(body["detail"] == {"project": "この事業はほかの利用者が削除しました"}
                       for status, body in answers[1:] if status == 422)
