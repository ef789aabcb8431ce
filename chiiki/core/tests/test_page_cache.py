"""The anonymous page cache (chiiki.core.cache): which pages it keeps, who gets them, and that it never hands one
visitor's CSRF token (or any cookie) to another."""

import re

import pytest
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.test import Client
from django.urls import include, path

import chiiki.urls
from chiiki.accounts import actions
from chiiki.regions.models import BoundaryFile

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'(?:"X-CSRFToken": "|name="csrfmiddlewaretoken" value=")([^"]+)"')


def tokens(response) -> set[str]:
    return set(TOKEN.findall(response.content.decode()))


# One URL per declaration (apps.py of progress, regions, roadmap, programs), pages and API reads.
PUBLIC = [
    "/progress/?fiscal_year=2026", "/progress/municipalities/132012/", "/api/v1/progress/summary?fiscal_year=2026",
    "/regions/", "/regions/map/", "/regions/points.json", "/regions/prefectures/13/", "/regions/municipalities/132012/",
    "/api/v1/municipalities?prefecture=13", "/api/v1/municipalities/132012", "/api/v1/prefectures",
    "/api/v1/sectors",
    "/programs/?q=防災", "/programs/navigator/?municipality=132012&sector=disaster", "/programs/deadlines.ics",
    "/api/v1/programs?q=防災",
]


@pytest.mark.parametrize("url", PUBLIC)
def test_public_reads_are_stored_once_and_answered_from_the_cache(register, stored_pages, url,
                                                                   django_assert_num_queries):
    first = Client().get(url)
    assert first.status_code == 200 and stored_pages() == 1
    with django_assert_num_queries(1):  # the data versions; the view does not run
        second = Client().get(url)
    assert second.content == first.content and stored_pages() == 1


@pytest.mark.parametrize("url", [
    "/regions/?format=csv", "/regions/prefectures/13/?format=xlsx", "/progress/records/?fiscal_year=2026&format=csv",
    "/api/v1/progress/export.csv?fiscal_year=2026",  # exports: downloads are not kept
    "/regions/boundaries/municipalities.topojson",  # large, varies on Accept-Encoding, has its own ETag
    "/api/v1/me/abilities",  # about the caller
])
def test_downloads_and_per_caller_reads_are_not_stored(register, stored_pages, url):
    BoundaryFile.objects.create(name="municipalities", topojson="{}", sha256="x", source="test")
    assert Client().get(url).status_code == 200
    assert stored_pages() == 0


def test_signed_in_users_never_get_a_cached_page(client_for, users, stored_pages):
    urls = ["/regions/municipalities/132012/", "/programs/", "/progress/?fiscal_year=2026"]
    anonymous = {url: client_for(None).get(url).content.decode() for url in urls}
    assert stored_pages() == len(urls)
    staff = client_for(users["hachioji"])
    for url in urls:
        html = staff.get(url).content.decode()
        assert "ログアウト" in html and "ログアウト" not in anonymous[url], url
    assert "/regions/municipalities/132012/edit/" in staff.get(urls[0]).content.decode()
    # A bearer token is a signed-in caller, too: its reads are not stored, and a bad token is refused even
    # where an anonymous copy is cached.
    key = actions.issue_token(users["hachioji"], users["hachioji"], "test")[1]
    assert Client().get("/api/v1/sectors", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200
    assert stored_pages() == len(urls)
    assert Client().get("/api/v1/sectors").status_code == 200 and stored_pages() == len(urls) + 1
    assert Client().get("/api/v1/sectors", HTTP_AUTHORIZATION="Bearer chk_revoked").status_code == 401


def test_a_disallowed_host_never_gets_a_cached_page(register, stored_pages):
    url = "/progress/?fiscal_year=2026"
    assert Client().get(url).status_code == 200 and stored_pages() == 1
    assert Client().get(url, HTTP_HOST="evil.example").status_code == 400
    assert Client().get(url, HTTP_HOST="evil.example").status_code == 400 and stored_pages() == 1


def test_cached_public_page_carries_no_visitors_token(register, stored_pages):
    url = "/progress/records/?fiscal_year=2026"
    first = Client().get(url)
    assert first.status_code == 200 and '<form method="get"' in first.content.decode()
    assert stored_pages() == 1, "the anonymous page was stored"
    second = Client().get(url)
    assert second.content == first.content  # served from the cache
    assert not tokens(first) & tokens(second), "the second visitor got the first visitor's CSRF token"
    assert "Set-Cookie" not in second.headers


def _form_with_token(request):
    return HttpResponse(f'<form method="post"><input type="hidden" name="csrfmiddlewaretoken" '
                        f'value="{get_token(request)}"><button>送信</button></form>')


# The site's URLs plus a page under a cached prefix whose body needs a per-visitor token.
urlpatterns = [path("progress/csrf-probe/", _form_with_token), path("", include(chiiki.urls))]


@pytest.mark.urls(__name__)
def test_a_page_that_uses_a_csrf_token_is_never_stored(register, stored_pages):
    visitors = [Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)]
    responses = [visitor.get("/progress/csrf-probe/") for visitor in visitors]
    assert stored_pages() == 0
    first, second = (tokens(r) for r in responses)
    assert len(first) == len(second) == 1 and first != second
    # Each visitor's token belongs to their own cookie: it works for them and not for the other visitor.
    assert visitors[0].post("/progress/csrf-probe/", {"csrfmiddlewaretoken": first.pop()}).status_code == 200
    assert visitors[0].post("/progress/csrf-probe/", {"csrfmiddlewaretoken": second.pop()}).status_code == 403
