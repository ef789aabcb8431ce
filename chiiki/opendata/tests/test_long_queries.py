"""A search of hundreds of words (a pasted page) on the catalog's APIs is cut as the catalog page cuts it
(MAX_Q_LENGTH characters), instead of looking up every word (a 500 on SQLite past 500 words)."""

import re
from urllib.parse import urlencode

import pytest

from chiiki.core.search_request import MAX_Q_LENGTH

pytestmark = pytest.mark.django_db

MANY_WORDS = " ".join(f"x{i}" for i in range(600))
LONG_WORDS = " ".join(f"padding{i:08d}" for i in range(20))  # few words, many characters
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


@pytest.mark.parametrize("url", ["/api/3/action/package_search", "/api/v1/opendata/datasets"])
def test_a_query_of_hundreds_of_words_is_bounded(client, catalog, url):
    client.raise_request_exception = False
    response = client.get(url + "?" + urlencode({"q": MANY_WORDS}))
    assert response.status_code < 500, response.content[:200]
    if response.status_code >= 400:
        assert JAPANESE.search(response.content.decode())


def test_a_ckan_search_posted_with_hundreds_of_words_is_bounded(client, catalog):
    client.raise_request_exception = False
    response = client.post("/api/3/action/package_search", {"q": MANY_WORDS}, content_type="application/json")
    assert response.status_code < 500, response.content[:200]


def test_the_apis_read_the_first_characters_as_the_page_does(client, catalog):
    q = "AED " + MANY_WORDS
    assert len(q) > MAX_Q_LENGTH
    ckan = client.post("/api/3/action/package_search", {"q": q}, content_type="application/json").json()
    assert ckan["success"] and [d["name"] for d in ckan["result"]["results"]] == ["hachioji-aed"]
    api = client.get("/api/v1/opendata/datasets?" + urlencode({"q": q})).json()
    assert [d["name"] for d in api["items"]] == ["hachioji-aed"]
    page = client.get("/opendata/?" + urlencode({"q": q}))
    assert page.status_code == 200 and "hachioji-aed" in page.content.decode()
    # a word past the cut is not searched, whatever the number of words before it
    beyond = LONG_WORDS + " AED"
    assert len(LONG_WORDS) > MAX_Q_LENGTH
    assert client.get("/api/3/action/package_search?" + urlencode({"q": beyond})).json()["result"]["count"] == 0
    assert client.get("/api/v1/opendata/datasets?" + urlencode({"q": beyond})).json()["count"] == 0
    assert client.get("/api/v1/opendata/datasets?" + urlencode({"q": LONG_WORDS[:150] + " AED"})).json()["count"] == 1
