"""「マイページ」: role, affiliation, what the user may do, API tokens (issue, list, revoke with history)."""

import re

import pytest
from django.test import Client

from chiiki.accounts.models import ApiToken
from chiiki.core.models import ChangeRecord


def test_anonymous_is_sent_to_login(client, db):
    response = client.get("/accounts/mypage/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/accounts/mypage/")


def test_municipal_staff_sees_role_municipality_and_abilities(client_for, users):
    html = client_for(users["hachioji"]).get("/accounts/mypage/").content.decode()
    assert "市区町村職員" in html
    assert 'href="/regions/municipalities/132012/"' in html and "八王子市" in html
    assert 'href="/regions/prefectures/13/"' in html and "東京都" in html
    assert "八王子市の進捗を更新できます" in html
    assert 'href="/progress/entry/132012/"' in html
    assert "八王子市の変更履歴を閲覧できます" in html
    assert "全国の" not in html


def test_prefecture_staff_sees_prefecture_abilities(client_for, users):
    html = client_for(users["tokyo"]).get("/accounts/mypage/").content.decode()
    assert "都道府県職員" in html
    assert "東京都内の市区町村の進捗を更新できます" in html
    assert "東京都内の進捗データを一括取込" in html
    assert "東京都と域内市区町村の変更履歴を閲覧できます" in html


def test_admin_sees_national_abilities(client_for, users):
    html = client_for(users["admin"]).get("/accounts/mypage/").content.decode()
    assert "総務省・事務局" in html
    assert "全国の市区町村の進捗を更新できます" in html
    assert "すべての変更履歴を閲覧できます" in html
    assert "支援メニューを登録・編集できます" in html
    assert "/django-admin/" not in html  # no staff status: no admin site
    users["admin"].is_staff = True
    users["admin"].save()
    assert 'href="/django-admin/"' in client_for(users["admin"]).get("/accounts/mypage/").content.decode()


@pytest.mark.parametrize("role", ["advisor", "company"])
def test_readers_see_no_edit_abilities(client_for, users, role):
    html = client_for(users[role]).get("/accounts/mypage/").content.decode()
    assert "進捗を更新" not in html and "変更履歴を閲覧できます" not in html
    assert "支援メニューの検索条件を保存し" in html and 'href="/programs/saved/"' in html
    assert users[role].organisation in html


def test_token_list_shows_prefix_name_dates_not_the_hash(client_for, users):
    token, key = ApiToken.issue(users["hachioji"], name="庁内連携")
    ApiToken.issue(users["sapporo"], name="よその団体")
    client = client_for(users["hachioji"])
    # The tokens have their own page; マイページ links to it with the count of live tokens.
    assert 'href="/accounts/tokens/">APIトークン</a> <span class="small muted">（有効 1件）' in client.get(
        "/accounts/mypage/").content.decode()
    html = client.get("/accounts/tokens/").content.decode()
    assert token.prefix in html and "庁内連携" in html and "未使用" in html
    assert token.key_hash not in html and key not in html
    assert "よその団体" not in html


def test_issue_token_shows_key_once_and_records_history(client_for, users):
    client = client_for(users["hachioji"])
    response = client.post("/accounts/tokens/", {"name": "進捗連携"})
    assert response.status_code == 200
    key = re.search(r'id="new-token" class="token-value" value="([^"]+)"', response.content.decode()).group(1)
    token = ApiToken.objects.get(user=users["hachioji"])
    assert token.name == "進捗連携" and key.startswith(token.prefix) and token.key_hash != key
    assert ApiToken.authenticate(key) == users["hachioji"]
    assert key not in client.get("/accounts/mypage/").content.decode()
    assert key not in client.get("/accounts/tokens/").content.decode()
    entry = ChangeRecord.objects.get(model="accounts.apitoken", object_id=str(token.pk))
    assert entry.action == "create" and entry.actor == users["hachioji"] and entry.source == "web"
    assert "key_hash" not in entry.after


def test_issue_token_rejects_overlong_name(client_for, users):
    """The tokens page again (422) with the typed 用途 and the reason beside it; no token, no history."""
    client = client_for(users["hachioji"])
    response = client.post("/accounts/tokens/", {"name": "進捗連携" + "あ" * 101})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_name_error"><li>用途は100文字以内で入力してください。' in html and 'value="進捗連携あああ' in html
    refused = client.post("/accounts/tokens/", {"name": "進捗\x01連携"})  # the action's own refusal, on the field
    assert refused.status_code == 422 and 'id="id_name_error"><li>用途に制御文字（U+0001）' in refused.content.decode()
    assert not ApiToken.objects.exists() and not ChangeRecord.objects.filter(model="accounts.apitoken").exists()


def test_revoke_own_token(client_for, users):
    token, key = ApiToken.issue(users["hachioji"], name="x")
    response = client_for(users["hachioji"]).post(f"/accounts/tokens/{token.pk}/revoke", follow=True)
    assert response.status_code == 200
    assert f"APIトークン {token.prefix}… を失効させました。" in response.content.decode()
    token.refresh_from_db()
    assert token.revoked
    assert ApiToken.authenticate(key) is None
    entry = ChangeRecord.objects.get(model="accounts.apitoken", action="update")
    assert entry.before["revoked"] is False and entry.after["revoked"] is True


def test_revoking_someone_elses_token_is_404(client_for, users):
    token, _ = ApiToken.issue(users["sapporo"])
    assert client_for(users["hachioji"]).post(f"/accounts/tokens/{token.pk}/revoke").status_code == 404
    assert client_for(users["admin"]).post(f"/accounts/tokens/{token.pk}/revoke").status_code == 302
    token.refresh_from_db()
    assert token.revoked


def test_token_actions_are_post_only_and_need_login(users):
    token, _ = ApiToken.issue(users["hachioji"])
    assert Client().post(f"/accounts/tokens/{token.pk}/revoke").status_code == 302  # to login
    client = Client()
    client.force_login(users["hachioji"])
    assert client.get(f"/accounts/tokens/{token.pk}/revoke").status_code == 405
    assert client.put("/accounts/tokens/").status_code == 405
    token.refresh_from_db()
    assert not token.revoked


def test_revoke_needs_csrf(users):
    token, _ = ApiToken.issue(users["hachioji"])
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["hachioji"])
    assert client.post(f"/accounts/tokens/{token.pk}/revoke").status_code == 403
    token.refresh_from_db()
    assert not token.revoked
