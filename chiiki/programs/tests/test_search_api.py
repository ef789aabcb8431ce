"""GET /api/v1/programs and the search page: Japanese words, variants, facets, sort, pagination."""

import datetime as dt

import pytest


def ids(response):
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


@pytest.mark.parametrize("q, first", [
    ("防災", "MIC-PUBLIC-WIFI"),
    ("医療", "MHLW-IRYOKAIGO-KIKIN"),
    ("離島", "MIC-KOUDO-MUSEN"),
    ("島", "MIC-KOUDO-MUSEN"),  # one character
    ("ﾃﾚﾜｰｸ", "MIC-FURUSATO-TELEWORK"),  # half-width katakana
    ("てれわーく", "MIC-FURUSATO-TELEWORK"),  # hiragana
    ("光ファイバー", "MIC-KOUDO-MUSEN"),  # 長音 variant of 光ファイバ
    ("イノシシの被害をICTで減らしたい", "MAFF-CHOJU"),
    ("ＧＣＦ", "PRIV-GCF"),
])
def test_words_and_variants_find_the_program(client, catalog, q, first):
    assert ids(client.get("/api/v1/programs", {"q": q}))[0] == first


def test_width_and_case_variants_give_identical_results(client, catalog):
    results = [ids(client.get("/api/v1/programs", {"q": q})) for q in ("ＩｏＴ", "IoT", "iot", "ｉｏｔ")]
    assert results[0] == results[1] == results[2] == results[3]
    assert set(results[0]) == {"MIC-IOT-IMPL", "MIC-IOT-SHARED", "MIC-IOT-PLAN", "PRIV-IOT-KANMIN-NET"}


def test_two_character_word_matches_every_program_containing_it(client, catalog):
    found = set(ids(client.get("/api/v1/programs", {"q": "補助", "page_size": 100})))
    expected = {p for p, program in catalog.items()
                if "補助" in program.name + program.summary and not program.ended_fiscal_year}  # 募集終了: not by default
    assert expected <= found


def test_natural_language_need_for_experts(client, catalog):
    top = ids(client.get("/api/v1/programs", {"q": "専門家に来てもらいたい"}))[:2]
    assert set(top) == {"MIC-ICT-ADVISOR", "MIC-CHIIKIRYOKU-ADVISOR"}


def test_no_match_is_an_empty_list_not_everything(client, catalog):
    body = client.get("/api/v1/programs", {"q": "宇宙開発"}).json()
    assert body["count"] == 0 and body["items"] == []


def test_relevance_puts_name_matches_first(client, catalog):
    # 「スマートシティ」 is in the name of MIC-SMARTCITY and only in the summary of CAO-MIRAI-GIJUTSU.
    assert ids(client.get("/api/v1/programs", {"q": "スマートシティ"}))[:2] == ["MIC-SMARTCITY", "CAO-MIRAI-GIJUTSU"]


def test_facet_counts_are_disjunctive_and_match_filters(client, catalog):
    body = client.get("/api/v1/programs", {"support_type": "people"}).json()
    assert body["count"] == 5
    support = {v["key"]: v["count"] for v in body["facets"]["support_type"]}
    # own facet ignores its own filter; funding is 17 programs but the 2 ended ones (募集終了, not shown by default)
    assert support == {"funding": 15, "people": 5, "structure": 3}
    kinds = {v["key"]: v["count"] for v in body["facets"]["kind"]}
    assert kinds == {"advisor": 1, "special_tax": 3, "tax": 1}
    sectors = {v["key"]: v["count"] for v in body["facets"]["sector"]}
    assert sectors["business"] == 5 and sectors["education"] == 4  # 地域活性化起業人 is business only
    for facet in ("sector", "kind", "support_type", "provider", "status"):
        assert all({"key", "label", "count"} == set(v) for v in body["facets"][facet])
    # every count leads to exactly that many rows
    for value in body["facets"]["kind"]:
        narrowed = client.get("/api/v1/programs", {"support_type": "people", "kind": value["key"]}).json()
        assert narrowed["count"] == value["count"]


