"""支援メニューナビ: fits per sector and the 3-year package, through the API and the page."""

from decimal import Decimal

from chiiki.core.fiscal import current_fiscal_year


def navigator(client, **params):
    response = client.get("/api/v1/programs/navigator", params)
    assert response.status_code == 200, response.content
    return response.json()


def test_package_has_three_steps_from_eligible_programs(client, catalog, register, set_attributes):
    ama = set_attributes(register["municipalities"]["325252"], fiscal_strength_index=Decimal("0.15"),
                         depopulated=True, remote_island=True)
    body = navigator(client, municipality=ama.code, sector="disaster")
    fits = {i["program"]["id"]: i["fit"] for i in body["items"]}
    steps = body["package"]
    fy = current_fiscal_year()
    assert [(s["year"], s["fiscal_year"], s["role"]) for s in steps] == [
        (1, fy, "people_knowhow"), (2, fy + 1, "implementation"), (3, fy + 2, "operation")]
    assert steps[0]["programs"] == ["MIC-ICT-ADVISOR", "MIC-DX-PKG-PLAN", "MIC-IOT-PLAN"]
    assert steps[1]["programs"][0] == "MIC-PUBLIC-WIFI"  # the sector's own program first
    assert {"CAO-KIGYOBAN-FURUSATO", "PRIV-GCF"} <= set(steps[2]["programs"])
    for step in steps:
        assert all(fits[p] == "eligible" for p in step["programs"])
        assert step["why"].startswith(f"{step['year']}年目（{step['fiscal_year']}年度")
    assert "人材とノウハウ" in steps[0]["why"] and "補助率1/2" in steps[1]["why"] and "自走" in steps[2]["why"]
    # every program of the sector (all-sector ones included) is listed with reasons
    assert "MIC-FURUSATO-TELEWORK" not in fits and "MIC-PUBLIC-WIFI" in fits
    assert all(i["reasons"] for i in body["items"])


def test_package_leaves_out_excluded_and_check(client, catalog, register, set_attributes):
    chiyoda = set_attributes(register["municipalities"]["131016"], fiscal_strength_index=Decimal("1.50"),
                             depopulated=False, remote_island=False, mountainous=False)
    body = navigator(client, municipality=chiyoda.code, sector="disaster")
    packaged = {p for s in body["package"] for p in s["programs"]}
    assert "CAO-KIGYOBAN-FURUSATO" not in packaged and "MIC-DX-PKG-PLAN" not in packaged
    assert "MIC-PUBLIC-WIFI" not in packaged  # 要確認
    assert body["package"][2]["programs"][0] == "PRIV-GCF"
    excluded = [i for i in body["items"] if i["fit"] == "excluded"]
    assert {i["program"]["id"] for i in excluded} == {"MIC-DX-PKG-PLAN", "CAO-KIGYOBAN-FURUSATO",
                                                       "CAO-KIGYOBAN-JINZAI"}
    live = [i for i in body["items"] if i["program"]["status"] != "ended"]  # ended programs come last
    assert live[-1]["fit"] == "excluded"  # eligible first, then check, then excluded


def test_stage_and_support_type_narrow_the_list(client, catalog):
    body = navigator(client, municipality="132012", sector="agriculture", stage="implemented", support_type="funding")
    listed = {i["program"]["id"] for i in body["items"]}
    assert "MAFF-CHOJU" in listed and "MIC-ICT-ADVISOR" not in listed and "MIC-IOT-PLAN" not in listed
    assert all(i["program"]["support_type"] == "funding" for i in body["items"])
    assert client.get("/api/v1/programs/navigator", {"municipality": "132012", "sector": "agriculture",
                                                     "stage": "bogus"}).status_code == 422


def test_navigator_errors(client, catalog):
    assert client.get("/api/v1/programs/navigator", {"municipality": "000000", "sector": "disaster"}).status_code == 404
    assert client.get("/api/v1/programs/navigator", {"municipality": "132012", "sector": "space"}).status_code == 404
    assert client.get("/api/v1/programs/navigator", {"sector": "disaster"}).status_code == 422


