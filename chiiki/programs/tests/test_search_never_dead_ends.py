"""Search never dead-ends (issue 9 §6): sector and model words find programs; a search that finds nothing
shows what its words matched, with one-click alternatives, on the page and in the API."""

import pytest

from chiiki.programs.api import SearchOut

OFFICER_QUERIES = ["ドローン", "高齢者 見守り", "見守り", "スマート農業", "子育て", "テレワーク導入"]


def api(client, params):
    response = client.get("/api/v1/programs", params)
    assert response.status_code == 200, response.content
    body = response.json()
    SearchOut.model_validate(body)  # suggestions are part of the documented schema
    return body


def page(client, params):
    response = client.get("/programs/", params)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("q", OFFICER_QUERIES)
def test_the_officers_words_find_programs_on_the_page_and_the_api(client, catalog, q):
    body = api(client, {"q": q})
    assert body["count"] > 0 and body["suggestions"] == []
    html = page(client, {"q": q})
    assert html.count('class="program-card"') == min(body["count"], 20)
    assert body["items"][0]["name"] in html


@pytest.mark.parametrize("q, sector, first", [
    ("見守り", "health", "MHLW-IRYOKAIGO-KIKIN"),  # a model of 医療・介護・健康: the sector's own program first
    ("スマート農業", "agriculture", "MAFF-CHOJU"),
    ("防災", "disaster", "MIC-PUBLIC-WIFI"),
])
def test_a_sector_or_model_word_finds_what_the_sector_filter_holds(client, catalog, q, sector, first):
    by_word = api(client, {"q": q, "page_size": 100})
    by_filter = api(client, {"sector": sector, "page_size": 100})
    assert by_word["items"][0]["id"] == first
    assert {i["id"] for i in by_word["items"]} == {i["id"] for i in by_filter["items"]}
    # The 地域IoT実装 programs, which exist to roll out the sector models, come right after the sector's own
    assert [i["id"] for i in by_word["items"][1:3]] == ["MIC-IOT-IMPL", "MIC-IOT-SHARED"]


def test_a_compound_found_nowhere_whole_searches_its_parts(client, catalog):
    assert api(client, {"q": "テレワーク導入"})["items"][0]["id"] == "MIC-FURUSATO-TELEWORK"


def test_a_municipality_name_offers_the_programs_it_can_use(client, catalog):
    body = api(client, {"q": "八王子市"})
    assert body["count"] == 0
    [suggestion] = body["suggestions"]
    assert suggestion["kind"] == "municipality" and suggestion["params"] == {"eligible_for": "132012"}
    assert suggestion["label"] == "東京都八王子市で使える支援メニュー"
    assert suggestion["count"] == api(client, {"eligible_for": "132012"})["count"] > 0
    assert suggestion["url"] == "/api/v1/programs?eligible_for=132012"
    assert api(client, {"q": "八王子"})["suggestions"][0]["params"] == {"eligible_for": "132012"}  # without 市

    html = page(client, {"q": "八王子市"})
    assert 'href="/programs/?eligible_for=132012">東京都八王子市で使える支援メニュー</a>' in html
    assert "「八王子市」は団体の名前です" in html and "0</strong>件" in html
    followed = page(client, {"eligible_for": "132012"})
    assert followed.count('class="program-card"') == min(suggestion["count"], 20)


def test_a_model_word_emptied_by_filters_offers_its_sector_and_the_words_alone(client, catalog):
    params = {"q": "見守り", "provider": "農林水産省"}
    body = api(client, params)
    assert body["count"] == 0
    by_kind = {s["kind"]: s for s in body["suggestions"]}
    sector = by_kind["sector"]
    assert sector["label"] == "分野「医療・介護・健康」で絞り込む" and sector["params"] == {"sector": "health"}
    assert sector["reason"] == "「見守り」は分野「医療・介護・健康」のモデルです"
    assert sector["count"] == api(client, {"sector": "health"})["count"]
    assert by_kind["query_only"]["params"] == {"q": "見守り"}
    assert by_kind["query_only"]["count"] == api(client, {"q": "見守り"})["count"] > 0

    html = page(client, params)
    assert 'href="/programs/?sector=health">分野「医療・介護・健康」で絞り込む</a>' in html
    assert "絞り込みを外して「見守り」を検索する" in html


def test_words_that_match_nothing_still_offer_the_catalog_by_sector(client, catalog):
    body = api(client, {"q": "ぴよぴよ"})
    assert body["count"] == 0
    kinds = [s["kind"] for s in body["suggestions"]]
    # 23 = the 25 programs but the 2 ended ones (募集終了), which the default view leaves out
    assert kinds[0] == "all" and body["suggestions"][0]["count"] == 23
    assert kinds.count("sector") == 8 and all(s["count"] > 0 for s in body["suggestions"])
    html = page(client, {"q": "ぴよぴよ"})
    assert "すべての支援メニューを見る" in html and 'href="/programs/?sector=disaster"' in html


def test_filters_that_empty_the_list_offer_to_clear_them(client, catalog):
    body = api(client, {"sector": "education", "kind": "fund"})
    assert body["count"] == 0
    assert body["suggestions"][0] == {
        "kind": "all", "label": "絞り込みを外してすべての支援メニューを見る", "reason": "", "params": {},
        "count": 23, "url": "/api/v1/programs", "page_url": "/programs/"}  # without the 2 ended programs


def test_words_found_only_in_an_ended_program_offer_the_ended_programs(client, catalog):
    """The default view leaves ended programs out; words found only among them (隘路打開: 地方創生推進交付金's
    summary) lead there with the successor named, not to a bare 0 件."""
    body = api(client, {"q": "隘路打開"})
    assert body["count"] == 0
    offer = next(s for s in body["suggestions"] if s["kind"] == "ended")
    assert offer["params"] == {"q": "隘路打開", "status": "ended"} and offer["count"] == 1
    found = api(client, offer["params"])["items"]
    assert [i["id"] for i in found] == ["CAO-SUISHIN"] and found[0]["successor"]["id"] == "CAO-SHINCHIHO"
    assert "募集を終えた支援メニューから「隘路打開」を検索する" in page(client, {"q": "隘路打開"})
