"""/django-admin/ is for national administrators only (access rule "site.admin")."""

import re

import pytest

from chiiki.accounts.models import ApiToken, Role, User
from chiiki.core import history
from chiiki.core.models import ChangeRecord

PAGES = [
    "/django-admin/",
    "/django-admin/accounts/user/",
    "/django-admin/accounts/apitoken/",
    "/django-admin/core/changerecord/",
]


def as_read(client, url) -> str:
    """The change form's fingerprint of the user as read (a save from an older form is refused)."""
    found = re.search(r'name="as_read" value="([0-9a-f]+)"', client.get(url).content.decode())
    return found.group(1) if found else ""


@pytest.fixture
def staff_admin(users):
    users["admin"].is_staff = True
    users["admin"].save()
    return users["admin"]


@pytest.mark.parametrize("role", ["admin", "tokyo", "hachioji", "advisor", "company"])
def test_others_are_kept_out_even_with_staff_status(client_for, users, role):
    user = users[role]
    if role != "admin":
        user.is_staff = True  # staff status alone is not enough
        user.save()
    client = client_for(user)
    for page in PAGES:
        response = client.get(page)
        assert response.status_code == 302 and "/django-admin/login/" in response["Location"], page


def test_anonymous_is_sent_to_the_admin_login(client, db):
    response = client.get("/django-admin/")
    assert response.status_code == 302 and "/django-admin/login/" in response["Location"]


def test_national_admin_with_staff_status_gets_in(client_for, staff_admin, users, register):
    token, _ = ApiToken.issue(users["hachioji"], name="連携")
    record = history.record(users["admin"], "update", register["municipalities"]["132012"], {"population": 1},
                            {"population": 2}, municipality=register["municipalities"]["132012"])
    client = client_for(staff_admin)
    for page in PAGES:
        assert client.get(page).status_code == 200, page
    html = client.get("/django-admin/").content.decode()
    assert "地域IoT実装推進プラットフォーム 管理画面" in html
    user_page = client.get(f"/django-admin/accounts/user/{users['hachioji'].pk}/change/").content.decode()
    assert 'name="role"' in user_page and 'name="municipality"' in user_page and 'name="prefecture"' in user_page
    token_page = client.get(f"/django-admin/accounts/apitoken/{token.pk}/change/").content.decode()
    assert token.key_hash in token_page and 'name="key_hash"' not in token_page  # shown, not editable
    assert client.get("/django-admin/accounts/apitoken/add/").status_code == 403
    record_page = client.get(f"/django-admin/core/changerecord/{record.pk}/change/")
    assert record_page.status_code == 200 and 'name="object_repr"' not in record_page.content.decode()
    assert client.get("/django-admin/core/changerecord/add/").status_code == 403
    assert client.post(f"/django-admin/core/changerecord/{record.pk}/delete/", {"post": "yes"}).status_code == 403
    assert ChangeRecord.objects.filter(pk=record.pk).exists()


def test_superuser_gets_in_without_the_role(client_for, db):
    root = User.objects.create_superuser("root", password="x-not-used-123", role=Role.COMPANY)
    assert client_for(root).get("/django-admin/accounts/user/").status_code == 200


def test_national_admin_edits_role_and_affiliation(client_for, staff_admin, users):
    client = client_for(staff_admin)
    user = users["company"]
    url = f"/django-admin/accounts/user/{user.pk}/change/"
    data = {"username": user.username, "last_name": "", "first_name": "", "email": "", "role": "municipal_staff",
            "prefecture": "", "municipality": "", "organisation": "", "is_active": "on", "is_superuser": "on",
            "as_read": as_read(client, url)}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "市区町村職員には所属市区町村が必要です" in response.content.decode()
    data["municipality"] = "134023"
    assert client.post(url, data).status_code == 302
    user.refresh_from_db()
    assert user.role == Role.MUNICIPAL_STAFF and user.municipality_id == "134023" and user.prefecture_id == "13"
    assert not user.is_superuser  # a national admin cannot grant superuser status


