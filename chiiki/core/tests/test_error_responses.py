"""Errors: JSON {"detail"} under /api/ (500 included), Japanese pages in the site layout elsewhere."""

import pytest
from django.test import Client, override_settings
from django.urls import path

from chiiki import urls as site_urls
from chiiki.roadmap import queries as roadmap_queries


def _explode(request):
    raise RuntimeError("boom")


urlpatterns = [*site_urls.urlpatterns, path("__test_explode", _explode)]
handler400, handler403, handler404, handler500 = (site_urls.handler400, site_urls.handler403,
                                                  site_urls.handler404, site_urls.handler500)


@pytest.fixture
def production_client(db):
    with override_settings(DEBUG=False, ROOT_URLCONF=__name__):
        yield Client(raise_request_exception=False)


def test_unknown_api_path_is_json_404(production_client):
    response = production_client.get("/api/v1/no-such-thing")
    assert response.status_code == 404 and response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "ページが見つかりません"}


def test_api_exception_is_json_500_with_a_reference(production_client, caplog, monkeypatch):
    def broken():
        raise RuntimeError("boom in the API")

    monkeypatch.setattr(roadmap_queries, "sectors_with_models", broken)
    response = production_client.get("/api/v1/sectors")
    assert response.status_code == 500 and response["Content-Type"].startswith("application/json")
    assert "エラーID" in response.json()["detail"] and "Traceback" not in response.content.decode()
    assert "boom in the API" in caplog.text  # the traceback goes to the log, not to the caller


def test_page_errors_are_japanese_pages_in_the_layout(production_client, users):
    missing = production_client.get("/regions/municipalities/999999/")
    html = missing.content.decode()
    assert missing.status_code == 404 and "ページが見つかりません" in html and 'class="site-nav"' in html
    broken = production_client.get("/__test_explode")
    html = broken.content.decode()
    assert broken.status_code == 500 and "サーバーでエラーが発生しました" in html and "エラーID" in html
    production_client.force_login(users["hachioji"])
    forbidden = production_client.get("/progress/entry/011002/")
    assert forbidden.status_code == 403 and "権限がありません" in forbidden.content.decode()


def test_a_malformed_multipart_body_is_a_json_400(client, users):
    from chiiki.accounts.models import ApiToken

    _token, key = ApiToken.issue(users["admin"])
    response = client.post("/api/v1/progress/import", data=b"--x\r\n", content_type="multipart/form-data",
                           HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 400 and "multipart" in response.json()["detail"]
    spec = client.get("/api/v1/openapi.json").json()
    assert "400" in spec["paths"]["/api/v1/progress/import"]["post"]["responses"]
