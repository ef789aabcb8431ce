"""DCAT output parsed back with rdflib: the triples, paging, modified_since, 庁内限定."""

import datetime as dt

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, XSD

from chiiki import access
from chiiki.opendata import actions
from chiiki.opendata.models import Dataset

HYDRA_NEXT = URIRef("http://www.w3.org/ns/hydra/core#nextPage")


def _graph(response, fmt):
    assert response.status_code == 200
    g = Graph()
    g.parse(data=response.content.decode(), format="json-ld" if fmt == "jsonld" else "turtle")
    return g


def test_dataset_triples_in_both_formats(catalog, client):
    for fmt in ("ttl", "jsonld"):
        response = client.get(f"/dataset/hachioji-aed.{fmt}")
        assert response["Content-Type"].startswith("text/turtle" if fmt == "ttl" else "application/ld+json")
        g = _graph(response, fmt)
        node = URIRef("http://testserver/opendata/dataset/hachioji-aed/#dataset")
        assert (node, RDF.type, DCAT.Dataset) in g
        assert g.value(node, DCTERMS.title) == Literal("八王子市 AED設置箇所一覧", lang="ja")
        assert g.value(node, DCTERMS.description) == Literal("市内のAEDの設置場所です。", lang="ja")
        assert set(g.objects(node, DCAT.keyword)) == {Literal("AED", lang="ja"), Literal("救命", lang="ja")}
        assert len(set(g.objects(node, DCAT.theme))) == 2
        publisher = g.value(node, DCTERMS.publisher)
        assert g.value(publisher, FOAF.name) == Literal("東京都八王子市", lang="ja")
        assert g.value(publisher, DCTERMS.identifier) == Literal("132012")
        assert g.value(node, DCTERMS.license) == URIRef("https://creativecommons.org/licenses/by/4.0/")
        assert g.value(node, DCAT.landingPage) == URIRef("http://testserver/opendata/dataset/hachioji-aed/")
        issued, modified = g.value(node, DCTERMS.issued), g.value(node, DCTERMS.modified)
        assert issued.datatype == XSD.dateTime and modified.toPython() >= issued.toPython()
        (dist,) = g.objects(node, DCAT.distribution)
        resource = catalog["aed"].resources.get()
        url = URIRef(f"http://testserver/opendata/dataset/hachioji-aed/resource/{resource.uid}/download")
        assert g.value(dist, DCAT.accessURL) == url and g.value(dist, DCAT.downloadURL) == url
        assert g.value(dist, DCAT.mediaType) == URIRef("https://www.iana.org/assignments/media-types/text/csv")
        assert g.value(dist, DCAT.byteSize).toPython() == resource.size


def test_external_resource_has_access_url_only(catalog, client):
    g = _graph(client.get("/opendata/dataset/tokyo-tourism.ttl"), "ttl")
    (dist,) = g.subjects(RDF.type, DCAT.Distribution)
    assert g.value(dist, DCAT.accessURL) == URIRef("https://example.jp/tourism.csv")
    assert g.value(dist, DCAT.downloadURL) is None
    publisher = g.value(URIRef("http://testserver/opendata/dataset/tokyo-tourism/#dataset"), DCTERMS.publisher)
    assert g.value(publisher, DCTERMS.identifier) == Literal("130001")


def test_catalog_pages_and_modified_since(register, client, settings):
    from chiiki.opendata import dcat

    for i in range(dcat.PAGE_SIZE + 5):
        actions.create_dataset(access.SYSTEM, register["municipalities"]["132012"],
                               {"name": f"d-{i:03d}", "title": f"データ{i}"})
    first = _graph(client.get("/catalog.ttl"), "ttl")
    (catalog_node,) = first.subjects(RDF.type, DCAT.Catalog)
    assert len(set(first.objects(catalog_node, DCAT.dataset))) == dcat.PAGE_SIZE
    assert next(first.objects(None, HYDRA_NEXT), None) == URIRef("http://testserver/catalog.ttl?page=2")
    second = _graph(client.get("/catalog.jsonld?page=2"), "jsonld")
    assert len(set(second.subjects(RDF.type, DCAT.Dataset))) == 5
    assert next(second.objects(None, HYDRA_NEXT), None) is None
    Dataset.objects.exclude(name="d-000").update(updated_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    recent = _graph(client.get("/catalog.ttl?modified_since=2024-01-01T00:00:00Z"), "ttl")
    titles = {str(t) for t in recent.objects(None, DCTERMS.title)} - {"Chiiki オープンデータカタログ"}
    assert titles == {"データ0"}
    assert client.get("/catalog.ttl?modified_since=yesterday").status_code == 400
    assert client.get("/catalog.ttl?page=x").status_code == 400


@pytest.mark.parametrize("params", [{"page": "99999999999999999999"}, {"page": "9223372036854775807"},
                                    {"page": "0"}, {"page": "-3"},
                                    {"modified_since": "0001-01-01T00:00:00+14:00"},
                                    {"modified_since": "9999-12-31T23:59:59-14:00"}])
def test_out_of_range_parameters_are_refused_in_japanese(register, client, params):
    """A page beyond the database's integers overflowed the OFFSET, and a moment near year 1 or 9999 overflowed on
    its way to UTC: 500s to any harvester."""
    response = client.get("/catalog.ttl", params)
    assert response.status_code == 400 and "で指定してください" in response.content.decode()


def test_a_page_past_the_end_is_empty(register, client):
    assert client.get("/catalog.ttl", {"page": "2147483647"}).status_code == 200
