"""The 標準に準拠 counts (standards page, owner page, the municipality's page in the register) link to the catalog
filtered to exactly the datasets they count; the conformance filter leaves the CKAN-shaped facets alone."""

import html
import re

import pytest

from chiiki import access
from chiiki.opendata import actions, queries, search
from chiiki.opendata.models import Conformance, Dataset
from chiiki.regions.models import Municipality
from chiiki.testing import filter_panel

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
    found = (re.search(rf'<a href="([^"]+)" data-testid="{testid}">(?:<strong>)?(\d+)', page)
             or re.search(rf'<a data-testid="{testid}" href="([^"]+)">(?:<strong>)?(\d+)', page))
    assert found, testid
    return found.group(2), found.group(1)


def test_the_standards_page_conforming_count_lists_exactly_those_datasets(client_for, tokyo_aeds):
    client = client_for(None)
    figure, href = linked(client.get("/opendata/standards/").content.decode(), "conforming-13-aed")
    counted = queries.conforming_standard_datasets().filter(standard_type="aed", municipality__prefecture_id="13")
    assert figure == str(counted.values("municipality").distinct().count()) == "2"
    assert listed(client, href) == sorted(counted.values_list("name", flat=True)) == ["aogashima-aed", "hachioji-aed"]


def listed_with_owners(client, href: str) -> tuple[list[str], set[str]]:
    """(dataset names, their owners' 団体コード) the catalog lists at href (its first page)."""
    page = client.get(html.unescape(href)).content.decode()
    names = sorted(re.findall(r'class="program-card__name" href="/opendata/dataset/([^/]+)/"', page))
    return names, set(Dataset.objects.filter(name__in=names).values_list("municipality_id", flat=True))


@pytest.mark.parametrize("viewer", [None, "hachioji", "tokyo", "admin"])
def test_every_standards_figure_lists_the_public_datasets_it_counts_whoever_looks(client_for, users, tokyo_aeds,
                                                                                viewer):
    """The table counts municipalities publishing (public datasets only); an officer's catalog also holds their own
    庁内限定 datasets, so the link must keep to public ones or 八王子市's internal AED shows up behind the figure."""
    client = client_for(users[viewer] if viewer else None)
    page = client.get("/opendata/standards/").content.decode()
    public = Dataset.objects.filter(visibility="public", municipality__prefecture_id="13")
    conforming = queries.conforming_standard_datasets().filter(municipality__prefecture_id="13")
    for testid, rows in (("any-13", public.exclude(standard_type="")),
                         ("published-13-aed", public.filter(standard_type="aed")),
                         ("conforming-13-aed", conforming.filter(standard_type="aed"))):
        figure, href = linked(page, testid)
        names, owners = listed_with_owners(client, href)
        assert names == sorted(rows.values_list("name", flat=True)), (testid, names)
        assert figure == str(len(owners)) == str(rows.values("municipality").distinct().count()), testid
    assert "hachioji-aed-internal" not in names


def test_the_catalog_filters_by_visibility_in_page_export_and_api(client_for, users, tokyo_aeds):
    officer = client_for(users["hachioji"])
    page = officer.get("/opendata/?standard_type=aed&visibility=internal").content.decode()
    assert re.findall(r'class="program-card__name" href="/opendata/dataset/([^/]+)/"', page) == [
        "hachioji-aed-internal"]
    boxes = filter_panel(page)["boxes"]
    assert ("internal", "庁内限定", True) in boxes["visibility"] and ("public", "公開", False) in boxes["visibility"]
    assert "公開範囲" in page
    rows = officer.get("/opendata/?standard_type=aed&visibility=public&format=csv").content.decode(
        "utf-8-sig").splitlines()
    assert "hachioji-aed-internal" not in {r.split(",")[0] for r in rows[1:]} and len(rows) == 5
    body = officer.get("/api/v1/opendata/datasets?standard_type=aed&visibility=internal").json()
    assert [d["name"] for d in body["items"]] == ["hachioji-aed-internal"] and body["count"] == 1
    assert set(body["facets"]) == set(search.FACETS)
    # a citizen sees no 庁内限定 dataset through the filter, and no 公開範囲 facet offering nothing to choose
    citizen = client_for(None)
    assert citizen.get("/api/v1/opendata/datasets?visibility=internal").json()["count"] == 0
    assert 'data-facet="visibility"' not in citizen.get("/opendata/").content.decode()
    assert 'data-facet="visibility"' in citizen.get("/opendata/?visibility=public").content.decode()
    assert "visibility は public, internal のいずれかです" in citizen.get("/opendata/?visibility=secret").content.decode()
    assert citizen.get("/api/v1/opendata/datasets?visibility=secret").status_code == 422


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
    boxes = filter_panel(page)["boxes"]
    assert ("needs_fix", "要修正", True) in boxes["conformance"] and "標準への準拠" in page
    assert ("conforming", "準拠", False) in boxes["conformance"]
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
