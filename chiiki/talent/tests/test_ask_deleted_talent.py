"""The secretariat asks a talent who deletes their profile between the page's read and the ask's transaction: the ask
is refused with the reason (never a 500 from the request naming a row that is gone), and the request stays 受付."""

import types

import pytest
from django.db import transaction

from chiiki.talent import actions
from chiiki.talent.models import Status, TalentRequest
from chiiki.talent.tests.conftest import move

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("through", ["page", "api"])
def test_ask_while_the_talent_deletes_their_profile(users, client_for, hachioji_request, advisor_profile, rounds,
                                                    monkeypatch, through):
    r = hachioji_request
    move(r, "submit", users["hachioji"])
    move(r, "receive", users["admin"])
    r.refresh_from_db()
    done = []

    def atomic(*args, **kwargs):
        # The profile goes just before the ask's transaction begins (after the view has read it).
        if not done:
            done.append(True)
            advisor_profile.refresh_from_db()
            actions.delete_profile(users["advisor"], advisor_profile, version=advisor_profile.version)
        return transaction.atomic(*args, **kwargs)

    admin = client_for(users["admin"])
    admin.raise_request_exception = False
    monkeypatch.setattr(actions, "transaction", types.SimpleNamespace(atomic=atomic, on_commit=transaction.on_commit))
    if through == "page":
        response = admin.post(f"/talent/requests/{r.pk}/move/ask", {"version": r.version, "talent": advisor_profile.pk})
    else:
        response = admin.post(f"/api/v1/talent/requests/{r.pk}/transitions/ask",
                              {"version": r.version, "talent": advisor_profile.pk}, content_type="application/json")
    assert done and response.status_code == 422, response.status_code
    told = response.content.decode() if through == "page" else response.json()["detail"]["talent"]
    assert "この人材の登録は削除されました" in told
    r = TalentRequest.objects.get(pk=r.pk)
    assert (r.status, r.talent_id, r.talent_label) == (Status.RECEIVED, None, "")
