"""The proposing organisation hears of each move of its proposal (候補, 選定, 非選定) by e-mail, sent once the
municipality's change is committed; a refused or rolled-back change sends nothing, and no one else is told."""

import pytest

from chiiki.promotion.models import Challenge, Organisation, OrganisationMember, Proposal

from .conftest import bearer, send
from .test_challenges import market  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def emails(users, market, django_user_model):  # noqa: F811
    """Each proposing organisation with a colleague besides the proposer; every user has an address."""
    for user in (users["company"], market["rival"], users["hachioji"], users["advisor"]):
        user.email = f"{user.username}@example.jp"
        user.save()
    colleague = django_user_model.objects.create(username="colleague", role="company", email="colleague@example.jp")
    OrganisationMember.objects.create(user=colleague,
                                      organisation=Organisation.objects.get(pk=market["orgs"]["company"]["id"]))
    return market


def _proposal(world, username):
    return Proposal.objects.get(pk=world["proposals"][username]["id"])


def test_shortlisting_on_the_page_tells_the_proposing_organisation(client_for, users, emails, mailoutbox,
                                                                   django_capture_on_commit_callbacks):
    cid, own = emails["challenge"]["id"], _proposal(emails, users["company"].username)
    reviewer = client_for(users["hachioji"])
    with django_capture_on_commit_callbacks(execute=True):
        response = reviewer.post(f"/promotion/challenges/{cid}/",
                                 {"action": "shortlist", "proposal": own.pk, "version": own.version})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert sorted(mail.to) == ["colleague@example.jp", "company@example.jp"]  # not the rival, not the reviewer
    assert "高齢者の見守り" in mail.subject and "候補" in mail.subject
    assert "候補に選ばれました" in mail.body and f"/promotion/challenges/{cid}/" in mail.body

    # A stale button changes nothing and tells no one.
    with django_capture_on_commit_callbacks(execute=True):
        stale = reviewer.post(f"/promotion/challenges/{cid}/",
                              {"action": "unshortlist", "proposal": own.pk, "version": own.version})
    assert stale.status_code == 409 and len(mailoutbox) == 1


def test_the_decision_through_the_api_tells_each_organisation_its_result(client, users, emails, mailoutbox,
                                                                         django_capture_on_commit_callbacks):
    rival = _proposal(emails, "rival")
    version = Challenge.objects.get(pk=emails["challenge"]["id"]).version
    with django_capture_on_commit_callbacks(execute=True):
        response = send(client, "post", f"/api/v1/proposals/{rival.pk}/select", {"amount": 2_800_000,
                                                                                 "version": version},
                        **bearer(users["hachioji"]))
    assert response.status_code == 200, response.content
    by_address = {address: mail for mail in mailoutbox for address in mail.to}
    assert sorted(by_address) == ["colleague@example.jp", "company@example.jp", "rival@example.jp"]
    assert "選定されました" in by_address["rival@example.jp"].body
    assert "選定" in by_address["rival@example.jp"].subject
    assert "今回は選定されませんでした" in by_address["company@example.jp"].body
    assert "非選定" in by_address["colleague@example.jp"].subject

    # Refused (already decided): nothing more is sent.
    with django_capture_on_commit_callbacks(execute=True):
        again = send(client, "post", f"/api/v1/proposals/{rival.pk}/select", {"amount": 1, "version": version + 1},
                     **bearer(users["hachioji"]))
    assert again.status_code == 422 and len(mailoutbox) == 2


def test_a_shortlisting_rolled_back_sends_nothing(users, emails, mailoutbox, django_capture_on_commit_callbacks):
    from django.db import transaction

    from chiiki.promotion import actions

    own = _proposal(emails, users["company"].username)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic():
            actions.shortlist_proposal(users["hachioji"], own, shortlisted=True, version=own.version)
            raise RuntimeError
    assert mailoutbox == []
