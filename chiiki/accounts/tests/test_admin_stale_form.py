"""Two national admins edit one user on /django-admin/: a save from a form read before the other's save is refused
instead of silently putting back the municipality, role or status the other changed."""

import pytest

from chiiki.accounts.models import Role
from chiiki.core.models import ChangeRecord

from .test_admin import as_read

SAVED_FIRST = "ほかの管理者がこの利用者を先に更新しました。最新の内容を確認してから、もう一度保存してください。"


@pytest.fixture
def staff_admin(users):
    users["admin"].is_staff = True
    users["admin"].save()
    return users["admin"]


def _form(target, **changes):
    """The change form of `target` as the page shows it (a municipal officer of 八王子市), with `changes`."""
    return {"username": target.username, "last_name": "", "first_name": target.first_name, "email": "",
            "role": "municipal_staff", "prefecture": "13", "municipality": "132012", "organisation": "",
            "is_active": "on"} | changes


def test_a_stale_user_change_form_does_not_silently_undo_another_admins_change(client_for, staff_admin, users):
    target = users["hachioji"]
    url = f"/django-admin/accounts/user/{target.pk}/change/"
    client = client_for(staff_admin)
    read = as_read(client, url)  # both admins open the form
    first = _form(target, municipality="134023", as_read=read)
    assert client.post(url, first).status_code == 302
    second = _form(target, email="hachioji@example.jp", as_read=read)  # built from the form as read before
    response = client.post(url, second)
    target.refresh_from_db()
    assert response.status_code == 409 or target.municipality_id == "134023", (
        f"status {response.status_code}: the officer was silently moved back to {target.municipality_id}")
    assert target.email == "" and response.status_code == 200
    page = response.content.decode()
    assert SAVED_FIRST in page and "ほかの管理者が保存した所属市区町村：青ヶ島村" in page
    assert ChangeRecord.objects.filter(model="accounts.user", object_id=str(target.pk)).count() == 1


def test_a_stale_form_does_not_reactivate_a_deactivated_account(client_for, staff_admin, users):
    target = users["hachioji"]
    url = f"/django-admin/accounts/user/{target.pk}/change/"
    client = client_for(staff_admin)
    read = as_read(client, url)
    deactivated = _form(target, as_read=read)
    del deactivated["is_active"]
    assert client.post(url, deactivated).status_code == 302
    response = client.post(url, _form(target, role="prefecture_staff", as_read=read))
    target.refresh_from_db()
    assert response.status_code == 200 and SAVED_FIRST in response.content.decode()
    assert not target.is_active and target.role == Role.MUNICIPAL_STAFF


def test_a_form_read_after_the_other_save_saves(client_for, staff_admin, users):
    target = users["hachioji"]
    url = f"/django-admin/accounts/user/{target.pk}/change/"
    client = client_for(staff_admin)
    assert client.post(url, _form(target, municipality="134023", as_read=as_read(client, url))).status_code == 302
    fresh = _form(target, municipality="134023", email="aogashima@example.jp", as_read=as_read(client, url))
    assert client.post(url, fresh).status_code == 302
    target.refresh_from_db()
    assert (target.municipality_id, target.email) == ("134023", "aogashima@example.jp")


def test_the_refused_form_saves_on_a_deliberate_second_try(client_for, staff_admin, users):
    # The refused page keeps what was typed and now carries the user as stored: saving it again overwrites on purpose.
    target = users["hachioji"]
    url = f"/django-admin/accounts/user/{target.pk}/change/"
    client = client_for(staff_admin)
    read = as_read(client, url)
    assert client.post(url, _form(target, municipality="134023", as_read=read)).status_code == 302
    refused = client.post(url, _form(target, email="hachioji@example.jp", as_read=read))
    again = _form(target, email="hachioji@example.jp", as_read=refused.context["adminform"].form["as_read"].value())
    assert client.post(url, again).status_code == 302
    target.refresh_from_db()
    assert (target.municipality_id, target.email) == ("132012", "hachioji@example.jp")


def test_a_post_without_the_state_as_read_is_refused(client_for, staff_admin, users):
    # A form from before the fingerprint was asked for, or not from this page: it may be as old as any.
    target = users["hachioji"]
    response = client_for(staff_admin).post(f"/django-admin/accounts/user/{target.pk}/change/",
                                            _form(target, municipality="134023"))
    target.refresh_from_db()
    assert response.status_code == 200 and SAVED_FIRST in response.content.decode()
    assert target.municipality_id == "132012"


def test_the_add_form_needs_no_state_as_read(client_for, staff_admin):
    added = client_for(staff_admin).post("/django-admin/accounts/user/add/", {
        "username": "new-officer", "password1": "Long-enough-pw-42", "password2": "Long-enough-pw-42",
        "usable_password": "true", "role": "advisor", "prefecture": "", "municipality": "", "organisation": ""})
    assert added.status_code == 302
