"""Double submits through a live server (ADR 0010): an advisor's own profile submitted twice at once, and one account
linked to several profiles at once — one winner, the rest get the 422 a later request gets, never a 500 from the
one-profile-per-account constraint."""

from collections import Counter

import pytest

from chiiki.accounts.models import ApiToken
from chiiki.talent.models import TalentProfile
from chiiki.testing import at_once, together

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


def test_profiles_linked_to_one_account_at_once_give_one_link(live_server, users, vocabulary):
    from chiiki import access
    from chiiki.talent import actions

    token = ApiToken.issue(users["admin"], "race")[1]
    profiles = [actions.create_profile(access.SYSTEM, profile_data(display_name=f"候補 {n}")) for n in range(COPIES)]
    answers = together([("PUT", f"{live_server.url}/api/v1/talent/profiles/{p.pk}/account", token,
                         {"username": "advisor", "version": p.version}) for p in profiles])
    assert Counter(status for status, _ in answers) == {200: 1, 422: COPIES - 1}, answers
    assert TalentProfile.objects.filter(user=users["advisor"]).count() == 1
