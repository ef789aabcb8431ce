"""団体コード on the challenge lists (page, CSV, calendar feed, API) typed as people type it: 5 digits or full-width
digits named no challenge, the filter comparing the text with the stored 6-digit code. A code that is not one is
refused by the API (422, Japanese) as its other bad filters are."""

import pytest

from .test_challenges import market  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("typed", ["132012", "13201", "１３２０１２", "１３２０１", "13-2012"])
def test_the_challenge_lists_read_a_typed_code(client, market, typed):  # noqa: F811
    title = market["challenge"]["title"]
    assert title in client.get("/promotion/challenges/", {"municipality": typed}).content.decode()
    export = client.get("/promotion/challenges/", {"municipality": typed, "format": "csv"}).content.decode("utf-8-sig")
    assert title in export
    assert title in client.get("/promotion/challenges/deadlines.ics", {"municipality": typed}).content.decode()
    listed = client.get("/api/v1/challenges", {"municipality": typed}).json()
    assert [c["title"] for c in listed["items"]] == [title]
    assert title in client.get("/api/v1/challenges/deadlines.ics", {"municipality": typed}).content.decode()


def test_another_municipality_still_lists_nothing(client, market):  # noqa: F811
    assert client.get("/api/v1/challenges", {"municipality": "13402"}).json()["count"] == 0


@pytest.mark.parametrize("typed", ["abc", "132013", "99999"])
def test_the_api_refuses_a_code_that_is_not_one(client, market, typed):  # noqa: F811
    for url in ("/api/v1/challenges", "/api/v1/challenges/deadlines.ics"):
        response = client.get(url, {"municipality": typed})
        assert response.status_code == 422, url
        assert response.json()["detail"].startswith("団体コードが正しくありません"), url
    # The page lists nothing under a code that names no municipality (not every challenge), and says why.
    page = client.get("/promotion/challenges/", {"municipality": typed})
    assert page.status_code == 422
    body = page.content.decode()
    assert market["challenge"]["title"] not in body and "団体コードが正しくありません" in body
    assert client.get("/promotion/challenges/", {"municipality": typed, "format": "csv"}).status_code == 422


def test_the_page_heading_names_the_municipality_of_a_typed_code(client, market):  # noqa: F811
    page = client.get("/promotion/challenges/", {"municipality": "13201"}).content.decode()
    assert "八王子市の課題だけを表示しています" in page and "団体コード 13201" not in page
