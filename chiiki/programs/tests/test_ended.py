"""Ended programs (募集終了) and successors: the catalog's ended_fiscal_year / successor columns through the search
page, the API, the program page, the navigator, the editor and the import."""

import csv
import io
from decimal import Decimal

from chiiki.core.fiscal import current_fiscal_year
from chiiki.core.models import ChangeRecord
from chiiki.programs.catalog import HEADER
from chiiki.programs.models import SupportProgram

from .test_admin import export_csv, form_data, problems_of, upload

ENDED = {"CAO-SUISHIN": 2022, "CAS-DIGIDEN-JISSO": 2024}  # data/README.md gives the source of each


def api_ids(client, **params):
    response = client.get("/api/v1/programs", {"page_size": 200, **params})
    assert response.status_code == 200, response.content
    return response.json()


def test_the_reference_catalog_records_the_confirmed_ends(catalog):
    for public_id, year in ENDED.items():
        assert catalog[public_id].ended_fiscal_year == year
        assert catalog[public_id].successor == "CAO-SHINCHIHO"
    assert catalog["CAO-SHINCHIHO"].ended_fiscal_year is None
    # not confirmed from a public source: left blank (data/README.md)
    for public_id in ("MIC-IOT-IMPL", "MIC-IOT-SHARED", "MIC-IOT-PLAN", "PRIV-IOT-KANMIN-NET"):
        assert catalog[public_id].ended_fiscal_year is None and catalog[public_id].successor == ""


def test_search_api_leaves_ended_programs_out_by_default_and_the_status_facet_finds_them(client, catalog):
    body = api_ids(client)
    found = {i["id"] for i in body["items"]}
    assert not found & set(ENDED) and "CAO-SHINCHIHO" in found
    assert body["count"] == len(catalog) - len(ENDED)
    status_facet = {f["key"]: f["count"] for f in body["facets"]["status"]}
    assert status_facet["ended"] == len(ENDED)
    ended = api_ids(client, status="ended")
    assert {i["id"] for i in ended["items"]} == set(ENDED)
    item = next(i for i in ended["items"] if i["id"] == "CAS-DIGIDEN-JISSO")
    assert item["status"] == "ended" and item["status_label"] == "募集終了（2024年度まで）"
    assert item["ended_fiscal_year"] == 2024 and item["next_deadline"] is None
    assert item["successor"]["id"] == "CAO-SHINCHIHO"
    assert item["successor"]["url"].endswith("/programs/p/CAO-SHINCHIHO/")
    # a keyword search follows the same default: the old grant's name finds the successor, not the ended one
    assert "CAS-DIGIDEN-JISSO" not in {i["id"] for i in api_ids(client, q="デジタル田園都市国家構想")["items"]}
    # choosing the status together with others shows both
    both = {i["id"] for i in api_ids(client, status=["ended", "unknown", "open"])["items"]}
    assert set(ENDED) <= both and "CAO-SHINCHIHO" in both


def test_program_detail_api_names_the_end_and_successor(client, catalog):
    body = client.get("/api/v1/programs/CAO-SUISHIN").json()
    assert body["status"] == "ended" and body["status_label"] == "募集終了（2022年度まで）"
    assert body["ended_fiscal_year"] == 2022 and body["successor"]["name"] == "新しい地方経済・生活環境創生交付金"
    current = client.get("/api/v1/programs/CAO-SHINCHIHO").json()
    assert current["status"] != "ended" and current["successor"] is None and current["ended_fiscal_year"] is None


def test_search_page_default_view_and_ended_results_link_to_the_successor(client, catalog):
    html = client.get("/programs/", {"page_size": 100}).content.decode()
    assert "/programs/p/CAO-SUISHIN/" not in html and "/programs/p/CAO-SHINCHIHO/" in html
    assert "募集終了" in html  # the status facet offers the ended programs
    html = client.get("/programs/", {"status": "ended"}).content.decode()
    assert "募集終了（2022年度まで）" in html and "募集終了（2024年度まで）" in html
    assert html.count('class="successor-link" href="/programs/p/CAO-SHINCHIHO/"') == 2
    rows = client.get("/programs/", {"status": "ended", "format": "csv"}).content.decode("utf-8-sig")
    assert "募集終了（2022年度まで）" in rows


