import re

import pytest
from openapi_spec_validator import validate

from chiiki.regions.models import Municipality
from chiiki.roadmap.models import SectorModel


def test_prefectures(register, client):
    body = client.get("/api/v1/prefectures").json()
    assert body[1] == {"code": "13", "lg_code": "130001", "name": "東京都", "kana": "トウキョウト",
                       "municipality_count": 3}
    assert client.get("/api/v1/prefectures/13").json()["municipality_count"] == 3
    assert client.get("/api/v1/prefectures/99").status_code == 404


def test_sectors_with_models(register, client):
    SectorModel.objects.create(sector_id="education", name="プログラミング教育", order=0)
    body = client.get("/api/v1/sectors").json()
    assert [s["code"] for s in body][:3] == ["education", "health", "work"]
    assert body[0]["models"] == [{"name": "プログラミング教育", "order": 0}]
    assert body[1]["models"] == []


def test_municipality_list_filters_and_paging(register, client):
    body = client.get("/api/v1/municipalities", {"prefecture": "13", "page_size": 2}).json()
    assert body["count"] == 3 and body["page"] == 1 and len(body["items"]) == 2
    assert body["items"][0] == {
        "code": "131016", "name": "千代田区", "kana": "チヨダク", "kind": "special_ward", "kind_label": "特別区",
        "prefecture": {"code": "13", "name": "東京都"}, "population": None, "population_year": None,
        "area_km2": None, "lat": 35.694, "lng": 139.753,
    }
    page2 = client.get("/api/v1/municipalities", {"prefecture": "13", "page_size": 2, "page": 2}).json()
    assert [i["code"] for i in page2["items"]] == ["134023"]
    towns = client.get("/api/v1/municipalities", {"kind": "town"}).json()
    assert [i["code"] for i in towns["items"]] == ["013315", "325252"]
    assert client.get("/api/v1/municipalities", {"q": "はちおうじ"}).json()["items"][0]["code"] == "132012"
    assert client.get("/api/v1/municipalities", {"prefecture": "47"}).json() == {
        "count": 0, "page": 1, "page_size": 50, "items": []}


def test_municipality_list_rejects_bad_parameters(register, client):
    response = client.get("/api/v1/municipalities", {"kind": "castle"})
    assert response.status_code == 422 and "detail" in response.json()
    assert client.get("/api/v1/municipalities", {"page_size": 10_000}).status_code == 422


def test_municipality_detail(register, client):
    Municipality.objects.filter(code="011002").update(population=1973395, population_year=2020,
                                                      fiscal_strength_index="0.72", depopulated=False)
    body = client.get("/api/v1/municipalities/01100").json()  # 5-digit accepted
    assert body["code"] == "011002" and body["population"] == 1973395 and body["population_year"] == 2020
    assert body["neighbours"] == [{"code": "013315", "name": "松前町"}]
    assert body["attributes"] == {"fiscal_strength_index": "0.72", "depopulated": False, "remote_island": None,
                                  "mountainous": None}


@pytest.mark.parametrize("code", ["999999", "012017", "abc", "0110"])
def test_unknown_or_invalid_code_is_404_json(register, client, code):
    response = client.get(f"/api/v1/municipalities/{code}")
    assert response.status_code == 404
    assert isinstance(response.json()["detail"], str)


def test_openapi_is_valid_and_typed(db, client):
    spec = client.get("/api/v1/openapi.json").json()
    validate(spec)
    schema = spec["paths"]["/api/v1/municipalities/{code}"]["get"]["responses"]["200"]["content"]
    ref = schema["application/json"]["schema"]["$ref"].split("/")[-1]
    assert "neighbours" in spec["components"]["schemas"][ref]["properties"]
    assert "/api/v1/prefectures" in spec["paths"] and "/api/v1/sectors" in spec["paths"]


def test_docs_load_without_external_urls(db, client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    urls = re.findall(r'(?:src|href)="([^"]+)"', response.content.decode())
    assert urls and all(u.startswith(("/", "#")) and not u.startswith("//") for u in urls)  # own files, anchors
    assert "/api/v1/openapi.json" in urls and "<main" in response.content.decode()


def test_healthz(db, client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json()["status"] == "ok"
