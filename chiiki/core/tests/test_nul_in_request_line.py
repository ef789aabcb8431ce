"""NUL (%00) in a path or query string is refused before any view runs (pages 400/404, the API 422 naming the
parameter), never a 500: PostgreSQL refuses NUL in any query, and the list pages, calendars and API lists of
funding, programs, promotion, PDCA and history looked such a filter up as it came."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

# Every filter name the lists read, each holding NUL.
FILTERS = ["q", "prefecture", "sector", "fiscal_year", "municipality", "stage", "status", "kind", "page", "sort",
           "organization", "groups", "plan", "project", "year", "code", "category", "tag", "conformance",
           "visibility", "region", "size", "role", "from", "to", "month", "measure", "kpi", "council", "challenge",
           "event", "mode", "per_page", "group_by", "username", "object_type"]
QUERY = "&".join(f"{name}=a%00" for name in FILTERS)


def _parameterless_routes(resolver=None, prefix=""):
    for pattern in (resolver or get_resolver()).url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _parameterless_routes(pattern, route)
        elif isinstance(pattern, URLPattern) and "<" not in route and "(?P" not in route:
            yield "/" + route.lstrip("^").rstrip("$")


def test_every_page_and_endpoint_refuses_nul_in_its_query(client, client_for, users):
    routes = sorted({route for route in _parameterless_routes() if "logout" not in route})
    assert len(routes) > 100  # the walk found the whole site
    for who, browser in (("anonymous", client), ("national admin", client_for(users["admin"]))):
        for route in routes:
            response = browser.get(f"{route}?{QUERY}")
            expected = 422 if route.startswith("/api/") else 400
            assert response.status_code == expected, (who, route, response.status_code)


def test_a_page_says_which_condition_to_fix(client):
    page = client.get("/promotion/events/?sector=health%00&q=防災")
    assert page.status_code == 400
    text = page.content.decode()
    assert "URLに使えない文字が含まれています" in text and "URLの条件（sector）" in text


def test_the_api_names_the_parameter(client):
    response = client.get("/api/v1/councils?prefecture=13%00")
    assert response.status_code == 422
    assert response.json() == {"detail": {
        "prefecture": "制御文字（U+0000 NUL）が含まれています。URLから取り除いてから、もう一度お試しください"}}


def test_a_path_with_nul_names_no_page(client):
    assert client.get("/regions/municipalities/13201%00/").status_code == 404
    assert client.get("/api/v1/municipalities/13201%00").status_code == 404


def test_a_query_without_nul_is_served_as_before(client):
    assert client.get("/promotion/events/?q=防災").status_code == 200
    assert client.get("/api/v1/councils?prefecture=13").status_code == 200
