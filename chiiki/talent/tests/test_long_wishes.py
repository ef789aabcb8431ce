"""A 「○○ができる人」 of hundreds of words (a pasted page) is cut as the search pages cut q (MAX_Q_LENGTH
characters) before the vocabulary is searched, instead of looking up every word (a 500 on SQLite past 500 words)."""

import re
from urllib.parse import urlencode

import pytest

from chiiki.core.search_request import MAX_Q_LENGTH

pytestmark = pytest.mark.django_db

MANY_WORDS = " ".join(f"x{i}" for i in range(600))
LONG_WORDS = " ".join(f"padding{i:08d}" for i in range(20))  # few words, many characters
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
WISH = "見守りセンサーを入れられる人"


@pytest.mark.parametrize("url", ["/api/v1/capabilities", "/talent/capabilities/suggest"])
def test_a_query_of_hundreds_of_words_is_bounded(client, vocabulary, url):
    client.raise_request_exception = False
    response = client.get(url + "?" + urlencode({"q": MANY_WORDS}))
    assert response.status_code < 500, response.content[:200]
    if response.status_code >= 400:
        assert JAPANESE.search(response.content.decode())


def test_the_first_characters_are_searched(client, vocabulary):
    assert len(f"{WISH} {MANY_WORDS}") > MAX_Q_LENGTH
    found = client.get("/api/v1/capabilities", {"q": f"{WISH} {MANY_WORDS}"}).json()
    assert found[0]["id"] == "CAP-HLT-07"
    fragment = client.get("/talent/capabilities/suggest", {"wish": f"{WISH} {MANY_WORDS}"}).content.decode()
    assert 'data-capability="CAP-HLT-07"' in fragment
    # a word past the cut is not searched, whatever the number of words before it
    assert len(LONG_WORDS) > MAX_Q_LENGTH
    assert client.get("/api/v1/capabilities", {"q": f"{LONG_WORDS} {WISH}"}).json() == []
    assert 'data-capability' not in client.get("/talent/capabilities/suggest",
                                               {"q": f"{LONG_WORDS} {WISH}"}).content.decode()
    assert client.get("/api/v1/capabilities", {"q": f"{LONG_WORDS[:150]} {WISH}"}).json()[0]["id"] == "CAP-HLT-07"


def test_the_request_form_opened_with_a_wish_of_hundreds_of_words(users, client_for, vocabulary):
    client = client_for(users["hachioji"])
    client.raise_request_exception = False
    response = client.get("/talent/requests/new", {"wish": MANY_WORDS})
    assert response.status_code == 200, response.content[:200]
    response = client.get("/talent/requests/new", {"wish": f"{WISH} {MANY_WORDS}"})
    assert response.status_code == 200 and 'data-capability="CAP-HLT-07"' in response.content.decode()
    looked = client.post("/talent/requests/new", {"look": "1", "wish": f"{WISH} {MANY_WORDS}"})
    assert looked.status_code == 200 and 'data-capability="CAP-HLT-07"' in looked.content.decode()
    response = client.get("/talent/requests/new", {"wish": f"{LONG_WORDS} {WISH}"})
    assert response.status_code == 200 and 'data-capability' not in response.content.decode()
