"""DCAT (W3C Data Catalog Vocabulary) export with rdflib: /catalog.jsonld|.ttl (paged, ?page=, modified_since=)
and /dataset/<name>.jsonld|.ttl. Built from the same scoped reads as the pages: 庁内限定 datasets never appear
for those who may not see them (a dataset URL answers 404)."""

from __future__ import annotations

import datetime as dt

from django.http import Http404, HttpResponse
from django.urls import reverse
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, XSD

from chiiki.core.forms import row_id

from . import queries
from .indexing import sector_names
from .models import LICENSE_URLS
from .serialize import owner_of, resource_url

PAGE_SIZE = 100
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
MEDIA_TYPES = {"CSV": "text/csv", "XLSX": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "JSON": "application/json", "GEOJSON": "application/geo+json", "PDF": "application/pdf",
               "ZIP": "application/zip", "XML": "application/xml", "TTL": "text/turtle", "HTML": "text/html",
               "TXT": "text/plain", "XLS": "application/vnd.ms-excel", "RDF": "application/rdf+xml"}
CONTENT_TYPES = {"jsonld": "application/ld+json; charset=utf-8", "ttl": "text/turtle; charset=utf-8"}


def _graph() -> Graph:
    g = Graph()
    g.bind("dcat", DCAT)
    g.bind("dct", DCTERMS)
    g.bind("foaf", FOAF)
    g.bind("vcard", VCARD)
    g.bind("hydra", HYDRA)
    return g


def _time(value: dt.datetime) -> Literal:
    return Literal(value.astimezone(dt.UTC).isoformat(timespec="seconds"), datatype=XSD.dateTime)


def add_dataset(g: Graph, request, dataset, names: dict[str, str]) -> URIRef:
    page = request.build_absolute_uri(dataset.get_absolute_url())
    node = URIRef(page + "#dataset")
    g.add((node, RDF.type, DCAT.Dataset))
    g.add((node, DCTERMS.identifier, Literal(str(dataset.uid))))
    g.add((node, DCTERMS.title, Literal(dataset.title, lang="ja")))
    if dataset.notes:
        g.add((node, DCTERMS.description, Literal(dataset.notes, lang="ja")))
    for tag in dataset.tags or []:
        g.add((node, DCAT.keyword, Literal(tag, lang="ja")))
    for code in dataset.sectors or []:
        theme = URIRef(request.build_absolute_uri(f"/opendata/?groups={code}"))
        g.add((node, DCAT.theme, theme))
        g.add((theme, DCTERMS.title, Literal(names.get(code, code), lang="ja")))
    owner = owner_of(dataset)
    publisher = URIRef(request.build_absolute_uri(reverse("opendata:owner", args=[owner.key])))
    g.add((node, DCTERMS.publisher, publisher))
    g.add((publisher, RDF.type, FOAF.Organization))
    g.add((publisher, FOAF.name, Literal(owner.title, lang="ja")))
    if owner.lg_code:
        g.add((publisher, DCTERMS.identifier, Literal(owner.lg_code)))
    g.add((node, DCTERMS.issued, _time(dataset.created_at)))
    g.add((node, DCTERMS.modified, _time(dataset.updated_at)))
    license_node = URIRef(LICENSE_URLS[dataset.license]) if dataset.license in LICENSE_URLS else None
    if license_node is None:
        license_node = BNode()
        g.add((license_node, DCTERMS.title, Literal(dataset.license_label, lang="ja")))
    g.add((node, DCTERMS.license, license_node))
    g.add((node, DCAT.landingPage, URIRef(page)))
    for resource in dataset.resources.all():
        dist = URIRef(f"{page}#resource-{resource.uid}")
        g.add((node, DCAT.distribution, dist))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCTERMS.title, Literal(resource.name, lang="ja")))
        if resource.description:
            g.add((dist, DCTERMS.description, Literal(resource.description, lang="ja")))
        url = URIRef(resource_url(request, resource))
        g.add((dist, DCAT.accessURL, url))
        if resource.file:
            g.add((dist, DCAT.downloadURL, url))
        if resource.format:
            g.add((dist, DCTERMS["format"], Literal(resource.format)))
            media = MEDIA_TYPES.get(resource.format.upper())
            if media:
                g.add((dist, DCAT.mediaType, URIRef(f"https://www.iana.org/assignments/media-types/{media}")))
        if resource.size is not None:
            g.add((dist, DCAT.byteSize, Literal(resource.size, datatype=XSD.nonNegativeInteger)))
        g.add((dist, DCTERMS.license, license_node))
        g.add((dist, DCTERMS.modified, _time(resource.updated_at)))
    return node