def test_a_typed_municipality_code_with_nul_is_refused_not_looked_up(client_for, staff_admin, users):
    """The raw-id input takes a typed 団体コード; PostgreSQL fails on any lookup holding NUL (it was a 500)."""
    client = client_for(staff_admin)
    user = users["company"]
    url = f"/django-admin/accounts/user/{user.pk}/change/"
    data = {"username": user.username, "last_name": "", "first_name": "", "email": "", "role": "municipal_staff",
            "prefecture": "", "municipality": "134\x00023", "organisation": "", "is_active": "on",
            "as_read": as_read(client, url)}
    response = client.post(url, data)
    assert response.status_code == 200 and "正しく選択してください" in response.content.decode()
    added = client.post("/django-admin/accounts/user/add/", {
        "username": "new-staff", "password1": "Secret-pass-123!", "password2": "Secret-pass-123!",
        "usable_password": "true", "role": "municipal_staff", "municipality": "\x00"})
    assert added.status_code == 200 and "正しく選択してください" in added.content.decode()
    user.refresh_from_db()
    assert user.role == Role.COMPANY and not User.objects.filter(username="new-staff").exists()


def test_revoke_action_goes_through_the_action_with_history(client_for, staff_admin, users):
    token, key = ApiToken.issue(users["hachioji"])
    response = client_for(staff_admin).post("/django-admin/accounts/apitoken/", {
        "action": "revoke", "_selected_action": [token.pk],
    }, follow=True)
    assert "1件のAPIトークンを失効させました。" in response.content.decode()
    assert ApiToken.authenticate(key) is None
    assert ChangeRecord.objects.filter(model="accounts.apitoken", actor=staff_admin, action="update").count() == 1


def test_role_changes_on_the_admin_site_are_in_history(client_for, staff_admin, users):
    """Hardening finding 11: user changes made in /django-admin/ are in the change history."""
    client = client_for(staff_admin)
    user = users["company"]
    url = f"/django-admin/accounts/user/{user.pk}/change/"
    data = {"username": user.username, "last_name": "", "first_name": "", "email": "", "role": "municipal_staff",
            "prefecture": "", "municipality": "134023", "organisation": "", "is_active": "on",
            "as_read": as_read(client, url)}
    assert client.post(url, data).status_code == 302
    entry = ChangeRecord.objects.get(model="accounts.user", object_id=str(user.pk))
    assert entry.action == "update" and entry.actor == staff_admin and entry.source == "admin"
    assert (entry.before["role"], entry.after["role"]) == ("company", "municipal_staff")
    assert entry.after["municipality_id"] == "134023" and "password" not in entry.after
    added = client.post("/django-admin/accounts/user/add/", {"username": "new-officer", "password1": "Long-enough-pw-42",
                                                             "password2": "Long-enough-pw-42", "usable_password": "true",
                                                             "role": "advisor", "prefecture": "", "municipality": "",
                                                             "organisation": "アドバイザー"})
    assert added.status_code == 302
    created = ChangeRecord.objects.get(model="accounts.user", action="create")
    assert created.after["username"] == "new-officer" and created.after["password"] == "（変更）"


