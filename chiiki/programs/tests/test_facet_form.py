"""The search page's filters are form controls: checkboxes of the search form with the query parameters the facet
links used to carry (every old URL reads the same), a 絞り込む button, counts that link to their own rows, and a
panel that a phone shows closed above the results (components/facet_panel.html)."""

from urllib.parse import parse_qs, urlsplit

import pytest

from chiiki.testing import filter_panel

pytestmark = pytest.mark.django_db


def _rows(client, href):
    """How many programs a link's query lists (the API reads the page's parameters; the page itself is cached)."""
    return client.get("/api/v1/programs?" + urlsplit(href).query).json()["count"]


def test_facets_are_checkboxes_named_like_the_query_parameters(client, catalog):
    html = client.get("/programs/").content.decode()
    panel = filter_panel(html)
    assert set(panel["boxes"]) == {"sector", "kind", "support_type", "provider", "status"}
    assert ("people", "人材", False) in panel["boxes"]["support_type"]
    assert ("disaster", "防災", False) in panel["boxes"]["sector"]
    assert panel["form"] == [("q", "")]  # nothing chosen: only the keyword box is sent
    assert panel["summary"] == "絞り込み（0件選択中）" and panel["open"] is False
    assert '<button type="submit" form="programs-search">絞り込む</button>' in html


def test_the_chosen_values_are_checked_and_the_form_sends_the_same_request_back(client, catalog):
    url = "/programs/?q=%E9%98%B2%E7%81%BD&support_type=people&support_type=funding&kind=advisor&sort=deadline"
    panel = filter_panel(client.get(url).content.decode())
    checked = {(name, value) for name, boxes in panel["boxes"].items() for value, _label, on in boxes if on}
    assert checked == {("support_type", "people"), ("support_type", "funding"), ("kind", "advisor")}
    assert panel["summary"] == "絞り込み（3件選択中）"
    # submitting untouched gives the request the page was drawn for (sort rides along as a hidden field)
    sent = {k: sorted(v) for k, v in parse_qs(urlsplit("?" + "&".join(f"{k}={v}" for k, v in panel["form"])).query,
                                                 keep_blank_values=True).items()}
    assert sent == {"q": ["防災"], "kind": ["advisor"], "support_type": ["funding", "people"], "sort": ["deadline"]}


def test_every_count_links_to_exactly_its_rows(client, catalog):
    panel = filter_panel(client.get("/programs/?support_type=people&sector=disaster").content.decode())
    assert len(panel["counts"]["sector"]) >= 5 and len(panel["counts"]["support_type"]) == 3
    for name in ("support_type", "sector"):
        for value, (number, href) in panel["counts"][name].items():
            assert parse_qs(urlsplit(href).query)[name] == [value]
            assert _rows(client, href) == int(number), (name, value)


def test_a_municipality_being_judged_travels_with_the_form(client, catalog):
    panel = filter_panel(client.get("/programs/?eligible_for=132012&kind=advisor").content.decode())
    assert ("eligible_for", "132012") in panel["form"] and ("kind", "advisor") in panel["form"]