def test_page_prefills_municipal_staff_and_anyone_can_pick(client_for, catalog, users):
    staff = client_for(users["hachioji"])
    html = staff.get("/programs/navigator/", {"sector": "disaster"}).content.decode()
    assert 'value="132012 東京都八王子市"' in html and "3か年パッケージ" in html and "1年目" in html
    anonymous = client_for(None)
    html = anonymous.get("/programs/navigator/", {"municipality": "海士町", "sector": "disaster"}).content.decode()
    assert "島根県海士町" in html and "3か年パッケージ" in html
    # procedural preconditions are shown next to the fit, not hidden behind 利用可能
    assert "申請の前提: 国の認定を受けた地域再生計画に位置付けた事業であること" in html
    html = anonymous.get("/programs/navigator/").content.decode()
    assert "団体と分野を選んで" in html
    html = anonymous.get("/programs/navigator/", {"municipality": "存在しない町", "sector": "disaster"}).content.decode()
    assert "見つかりません" in html


def test_page_shows_the_stage_recorded_in_progress(client, catalog, register):
    from chiiki.access import SYSTEM
    from chiiki.progress.actions import save_progress
    from chiiki.roadmap.models import Sector

    save_progress(SYSTEM, register["municipalities"]["132012"], Sector.objects.get(code="disaster"),
                  current_fiscal_year() - 1, stage="planned", version=0)
    html = client.get("/programs/navigator/", {"municipality": "132012", "sector": "disaster"}).content.decode()
    assert "段階: <strong>計画策定</strong>" in html and "繰越" in html
    assert "stage=planned" in html


def test_page_exports_the_candidates_it_shows(client, catalog, register, set_attributes):
    """The candidate list downloads as CSV/XLSX with Japanese headers, the same rows and fits as the API, narrowed
    by the same filters; no link (and no file) without a municipality and a sector."""
    from chiiki.core.tabular import read_table

    ama = set_attributes(register["municipalities"]["325252"], fiscal_strength_index=Decimal("0.15"),
                         depopulated=True, remote_island=True)
    page = client.get(f"/programs/navigator/?municipality={ama.code}&sector=disaster").content.decode()
    assert f"?municipality={ama.code}&amp;sector=disaster&amp;format=csv" in page
    table = read_table(client.get(f"/programs/navigator/?municipality={ama.code}&sector=disaster&format=csv").content,
                       "n.csv")
    assert table.header == ["判定", "ID", "支援メニュー", "提供者", "種類", "支援の種類", "理由", "補助率",
                            "申請の前提", "募集状況", "URL", "募集の最終年度", "後継の支援メニュー（ID）",
                            "後継の支援メニュー（名称）"]
    api = navigator(client, municipality=ama.code, sector="disaster")
    labels = {"eligible": "利用可能", "check": "要確認", "excluded": "対象外"}
    assert [(r.values["ID"], r.values["判定"]) for r in table.rows] == [
        (i["program"]["id"], labels[i["fit"]]) for i in api["items"]]
    xlsx = read_table(client.get(f"/programs/navigator/?municipality={ama.code}&sector=disaster&format=xlsx").content,
                      "n.xlsx")
    assert [r.values for r in xlsx.rows] == [r.values for r in table.rows]
    narrowed = read_table(client.get(f"/programs/navigator/?municipality={ama.code}&sector=disaster"
                                     "&support_type=people&format=csv").content, "p.csv")
    api_people = navigator(client, municipality=ama.code, sector="disaster", support_type="people")
    assert [r.values["ID"] for r in narrowed.rows] == [i["program"]["id"] for i in api_people["items"]]
    assert 0 < len(narrowed.rows) < len(table.rows)
    no_sector = client.get(f"/programs/navigator/?municipality={ama.code}&format=csv")
    assert no_sector.status_code == 200 and no_sector["Content-Type"].startswith("text/html")
