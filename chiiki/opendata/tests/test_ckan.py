"""The CKAN Action API, read by the real `ckanapi` client against a live server, and its error envelope."""

import datetime as dt

import pytest
from ckanapi import NotFound, RemoteCKAN, SearchQueryError, ValidationError

from chiiki import access
from chiiki.opendata import actions
from chiiki.opendata.models import Dataset

from .samples import VALID_AED, upload


@pytest.fixture
def ckan(live_server):
    return RemoteCKAN(live_server.url, user_agent="ckanapi-test/1.0 (chiiki)")


def test_ckanapi_package_search_show_and_organizations(catalog, ckan):
    result = ckan.action.package_search(q="AED", fq="organization:132012 AND groups:health",
                                        **{"facet.field": '["organization","res_format","tags"]'})
    assert result["count"] == 1
    (package,) = result["results"]
    assert package["name"] == "hachioji-aed" and package["title"] == "八王子市 AED設置箇所一覧"
    assert package["organization"] == {**package["organization"], "name": "132012", "title": "東京都八王子市"}
    assert package["license_id"] == "cc-by-4.0" and package["private"] is False
    assert {"key": "団体コード", "value": "132012"} in package["extras"]
    assert {"key": "標準データセット", "value": "AED設置箇所一覧"} in package["extras"]
    assert {t["name"] for t in package["tags"]} == {"AED", "救命"}
    assert [g["name"] for g in package["groups"]] == ["health", "disaster"]
    (resource,) = package["resources"]
    assert resource["format"] == "CSV" and resource["size"] == len(VALID_AED.encode())
    assert resource["url"].endswith(f"/opendata/dataset/hachioji-aed/resource/{resource['id']}/download")
    assert result["facets"]["res_format"] == {"CSV": 1}  # within the query and the other filters
    assert result["search_facets"]["organization"]["items"] == [
        {"name": "132012", "display_name": "東京都八王子市", "count": 1}]

    shown = ckan.action.package_show(id=package["id"])
    assert shown["name"] == "hachioji-aed" and shown == ckan.action.package_show(id="hachioji-aed")
    assert ckan.action.resource_show(id=resource["id"])["name"] == "AED一覧"

    assert ckan.action.organization_list() == ["011002", "130001", "132012"]
    orgs = ckan.action.organization_list(all_fields=True)
    assert {o["name"]: o["package_count"] for o in orgs} == {"011002": 1, "130001": 1, "132012": 1}
    assert ckan.action.organization_show(id="130001")["title"] == "東京都"
    assert "tourism" in ckan.action.group_list()
    assert ckan.action.group_show(id="tourism")["package_count"] == 2
    assert "予算" not in ckan.action.tag_list() and "AED" in ckan.action.tag_list()
    assert ckan.action.status_show()["ckan_version"].startswith("2.")
    assert ckan.action.site_read() is True
    assert ckan.action.package_list() == ["hachioji-aed", "sapporo-toilets", "tokyo-tourism"]

    with pytest.raises(NotFound):
        ckan.action.package_show(id="hachioji-internal-budget")  # 庁内限定
    with pytest.raises(NotFound):
        ckan.action.package_show(id="no-such-dataset")
    with pytest.raises(SearchQueryError):
        ckan.action.package_search(fq="unknown_field:x")
    with pytest.raises(ValidationError):
        ckan.action.package_search(rows="many")


def test_harvest_loop_gets_every_public_dataset_once(register, ckan):
    m = register["municipalities"]
    owners = [m["132012"], m["011002"], register["prefectures"]["32"], None]
    expected = set()
    for i in range(230):
        internal = i % 23 == 0
        dataset = actions.create_dataset(access.SYSTEM, owners[i % 4], {
            "name": f"ds-{i:04d}", "title": f"データセット{i}", "visibility": "internal" if internal else "public"})
        if not internal:
            expected.add(dataset.name)
    seen, start = [], 0
    while True:
        page = ckan.action.package_search(sort="id asc", rows=100, start=start)
        if not page["results"]:
            break
        seen.extend(p["name"] for p in page["results"])
        start += 100
    assert len(seen) == len(set(seen)) == len(expected) == 220
    assert set(seen) == expected
    ids = [p["id"] for p in ckan.action.package_search(sort="id asc", rows=1000)["results"]]
    assert ids == sorted(ids)


