"""A request's 目指す姿 has a length limit, as every other free text (web and API alike)."""

import pytest

from chiiki.talent.models import TalentRequest

from .conftest import request_data


@pytest.mark.django_db
def test_a_vision_of_a_hundred_thousand_characters_is_refused(users, client_for, vocabulary):
    vision = "見" * 100_000
    page = client_for(users["hachioji"]).post("/talent/requests/new", request_data(vision=vision))
    assert page.status_code == 422, page.status_code
    assert "目指す姿は4000文字以内で入力してください" in page.content.decode()
    api = client_for(users["hachioji"]).post("/api/v1/talent/requests",
                                             request_data(vision=vision) | {"municipality": "132012"},
                                             content_type="application/json")
    assert api.status_code == 422, api.status_code
    assert api.json()["detail"]["vision"] == "目指す姿は4000文字以内で入力してください"
    assert not TalentRequest.objects.exists()


@pytest.mark.django_db
def test_a_vision_one_over_the_limit_is_refused_on_edit_and_kept_as_it_was(users, client_for, hachioji_request):
    page = client_for(users["hachioji"]).post(f"/talent/requests/{hachioji_request.pk}/edit",
                                              request_data(vision="見" * 4001, version=hachioji_request.version))
    assert page.status_code == 422, page.status_code
    assert "目指す姿は4000文字以内で入力してください" in page.content.decode()
    hachioji_request.refresh_from_db()
    assert hachioji_request.vision == request_data()["vision"]


@pytest.mark.django_db
def test_a_vision_at_the_limit_is_kept_whole(users, client_for, vocabulary):
    vision = "見" * 4000
    api = client_for(users["hachioji"]).post("/api/v1/talent/requests",
                                             request_data(vision=f"  {vision}\n") | {"municipality": "132012"},
                                             content_type="application/json")
    assert api.status_code == 201, api.content
    assert TalentRequest.objects.get().vision == vision
