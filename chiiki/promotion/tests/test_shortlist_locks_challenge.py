"""Shortlisting decides on the challenge's status under the challenge's row lock, taken before the proposal's
(the order select_proposal and withdrawals use), so a withdrawal or a decision running meanwhile is waited for."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chiiki.promotion import actions
from chiiki.promotion.models import ProposalStatus

pytestmark = pytest.mark.django_db


def test_shortlisting_locks_the_challenge_before_the_proposal(users):
    officer, company = users["hachioji"], users["company"]
    actions.save_organisation(company, None, {"name": "株式会社サンプル", "kind": "startup"})
    company.refresh_from_db()
    deadline = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    challenge = actions.save_challenge(officer, officer.municipality, None,
                                       {"sector": "health", "title": "見守り", "problem": "独居高齢者",
                                        "requirements": "センサー", "deadline": deadline})
    proposal = actions.submit_proposal(company, challenge, {"summary": "見守りセンサー", "approach": "実証から",
                                                            "cost": 1_000_000, "team": "3名"})

    with CaptureQueriesContext(connection) as queries:
        shortlisted = actions.shortlist_proposal(officer, proposal, shortlisted=True, version=proposal.version)

    assert shortlisted.status == ProposalStatus.SHORTLISTED
    if not connection.features.has_select_for_update:
        pytest.skip("SQLite: BEGIN IMMEDIATE holds the database's write lock instead of row locks")
    locks = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]
    assert [("promotion_challenge" in sql.split(" WHERE ")[0], "promotion_proposal" in sql.split(" WHERE ")[0])
            for sql in locks[:2]] == [(True, False), (False, True)], locks