def test_metadata_modified_range_and_sort(catalog, ckan):
    Dataset.objects.filter(name="sapporo-toilets").update(updated_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    actions.search.invalidate()
    result = ckan.action.package_search(fq="metadata_modified:[2021-01-01T00:00:00Z TO *]",
                                        sort="metadata_modified desc", rows=10)
    names = [p["name"] for p in result["results"]]
    assert "sapporo-toilets" not in names and set(names) == {"hachioji-aed", "tokyo-tourism"}
    old = ckan.action.package_search(fq="metadata_modified:[* TO 2021-01-01T00:00:00Z]")
    assert [p["name"] for p in old["results"]] == ["sapporo-toilets"]


def test_fq_filters_and_rows_cap(catalog, client):
    def search(**params):
        return client.get("/api/3/action/package_search", params).json()

    assert search(fq='tags:"観光"')["result"]["count"] == 1
    assert search(fq="res_format:CSV")["result"]["count"] == 2  # the file and the external .csv URL
    assert search(fq="license_id:cc-zero")["result"]["results"][0]["name"] == "tokyo-tourism"
    assert search(fq="+groups:tourism +organization:011002")["result"]["count"] == 1
    facets = search(**{"facet.field": '["groups"]', "facet.limit": "1", "facet.mincount": "2"})["result"]
    assert facets["facets"] == {"groups": {"tourism": 2}}
    assert search(rows="5000")["success"] is True  # capped at 1000, not refused
    assert search(sort="popularity desc")["error"]["__type"] == "Search Query Error"


def test_zero_counts_never_name_what_only_internal_datasets_carry(catalog, client, client_for, users):
    """facet.mincount=0 lists the values with no match in the result; only among the datasets the user may see:
    a tag, owner or licence carried only by 庁内限定 datasets would tell anyone they exist."""
    actions.create_dataset(access.SYSTEM, users["aogashima"].municipality, {
        "name": "aogashima-evacuation", "title": "青ヶ島村 避難行動要支援者", "visibility": "internal",
        "tags": ["避難行動要支援者名簿"]})
    params = {"facet.field": '["tags","organization"]', "facet.mincount": "0", "fq": "organization:011002"}
    facets = client.get("/api/3/action/package_search", params).json()["result"]["facets"]
    assert facets["tags"]["AED"] == 0  # a public value outside the result is listed with 0
    assert "予算" not in facets["tags"] and "避難行動要支援者名簿" not in facets["tags"]
    assert "134023" not in facets["organization"] and "132012" in facets["organization"]
    staff = client_for(users["hachioji"]).get("/api/3/action/package_search", params).json()["result"]["facets"]
    assert staff["tags"]["予算"] == 0  # its own internal dataset: the staff may see it
    assert "避難行動要支援者名簿" not in staff["tags"]


def test_envelope_and_errors_as_ckan(catalog, client):
    ok = client.post("/api/action/package_show", data={"id": "hachioji-aed"}, content_type="application/json")
    body = ok.json()
    assert ok.status_code == 200 and body["success"] is True and body["result"]["name"] == "hachioji-aed"
    assert body["help"].endswith("/api/3/action/help_show?name=package_show")
    missing = client.get("/api/3/action/package_show?id=nothing")
    assert missing.status_code == 404 and missing.json()["error"]["__type"] == "Not Found Error"
    assert missing.json()["success"] is False
    unknown = client.get("/api/3/action/no_such_action")
    assert unknown.status_code == 400 and unknown.json()["success"] is False
    write = client.post("/api/3/action/package_create", data={"name": "x"}, content_type="application/json")
    assert write.status_code == 403 and write.json()["error"]["__type"] == "Authorization Error"
    invalid = client.get("/api/3/action/package_search?start=-1")
    assert invalid.status_code == 409 and invalid.json()["error"]["__type"] == "Validation Error"
    no_id = client.get("/api/3/action/package_show")
    assert no_id.status_code == 409 and "id" in no_id.json()["error"]
    assert client.get("/api/3/action/package_search?fq=-tags:x").status_code == 400


def test_standard_file_uploaded_through_actions_shows_in_ckan_extras(users, catalog, client):
    actions.add_resource(users["hachioji"], catalog["aed"], name="誤り", upload=upload("bad.csv", "名称\nx\n"))
    extras = client.get("/api/action/package_show?id=hachioji-aed").json()["result"]["extras"]
    assert {"key": "標準データセット準拠", "value": "要修正"} in extras


def test_nul_characters_are_refused_not_crashing(catalog, client):
    response = client.get("/api/3/action/package_show", {"id": "hachioji\x00aed"})
    assert response.status_code == 409 and response.json()["error"]["__type"] == "Validation Error"
    assert client.get("/api/v1/opendata/datasets/hachioji%00aed").status_code == 404
    assert client.get("/api/3/action/organization_show?id=13%00").status_code == 409


def test_package_search_reads_few_rows_per_request(catalog, client, django_assert_max_num_queries):
    """Once the catalog snapshot is built, an anonymous search reads the data versions, the page's datasets and
    their resources: labels come from the snapshot, visibility needs no query for anonymous visitors."""
    from django.core.cache import cache

    params = {"q": "AED", "fq": "groups:disaster", "facet.field": '["organization","groups","res_format"]'}
    assert client.get("/api/3/action/package_search", params).json()["result"]["count"] == 1
    cache.clear()
    with django_assert_max_num_queries(4):
        body = client.get("/api/3/action/package_search", params).json()["result"]
    assert body["count"] == 1 and "防災" in {g["title"] for g in body["results"][0]["groups"]}
    assert body["search_facets"]["organization"]["items"][0]["display_name"] == "東京都八王子市"