def test_deleting_a_user_with_tokens_keeps_history_without_the_name(client_for, staff_admin, users, register):
    """Hardening finding 11: a user with API tokens can be deleted; what they did stays, anonymised."""
    from chiiki.accounts import actions

    victim = users["hachioji"]
    token, _key = actions.issue_token(victim, victim, "連携")
    work = history.record(victim, "update", register["municipalities"]["132012"], {"population": 1},
                          {"population": 2}, municipality=register["municipalities"]["132012"])
    client = client_for(staff_admin)
    confirm = client.get(f"/django-admin/accounts/user/{victim.pk}/delete/")
    assert confirm.status_code == 200 and "権限がありません" not in confirm.content.decode()
    assert client.post(f"/django-admin/accounts/user/{victim.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not User.objects.filter(pk=victim.pk).exists() and not ApiToken.objects.filter(pk=token.pk).exists()
    work.refresh_from_db()
    assert work.actor is None and work.actor_label == f"削除された利用者 #{victim.pk}"
    assert not ChangeRecord.objects.filter(actor_label="hachioji").exists()
    assert not ChangeRecord.objects.filter(object_repr__contains="hachioji").exists()
    deletions = ChangeRecord.objects.filter(action="delete", actor=staff_admin)
    assert {e.model for e in deletions} == {"accounts.user", "accounts.apitoken"}
    assert client.post(f"/django-admin/accounts/user/{staff_admin.pk}/delete/", {"post": "yes"}).status_code == 403


def test_a_password_set_on_the_admin_site_is_in_history(client_for, staff_admin, users):
    target = users["hachioji"]
    page = client_for(staff_admin).post(f"/django-admin/accounts/user/{target.pk}/password/", {
        "password1": "Another-pass-99x", "password2": "Another-pass-99x", "usable_password": "true"})
    assert page.status_code == 302
    target.refresh_from_db()
    assert target.check_password("Another-pass-99x")
    record = ChangeRecord.objects.filter(model="accounts.user", object_id=str(target.pk)).latest("at")
    assert record.action == "update" and record.after["password"] == "（変更）" and record.actor == staff_admin


def test_a_superusers_account_is_left_to_superusers(client_for, staff_admin, users):
    """A national admin with staff status manages users, but could otherwise take over a superuser's account."""
    root = User.objects.create_superuser("root", "root@example.jp", "Root-pass-1234x")
    admin = client_for(staff_admin)
    taken = admin.post(f"/django-admin/accounts/user/{root.pk}/password/", {
        "password1": "Taken-over-99x", "password2": "Taken-over-99x", "usable_password": "true"})
    assert taken.status_code == 403
    edited = admin.post(f"/django-admin/accounts/user/{root.pk}/change/", {"username": "root", "is_active": ""})
    assert edited.status_code == 403
    assert admin.post(f"/django-admin/accounts/user/{root.pk}/delete/", {"post": "yes"}).status_code == 403
    root.refresh_from_db()
    assert root.check_password("Root-pass-1234x") and root.is_active
    assert admin.get(f"/django-admin/accounts/user/{root.pk}/change/").status_code == 200  # still readable
    own = client_for(root).post(f"/django-admin/accounts/user/{users['hachioji'].pk}/password/", {
        "password1": "Set-by-root-99x", "password2": "Set-by-root-99x", "usable_password": "true"})
    assert own.status_code == 302


def _person_with_membership_and_registrations(users):
    import datetime as dt

    from django.utils import timezone

    from chiiki.accounts.models import Role
    from chiiki.promotion import actions as promotion
    from chiiki.promotion.models import OrganisationMember

    person = User.objects.create(username="kaisha-taro", role=Role.COMPANY, organisation="株式会社ミライ")
    promotion.save_organisation(person, None, {"name": "株式会社ミライ", "kind": "company"})
    start = timezone.localtime() + dt.timedelta(days=10)
    events = [promotion.save_event(users["hachioji"], None, {
        "title": title, "organiser": "municipality:132012", "format": "online",
        "starts_at": start.replace(tzinfo=None).isoformat(timespec="minutes"),
        "ends_at": (start + dt.timedelta(hours=1)).replace(tzinfo=None).isoformat(timespec="minutes"),
        "online_url": "https://example.jp/meet", "sectors": ["agriculture"], "capacity": 10})
        for title in ("スマート農業オンライン説明会", "取りやめた説明会")]
    registration = promotion.register_for_event(person, events[0])
    promotion.register_for_event(person, events[1])
    promotion.cancel_registration(person, events[1])
    return person, OrganisationMember.objects.get(user=person), registration


def test_deleting_a_user_keeps_what_went_with_the_account_in_history_without_the_name(client_for, staff_admin,
                                                                                      users):
    """The membership and the registration deleted with the account are recorded (they were not), and no record
    keeps the user name in its title (the membership and registrations were titled with it)."""
    person, membership, registration = _person_with_membership_and_registrations(users)
    assert ChangeRecord.objects.filter(object_repr__contains="kaisha-taro").count() == 4
    assert client_for(staff_admin).post(f"/django-admin/accounts/user/{person.pk}/delete/",
                                        {"post": "yes"}).status_code == 302
    for row in (membership, registration):
        record = ChangeRecord.objects.get(model=row._meta.label_lower, object_id=str(row.pk), action="delete")
        assert record.before["user_id"] == person.pk and record.object_repr.endswith(f"（削除された利用者 #{person.pk}）")
    assert not ChangeRecord.objects.filter(object_repr__contains="kaisha-taro").exists()
    page = client_for(staff_admin).get("/history/", {"model": "promotion.registration"}).content.decode()
    assert "kaisha-taro" not in page and f"参加申込（削除された利用者 #{person.pk}）" in page


def test_a_token_revoked_on_the_admin_site_is_recorded_as_done_there(client_for, staff_admin, users):
    from chiiki.accounts import actions

    token, _key = actions.issue_token(users["hachioji"], users["hachioji"], "連携")
    response = client_for(staff_admin).post("/django-admin/accounts/apitoken/",
                                            {"action": "revoke", "_selected_action": [str(token.pk)]})
    assert response.status_code == 302
    record = ChangeRecord.objects.get(model="accounts.apitoken", object_id=str(token.pk), action="update")
    assert record.source == history.ADMIN_SITE
