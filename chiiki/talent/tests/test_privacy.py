"""Contact details: only the person, the national admin, and a municipality whose dispatch the person accepted.
Checked in chiiki.access and on every page and API answer that shows a profile or a request."""

import pytest

from chiiki import access
from chiiki.core.models import ChangeRecord
from chiiki.talent import actions
from chiiki.talent.actions import DELETED_LABEL
from chiiki.talent.models import Status, TalentProfile, TalentRequest

from .conftest import profile_data

ROLES = ["public", "admin", "tokyo", "hachioji", "aogashima", "sapporo", "advisor", "company"]
EMAIL, PHONE = "ichiro@example.jp", "03-1234-5678"


def _user(users, role):
    return None if role == "public" else users[role]


def _urls(profile, request_):
    return [f"/talent/profiles/{profile.pk}/", "/talent/profiles/", "/talent/profiles/?format=csv",
            f"/api/v1/talent/profiles/{profile.pk}", "/api/v1/talent/profiles", f"/talent/requests/{request_.pk}/",
            f"/api/v1/talent/requests/{request_.pk}", "/api/v1/talent/requests",
            f"/api/v1/talent/requests/{request_.pk}/candidates", f"/talent/municipalities/{request_.municipality_id}/"]


def _bodies(client, urls):
    return {url: client.get(url).content.decode() for url in urls}


@pytest.mark.parametrize("state,allowed", [
    (Status.ASKED, {"admin", "advisor"}),  # asked, not yet accepted: the municipality does not see it yet
    (Status.ACCEPTED, {"admin", "advisor", "hachioji"}),
    (Status.COMPLETED, {"admin", "advisor", "hachioji"}),
])
@pytest.mark.parametrize("role", ROLES)
def test_contact_details_only_where_allowed(users, client_for, advisor_profile, hachioji_request, role, state,
                                            allowed):
    TalentRequest.objects.filter(pk=hachioji_request.pk).update(status=state, talent=advisor_profile,
                                                                talent_label=advisor_profile.display_name)
    user = _user(users, role)
    assert access.can(user, "talent.view_contact", advisor_profile) is (role in allowed)
    bodies = _bodies(client_for(user), _urls(advisor_profile, hachioji_request))
    leaking = [url for url, body in bodies.items() if EMAIL in body or PHONE in body]
    if role in allowed:
        assert f"/talent/profiles/{advisor_profile.pk}/" in leaking
        assert f"/api/v1/talent/profiles/{advisor_profile.pk}" in leaking
        assert set(leaking) <= {f"/talent/profiles/{advisor_profile.pk}/", f"/api/v1/talent/profiles/{advisor_profile.pk}",
                                f"/talent/requests/{hachioji_request.pk}/"}
    else:
        assert leaking == []


def test_history_never_carries_name_or_contact(users, advisor_profile):
    actions.update_profile(users["advisor"], advisor_profile, profile_data(email="new@example.jp"), version=1)
    rows = ChangeRecord.objects.filter(model="talent.talentprofile")
    text = " ".join(f"{r.object_repr} {r.before} {r.after}" for r in rows)
    assert rows.count() == 2
    for secret in ("見守 一郎", EMAIL, "new@example.jp", PHONE):
        assert secret not in text


def test_deletion_keeps_the_dispatch_with_an_anonymised_name(users, client_for, advisor_profile, hachioji_request):
    TalentRequest.objects.filter(pk=hachioji_request.pk).update(status=Status.COMPLETED, talent=advisor_profile,
                                                                talent_label=advisor_profile.display_name)
    response = client_for(users["advisor"]).post(f"/talent/profiles/{advisor_profile.pk}/delete",
                                                 {"version": advisor_profile.version})
    assert response.status_code == 302
    assert not TalentProfile.objects.filter(pk=advisor_profile.pk).exists()
    hachioji_request.refresh_from_db()
    assert hachioji_request.status == Status.COMPLETED and hachioji_request.talent is None
    assert hachioji_request.talent_label == DELETED_LABEL
    page = client_for(users["hachioji"]).get(f"/talent/requests/{hachioji_request.pk}/").content.decode()
    assert DELETED_LABEL in page and "見守 一郎" not in page
    deleted = ChangeRecord.objects.get(model="talent.talentprofile", action="delete")
    assert "見守 一郎" not in f"{deleted.object_repr} {deleted.before}"


@pytest.mark.parametrize("role", ["public", "hachioji", "tokyo", "company"])
def test_nobody_else_deletes_or_edits_a_profile(users, client_for, advisor_profile, role):
    client = client_for(_user(users, role))
    response = client.post(f"/talent/profiles/{advisor_profile.pk}/delete", {"version": 1})
    assert response.status_code in (302, 403) and TalentProfile.objects.filter(pk=advisor_profile.pk).exists()
    if role != "public":
        assert response.status_code == 403
        assert client.get(f"/talent/profiles/{advisor_profile.pk}/edit").status_code == 403


def test_admin_may_edit_any_profile_and_the_person_their_own(users, advisor_profile):
    assert access.can(users["admin"], "talent.edit_profile", advisor_profile)
    assert access.can(users["advisor"], "talent.edit_profile", advisor_profile)
    assert not access.can(users["company"], "talent.edit_profile", advisor_profile)


def test_a_draft_does_not_show_its_year_on_the_public_figures(users, register, vocabulary, client):
    """The 年度 list of the public analytics and dispatches pages lists what they count (requests since 申請)."""
    from django.core.cache import cache

    from chiiki.core.fiscal import current_fiscal_year

    from .conftest import request_data

    year = f'<option value="{current_fiscal_year()}"'
    draft = actions.create_request(users["hachioji"], register["municipalities"]["132012"], request_data())
    assert draft.status == Status.DRAFT
    for url in ("/talent/analytics/", "/talent/dispatches/"):
        assert year not in client.get(url).content.decode(), url
    TalentRequest.objects.filter(pk=draft.pk).update(status=Status.SUBMITTED)  # (a round need not be open)
    cache.clear()  # the update above moved no data version
    assert year in client.get("/talent/analytics/").content.decode()
