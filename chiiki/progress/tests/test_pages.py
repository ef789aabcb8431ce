"""Public 見える化 pages, the entry screen (htmx per row, conflicts) and the web import (preview → commit)."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chiiki.access import SYSTEM
from chiiki.core.tabular import read_table
from chiiki.progress import actions
from chiiki.progress.imports import PROGRESS
from chiiki.roadmap.models import Sector
from chiiki.testing import import_commit_form

from .conftest import csv_file

pytestmark = pytest.mark.django_db


def seed(lines):
    report = PROGRESS.run(SYSTEM, csv_file(lines), "seed.csv")
    assert report.committed, report.errors


@pytest.fixture
def seeded(register):
    seed(["131016,disaster,2024,piloting,,", "131016,disaster,2026,implemented,区の防災アプリ,https://example.jp/a",
          "132012,disaster,2026,self_sustaining,,", "134023,education,2025,planned,,",
          "011002,health,2026,considering,,"])


@pytest.mark.parametrize("url", [
    "/progress/?fiscal_year=2026", "/progress/map/?fiscal_year=2026&sector=disaster",
    "/progress/prefectures/?fiscal_year=2026", "/progress/prefectures/?fiscal_year=2026&sector=disaster",
    "/progress/prefectures/13/?fiscal_year=2026", "/progress/rankings/?fiscal_year=2026",
    "/progress/municipalities/131016/?fiscal_year=2026", "/progress/municipalities/13101/",
    "/progress/records/?fiscal_year=2026", "/progress/map-data.json?fiscal_year=2026&sector=disaster",
])
def test_public_pages_render_without_login(client, seeded, url):
    response = client.get(url)
    assert response.status_code == 200, url


def test_overview_numbers_link_to_their_rows(client, seeded):
    html = client.get("/progress/?fiscal_year=2026").content.decode()
    links = re.findall(r'href="(/progress/records/\?[^"]+)">(\d+)</a>', html)
    assert links, "the overview has linked numbers"
    checked = 0
    for href, number in links:
        href = href.replace("&amp;", "&")
        listed = client.get(href).content.decode()
        count = re.search(r'data-testid="records-count">([\d,]+)<', listed).group(1).replace(",", "")
        assert int(count) == int(number), href
        checked += 1
        if checked > 20:
            break
    kpi = re.search(r'href="([^"]+)" data-testid="kpi-achieved">(\d+)<', html)
    assert kpi.group(2) == "2"  # 千代田区, 八王子市 implemented/self-sustaining in 2026; 札幌 only considering


def test_overview_kpi_panel_reads_the_kpi_rows(client, seeded):
    """pdca (issue 14): the panel shows the national KPI rows (data/kpis.csv loaded as KPIs), each linking to
    its KPI page, its value to the records behind it; a KPI edit refreshes the cached overview."""
    from django.conf import settings

    from chiiki.access import SYSTEM
    from chiiki.pdca import actions as pdca_actions
    from chiiki.pdca.models import KPI
    from chiiki.pdca.reference import load_kpis

    assert "DIGIDEN-1500" not in client.get("/progress/?fiscal_year=2026").content.decode()
    load_kpis(data_dir=settings.BASE_DIR / "data")
    html = client.get("/progress/?fiscal_year=2026").content.decode()
    panel = re.search(r'data-testid="overview-kpi-DIGIDEN-1500">(.*?)</div>', html, re.S).group(1)
    assert 'href="/pdca/kpis/DIGIDEN-1500/"' in panel and "1,500" in panel
    value = re.search(r'<a href="(/progress/records/\?[^"]+)">(\d+)</a>団体', panel)
    assert value.group(2) == "2"
    listed = client.get(value.group(1).replace("&amp;", "&")).content.decode()
    assert re.search(r'data-testid="records-count">2<', listed)
    kpi = KPI.objects.get(pk="DIGIDEN-1500")
    data = {"name": kpi.name, "unit": kpi.unit, "target_value": "1600", "target_fiscal_year": kpi.target_fiscal_year,
            "measure": kpi.measure, "sectors": [], "prefecture": None, "baseline_value": kpi.baseline_value,
            "baseline_date": kpi.baseline_date, "source": kpi.source, "order": kpi.order}
    pdca_actions.save_kpi(SYSTEM, kpi, data, version=kpi.version)
    assert "1,600" in client.get("/progress/?fiscal_year=2026").content.decode()


def test_municipality_page_shows_history_carry_over_and_similar(client, seeded):
    html = client.get("/progress/municipalities/134023/?fiscal_year=2026").content.decode()
    assert "青ヶ島村" in html and "繰越（2025年度）" in html and "計画策定" in html
    html = client.get("/progress/municipalities/131016/?fiscal_year=2026").content.decode()
    assert "2024年度" in html and "2026年度" in html and "区の防災アプリ" in html
    sapporo = client.get("/progress/municipalities/011002/?fiscal_year=2026").content.decode()
    assert "松前町" in sapporo  # neighbour
    assert client.get("/progress/municipalities/999999/").status_code == 404


def test_similar_municipalities_export(client, seeded):
    response = client.get("/progress/municipalities/011002/?fiscal_year=2026&table=similar&format=csv")
    assert response.status_code == 200 and response.content.startswith(b"\xef\xbb\xbf")
    rows = {row.values["団体コード"]: row.values for row in read_table(response.content, "s.csv").rows}
    assert rows["013315"]["理由"] == "隣接団体" and rows["013315"]["団体"] == "松前町"
    xlsx = client.get("/progress/municipalities/011002/?fiscal_year=2026&table=similar&format=xlsx")
    assert set(rows) == {row.values["団体コード"] for row in read_table(xlsx.content, "s.xlsx").rows}


def test_rankings_compare_within_peer_groups(client, seeded):
    html = client.get("/progress/rankings/?fiscal_year=2026&group=core_city:unknown").content.decode()
    assert "総合スコアの計算式" in html and "八王子市" in html and "千代田区" not in html
    rows = re.findall(r'<tr data-code="(\d+)"[^>]*>\s*<td class="num">(\d+)', html)
    assert rows[0] == ("132012", "1")


def test_rankings_tell_an_officer_where_their_municipality_stands(client_for, client, seeded, users):
    officer = client_for(users["hachioji"])
    html = officer.get("/progress/rankings/?fiscal_year=2026").content.decode()
    own = re.search(r'data-testid="own-rank">(.*?)</p>', html, re.S).group(1)
    assert re.sub(r"<[^>]+>", "", own).startswith("八王子市は 2026年度 1位／")
    assert "総合スコア 12.5・実装分野数 1" in own  # 自走 (5 points) in 1 of 8 分野
    anchor = re.search(r'href="([^"]*#rank-132012)">表の中の自団体へ</a>', own).group(1)
    assert "page=1" in anchor and "group=core_city" in anchor
    assert 'id="rank-132012" class="is-own" aria-current="true"' in html
    # Another group, or a prefecture filter that leaves the municipality out: nothing to point at.
    assert "own-rank" not in officer.get("/progress/rankings/?fiscal_year=2026&group=special_ward:unknown").content.decode()
    assert "own-rank" not in officer.get("/progress/rankings/?fiscal_year=2026&prefecture=01").content.decode()
    assert "own-rank" not in client.get("/progress/rankings/?fiscal_year=2026").content.decode()


def test_records_export_in_import_format(client, seeded):
    response = client.get("/progress/records/?fiscal_year=2026&sector=disaster&format=csv")
    text = response.content.decode("utf-8-sig")
    assert text.startswith("団体コード,団体名,分野,年度,段階,備考,根拠URL,繰越")
    assert "131016,千代田区,防災,2026,実装済,区の防災アプリ,https://example.jp/a," in text  # 分野 by name
    assert response["Content-Type"].startswith("text/csv")
    xlsx = client.get("/progress/records/?fiscal_year=2026&format=xlsx")
    assert xlsx.content[:2] == b"PK"


def test_public_page_cache_shows_a_write_on_the_next_request(client, seeded, users):
    url = "/progress/prefectures/13/?fiscal_year=2026"
    assert "実証中" not in client.get(url).content.decode().split("八王子市")[1].split("</tr>")[0]
    hachioji = users["hachioji"]
    actions.save_progress(hachioji, hachioji.municipality, Sector.objects.get(pk="work"), 2026, stage="piloting",
                          version=0)
    assert "実証中" in client.get(url).content.decode().split("八王子市")[1].split("</tr>")[0]


def test_entry_screen_saves_a_row_and_reports_conflicts(client_for, users, seeded):
    client = client_for(users["hachioji"])
    page = client.get("/progress/entry/")
    assert page.status_code == 302 and page["Location"].endswith("/progress/entry/132012/")
    html = client.get("/progress/entry/132012/?fiscal_year=2026").content.decode()
    assert html.count('hx-post="/progress/entry/132012/') == 8
    response = client.post("/progress/entry/132012/tourism/", {"fiscal_year": "2026", "version": "0",
                                                               "stage": "piloting", "note": "観光Wi-Fi"},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "保存しました" in response.content.decode()
    assert "2026年度に記録済み" in response.content.decode()  # said in words, not as the row's version number
    other = client_for(users["tokyo"])
    response = other.post("/progress/entry/132012/tourism/", {"fiscal_year": "2026", "version": "1",
                                                              "stage": "implemented"})
    assert response.status_code == 200
    stale = client.post("/progress/entry/132012/tourism/", {"fiscal_year": "2026", "version": "1",
                                                            "stage": "considering"})
    body = stale.content.decode()
    assert stale.status_code == 409 and "先に更新" in body and "最新の段階は「実装済」" in body
    htmx_stale = client.post("/progress/entry/132012/tourism/", {"fiscal_year": "2026", "version": "1",
                                                                 "stage": "considering", "note": "私のメモ"},
                             HTTP_HX_REQUEST="true")
    assert htmx_stale.status_code == 200 and "先に更新" in htmx_stale.content.decode()
    assert "私のメモ" in htmx_stale.content.decode()  # the user's input is not lost
    bad = client.post("/progress/entry/132012/work/", {"fiscal_year": "2026", "version": "0", "stage": "planned",
                                                       "evidence_url": "ftp://x"})
    assert bad.status_code == 422 and "根拠URL" in bad.content.decode()


def test_entry_access(client_for, users, register):
    assert client_for(users["hachioji"]).get("/progress/entry/131016/").status_code == 403
    assert client_for(users["tokyo"]).get("/progress/entry/131016/").status_code == 200
    assert client_for(users["tokyo"]).get("/progress/entry/011002/").status_code == 403
    assert client_for(users["advisor"]).get("/progress/entry/").status_code == 403
    assert client_for(None).get("/progress/entry/132012/").status_code == 302
    tokyo_list = client_for(users["tokyo"]).get("/progress/entry/").content.decode()
    assert "八王子市" in tokyo_list and "札幌市" not in tokyo_list


def test_web_import_preview_report_and_commit(client_for, users, register, records):
    client = client_for(users["tokyo"])
    bad = csv_file(["132012,disaster,2026,implemented,,", "011002,disaster,2026,planned,,",
                    "13201x,disaster,R8,planned,,"], encoding="cp932")
    response = client.post("/progress/import/", {"file": SimpleUploadedFile("調査.csv", bad)})
    assert response.status_code == 302
    preview = client.get(response["Location"]).content.decode()
    assert "2件の誤り" in preview and "権限" in preview and "取り込む</button>" not in preview
    token = response["Location"].rstrip("/").split("/")[-1]
    report = client.get(f"/progress/import/{token}/report")
    lines = report.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "行,列,値,内容" and lines[1].startswith("3,団体コード,011002,") and lines[2].startswith("4,団体コード,13201x,")
    assert records() == {}
    good = csv_file(["132012,disaster,2026,implemented,,", "131016,education,令和8年度,planned,,"])
    response = client.post("/progress/import/", {"file": SimpleUploadedFile("ok.csv", good)})
    preview_url = response["Location"]
    html = client.get(preview_url).content.decode()
    assert "新規 <strong>2</strong>件" in html
    token = preview_url.rstrip("/").split("/")[-1]
    form = import_commit_form(html)
    assert client.post(f"/progress/import/{token}/commit", {**form, "sha256": "0" * 64}).status_code == 302
    assert records() == {}
    done = client.post(f"/progress/import/{token}/commit", form)
    assert done.status_code == 302
    assert set(records()) == {("132012", "disaster", 2026), ("131016", "education", 2026)}
    # Another user cannot use the token.
    assert client_for(users["admin"]).get(preview_url).status_code == 404


def test_import_page_access(client_for, users, register):
    assert client_for(users["hachioji"]).get("/progress/import/").status_code == 403
    assert client_for(users["advisor"]).get("/progress/import/").status_code == 403
    assert client_for(users["tokyo"]).get("/progress/import/").status_code == 200
    assert client_for(users["admin"]).get("/progress/import/").status_code == 200


def test_response_cache_serves_anonymous_only_and_follows_writes(client, client_for, seeded, users, stored_pages):
    url = "/api/v1/progress/summary?fiscal_year=2026&sector=work"
    first = client.get(url)
    assert first.json()["total"]["stages"]["planned"] == 0
    assert stored_pages() == 1, "the anonymous response was stored"
    page = client.get("/progress/?fiscal_year=2026")
    again = client.get("/progress/?fiscal_year=2026")
    assert again.content == page.content and "Set-Cookie" not in again.headers
    actions.save_progress(users["hachioji"], users["hachioji"].municipality, Sector.objects.get(pk="work"), 2026,
                          stage="planned", version=0)
    assert client.get(url).json()["total"]["stages"]["planned"] == 1
    assert client.get("/progress/?fiscal_year=2026").content != page.content
    signed_in = client_for(users["hachioji"]).get("/progress/?fiscal_year=2026").content.decode()
    assert "ログアウト" in signed_in and "ログアウト" not in page.content.decode()


@pytest.mark.parametrize("role, offered", [("hachioji", True), ("tokyo", True), ("admin", True),
                                           ("advisor", False), ("company", False), (None, False)])
def test_the_entry_tab_is_offered_only_to_those_who_can_enter(client_for, users, seeded, role, offered):
    """Before, every signed-in user had the tab, and an advisor or a company met a 403 behind it."""
    client = client_for(users[role] if role else None)
    html = client.get("/progress/?fiscal_year=2026").content.decode()
    assert ('href="/progress/entry/">進捗の入力</a>' in html) is offered, role
    if offered:
        assert client.get("/progress/entry/").status_code in (200, 302)


def test_entry_page_exports_what_it_shows_in_the_import_format(client_for, users, seeded):
    from chiiki.core.tabular import read_table
    from chiiki.progress.exporting import EXPORT_HEADER

    client = client_for(users["hachioji"])
    client.post("/progress/entry/132012/tourism/", {"fiscal_year": "2026", "version": "0", "stage": "piloting",
                                                     "note": "観光Wi-Fi"})
    html = client.get("/progress/entry/132012/?fiscal_year=2026").content.decode()
    assert 'href="?fiscal_year=2026&amp;format=csv"' in html and 'href="?fiscal_year=2026&amp;format=xlsx"' in html
    shown = html.count('hx-post="/progress/entry/132012/')
    for fmt in ("csv", "xlsx"):
        response = client.get(f"/progress/entry/132012/?fiscal_year=2026&format={fmt}")
        assert response.status_code == 200
        table = read_table(response.content, f"entry.{fmt}")
        assert table.header == EXPORT_HEADER and len(table.rows) == shown == 8
        assert {r.values["団体コード"] for r in table.rows} == {"132012"}
        tourism = next(r.values for r in table.rows if r.values["分野"] == "観光")
        assert (tourism["段階"], tourism["備考"], str(tourism["年度"])) == ("実証中", "観光Wi-Fi", "2026")
    # Only for those who may enter the municipality's progress, as the page itself.
    assert client_for(users["hachioji"]).get("/progress/entry/131016/?format=csv").status_code == 403
    assert client_for(users["advisor"]).get("/progress/entry/132012/?format=csv").status_code == 403


def test_the_entry_page_offers_exactly_the_years_it_can_save(client_for, users, seeded, settings):
    """The page rendered 「2030年度の段階を…」 for ?fiscal_year=2030 and then refused every row (「年度は…2027年度まで」),
    while its 年度 list offered only the years with records. Now the list is the window a record may have, and a year
    outside it sends the officer to one inside, saying why."""
    from chiiki.core.fiscal import current_fiscal_year

    settings.PROGRESS_FIRST_FISCAL_YEAR, settings.PROGRESS_YEARS_AHEAD = 2019, 1
    last = current_fiscal_year() + 1
    client = client_for(users["hachioji"])
    html = client.get("/progress/entry/132012/").content.decode()
    offered = [int(y) for y in re.findall(r'<option value="(\d{4})"', html.split('id="id_fiscal_year"')[1]
                                          .split("</select>")[0])]
    assert offered == list(range(2019, last + 1))
    for year, stage in ((2019, "considering"), (last, "planned")):  # both ends save
        page = client.get(f"/progress/entry/132012/?fiscal_year={year}")
        assert page.status_code == 200 and f'<option value="{year}" selected>' in page.content.decode()
        saved = client.post("/progress/entry/132012/tourism/", {"fiscal_year": str(year), "version": "0",
                                                                "stage": stage}, HTTP_HX_REQUEST="true")
        assert saved.status_code == 200 and "保存しました" in saved.content.decode()
    for outside in (2018, last + 1, 2030):
        response = client.get(f"/progress/entry/132012/?fiscal_year={outside}")
        assert response.status_code == 302
        followed = client.get(response["Location"]).content.decode()
        assert f"{outside}年度の進捗は入力できません（入力できるのは2019年度から{last}年度まで）" in followed
        assert client.get(f"/progress/entry/132012/?fiscal_year={outside}&format=csv").status_code == 302


@pytest.mark.parametrize(("role", "imports"), [("hachioji", False), ("tokyo", True), ("admin", True), (None, False)])
def test_the_download_notes_say_who_imports(client_for, users, seeded, role, imports):
    """The entry page and the records list told a municipal officer the file 「そのまま一括取込に使えます」, but the import
    is the prefecture's and the secretariat's (403 for the officer). The note now links the import only for those who
    may use it and tells the others who does."""
    client = client_for(users[role] if role else None)
    records = client.get("/progress/records/").content.decode()
    assert ('href="/progress/import/"' in records) is imports
    assert ("都道府県と事務局の担当者が使う一括取込と同じ" in records) is not imports
    assert (client.get("/progress/import/").status_code == 200) is imports
    if role in ("hachioji", "tokyo"):
        note = client.get("/progress/entry/132012/").content.decode().split('data-testid="entry-export">')[1]
        note = note.split("</p>")[0]
        assert ('href="/progress/import/"' in note) is imports
        assert ("一括取込は都道府県と事務局の担当者が行います" in note) is not imports


def test_the_prefecture_page_offers_its_import_format_as_csv_and_xlsx(client, seeded):
    html = client.get("/progress/prefectures/13/?fiscal_year=2026").content.decode()
    exports = html.split("取込形式:")[1].split("</p>")[0]
    links = [h.replace("&amp;", "&") for h in re.findall(r'href="([^"]+)"', exports)]
    assert [link.rsplit("format=", 1)[1] for link in links] == ["csv", "xlsx"]
    tables = [read_table(client.get(link).content, f"t.{link.rsplit('=', 1)[1]}") for link in links]
    assert len(tables[0].rows) == len(tables[1].rows) > 0
    assert {r.values["団体コード"] for r in tables[0].rows} == {r.values["団体コード"] for r in tables[1].rows}
