"""The クラウドファンディング form sent empty says once per field, in Japanese, what is missing (it showed Django's
「このフィールドは必須です。」 and then the action's own message for the same field)."""

import re

import pytest

pytestmark = pytest.mark.django_db


def errors(page: str) -> dict:
    return {field: re.findall(r"<li>(.*?)</li>", listed) for field, listed in re.findall(
        r'<label for="id_(\w+)">[^<]*(?:<span class="required">必須</span>)?</label>\s*<ul class="errorlist"[^>]*>(.*?)</ul>',
        page)}


def test_an_empty_campaign_form_says_once_per_field_what_is_missing(client_for, users):
    c = client_for(users["hachioji"])
    response = c.post("/funding/campaigns/new", {"municipality": "", "model": "all_in", "minimum_donation": "2000"})
    assert response.status_code == 422
    assert errors(response.content.decode()) == {
        "municipality": ["実施団体を選んでください"], "title": ["プロジェクト名を入力してください"],
        "use_of_funds": ["寄附金の使い道を入力してください"], "target_amount": ["目標金額を入力してください"],
        "start_date": ["日付を入力してください"], "end_date": ["日付を入力してください"],
        "donation_url": ["寄附ページのURLを入力してください"]}
    # The municipality chosen: the action refuses the same empty fields, and each is still said once.
    response = c.post("/funding/campaigns/new", {"municipality": "132012", "model": "all_in",
                                                 "minimum_donation": "2000"})
    assert response.status_code == 422
    found = errors(response.content.decode())
    assert found["title"] == ["プロジェクト名を入力してください"] and "municipality" not in found
    assert all(len(messages) == 1 for messages in found.values()), found
