"""Shortlisting decides on the challenge's status under the challenge's row lock, taken before the proposal's
(the order select_proposal and withdrawals use), so a withdrawal or a decision running meanwhile is waited for."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chiiki.promotion import actions
from chiiki.promotion.models import ProposalStatus

from .test_select_withdrawn_meanwhile import _proposed

pytestmark = pytest.mark.django_db


def test_shortlisting_locks_the_challenge_before_the_proposal(users):
    officer, _company, _challenge, proposal = _proposed(users)

    with CaptureQueriesContext(connection) as queries:
        shortlisted = actions.shortlist_proposal(officer, proposal, shortlisted=True, version=proposal.version)

    assert shortlisted.status == ProposalStatus.SHORTLISTED
    if not connection.features.has_select_for_update:
        pytest.skip("SQLite: BEGIN IMMEDIATE holds the database's write lock instead of row locks")
    locks = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]
    assert [("promotion_challenge" in sql.split(" WHERE ")[0], "promotion_proposal" in sql.split(" WHERE ")[0])
            for sql in locks[:2]] == [(True, False), (False, True)], locks