def test_program_page_says_ended_and_links_to_the_successor(client, catalog):
    html = client.get("/programs/p/CAS-DIGIDEN-JISSO/").content.decode()
    assert "募集終了（2024年度まで）" in html and "この支援メニューは募集を終えています" in html
    assert 'class="successor-link" href="/programs/p/CAO-SHINCHIHO/"' in html
    assert "募集終了" not in client.get("/programs/p/CAO-SHINCHIHO/").content.decode().split("<h2>概要</h2>")[0]


def test_an_eligible_municipality_is_told_it_can_no_longer_apply(client_for, catalog, users):
    """The 利用可能 verdict judges the old terms; next to an ended program it must not read as "apply now"."""
    html = client_for(users["hachioji"]).get("/programs/p/CAO-SUISHIN/").content.decode()
    fit_card = html.split('class="card fit-card', 1)[1].split("</section>", 1)[0]
    assert "利用可能" in fit_card and "ただし募集は2022年度で終了しています" in fit_card
    assert 'href="/programs/p/CAO-SHINCHIHO/"' in fit_card
    deadlines = html.split("<h2>募集期間と締切</h2>", 1)[1]
    assert "募集は2022年度で終了しました" in deadlines and "deadlines.ics" not in deadlines and "ICS" not in deadlines
    current = client_for(users["hachioji"]).get("/programs/p/CAO-SHINCHIHO/").content.decode()
    assert "ただし募集は" not in current and "ICS）に登録" in current


def test_navigator_lists_ended_programs_as_ended_but_never_packages_them(client, catalog, register,
                                                                          set_attributes):
    ama = set_attributes(register["municipalities"]["325252"], fiscal_strength_index=Decimal("0.15"),
                         depopulated=True, remote_island=True)
    body = client.get("/api/v1/programs/navigator", {"municipality": ama.code, "sector": "disaster"}).json()
    items = {i["program"]["id"]: i for i in body["items"]}
    for public_id in ENDED:
        assert items[public_id]["fit"] == "eligible"  # eligibility is not the question
        assert items[public_id]["program"]["status"] == "ended"
        assert items[public_id]["program"]["successor"]["id"] == "CAO-SHINCHIHO"
    packaged = {p for s in body["package"] for p in s["programs"]}
    assert not packaged & set(ENDED)
    # The successor is a time-limited national grant: named in the 自走 step as a caution, not as its money.
    operation = next(s for s in body["package"] if s["role"] == "operation")
    assert "CAO-SHINCHIHO" not in operation["programs"] and "「新しい地方経済・生活環境創生交付金」も運用経費に" in operation["why"]
    html = client.get("/programs/navigator/", {"municipality": ama.code, "sector": "disaster"}).content.decode()
    assert "終了: パッケージには含めません" in html
    assert 'class="successor-link" href="/programs/p/CAO-SHINCHIHO/"' in html


def test_the_navigator_and_search_exports_name_the_end_and_the_successor(client, catalog, register, set_attributes):
    """The navigator's CSV/XLSX listed an ended program as 募集終了 with no word of what replaced it: both program
    list exports now carry the catalog's 募集の最終年度 and 後継 (ID and name) columns."""
    from chiiki.core.tabular import read_table

    ama = set_attributes(register["municipalities"]["325252"], fiscal_strength_index=Decimal("0.15"),
                         depopulated=True, remote_island=True)
    successor = "新しい地方経済・生活環境創生交付金"
    columns = ("募集状況", "募集の最終年度", "後継の支援メニュー（ID）", "後継の支援メニュー（名称）")
    for fmt in ("csv", "xlsx"):
        table = read_table(client.get("/programs/navigator/", {"municipality": ama.code, "sector": "disaster",
                                                               "format": fmt}).content, f"n.{fmt}")
        rows = {r.values["ID"]: tuple(r.values[c] for c in columns) for r in table.rows}
        assert rows["CAO-SUISHIN"] == ("募集終了（2022年度まで）", "2022", "CAO-SHINCHIHO", successor)
        assert rows["CAS-DIGIDEN-JISSO"] == ("募集終了（2024年度まで）", "2024", "CAO-SHINCHIHO", successor)
        assert rows["CAO-SHINCHIHO"][1:] == ("", "", "")
        searched = read_table(client.get("/programs/", {"status": "ended", "format": fmt}).content, f"s.{fmt}")
        assert {r.values["ID"]: tuple(r.values[c] for c in columns) for r in searched.rows} == {
            public_id: rows[public_id] for public_id in ENDED}


