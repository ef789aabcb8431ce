"""The 標準に準拠 counts (standards page, owner page, the municipality's page in the register) link to the catalog
filtered to exactly the datasets they count; the conformance filter leaves the CKAN-shaped facets alone."""

import html
import re

import pytest

from chiiki import access
from chiiki.opendata import actions, queries, search
from chiiki.opendata.models import Conformance, Dataset
from chiiki.regions.models import Municipality

from .samples import VALID_AED, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def tokyo_aeds(catalog):
    """AED datasets in 東京都: 八王子市 has a conforming public one (the sample), a public one that needs fixing
    and a conforming 庁内限定 one; 青ヶ島村 a conforming one; 千代田区 only one that needs fixing."""
    def aed(code, name, text, **extra):
        dataset = actions.create_dataset(access.SYSTEM, Municipality.objects.get(code=code), {
            "name": name, "title": f"{name} AED", "standard_type": "aed", **extra})
        actions.add_resource(access.SYSTEM, dataset, name="AED一覧", upload=upload(f"{name}.csv", text))
        return name

    broken = VALID_AED.replace("132012,AED001", "132013,AED001")
    aed("132012", "hachioji-aed-old", broken)
    aed("132012", "hachioji-aed-internal", VALID_AED, visibility="internal")
    aed("134023", "aogashima-aed", VALID_AED.replace("132012,AED001,八王子市", "134023,AED001,青ヶ島村"))
    aed("131016", "chiyoda-aed", VALID_AED.replace("132012,AED001,八王子市", "131016,AED001,千代田区"
                                                         ).replace("35.6664", "x"))
    states = dict(Dataset.objects.filter(standard_type="aed").values_list("name", "conformance"))
    assert states == {"hachioji-aed": Conformance.CONFORMING, "hachioji-aed-old": Conformance.NEEDS_FIX,
                      "hachioji-aed-internal": Conformance.CONFORMING, "aogashima-aed": Conformance.CONFORMING,
                      "chiyoda-aed": Conformance.NEEDS_FIX}


def listed(client, href: str) -> list[str]:
    page = client.get(html.unescape(href)).content.decode()
    return sorted(re.findall(r'class="program-card__name" href="/opendata/dataset/([^/]+)/"', page))


def linked(page: str, testid: str) -> tuple[str, str]:
    """(the figure, its link) of the element with that data-testid."""
    found = re.search(rf'<a href="([^"]+)" data-testid="{testid}">(?:<strong>)?(\d+)', page)
    assert found, testid
    return found.group(2), found.group(1)


def test_the_standards_page_conforming_count_lists_exactly_those_datasets(client_for, tokyo_aeds):
    client = client_for(None)
    figure, href = linked(client.get("/opendata/standards/").content.decode(), "conforming-13-aed")
    counted = queries.conforming_standard_datasets().filter(standard_type="aed", municipality__prefecture_id="13")
    assert figure == str(counted.values("municipality").distinct().count()) == "2"
    assert listed(client, href) == sorted(counted.values_list("name", flat=True)) == ["aogashima-aed", "hachioji-aed"]


@pytest.mark.parametrize("viewer, expected", [(None, ["hachioji-aed"]),
                                              ("hachioji", ["hachioji-aed", "hachioji-aed-internal"])])
def test_the_owner_and_municipality_pages_conforming_counts_list_exactly_those(client_for, users, tokyo_aeds,
                                                                               viewer, expected):
    client = client_for(users[viewer] if viewer else None)
    for url in ("/opendata/org/132012/", "/regions/municipalities/132012/"):
        figure, href = linked(client.get(url).content.decode(), "conforming-count")
        assert figure == str(len(expected)) and listed(client, href) == expected, url


def test_the_catalog_filters_by_conformance_and_shows_it(client_for, tokyo_aeds):
    client = client_for(None)
    page = client.get("/opendata/?conformance=needs_fix").content.decode()
    assert sorted(re.findall(r'class="program-card__name" href="/opendata/dataset/([^/]+)/"', page)) == [
        "chiyoda-aed", "hachioji-aed-old"]
    facet = page[page.index('data-facet="conformance"'):]
    facet = facet[:facet.index("</section>")]
    assert "標準への準拠" in facet and "準拠" in facet and 'aria-current="true"' in facet
    rows = client.get("/opendata/?conformance=conforming&format=csv").content.decode("utf-8-sig").splitlines()
    assert sorted(r.split(",")[0] for r in rows[1:]) == ["aogashima-aed", "hachioji-aed"]
    bad = client.get("/opendata/?conformance=perhaps").content.decode()
    assert "conformance は conforming, needs_fix のいずれかです" in bad


def test_the_api_filters_by_conformance_and_keeps_its_facets(client_for, tokyo_aeds):
    client = client_for(None)
    body = client.get("/api/v1/opendata/datasets?conformance=conforming").json()
    assert sorted(d["name"] for d in body["items"]) == ["aogashima-aed", "hachioji-aed"] and body["count"] == 2
    assert set(body["facets"]) == set(search.FACETS)  # no new facet in the response
    assert client.get("/api/v1/opendata/datasets?conformance=perhaps").status_code == 422
    ckan = client.get("/api/3/action/package_search", {"fq": "res_format:CSV", "facet.field": '["organization"]'})
    assert ckan.json()["success"] and set(ckan.json()["result"]["search_facets"]) == {"organization"}
    unknown = client.get("/api/3/action/package_search", {"facet.field": '["conformance"]'})
    assert unknown.status_code == 400  # not a CKAN facet field, as before
