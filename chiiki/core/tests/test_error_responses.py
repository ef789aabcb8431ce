"""Errors: JSON {"detail"} under /api/ (500 included), Japanese pages in the site layout elsewhere."""

import logging.config

import pytest
from django.conf import settings
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


def test_method_not_allowed_is_a_japanese_page_with_allow(production_client, users):
    production_client.force_login(users["hachioji"])
    response = production_client.get("/progress/entry/132012/disaster/")  # require_POST
    html = response.content.decode()
    assert response.status_code == 405 and response["Allow"] == "POST"
    assert "この方法ではページを開けません" in html and 'class="site-nav"' in html and "トップページへ" in html


def test_csrf_failure_is_a_japanese_page_that_says_what_to_do(db, users):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["hachioji"])
    response = client.post("/progress/entry/132012/disaster/", {"stage": "planned"},
                           HTTP_REFERER="http://testserver/progress/entry/132012/")
    html = response.content.decode()
    assert response.status_code == 403 and "フォームの有効期限が切れました" in html and 'class="site-nav"' in html
    assert '<a href="/progress/entry/132012/">前のページに戻る</a>' in html


def test_an_htmx_save_without_a_session_gets_a_message_with_a_login_link_back(client, db):
    response = client.post("/progress/entry/132012/disaster/", {"stage": "planned"}, HTTP_HX_REQUEST="true",
                           HTTP_HX_CURRENT_URL="http://testserver/progress/entry/132012/?fiscal_year=2026")
    html = response.content.decode()
    assert response.status_code == 401 and "<tr" not in html and "<html" not in html
    assert "ログインの有効期限が切れたため、保存していません" in html
    assert 'href="/accounts/login/?next=%2Fprogress%2Fentry%2F132012%2F%3Ffiscal_year%3D2026"' in html
    # another site's address is never used as the way back
    response = client.post("/progress/entry/132012/disaster/", {}, HTTP_HX_REQUEST="true",
                           HTTP_HX_CURRENT_URL="https://evil.example/")
    assert "evil.example" not in response.content.decode()
    # without htmx, the ordinary redirect to the login page
    assert client.post("/progress/entry/132012/disaster/", {}).status_code == 302


def test_a_403_leaves_one_line_in_the_log_and_no_traceback(production_client, users, capsys):
    logging.config.dictConfig(settings.LOGGING)  # the console handler as configured (pytest's capture aside)
    production_client.force_login(users["hachioji"])
    assert production_client.get("/progress/entry/011002/").status_code == 403
    err = capsys.readouterr().err
    assert "Forbidden" in err and "/progress/entry/011002/" in err
    assert "Traceback" not in err and "PermissionDenied" not in err


def test_api_request_validation_errors_are_japanese(client, users, register):
    """Bad query parameters and bodies (pydantic's checks) answer 422 with each "msg" in Japanese; "type" and
    "loc" stay for clients that key on them."""
    import json

    from chiiki.progress.tests.test_api import bearer

    cases = [("/api/v1/progress?page=abc", ["query", "page"], "整数で指定してください"),
             ("/api/v1/municipalities?page_size=0", ["query", "page_size"], "1以上で指定してください"),
             ("/api/v1/municipalities?page_size=100000", ["query", "page_size"], "500以下で指定してください"),
             ("/api/v1/municipalities?kind=metropolis", ["query", "kind"], "次のいずれかを指定してください: ")]
    for url, loc, message in cases:
        response = client.get(url)
        assert response.status_code == 422, url
        error = response.json()["detail"][0]
        assert error["loc"] == loc and error["msg"].startswith(message) and error["type"], (url, error)
    missing = client.put("/api/v1/progress/132012/disaster/2026", data=json.dumps({"note": "版なし"}),
                         content_type="application/json", **bearer(users["admin"]))
    assert missing.status_code == 422
    assert {e["msg"] for e in missing.json()["detail"] if e["type"] == "missing"} == {"必須の項目です"}
    broken = client.put("/api/v1/progress/132012/disaster/2026", data="{not json", content_type="application/json",
                        **bearer(users["admin"]))
    assert broken.status_code == 400
    assert broken.json() == {"detail": "リクエスト本文を読み取れません（JSONの形式を確認してください）"}
