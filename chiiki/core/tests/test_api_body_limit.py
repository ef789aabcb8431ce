"""An API body beyond DATA_UPLOAD_MAX_MEMORY_SIZE is refused with a Japanese message (413), never a 500 (Django's
RequestDataTooBig fell through to the catch-all handler); too many form fields is a 400."""

import pytest

pytestmark = pytest.mark.django_db


def test_an_api_body_over_the_limit_is_refused_in_japanese(client_for, users, register, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    client = client_for(users["hachioji"])
    client.raise_request_exception = False
    payload = {"municipality": "132012", "title": "大きな本文", "summary": "概要" * 10_000, "sectors": ["disaster"]}
    response = client.post("/api/v1/cases", payload, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["detail"].startswith("リクエスト本文が大きすぎます（")


def test_too_many_form_fields_are_refused(client_for, users, register, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    client = client_for(users["admin"])
    client.raise_request_exception = False
    response = client.post("/api/v1/progress/import", {f"f{i}": "x" for i in range(50)})
    assert response.status_code == 400 and "項目が多すぎます" in response.json()["detail"]


def test_the_openapi_document_names_the_413():
    from chiiki.api import api

    operation = api.get_openapi_schema()["paths"]["/api/v1/cases"]["post"]
    assert "413" in operation["responses"]
