"""Deleting a profile from its confirm page when someone else changed the profile after the page was opened: 409 and
the confirm page again, saying so and showing the profile as it is now, nothing deleted (it used to redirect with a
message)."""

import pytest

from chiiki import access
from chiiki.core.errors import Conflict
from chiiki.core.models import ChangeRecord
from chiiki.talent import actions
from chiiki.talent.models import TalentProfile

from .conftest import profile_data

pytestmark = pytest.mark.django_db


def _deletions():
    return ChangeRecord.objects.filter(model="talent.talentprofile", action="delete").count()


def test_a_profile_changed_after_the_page_was_opened_is_not_deleted(users, client_for, advisor_profile):
    url = f"/talent/profiles/{advisor_profile.pk}/delete"
    person = client_for(users["advisor"])
    assert 'name="version" value="1"' in person.get(url).content.decode()
    # The secretariat edits the profile while its owner reads the confirm page.
    actions.update_profile(
        users["admin"], advisor_profile, profile_data(display_name="見守 一郎（防災担当）"), version=1
    )
    response = person.post(url, {"version": "1"})
    assert response.status_code == 409
    html = response.content.decode()
    assert Conflict.BEFORE_DELETE in html and 'role="alert" data-error-summary' in html
    assert "<dd>見守 一郎（防災担当）</dd>" in html and 'name="version" value="2"' in html  # as it is now
    assert TalentProfile.objects.get(pk=advisor_profile.pk).version == 2 and _deletions() == 0
    # Deleting what is there now is the person's deliberate second click.
    assert person.post(url, {"version": "2"}).status_code == 302
    assert not TalentProfile.objects.filter(pk=advisor_profile.pk).exists() and _deletions() == 1


def test_a_profile_removed_meanwhile_says_so_without_a_delete_button(
    users, client_for, advisor_profile, monkeypatch
):
    original = actions.delete_profile

    def someone_else_first(actor, seen, **kwargs):
        # The secretariat's delete lands between this request's lookup and its own delete.
        original(access.SYSTEM, seen, version=seen.version)
        return original(actor, seen, **kwargs)

    monkeypatch.setattr(actions, "delete_profile", someone_else_first)
    response = client_for(users["advisor"]).post(
        f"/talent/profiles/{advisor_profile.pk}/delete", {"version": "1"}
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert Conflict.GONE in html and "削除する</button>" not in html and "見守 一郎" not in html
    assert not TalentProfile.objects.filter(pk=advisor_profile.pk).exists() and _deletions() == 1
