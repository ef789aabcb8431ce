"""/api/v1/opendata: search, a dataset, create and update with tokens and versions."""

import pytest

from chiiki.accounts.models import ApiToken
from chiiki.opendata.models import Dataset


def test_search_and_show(catalog, client):
    body = client.get("/api/v1/opendata/datasets", {"q": "観光施設"}).json()
    assert body["count"] == 1 and body["items"][0]["name"] == "tokyo-tourism"
    assert {"value": "130001", "count": 1} in body["facets"]["organization"]
    body = client.get("/api/v1/opendata/datasets", {"groups": "tourism", "sort": "name"}).json()
    assert [d["name"] for d in body["items"]] == ["sapporo-toilets", "tokyo-tourism"]
    assert client.get("/api/v1/opendata/datasets/hachioji-aed").json()["organization"]["name"] == "132012"
    assert client.get("/api/v1/opendata/datasets/hachioji-internal-budget").status_code == 404


def test_create_and_update_through_the_session(users, register, client_for):
    client = client_for(users["hachioji"])
    client.get("/opendata/")  # a page sets the CSRF cookie
    csrf = client.cookies.get("csrftoken")
    headers = {"HTTP_X_CSRFTOKEN": csrf.value} if csrf else {}
    created = client.post("/api/v1/opendata/datasets", {"owner": "132012", "name": "api-made", "title": "APIで作成",
                                                        "tags": ["API"]}, content_type="application/json", **headers)
    assert created.status_code == 201, created.content
    assert created.json()["organization"]["name"] == "132012"
    other = client.post("/api/v1/opendata/datasets", {"owner": "011002", "name": "api-other", "title": "他団体"},
                        content_type="application/json", **headers)
    assert other.status_code == 403
    version = Dataset.objects.get(name="api-made").version
    updated = client.put("/api/v1/opendata/datasets/api-made", {"name": "api-made", "title": "更新後",
                                                                "version": version},
                         content_type="application/json", **headers)
    assert updated.status_code == 200 and updated.json()["title"] == "更新後"
    stale = client.put("/api/v1/opendata/datasets/api-made", {"name": "api-made", "title": "古い版",
                                                              "version": version},
                       content_type="application/json", **headers)
    assert stale.status_code == 409
    bad = client.put("/api/v1/opendata/datasets/api-made", {"name": "Bad Name", "title": "x", "version": version + 1},
                     content_type="application/json", **headers)
    assert bad.status_code == 422 and "name" in bad.json()["detail"]


@pytest.mark.parametrize("role,status", [("public", 401), ("company", 403), ("sapporo", 403), ("tokyo", 201),
                                         ("hachioji", 201)])
def test_create_with_a_token(users, register, client, role, status):
    headers = {}
    if role != "public":
        _token, raw = ApiToken.issue(users[role], name="test")
        headers["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    response = client.post("/api/v1/opendata/datasets", {"owner": "132012", "name": f"p-{role}", "title": "x"},
                           content_type="application/json", **headers)
    assert response.status_code == status


def test_an_over_long_licence_is_refused_not_cut(users, register, client_for):
    client = client_for(users["hachioji"])
    client.get("/opendata/")
    csrf = client.cookies.get("csrftoken")
    headers = {"HTTP_X_CSRFTOKEN": csrf.value} if csrf else {}
    body = {"owner": "132012", "name": "licensed", "title": "独自ライセンス", "license": "other"}
    long = client.post("/api/v1/opendata/datasets", {**body, "license_other": "条" * 201},
                       content_type="application/json", **headers)
    assert long.status_code == 422 and "200文字以内" in long.json()["detail"]["license_other"]
    assert not Dataset.objects.filter(name="licensed").exists()
    exact = client.post("/api/v1/opendata/datasets", {**body, "license_other": "条" * 200},
                        content_type="application/json", **headers)
    assert exact.status_code == 201 and Dataset.objects.get(name="licensed").license_other == "条" * 200
