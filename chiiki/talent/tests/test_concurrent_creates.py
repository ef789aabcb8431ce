"""An advisor's profile submitted twice at once through a live server: one profile, the other copies get the 422 a
later request gets, never a 500 from the one-profile-per-account constraint (ADR 0010)."""

from collections import Counter

import pytest

from chiiki.accounts.models import ApiToken
from chiiki.talent.models import TalentProfile
from chiiki.testing import at_once

from .conftest import profile_data

pytestmark = pytest.mark.django_db(transaction=True)

COPIES = 8


def test_one_persons_profile_submitted_at_once_is_created_once(live_server, users, vocabulary):
    token = ApiToken.issue(users["advisor"], "race")[1]
    answers = at_once(COPIES, "POST", f"{live_server.url}/api/v1/talent/profiles", token, profile_data())
    assert Counter(status for status, _ in answers) == {201: 1, 422: COPIES - 1}, answers
    assert all(body["detail"] == {"": "あなたのプロフィールはすでにあります。編集してください"}
               for status, body in answers if status == 422)
    assert TalentProfile.objects.filter(user=users["advisor"]).count() == 1
