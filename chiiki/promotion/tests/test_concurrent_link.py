"""Two link_user_organisations runs at once: each user is linked once and neither run fails (a user belongs to
one organisation, OneToOne)."""

import io

import pytest
from django.core.management import call_command

from chiiki.promotion import actions
from chiiki.promotion.models import Organisation, OrganisationMember
from chiiki.testing import each_in_its_thread, meet_before_writing

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_link_runs_at_once_link_each_user_once_without_an_error(users, monkeypatch):
    organisation = Organisation.objects.create(name="株式会社サンプル", kind="company")  # users["company"]'s text
    # Both runs have read their plan before either writes: each waits for the other at its transaction's start.
    meet_before_writing(monkeypatch, actions)
    outputs = [io.StringIO(), io.StringIO()]

    def run(i):
        try:
            call_command("link_user_organisations", stdout=outputs[i])
            return "ok"
        except Exception as exc:  # noqa: BLE001 - the answer names whatever went wrong
            return f"{type(exc).__name__}: {exc}"

    answers = each_in_its_thread([0, 1], run)
    assert answers == ["ok", "ok"], answers
    assert list(OrganisationMember.objects.filter(user=users["company"]).values_list("organisation", flat=True)) == [
        organisation.pk]
    # Only the run that wrote the link reports it.
    reports = sorted(out.getvalue() for out in outputs)
    assert "0人の利用者を組織に結びつけました" in reports[0] and "company" not in reports[0]
    assert "1人の利用者を組織に結びつけました" in reports[1] and "株式会社サンプル" in reports[1]
