"""An id in a page's URL that no integer column can hold names no row: 404 for every route, never a 500 (SQLite
raised OverflowError where the id filtered a foreign key, e.g. a PDCA entry's review_id)."""

import re

import pytest
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve, reverse

from chiiki.core.forms import MAX_ROW_ID

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"
OTHER_VALUES = {"str": "x", "slug": "x", "path": "x", "dcat": "ttl"}


def _routes(patterns=None, prefix=""):
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, route)
        elif isinstance(entry, URLPattern) and "<id:" in route:
            yield route


def _with(route: str, number: str) -> str:
    return "/" + re.sub(r"<(\w+):\w+>", lambda m: number if m.group(1) == "id" else OTHER_VALUES[m.group(1)], route)


@pytest.mark.parametrize("path", ["/pdca/reviews/99999999999999999999/entries/1",
                                  "/pdca/reviews/99999999999999999999/actions/1"])
def test_a_huge_review_id_in_a_pdca_save_is_404(client_for, users, path):
    response = client_for(users["admin"]).post(path, {"assessment": "x", "version": "1"})
    assert response.status_code == 404


def test_every_route_with_a_row_id_answers_404_for_one_no_column_holds(client_for, users):
    routes = sorted(set(_routes()))
    assert len(routes) > 40  # every app's pages with an id
    admin = client_for(users["admin"])
    for number in (HUGE, str(MAX_ROW_ID + 1)):
        for route in routes:
            path = _with(route, number)
            assert admin.get(path).status_code == 404, path
            assert admin.post(path, {"version": "1"}).status_code == 404, path


def test_a_row_id_a_column_holds_still_reaches_the_view():
    assert resolve(f"/cases/{MAX_ROW_ID}/").kwargs == {"pk": MAX_ROW_ID}
    assert reverse("cases:detail", args=[7]) == "/cases/7/" and resolve("/cases/007/").kwargs == {"pk": 7}
    with pytest.raises(Resolver404):
        resolve(f"/cases/{MAX_ROW_ID + 1}/")
