"""Concurrent edits of one implementation plan through a live server (ADR 0010): a 年度 deleted while funding lines
are added to it leaves no line behind and answers 409 (or 404) to the adds that came too late — never a 500."""

from collections import Counter

import pytest

from chiiki.accounts.models import ApiToken
from chiiki.funding.models import FundingLine, PlanYear
from chiiki.testing import together

pytestmark = pytest.mark.django_db(transaction=True)

ADDS = 7
ROUNDS = 3


def test_lines_added_to_a_year_being_deleted_are_refused_not_orphaned(live_server, users):
    token = ApiToken.issue(users["hachioji"], "race")[1]
    api = f"{live_server.url}/api/v1/plans"
    plan = together([("POST", api, token, {"municipality": "132012", "title": "見守り", "sector": "health",
                                          "start_year": 2027})])[0][1]
    for n in range(ROUNDS):
        assert together([("POST", f"{api}/{plan['id']}/years", token,
                          {"fiscal_year": 2040 + n, "phase": "operation"})])[0][0] == 201
        year = PlanYear.objects.get(plan_id=plan["id"], fiscal_year=2040 + n)
        answers = together([("DELETE", f"{api}/{plan['id']}/years/{year.pk}?version={year.version}", token, None)]
                           + [("POST", f"{api}/{plan['id']}/years/{year.pk}/lines", token,
                               {"source_kind": "general", "amount": 1000 + i}) for i in range(ADDS)])
        statuses = Counter(status for status, _ in answers)
        assert answers[0][0] == 200 and set(statuses) <= {200, 201, 404, 409}, answers
        assert all(body["detail"] == "この年度はほかの利用者が削除しました。最新の内容を確認してください。"
                   for status, body in answers[1:] if status == 409)
        assert not PlanYear.objects.filter(pk=year.pk).exists()
        assert not FundingLine.objects.filter(plan_year_id=year.pk).exists()