def test_a_program_ending_this_year_is_open_now_but_not_packaged_for_later_years(client_for, catalog, users,
                                                                               register, set_attributes):
    admin = client_for(users["admin"])
    fy = current_fiscal_year()
    program = catalog["CAO-SHINCHIHO"]
    response = admin.post(f"/programs/p/{program.public_id}/edit", form_data(program, ended_fiscal_year=str(fy)))
    assert response.status_code == 302, response.content.decode()
    assert client_for(None).get("/api/v1/programs/CAO-SHINCHIHO").json()["status"] != "ended"
    ama = set_attributes(register["municipalities"]["325252"], fiscal_strength_index=Decimal("0.15"),
                         depopulated=True, remote_island=True)
    body = client_for(None).get("/api/v1/programs/navigator", {"municipality": ama.code, "sector": "disaster"}).json()
    by_year = {s["fiscal_year"]: s["programs"] for s in body["package"]}
    assert all("CAO-SHINCHIHO" not in by_year[year] for year in (fy + 1, fy + 2))
    record = ChangeRecord.objects.filter(model="programs.supportprogram", object_id=str(program.pk)).latest("id")
    assert (record.before["ended_fiscal_year"], record.after["ended_fiscal_year"]) == (None, fy)


def test_editor_sets_end_and_successor_and_refuses_bad_values(client_for, catalog, users):
    admin = client_for(users["admin"])
    program = catalog["MIC-IOT-SHARED"]
    response = admin.post(f"/programs/p/{program.public_id}/edit",
                          form_data(program, ended_fiscal_year="R2", successor="MIC-IOT-SHARED"))
    html = response.content.decode()
    assert response.status_code == 422
    assert "募集の最終年度は西暦4桁の年度" in html
    assert SupportProgram.objects.get(pk=program.pk).version == program.version
    response = admin.post(f"/programs/p/{program.public_id}/edit",
                          form_data(program, ended_fiscal_year="2020", successor="MIC-DIGITAL-KIBAN"))
    assert response.status_code == 302
    saved = SupportProgram.objects.get(pk=program.pk)
    assert (saved.ended_fiscal_year, saved.successor) == (2020, "MIC-DIGITAL-KIBAN")
    html = client_for(None).get("/programs/p/MIC-IOT-SHARED/").content.decode()
    assert "募集終了（2020年度まで）" in html and 'href="/programs/p/MIC-DIGITAL-KIBAN/"' in html
    # renaming the successor keeps the link
    kiban = catalog["MIC-DIGITAL-KIBAN"]
    response = admin.post(f"/programs/p/{kiban.public_id}/edit", form_data(kiban, id="MIC-DIGITAL-KIBAN-R5"))
    assert response.status_code == 302
    assert SupportProgram.objects.get(pk=program.pk).successor == "MIC-DIGITAL-KIBAN-R5"


def _csv(rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, HEADER)
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def test_import_round_trips_and_refuses_bad_successors_and_years_naming_the_row(client_for, catalog, users):
    admin = client_for(users["admin"])
    content = export_csv(admin)
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    by_id = {r["id"]: r for r in rows}
    assert by_id["CAO-SUISHIN"]["ended_fiscal_year"] == "2022" and by_id["CAO-SUISHIN"]["successor"] == "CAO-SHINCHIHO"
    assert "変更なし 25件" in upload(admin, content, confirm=False).content.decode()

    number = {r["id"]: i + 2 for i, r in enumerate(rows)}  # file line of each row (header = 1)
    by_id["MIC-IOT-IMPL"]["successor"] = "MIC-IOT-GONE"
    by_id["MIC-IOT-PLAN"]["successor"] = "MIC-IOT-PLAN"
    by_id["MIC-IOT-SHARED"]["ended_fiscal_year"] = "20"
    by_id["PRIV-IOT-KANMIN-NET"]["ended_fiscal_year"] = "1800"
    by_id["PRIV-GCF"]["summary"] = "この変更は取り込まれない"
    response = upload(admin, _csv(rows))
    html = response.content.decode()
    assert "4件の誤り" in html and "取り込む</button>" not in html
    lines = problems_of(admin, response)
    assert [line.split(",")[:3] for line in lines] == sorted([
        [str(number["MIC-IOT-IMPL"]), "successor", "MIC-IOT-GONE"],
        [str(number["MIC-IOT-SHARED"]), "ended_fiscal_year", "20"],
        [str(number["MIC-IOT-PLAN"]), "successor", "MIC-IOT-PLAN"],
        [str(number["PRIV-IOT-KANMIN-NET"]), "ended_fiscal_year", "1800"],
    ], key=lambda x: int(x[0]))
    text = "\n".join(lines)
    assert "後継のID MIC-IOT-GONE は登録されていません" in text and "後継に自分自身（MIC-IOT-PLAN）は指定できません" in text
    assert not SupportProgram.objects.filter(summary="この変更は取り込まれない").exists()

    # a successor defined further down the same file is accepted (all-or-nothing: both exist afterwards)
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    rows[0].update(ended_fiscal_year="2019", successor="MIC-IOT-NEXT")
    rows.append(dict(rows[1], id="MIC-IOT-NEXT", name="後継の事業", ended_fiscal_year="", successor=""))
    response = upload(admin, _csv(rows))
    assert response.status_code == 302, response.content.decode()
    assert SupportProgram.objects.get(public_id=rows[0]["id"]).successor == "MIC-IOT-NEXT"


