"""API tokens end to end: the command, bearer auth on /api/v1/me, the middleware, CSRF on session writes."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from chiiki.accounts.models import ApiToken
from chiiki.core.models import ChangeRecord


def _bearer(key):
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def _issue(user, name=""):
    out, err = io.StringIO(), io.StringIO()
    args = [user.username] + (["--name", name] if name else [])
    call_command("create_api_token", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def test_command_prints_the_key_once_and_stores_only_its_hash(users):
    key, message = _issue(users["hachioji"], "進捗連携")
    token = ApiToken.objects.get(user=users["hachioji"])
    assert key.startswith("chk_") and len(key) > 40
    assert token.name == "進捗連携" and token.prefix == key[:8]
    assert key not in token.key_hash and token.key_hash != key and len(token.key_hash) == 64
    assert "二度と表示されません" in message and key not in message
    entry = ChangeRecord.objects.get(model="accounts.apitoken")
    assert entry.source == "command" and entry.action == "create"


def test_command_refuses_unknown_and_inactive_users(users):
    with pytest.raises(CommandError, match="存在しません"):
        call_command("create_api_token", "nobody", stdout=io.StringIO())
    users["company"].is_active = False
    users["company"].save()
    with pytest.raises(CommandError, match="無効化"):
        call_command("create_api_token", "company", stdout=io.StringIO(), stderr=io.StringIO())
    assert not ApiToken.objects.exists()


def test_me_with_a_valid_token(client, users):
    key, _ = _issue(users["hachioji"])
    response = client.get("/api/v1/me", **_bearer(key))
    assert response.status_code == 200
    assert response.json() == {
        "username": "hachioji", "role": "municipal_staff", "role_label": "市区町村職員",
        "prefecture": {"code": "13", "name": "東京都"}, "municipality": {"code": "132012", "name": "八王子市"},
        "organisation": "", "organisation_id": None,
    }
    assert ApiToken.objects.get().last_used_at is not None


def test_me_for_an_admin_has_no_affiliation(client, users):
    key, _ = _issue(users["admin"])
    body = client.get("/api/v1/me", **_bearer(key)).json()
    assert body["role"] == "national_admin" and body["role_label"] == "総務省・事務局"
    assert body["prefecture"] is None and body["municipality"] is None


@pytest.mark.parametrize("header", [None, "Bearer chk_unknown-token", "Bearer ", "Token abc"])
def test_me_without_valid_credentials_is_401_json(client, users, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get("/api/v1/me", **extra)
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]


def test_revoked_token_is_401(client, users):
    key, _ = _issue(users["hachioji"])
    token = ApiToken.objects.get()
    token.revoked = True
    token.save()
    response = client.get("/api/v1/me", **_bearer(key))
    assert response.status_code == 401
    assert "無効" in response.json()["detail"]


def test_token_of_a_deactivated_user_is_401(client, users):
    key, _ = _issue(users["hachioji"])
    users["hachioji"].is_active = False
    users["hachioji"].save()
    assert client.get("/api/v1/me", **_bearer(key)).status_code == 401


def test_session_works_for_reads(client_for, users):
    response = client_for(users["tokyo"]).get("/api/v1/me")
    assert response.status_code == 200 and response.json()["username"] == "tokyo-pref"


# ---- Writes: revoke through the API ---------------------------------------------------------------------------


def test_revoke_with_a_bearer_token(client, users):
    key, _ = _issue(users["hachioji"])
    other_key, _ = _issue(users["hachioji"], "second")
    other = ApiToken.objects.get(name="second")
    response = client.post(f"/api/v1/me/tokens/{other.pk}/revoke", **_bearer(key))
    assert response.status_code == 200 and response.json()["revoked"] is True
    assert client.get("/api/v1/me", **_bearer(other_key)).status_code == 401
    assert ChangeRecord.objects.filter(model="accounts.apitoken", action="update", source="api").count() == 1
    listed = client.get("/api/v1/me/tokens", **_bearer(key)).json()
    assert {t["name"]: t["revoked"] for t in listed} == {"": False, "second": True}
    assert all("key_hash" not in t for t in listed)


def test_revoking_someone_elses_token_is_404(client, users):
    key, _ = _issue(users["hachioji"])
    _issue(users["sapporo"])
    theirs = ApiToken.objects.get(user=users["sapporo"])
    response = client.post(f"/api/v1/me/tokens/{theirs.pk}/revoke", **_bearer(key))
    assert response.status_code == 404 and response.json()["detail"]
    theirs.refresh_from_db()
    assert not theirs.revoked


def test_write_without_auth_is_401(client, users):
    _issue(users["hachioji"])
    token = ApiToken.objects.get()
    assert client.post(f"/api/v1/me/tokens/{token.pk}/revoke").status_code == 401


def test_session_write_without_csrf_is_403(users):
    _issue(users["hachioji"])
    token = ApiToken.objects.get()
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["hachioji"])
    response = client.post(f"/api/v1/me/tokens/{token.pk}/revoke")
    assert response.status_code == 403
    assert response.json()["detail"].startswith("CSRFトークンがありません")
    token.refresh_from_db()
    assert not token.revoked
    # With the token from the cookie it goes through.
    client.get("/accounts/mypage/")
    csrf = client.cookies["csrftoken"].value
    response = client.post(f"/api/v1/me/tokens/{token.pk}/revoke", HTTP_X_CSRFTOKEN=csrf)
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.revoked


def test_bearer_write_needs_no_csrf(users):
    key, _ = _issue(users["hachioji"])
    token = ApiToken.objects.get()
    response = Client(enforce_csrf_checks=True).post(f"/api/v1/me/tokens/{token.pk}/revoke", **_bearer(key))
    assert response.status_code == 200


# ---- The middleware: bearer tokens on read endpoints ---------------------------------------------------------


def test_public_read_endpoint_sees_the_token_user(client, users):
    anonymous = client.get("/api/v1/me/abilities").json()
    assert anonymous == {"authenticated": False, "username": None, "role": "public", "abilities": []}
    key, _ = _issue(users["hachioji"])
    body = client.get("/api/v1/me/abilities", **_bearer(key)).json()
    assert body["authenticated"] is True and body["username"] == "hachioji" and body["role"] == "municipal_staff"
    assert "八王子市の進捗を更新できます" in [a["text"] for a in body["abilities"]]


def test_invalid_token_is_refused_even_on_public_endpoints(client, users):
    response = client.get("/api/v1/me/abilities", **_bearer("chk_revoked-or-made-up"))
    assert response.status_code == 401
    assert response.json()["detail"].startswith("APIトークンが無効です")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_bearer_wins_over_the_session(client_for, users):
    key, _ = _issue(users["sapporo"])
    body = client_for(users["hachioji"]).get("/api/v1/me/abilities", **_bearer(key)).json()
    assert body["username"] == "sapporo"


def test_bearer_does_not_sign_in_to_web_pages(client, users):
    key, _ = _issue(users["hachioji"])
    response = client.get("/accounts/mypage/", **_bearer(key))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get("/accounts/login/", **_bearer("made-up")).status_code == 200  # not 401: not under /api/


def test_openapi_documents_the_account_endpoints(client, db):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {"/api/v1/me", "/api/v1/me/abilities", "/api/v1/me/tokens", "/api/v1/me/tokens/{token_id}/revoke"} <= set(paths)


@pytest.mark.parametrize(("role", "expected"), [
    ("admin", "national_admin"), ("tokyo", "prefecture_staff"), ("hachioji", "municipal_staff"),
    ("aogashima", "municipal_staff"), ("sapporo", "municipal_staff"), ("advisor", "advisor"), ("company", "company"),
])
def test_every_role_against_the_account_endpoints(client_for, users, role, expected):
    client = client_for(users[role])
    me = client.get("/api/v1/me")
    assert me.status_code == 200 and me.json()["role"] == expected
    assert client.get("/api/v1/me/abilities").json()["role"] == expected
    assert client.get("/api/v1/me/tokens").status_code == 200
    mine, _ = ApiToken.issue(users[role])
    others, _ = ApiToken.issue(users["company" if role != "company" else "advisor"])
    assert client.post(f"/api/v1/me/tokens/{mine.pk}/revoke").status_code == 200
    assert client.post(f"/api/v1/me/tokens/{others.pk}/revoke").status_code == (200 if role == "admin" else 404)


def test_public_against_the_account_endpoints(client, users):
    token, _ = ApiToken.issue(users["company"])
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me/tokens").status_code == 401
    assert client.get("/api/v1/me/abilities").json()["role"] == "public"
    assert client.post(f"/api/v1/me/tokens/{token.pk}/revoke").status_code == 401


def test_last_used_is_written_at_most_once_a_minute(client, users):
    import datetime as dt

    from django.utils import timezone

    key, _ = _issue(users["hachioji"])
    recent = timezone.now() - dt.timedelta(seconds=30)
    ApiToken.objects.update(last_used_at=recent)
    client.get("/api/v1/me", **_bearer(key))
    assert ApiToken.objects.get().last_used_at == recent
    stale = timezone.now() - dt.timedelta(minutes=5)
    ApiToken.objects.update(last_used_at=stale)
    client.get("/api/v1/me", **_bearer(key))
    assert ApiToken.objects.get().last_used_at > stale + dt.timedelta(minutes=4)


@pytest.mark.parametrize("name,message", [("進捗データ連携" * 15, "100文字以内"), ("連携\x1b", "制御文字")])
def test_a_token_name_the_form_would_refuse_is_refused_by_the_command_too(users, name, message):
    """The command cut a long name to 100 characters silently, and a control character was a traceback."""
    from io import StringIO

    from django.core.management import CommandError, call_command

    from chiiki.accounts.models import ApiToken

    with pytest.raises(CommandError, match=message):
        call_command("create_api_token", "hachioji", "--name", name, stdout=StringIO(), stderr=StringIO())
    assert not ApiToken.objects.exists()
