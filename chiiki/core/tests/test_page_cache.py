"""The anonymous page cache never hands one visitor's CSRF token (or any cookie) to another."""

import re

import pytest
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.test import Client
from django.urls import include, path

import chiiki.urls

pytestmark = pytest.mark.django_db

STORED_PREFIX = "progress:response:"
TOKEN = re.compile(r'(?:"X-CSRFToken": "|name="csrfmiddlewaretoken" value=")([^"]+)"')


def stored_pages() -> int:
    return sum(1 for key in cache._cache if STORED_PREFIX in key)


def tokens(response) -> set[str]:
    return set(TOKEN.findall(response.content.decode()))


def test_cached_public_page_carries_no_visitors_token(register):
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
def test_a_page_that_uses_a_csrf_token_is_never_stored(register):
    visitors = [Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)]
    responses = [visitor.get("/progress/csrf-probe/") for visitor in visitors]
    assert stored_pages() == 0
    first, second = (tokens(r) for r in responses)
    assert len(first) == len(second) == 1 and first != second
    # Each visitor's token belongs to their own cookie: it works for them and not for the other visitor.
    assert visitors[0].post("/progress/csrf-probe/", {"csrfmiddlewaretoken": first.pop()}).status_code == 200
    assert visitors[0].post("/progress/csrf-probe/", {"csrfmiddlewaretoken": second.pop()}).status_code == 403
