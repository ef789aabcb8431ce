"""What every signed-in request reads first — its session and its user — is read with one raw statement each
(chiiki.accounts.sessions, UserManager.get): the same answers as Django's querysets, without building their SQL."""

import datetime as dt

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chiiki.accounts.models import User

pytestmark = pytest.mark.django_db

FIELDS = [field.attname for field in User._meta.concrete_fields]


def test_get_by_pk_is_the_querysets_row_read_raw(users):
    user = users["hachioji"]
    with CaptureQueriesContext(connection) as read:
        fast = User.objects.get(pk=user.pk)
    expected = User.objects.filter(pk=user.pk).get()
    assert type(fast) is User and fast._state.adding is False and fast._state.db == "default"
    assert [getattr(fast, name) for name in FIELDS] == [getattr(expected, name) for name in FIELDS]
    assert fast.municipality.code == "132012"  # relations load as on any instance
    assert User.objects.get(pk=str(user.pk)) == user  # a session keeps the id as text
    # One statement, not the queryset's (which limits its rows to 21 to report MultipleObjectsReturned).
    assert len(read.captured_queries) == 1 and "LIMIT" not in read.captured_queries[0]["sql"].upper()


def test_get_by_pk_fails_as_the_queryset_does(users):
    with pytest.raises(User.DoesNotExist):
        User.objects.get(pk=987654)
    with pytest.raises(ValueError):
        User.objects.get(pk="abc")
    # Anything but a bare pk lookup is the queryset's own get().
    assert User.objects.get(username="hachioji") == users["hachioji"]
    with pytest.raises(User.DoesNotExist):
        User.objects.get(pk=users["hachioji"].pk, is_active=False)


def test_a_signed_in_request_reads_its_session_and_user_raw(client_for, users):
    client = client_for(users["hachioji"])
    with CaptureQueriesContext(connection) as read:
        response = client.get("/accounts/mypage/")
    assert response.status_code == 200 and "hachioji" in response.content.decode()
    session_and_user = read.captured_queries[:2]
    assert "django_session" in session_and_user[0]["sql"] and "accounts_user" in session_and_user[1]["sql"]
    assert not any("LIMIT" in query["sql"].upper() for query in session_and_user)


def test_an_expired_or_unknown_session_signs_nobody_in(client_for, users):
    client = client_for(users["hachioji"])
    assert client.get("/accounts/mypage/").status_code == 200
    Session.objects.update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    response = client.get("/accounts/mypage/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    client = client_for(users["hachioji"])
    Session.objects.all().delete()
    assert client.get("/accounts/mypage/").status_code == 302


def test_a_deactivated_user_is_signed_out(client_for, users):
    client = client_for(users["hachioji"])
    User.objects.filter(pk=users["hachioji"].pk).update(is_active=False)
    assert client.get("/accounts/mypage/").status_code == 302


def test_a_related_manager_keeps_its_relation(users, register):
    """`municipality.staff` is a subclass of User.objects' manager: its get(pk=…) must stay within the relation."""
    hachioji, sapporo_staff = register["municipalities"]["132012"], users["sapporo"]
    assert hachioji.staff.get(pk=users["hachioji"].pk) == users["hachioji"]
    with pytest.raises(User.DoesNotExist):
        hachioji.staff.get(pk=sapporo_staff.pk)
    with pytest.raises(User.DoesNotExist):
        register["prefectures"]["13"].staff.get(pk=sapporo_staff.pk)


def test_keys_the_raw_read_cannot_take_go_to_the_queryset(users):
    from django.db.models import F

    with pytest.raises(User.DoesNotExist):
        User.objects.get(pk=2**63)  # beyond a 64-bit column: no row (SQLite's driver would overflow)
    assert User.objects.get(pk=F("id") * 0 + users["advisor"].pk) == users["advisor"]  # an expression