def test_an_ended_program_is_not_packaged_even_when_nothing_current_is_left(client_for, catalog, users, register,
                                                                            set_attributes):
    """Ranking alone puts an ended program last; the package must leave it out even when it is the only grant."""
    admin = client_for(users["admin"])
    current = catalog["CAO-SHINCHIHO"]
    response = admin.post(f"/programs/p/{current.public_id}/edit",
                          form_data(current, package_roles=["implementation"]))  # no longer an operation grant
    assert response.status_code == 302
    ama = set_attributes(register["municipalities"]["325252"], fiscal_strength_index=Decimal("0.15"),
                         depopulated=True, remote_island=True)
    body = client_for(None).get("/api/v1/programs/navigator", {"municipality": ama.code, "sector": "disaster"}).json()
    operation = next(s for s in body["package"] if s["role"] == "operation")
    assert "CAO-SUISHIN" not in operation["programs"]
    assert {"CAO-KIGYOBAN-FURUSATO", "PRIV-GCF"} <= set(operation["programs"])


def test_the_navigator_counts_ended_programs_apart_and_every_count_opens_its_rows(client, catalog, register,
                                                                                  set_attributes):
    """The navigator's heading read 「利用可能 15」 with two ended programs among them, while the program list (which
    leaves ended programs out) showed 13. Each figure now counts its own rows and opens the search that lists
    exactly them; ended programs are listed last."""
    import re

    ama = set_attributes(register["municipalities"]["325252"], fiscal_strength_index=Decimal("0.15"),
                         depopulated=True, remote_island=True)
    html = client.get("/programs/navigator/", {"municipality": ama.code, "sector": "disaster"}).content.decode()
    counts = html.split('data-testid="navigator-counts">', 1)[1].split("</p>", 1)[0]
    figures = dict(re.findall(r"(利用可能|要確認|対象外|募集終了) (?:<a href=\"[^\"]+\">)?(\d+)", counts))
    body = client.get("/api/v1/programs/navigator", {"municipality": ama.code, "sector": "disaster"}).json()
    live = [i for i in body["items"] if i["program"]["status"] != "ended"]
    assert int(figures["募集終了"]) == len(ENDED) == len(body["items"]) - len(live)
    assert int(figures["利用可能"]) == sum(i["fit"] == "eligible" for i in live)
    assert sum(map(int, figures.values())) == len(body["items"])
    links = re.findall(r'<a href="([^"]+)">(\d+)</a>', counts)
    assert len(links) == sum(1 for n in figures.values() if int(n))
    for href, figure in links:
        found = client.get(href.replace("&amp;", "&").replace("/programs/?", "/api/v1/programs?")).json()["count"]
        assert found == int(figure), href
    assert [i["program"]["status"] == "ended" for i in body["items"]][-len(ENDED):] == [True] * len(ENDED)
    staged = client.get("/programs/navigator/", {"municipality": ama.code, "sector": "disaster",
                                                 "stage": "implemented"}).content.decode()
    assert "/programs/?eligible_for" not in staged.split('data-testid="navigator-counts">', 1)[1].split("</p>")[0]
