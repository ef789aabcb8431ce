"""An advisor creates their own profile on its page while the national admin links another profile to the same account
on its page: one of them wins; the other gets the 422 a later request gets, or the busy 409 when PostgreSQL picks it
as a deadlock victim (the profile's insert and the link each wait on the other's lock of the account) — never a 500
from the one-profile-per-account constraint, never two profiles for one account."""

import pytest

from chiiki import access
from chiiki.talent import actions
from chiiki.talent.models import TalentProfile
from chiiki.testing import each_in_its_thread, meet_before_writing

from .conftest import profile_data

pytestmark = pytest.mark.django_db(transaction=True)

OWN = {"display_name": "本人 一郎", "kind": "regional_it_advisor", "capabilities": ["CAP-HLT-07"], "level": 2,
       "available_days": "3", "available_hours": "0"}


def test_own_profile_and_a_link_to_the_same_account_at_once_give_one_profile(client_for, users, vocabulary,
                                                                             monkeypatch):
    roster = actions.create_profile(access.SYSTEM, profile_data(display_name="名簿 三郎"))
    posts = {"create": (users["advisor"], "/talent/profiles/new", OWN),
             "link": (users["admin"], f"/talent/profiles/{roster.pk}/account",
                      {"username": "advisor", "version": roster.version})}
    meet_before_writing(monkeypatch, actions)

    def send(name):
        user, url, data = posts[name]
        client = client_for(user)
        client.raise_request_exception = False
        return client.post(url, data).status_code

    answers = dict(zip(posts, each_in_its_thread(list(posts), send), strict=True))
    assert sorted(answers.values()) in ([302, 409], [302, 422]), answers
    assert TalentProfile.objects.filter(user=users["advisor"]).count() == 1
