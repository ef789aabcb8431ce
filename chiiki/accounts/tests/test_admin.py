"""/django-admin/ is for national administrators only (access rule "site.admin")."""

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
            "prefecture": "", "municipality": "", "organisation": "", "is_active": "on", "is_superuser": "on"}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "市区町村職員には所属市区町村が必要です" in response.content.decode()
    data["municipality"] = "134023"
    assert client.post(url, data).status_code == 302
    user.refresh_from_db()
    assert user.role == Role.MUNICIPAL_STAFF and user.municipality_id == "134023" and user.prefecture_id == "13"
    assert not user.is_superuser  # a national admin cannot grant superuser status


def test_revoke_action_goes_through_the_action_with_history(client_for, staff_admin, users):
    token, key = ApiToken.issue(users["hachioji"])
    response = client_for(staff_admin).post("/django-admin/accounts/apitoken/", {
        "action": "revoke", "_selected_action": [token.pk],
    }, follow=True)
    assert "1件のAPIトークンを失効させました。" in response.content.decode()
    assert ApiToken.authenticate(key) is None
    assert ChangeRecord.objects.filter(model="accounts.apitoken", actor=staff_admin, action="update").count() == 1