def test_multiple_values_of_one_facet_are_or(client, catalog):
    body = client.get("/api/v1/programs?kind=tax&kind=crowdfunding").json()
    assert sorted(i["id"] for i in body["items"]) == ["CAO-KIGYOBAN-FURUSATO", "CAO-KIGYOBAN-JINZAI", "PRIV-GCF"]


def test_sector_filter_includes_all_sector_programs(client, catalog):
    found = set(ids(client.get("/api/v1/programs", {"sector": "disaster", "page_size": 100})))
    assert "MIC-PUBLIC-WIFI" in found and "MIC-ICT-ADVISOR" in found and "MIC-FURUSATO-TELEWORK" not in found


def test_open_programs_first_by_default_and_sorts(client, catalog):
    body = client.get("/api/v1/programs", {"page_size": 100}).json()
    statuses = [i["status"] for i in body["items"]]
    assert statuses == sorted(statuses, key=["open", "upcoming", "unknown", "closed"].index)
    assert body["sort"] == "default"
    deadline = client.get("/api/v1/programs", {"sort": "deadline", "page_size": 100}).json()["items"]
    assert deadline[0]["id"] == "MIC-ICT-ADVISOR"  # the only program with dated deadlines in the reference data
    assert client.get("/api/v1/programs", {"sort": "bogus"}).status_code == 422


def test_pagination(client, catalog):
    first = client.get("/api/v1/programs", {"page_size": 10}).json()
    third = client.get("/api/v1/programs", {"page_size": 10, "page": 3}).json()
    # 23 = the 25 programs but the 2 ended ones (募集終了), which the default view leaves out
    assert first["count"] == 23 and first["num_pages"] == 3 and len(third["items"]) == 3
    all_ids = ids(client.get("/api/v1/programs", {"page_size": 100}))
    assert [i["id"] for i in first["items"]] + [i["id"] for i in third["items"]] == all_ids[:10] + all_ids[20:]


def test_items_carry_the_contract_fields(client, catalog):
    item = client.get("/api/v1/programs", {"q": "防災"}).json()["items"][0]
    for key in ("id", "name", "provider", "kind", "support_type", "sectors", "status"):
        assert key in item
    assert item["sectors"] == ["disaster", "tourism"]
    assert item["score"] > 0


def test_eligible_for_filters_and_reports_fit_facet(client, catalog):
    body = client.get("/api/v1/programs", {"eligible_for": "13201"}).json()  # 5-digit code of 八王子市
    fit = {v["key"]: v["count"] for v in body["facets"]["fit"]}
    assert fit == {"eligible": 16, "check": 7}  # 18 eligible but the 2 ended programs (募集終了)
    assert body["count"] == 16 and all(i["fit"]["fit"] == "eligible" for i in body["items"])
    assert client.get("/api/v1/programs", {"eligible_for": "999999"}).status_code == 404


def test_detail_and_navigator_routes(client, catalog):
    detail = client.get("/api/v1/programs/MIC-ICT-ADVISOR").json()
    assert detail["windows"][0]["kind"] == "monthly" and detail["max_years"] == 1
    assert client.get("/api/v1/programs/NOPE").status_code == 404
    assert client.get("/api/v1/programs/NOPE").json()["detail"]
    # /navigator is its own route, not a program id
    response = client.get("/api/v1/programs/navigator", {"municipality": "132012", "sector": "disaster"})
    assert response.status_code == 200 and response.json()["municipality"]["code"] == "132012"


def test_search_page_renders_results_and_facets(client, catalog):
    response = client.get("/programs/", {"q": "防災"})
    html = response.content.decode()
    assert response.status_code == 200
    results = html.split("<ol class=\"program-list\">")[1].split("</ol>")[0]
    # The sector's own program first, then the programs for every sector (as the 防災 filter counts them)
    assert results.index("公衆無線LAN環境整備支援事業") < results.index("地域IoT")
    assert results.count("program-card__name") == 16 and "分野" in html  # 18 but the 2 ended programs


