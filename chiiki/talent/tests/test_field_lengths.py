"""Values longer than their column are refused with a Japanese reason on every path (page, API, roster import),
not stored cut nor left to the database: PostgreSQL refuses them (a 500), SQLite would keep them whole."""

import pytest

from chiiki.core.tabular import csv_bytes
from chiiki.talent.imports import ROSTER
from chiiki.talent.models import TalentProfile, TalentRequest

from .conftest import profile_data, request_data

pytestmark = pytest.mark.django_db

# 261 characters: the pattern and the form's EmailField (320) let it through; the column holds 254.
LONG_EMAIL = "a" * 250 + "@example.jp"
EMAIL_REASON = "メールアドレスは254文字以内で入力してください"
# 269 characters: the column is URLField's varchar(200).
LONG_URL = "https://example.jp/" + "a" * 250
URL_REASON = "実装計画のURLは200文字以内で入力してください"


def test_a_long_email_is_refused_on_the_profile_page(users, client_for, vocabulary):
    c = client_for(users["advisor"])
    response = c.post("/talent/profiles/new", {
        "display_name": "花子", "kind": "ict_talent", "capabilities": ["CAP-EDU-02"], "level": "2",
        "available_days": "0", "available_hours": "0", "email": LONG_EMAIL})
    assert response.status_code == 422
    assert EMAIL_REASON in response.content.decode()
    assert not TalentProfile.objects.exists()


def test_a_long_email_is_refused_by_the_api(users, client_for, vocabulary):
    c = client_for(users["advisor"])
    body = profile_data(email=LONG_EMAIL)
    response = c.post("/api/v1/talent/profiles", body, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["detail"] == {"email": EMAIL_REASON}
    assert not TalentProfile.objects.exists()
    # The longest address the column holds is still accepted.
    fits = "a" * (254 - len("@example.jp")) + "@example.jp"
    accepted = c.post("/api/v1/talent/profiles", profile_data(email=fits), content_type="application/json")
    assert accepted.status_code == 201 and TalentProfile.objects.get().email == fits


def test_a_long_email_names_its_row_in_the_roster_import_and_its_dry_run(users, vocabulary):
    data = csv_bytes(["名簿ID", "表示名", "種別", "できること", "メール"],
                     [["R1", "花子", "ict_talent", "CAP-EDU-02", "ok@example.jp"],
                      ["R2", "太郎", "ict_talent", "CAP-EDU-02", LONG_EMAIL]])
    for dry_run in (True, False):
        result = ROSTER.run(users["admin"], data, "roster.csv", dry_run=dry_run)
        assert not result.ok
        assert f"3行目 列「メール」: {EMAIL_REASON}" in {str(p) for p in result.problems}
    assert not TalentProfile.objects.exists()


def test_a_long_plan_url_is_refused_on_the_request_page_new_and_edit(users, client_for, vocabulary):
    c = client_for(users["hachioji"])
    response = c.post("/talent/requests/new", request_data(plan_url=LONG_URL))
    assert response.status_code == 422 and URL_REASON in response.content.decode()
    assert not TalentRequest.objects.exists()
    assert c.post("/talent/requests/new", request_data()).status_code == 302
    draft = TalentRequest.objects.get()
    edited = c.post(f"/talent/requests/{draft.pk}/edit", request_data(plan_url=LONG_URL, version=draft.version))
    assert edited.status_code == 422 and URL_REASON in edited.content.decode()
    draft.refresh_from_db()
    assert draft.plan_url == "" and draft.version == 1


def test_a_long_plan_url_is_refused_by_the_api(users, client_for, vocabulary):
    c = client_for(users["hachioji"])
    body = request_data(plan_url=LONG_URL) | {"municipality": "132012"}
    response = c.post("/api/v1/talent/requests", body, content_type="application/json")
    assert response.status_code == 422 and response.json()["detail"] == {"plan_url": URL_REASON}
    assert not TalentRequest.objects.exists()


def test_a_long_organisation_is_refused_by_the_api_not_stored_cut(users, client_for, vocabulary):
    c = client_for(users["hachioji"])
    body = request_data(organisation="団" * 300) | {"municipality": "132012"}
    response = c.post("/api/v1/talent/requests", body, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["detail"] == {"organisation": "推薦する団体は200文字以内で入力してください"}
    assert not TalentRequest.objects.exists()
    fits = request_data(organisation="団" * 200) | {"municipality": "132012"}
    created = c.post("/api/v1/talent/requests", fits, content_type="application/json")
    assert created.status_code == 201 and created.json()["organisation"] == "団" * 200
