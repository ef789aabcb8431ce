"""The search page and GET /api/v1/programs read the same parameters the same way (SearchRequest.from_params)."""

import re

import pytest

from chiiki.programs.search import SearchRequest

PAGE_ITEM = re.compile(r'<a class="program-card__name" href="/programs/p/([A-Z0-9-]+)/">')


def page_ids(client, params):
    response = client.get("/programs/", params)
    assert response.status_code == 200
    return PAGE_ITEM.findall(response.content.decode())


def api_ids(client, params):
    response = client.get("/api/v1/programs", params)
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


@pytest.mark.parametrize("params", [
    {},
    {"q": "補助"},
    {"q": "防災 観光", "page_size": "3"},
    {"sector": "disaster,tourism"},  # comma form, on both surfaces
    {"sector": ["disaster", "tourism"], "support_type": "funding"},
    {"kind": ["subsidy", "tax"], "sort": "newest", "page_size": "4", "page": "2"},
    {"q": "補助", "sort": "deadline"},
    {"eligible_for": "13201", "fit": "check"},
    {"eligible_for": "１３２０１２", "q": "専門家に来てもらいたい"},
    {"status": "open", "page_size": "5", "page": "99"},  # past the end: the last page on both
])
def test_page_and_api_return_the_same_programs_in_the_same_order(client, catalog, params):
    expected = api_ids(client, params)
    assert page_ids(client, params) == expected
    assert expected or params.get("fit")  # the cases are not all empty


def test_a_bad_value_is_422_on_the_api_and_the_same_message_on_the_page(client, catalog):
    params = {"q": "補助", "sort": "cheapest", "page_size": "500"}
    response = client.get("/api/v1/programs", params)
    assert response.status_code == 422
    assert response.json()["detail"] == ("sort は relevance, default, deadline, newest のいずれかです"
                                         " / page_size は1〜200です")
    html = client.get("/programs/", params).content.decode()
    assert "sort は relevance, default, deadline, newest のいずれかです" in html and "page_size は1〜200です" in html
    # the page still answers, as if the bad values had not been given (sort dropped, page_size at its bound)
    assert page_ids(client, params) == api_ids(client, {"q": "補助", "page_size": "200"})


def test_an_unknown_municipality_is_404_on_the_api_and_dropped_with_a_message_on_the_page(client, catalog):
    response = client.get("/api/v1/programs", {"eligible_for": "131017"})  # wrong check digit
    assert response.status_code == 404
    message = response.json()["detail"]
    assert message.startswith("団体コードが正しくありません")
    html = client.get("/programs/", {"eligible_for": "131017", "q": "補助"}).content.decode()
    assert message in html and 'name="eligible_for"' not in html
    assert page_ids(client, {"eligible_for": "131017", "q": "補助"}) == api_ids(client, {"q": "補助"})


def test_saved_search_parameters_round_trip(client, catalog):
    params = {"q": "補助", "sector": "tourism,disaster", "eligible_for": "132012", "fit": "check,eligible",
              "sort": "deadline", "page_size": "50"}
    req = SearchRequest.from_params(params)
    assert req.querystring() == ("q=%E8%A3%9C%E5%8A%A9&sector=tourism&sector=disaster&fit=check&fit=eligible"
                                 "&eligible_for=132012&sort=deadline&page_size=50")
    assert SearchRequest.from_querystring(req.querystring()) == req
    response = client.get("/api/v1/programs?" + req.querystring())
    assert [item["id"] for item in response.json()["items"]] == api_ids(client, params) != []