def test_search_page_export_csv_and_xlsx(client, catalog):
    response = client.get("/programs/", {"q": "寄附", "format": "csv"})
    text = response.content.decode("utf-8-sig")
    assert response.status_code == 200 and text.splitlines()[0].startswith("ID,名称,提供者")
    assert "CAO-KIGYOBAN-FURUSATO" in text
    xlsx = client.get("/programs/", {"format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_status_from_monthly_windows(client, catalog, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: dt.date(2027, 2, 10))
    item = client.get("/api/v1/programs/MIC-ICT-ADVISOR").json()
    assert item["status"] == "upcoming" and item["next_opening"] == "2027-04-01"
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: dt.date(2026, 11, 26))
    item = client.get("/api/v1/programs/MIC-ICT-ADVISOR").json()
    assert item["status"] == "open" and item["next_deadline"] == "2026-11-30"


def test_dated_windows_status_and_closing_soon_sort(client, catalog, users, monkeypatch):
    from django.utils import timezone

    from chiiki.programs.actions import save_program
    from chiiki.programs.catalog import row_of

    def set_windows(public_id, windows):
        program = catalog[public_id]
        program.refresh_from_db()
        row = row_of(program)
        row["windows"] = windows
        save_program(users["admin"], program, row, version=program.version)

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: dt.date(2026, 6, 1))
    set_windows("MIC-IOT-IMPL", "2026-05-01..2026-06-10")  # open, closes in 9 days
    set_windows("MIC-SMARTCITY", "2026-07-01..2026-07-31")  # upcoming
    set_windows("MIC-IOT-SHARED", "2026-04-01..2026-04-30")  # closed
    status = {i["id"]: i["status"] for i in client.get("/api/v1/programs", {"page_size": 100}).json()["items"]}
    assert (status["MIC-IOT-IMPL"], status["MIC-SMARTCITY"], status["MIC-IOT-SHARED"]) == ("open", "upcoming", "closed")
    ordered = ids(client.get("/api/v1/programs", {"sort": "deadline", "page_size": 100}))
    assert ordered[:2] == ["MIC-IOT-IMPL", "MIC-ICT-ADVISOR"]  # 6/10, then the アドバイザー's 6/30
    assert ordered[-1] == "MIC-IOT-SHARED"
    default = ids(client.get("/api/v1/programs", {"page_size": 100}))
    assert default.index("MIC-SMARTCITY") > default.index("MIC-IOT-IMPL") and default[-1] == "MIC-IOT-SHARED"
    facet = {v["key"]: v["count"] for v in client.get("/api/v1/programs").json()["facets"]["status"]}
    assert facet["closed"] == 1 and facet["upcoming"] == 1
    assert ids(client.get("/api/v1/programs", {"status": "upcoming"})) == ["MIC-SMARTCITY"]


def test_responses_match_the_documented_schema(client, catalog):
    from chiiki.programs.api import SearchOut

    for params in ({}, {"q": "防災"}, {"eligible_for": "132012"}, {"status": "open", "sort": "deadline"}):
        response = client.get("/api/v1/programs", params)
        assert response["Content-Type"].startswith("application/json")
        SearchOut.model_validate(response.json())


def test_sector_name_query_offers_the_sector_filter(client, catalog):
    html = client.get("/programs/", {"q": "防災"}).content.decode()
    assert "/programs/?sector=disaster" in html and "全分野共通のものを含む" in html


def test_a_month_end_deadline_is_marked_estimated_in_the_api_and_the_list(client, catalog, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: dt.date(2026, 11, 26))
    item = client.get("/api/v1/programs/MIC-ICT-ADVISOR").json()
    assert item["next_deadline"] == "2026-11-30" and item["next_deadline_estimated"] is True
    html = client.get("/programs/", {"q": "地域情報化アドバイザー"}).content.decode()
    assert "次の締切 2026年11月30日（月末として表示・締切日は募集案内で確認）" in html
    dated = [i for i in client.get("/api/v1/programs", {"page_size": 100}).json()["items"]
             if i["next_deadline"] and i["id"] != "MIC-ICT-ADVISOR"]
    assert all(i["next_deadline_estimated"] is False for i in dated)
