"""Linking an existing profile to the account that edits it (national admin; page and API), and the optimistic
lock of chiiki.core.editing on the talent actions (version required, stale → 409, no-op edits leave no trace)."""

import pytest

from chiiki import access
from chiiki.core.errors import Conflict, Invalid
from chiiki.core.models import ChangeRecord
from chiiki.talent import actions
from chiiki.talent.models import TalentProfile

from .conftest import profile_data


@pytest.fixture
def roster_profile(vocabulary):
    """A profile the admin imported, linked to nobody yet."""
    return actions.create_profile(access.SYSTEM, profile_data(display_name="名簿 三郎", email="saburo@example.jp"))


def _records(profile):
    return ChangeRecord.objects.filter(model="talent.talentprofile", object_id=str(profile.pk))


def test_admin_links_and_unlinks_through_the_page(users, client_for, roster_profile):
    admin = client_for(users["admin"])
    form = admin.get(f"/talent/profiles/{roster_profile.pk}/account")
    assert form.status_code == 200 and "まだ変更はありません" in form.content.decode()
    assert 'data-testid="account-link"' in admin.get(f"/talent/profiles/{roster_profile.pk}/").content.decode()
    response = admin.post(f"/talent/profiles/{roster_profile.pk}/account", {"username": "company", "version": 1})
    assert response.status_code == 302
    roster_profile.refresh_from_db()
    assert (roster_profile.user, roster_profile.version) == (users["company"], 2)
    # The person now edits their own profile and sees their contact details
    own = client_for(users["company"])
    assert own.get(f"/talent/profiles/{roster_profile.pk}/edit").status_code == 200
    assert "saburo@example.jp" in own.get(f"/talent/profiles/{roster_profile.pk}/").content.decode()
    page = admin.get(f"/talent/profiles/{roster_profile.pk}/account").content.decode()
    assert "company" in page and "未設定" in page  # the history row: 未設定 → company
    admin.post(f"/talent/profiles/{roster_profile.pk}/account", {"username": "", "version": 2})
    roster_profile.refresh_from_db()
    assert roster_profile.user is None and roster_profile.version == 3
    assert client_for(users["company"]).get(f"/talent/profiles/{roster_profile.pk}/edit").status_code == 403
    changes = [(r.before["user_id"], r.after["user_id"]) for r in _records(roster_profile).order_by("id")[1:]]
    assert changes == [(None, users["company"].pk), (users["company"].pk, None)]
    assert all("company" not in r.object_repr for r in _records(roster_profile))


@pytest.mark.parametrize("username,message", [
    ("hachioji", "アドバイザーまたは企業"), ("nobody", "がありません"), ("advisor", "別の人材")])
def test_link_refusals_are_named(users, client_for, roster_profile, advisor_profile, username, message):
    response = client_for(users["admin"]).post(f"/talent/profiles/{roster_profile.pk}/account",
                                               {"username": username, "version": 1})
    assert response.status_code == 422 and message in response.content.decode()
    roster_profile.refresh_from_db()
    assert roster_profile.user is None and roster_profile.version == 1


@pytest.mark.parametrize("role", ["tokyo", "hachioji", "advisor", "company"])
def test_only_the_admin_links(users, client_for, roster_profile, role):
    client = client_for(users[role])
    assert client.get(f"/talent/profiles/{roster_profile.pk}/account").status_code == 403
    assert client.post(f"/talent/profiles/{roster_profile.pk}/account",
                       {"username": "company", "version": 1}).status_code == 403
    with pytest.raises(access.PermissionDenied):
        actions.link_account(users[role], roster_profile, "company", version=1)
    assert "account-link" not in client.get(f"/talent/profiles/{roster_profile.pk}/").content.decode()


@pytest.mark.parametrize("role,status", [("admin", 200), ("tokyo", 403), ("hachioji", 403), ("advisor", 403),
                                         ("company", 403), ("public", 401)])
def test_account_api_by_role(users, client_for, roster_profile, role, status):
    client = client_for(None if role == "public" else users[role])
    response = client.put(f"/api/v1/talent/profiles/{roster_profile.pk}/account",
                          {"username": "company", "version": 1}, content_type="application/json")
    assert response.status_code == status
    if status == 200:
        assert response.json()["account"] == "company" and response.json()["version"] == 2


def test_account_api_conflict_and_invalid(users, client_for, roster_profile):
    client = client_for(users["admin"])
    url = f"/api/v1/talent/profiles/{roster_profile.pk}/account"
    assert client.put(url, {"username": "company", "version": 5}, content_type="application/json").status_code == 409
    bad = client.put(url, {"username": "hachioji", "version": 1}, content_type="application/json")
    assert bad.status_code == 422 and "アドバイザーまたは企業" in bad.json()["detail"]["username"]
    assert client.put(url, {"username": "company", "version": 1}, content_type="application/json").status_code == 200
    again = client.put(url, {"username": "company", "version": 2}, content_type="application/json")
    assert again.status_code == 200 and again.json()["version"] == 2  # already linked: nothing written
    assert client.put("/api/v1/talent/profiles/999999/account", {"username": "", "version": 1},
                      content_type="application/json").status_code == 404


def test_versions_through_core_editing(users, roster_profile, hachioji_request):
    with pytest.raises(Invalid) as missing:
        actions.update_profile(access.SYSTEM, roster_profile, profile_data(), version=None)
    assert missing.value.problems[0][0] == "version"
    with pytest.raises(Conflict):
        actions.update_profile(access.SYSTEM, roster_profile, profile_data(), version=9)
    with pytest.raises(Conflict):
        actions.transition(users["hachioji"], hachioji_request, "submit", version=2)
    before = _records(roster_profile).count()
    same = actions.update_profile(access.SYSTEM, roster_profile, profile_data(display_name="名簿 三郎",
                                                                               email="saburo@example.jp"), version=1)
    assert same.version == 1 and _records(roster_profile).count() == before  # no change: no version, no history
    changed = actions.update_profile(access.SYSTEM, roster_profile, profile_data(display_name="名簿 三郎（改）"),
                                     version=1)
    assert changed.version == 2 and _records(roster_profile).count() == before + 1
    from chiiki.talent.tests.conftest import request_data

    requests_before = ChangeRecord.objects.filter(model="talent.talentrequest").count()
    kept = actions.update_request(users["hachioji"], hachioji_request, request_data(), version=1)
    assert kept.version == 1 and ChangeRecord.objects.filter(model="talent.talentrequest").count() == requests_before
    moved = actions.update_request(users["hachioji"], hachioji_request, request_data(desired=[]), version=1)
    assert moved.version == 2 and list(moved.desired.all()) == []
    assert TalentProfile.objects.get(pk=roster_profile.pk).display_name == "名簿 三郎（改）"
