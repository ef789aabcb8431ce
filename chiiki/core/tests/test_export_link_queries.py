"""A list's CSV/XLSX, calendar and API links carry its filters (a repeated one with all its values) and never
page= (an export holds every page): one helper, chiiki.core.paging.list_query, for every list."""

import re
from html import unescape

import pytest

pytestmark = pytest.mark.django_db

LISTS = [
    ("/promotion/events/?page=2&sector=agriculture&sector=health", "sector=agriculture&sector=health"),
    ("/promotion/challenges/?page=2&status=all&sector=health", "status=all&sector=health"),
    ("/regions/?page=2&prefecture=13&q=", "prefecture=13"),
    ("/talent/capabilities/?page=2&sector=health", "sector=health"),
]


@pytest.mark.parametrize("url, kept", LISTS)
def test_export_links_keep_the_filters_and_drop_the_page(client, register, url, kept):
    response = client.get(url)
    assert response.status_code == 200, url
    links = [unescape(href) for href in re.findall(r'href="([^"]*(?:format=(?:csv|xlsx)|\.ics|/api/v1/)[^"]*)"',
                                                   response.content.decode())]
    exports = [link for link in links if "format=csv" in link]
    assert exports, f"{url} offers a CSV"
    for link in links:
        assert "page=" not in link, f"{url}: {link}"
    assert all(kept in link for link in exports), (url, exports)
