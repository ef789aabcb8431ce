"""Every role against every page and endpoint: nothing breaks (no 5xx), and the edit pages keep their boundaries.

The route list is read from the URL configuration, so a new page is covered the day it is added.
"""

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

ROLES = ["public", "admin", "tokyo", "hachioji", "aogashima", "sapporo", "advisor", "company"]

# Sample values for URL parameters: 八王子市 (東京都), a sector, a fiscal year; unknown ids for the rest.
SAMPLES = {"sector": "education", "fiscal_year": "2026", "name": "municipalities", "pk": "999999",
           "token": "no-such-token", "public_id": "no-such-program", "token_id": "999999",
           # opendata: an organization, a CKAN action, a resource id, a DCAT format
           "key": "132012", "action": "package_search", "uid": "no-such-resource", "fmt": "ttl",
           "entry_pk": "999999", "action_pk": "999999", "review_id": "999999", "kpi": "NO-SUCH-KPI",  # pdca
           "action_id": "999999", "proposal_id": "999999", "case_id": "999999"}  # pdca
SAMPLES.update({name: "999999" for name in ("organisation_id", "council_id", "challenge_id", "proposal_id",
                                             "event_id", "participation_id")})  # promotion: unknown ids
SAMPLES.update({name: "999999" for name in ("year_id", "line_id", "plan_id", "campaign_id", "project_id",
                                             "pledge_id")})  # funding: unknown ids


def _routes(patterns=None, prefix=""):
    for p in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(p, URLResolver):
            yield from _routes(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern)


def _path(route: str) -> str:
    def value(match):
        name = match.group(1).split(":")[-1]
        if name == "code":
            return "13" if "prefectures/" in route else "132012"
        return SAMPLES[name]

    return "/" + re.sub(r"<([^>]+)>", value, route).lstrip("^").rstrip("$")


ROUTES = sorted({_path(r) for r in _routes() if not r.startswith("django-admin/")})


def _client(users, role):
    client = Client()
    if role != "public":
        client.force_login(users[role])
    return client


@pytest.mark.parametrize("role", ROLES)
def test_no_page_or_endpoint_breaks_for_any_role(users, role):
    client = _client(users, role)
    broken = {}
    for path in ROUTES:
        response = client.get(path)
        if response.status_code >= 500:
            broken[path] = response.status_code
    assert not broken


SIGNED_IN_ONLY = ["/accounts/mypage/", "/history/"]


@pytest.mark.parametrize("role", ROLES)
def test_signed_in_pages(users, role):
    client = _client(users, role)
    for path in SIGNED_IN_ONLY:
        response = client.get(path)
        if role == "public":
            assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), path
        else:
            assert response.status_code == 200, path


# page → roles that may open it (others: 403, or a login redirect for the public)
EDIT_PAGES = {
    "/regions/municipalities/132012/edit/": {"admin", "tokyo", "hachioji"},
    "/regions/municipalities/011002/edit/": {"admin", "sapporo"},
    "/progress/entry/132012/": {"admin", "tokyo", "hachioji"},
    "/progress/entry/011002/": {"admin", "sapporo"},
    "/progress/import/": {"admin", "tokyo"},
    "/programs/manage/": {"admin"},
    "/opendata/manage/": {"admin", "tokyo", "hachioji", "aogashima", "sapporo"},  # opendata: staff with an owner
    # pdca: national or own-prefecture KPIs and reviews; proposals by anyone signed in; cases by their editors
    "/pdca/kpis/new": {"admin", "tokyo"},
    "/pdca/reviews/new": {"admin", "tokyo"},
    "/pdca/proposals/new": {"admin", "tokyo", "hachioji", "aogashima", "sapporo", "advisor", "company"},
    "/cases/new": {"admin", "tokyo", "hachioji", "aogashima", "sapporo"},
    "/cases/import/": {"admin", "tokyo"},
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", sorted(EDIT_PAGES))
def test_edit_page_boundaries(users, role, path):
    response = _client(users, role).get(path)
    if role in EDIT_PAGES[path]:
        assert response.status_code == 200
    elif role == "public":  # a login redirect, or 404 where the page is not even admitted to exist
        assert (response.status_code == 302 and response["Location"].startswith("/accounts/login/")
                or response.status_code == 404)
    else:
        assert response.status_code == 403