def _response(g: Graph, fmt: str) -> HttpResponse:
    if fmt == "jsonld":
        body = g.serialize(format="json-ld", context={"dcat": str(DCAT), "dct": str(DCTERMS), "foaf": str(FOAF),
                                                       "hydra": str(HYDRA), "xsd": str(XSD)}, indent=1,
                           ensure_ascii=False)
    else:
        body = g.serialize(format="turtle")
    return HttpResponse(body, content_type=CONTENT_TYPES[fmt])


def catalog(request, fmt: str):
    qs = queries.visible_datasets(request.user).select_related("municipality__prefecture", "prefecture")
    since = request.GET.get("modified_since", "").strip()
    if since:
        try:
            moment = dt.datetime.fromisoformat(since.replace("Z", "+00:00"))
            # In UTC here: the database adapter converts it, and a moment near year 1 or 9999 overflows there.
            moment = (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)
        except (ValueError, OverflowError):
            return HttpResponse("modified_since は ISO 8601 の日時で指定してください（例: 2026-04-01T00:00:00Z）",
                                status=400, content_type="text/plain; charset=utf-8")
        qs = qs.filter(updated_at__gte=moment)
    # Range-checked (row_id): a page beyond the database's integers overflowed the query's OFFSET (a 500).
    page = row_id(request.GET.get("page", "1"))
    if not page:
        return HttpResponse("page は1以上の整数で指定してください", status=400, content_type="text/plain; charset=utf-8")
    total = qs.count()
    rows = list(qs.order_by("name").prefetch_related("resources")[(page - 1) * PAGE_SIZE: page * PAGE_SIZE])
    g = _graph()
    base = request.build_absolute_uri(request.path)  # the URL the harvester asked (root or /opendata/)
    cat = URIRef(request.build_absolute_uri("/opendata/#catalog"))
    g.add((cat, RDF.type, DCAT.Catalog))
    g.add((cat, DCTERMS.title, Literal("Chiiki オープンデータカタログ", lang="ja")))
    g.add((cat, DCTERMS.description, Literal("地域IoT実装推進プラットフォームに登録された地方公共団体等のオープンデータ", lang="ja")))
    g.add((cat, FOAF.homepage, URIRef(request.build_absolute_uri("/opendata/"))))
    names = sector_names()
    for dataset in rows:
        g.add((cat, DCAT.dataset, add_dataset(g, request, dataset, names)))
    # Paging as DCAT-AP feeds do (hydra:PagedCollection), so a harvester can follow next until it is absent.
    extra = f"&modified_since={since}" if since else ""
    view = URIRef(f"{base}?page={page}{extra}")
    g.add((view, RDF.type, HYDRA.PagedCollection))
    g.add((view, HYDRA.totalItems, Literal(total, datatype=XSD.integer)))
    g.add((view, HYDRA.itemsPerPage, Literal(PAGE_SIZE, datatype=XSD.integer)))
    last = max(1, -(-total // PAGE_SIZE))
    g.add((view, HYDRA.firstPage, URIRef(f"{base}?page=1{extra}")))
    g.add((view, HYDRA.lastPage, URIRef(f"{base}?page={last}{extra}")))
    if page < last:
        g.add((view, HYDRA.nextPage, URIRef(f"{base}?page={page + 1}{extra}")))
    if page > 1:
        g.add((view, HYDRA.previousPage, URIRef(f"{base}?page={page - 1}{extra}")))
    return _response(g, fmt)


def dataset(request, name: str, fmt: str):
    try:
        found = queries.get_dataset(request.user, name)
    except Http404:
        raise
    g = _graph()
    add_dataset(g, request, found, sector_names())
    return _response(g, fmt)
