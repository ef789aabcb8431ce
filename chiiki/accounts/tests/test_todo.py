"""「マイページ」 as the role's to-do list, the API tokens page, the 変更履歴 button, the municipality hub's
sub-navigation and the home page's map link — all through the pages."""

import datetime as dt
import re
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from chiiki.core.fiscal import current_fiscal_year
from chiiki.core.imports import UPLOAD_TTL
from chiiki.core.models import ImportUpload
from chiiki.programs.actions import save_program
from chiiki.programs.catalog import row_of
from chiiki.programs.models import SavedSearch, SupportProgram
from chiiki.programs.reference import load_catalog
from chiiki.progress import cells
from chiiki.progress.models import ProgressRecord
from chiiki.regions.actions import update_municipality_attributes
from chiiki.roadmap.models import Sector


def section(html: str, key: str) -> str:
    match = re.search(rf'<section class="card todo-section"[^>]*id="todo-{key}-section">(.*?)</section>', html, re.S)
    assert match, f"section {key} missing"
    return match.group(1)


def report(municipality, sector, year=None):
    ProgressRecord.objects.create(municipality=municipality, sector_id=sector, fiscal_year=year or current_fiscal_year(),
                                  stage="considering")


def test_municipal_staff_sees_the_sectors_not_updated_this_year(users, client_for, register):
    hachioji = register["municipalities"]["132012"]
    report(hachioji, "education")
    report(hachioji, "health", current_fiscal_year() - 1)  # last year's record does not count
    html = client_for(users["hachioji"]).get("/accounts/mypage/").content.decode()
    sectors = section(html, "sectors")
    assert "まだ更新していない分野" in sectors
    assert "医療・介護・健康" in sectors and "防災" in sectors and ">教育<" not in sectors
    assert f'href="/progress/entry/132012/?fiscal_year={current_fiscal_year()}#entry-disaster"' in sectors
    for sector in ["health", "work", "disaster", "agriculture", "business", "tourism", "public_private"]:
        report(hachioji, sector)
    html = client_for(users["hachioji"]).get("/accounts/mypage/").content.decode()
    assert "すべての分野で更新済みです" in section(html, "sectors")
    assert "todo-unreported" not in html  # a prefecture's list is not a municipality's


def test_prefecture_staff_sees_municipalities_that_have_not_reported(users, client_for, register):
    report(register["municipalities"]["132012"], "education")
    report(register["municipalities"]["011002"], "education")  # another prefecture
    html = client_for(users["tokyo"]).get("/accounts/mypage/").content.decode()
    unreported = section(html, "unreported")
    # 八王子市 reported one sector: it stays on the list with what is left, until every sector is reported.
    assert "（3団体）" in unreported
    assert "千代田区" in unreported and "青ヶ島村" in unreported and "八王子市" in unreported
    assert "未報告 8分野（全分野）" in unreported and "未報告 7分野（報告済み 1分野）" in unreported
    assert "札幌市" not in unreported
    for sector in Sector.objects.exclude(code="education"):
        report(register["municipalities"]["132012"], sector.code)
    unreported = section(client_for(users["tokyo"]).get("/accounts/mypage/").content.decode(), "unreported")
    assert "（2団体）" in unreported and "八王子市" not in unreported
    assert "todo-sectors" not in html


def test_saved_search_deadlines_within_30_days(users, client_for):
    load_catalog(data_dir=Path(settings.BASE_DIR) / "data")
    today = timezone.localdate()
    base = row_of(SupportProgram.objects.get(public_id="MIC-ICT-ADVISOR"))
    for public_id, name, days in [("TEST-SOON", "締切が近い実証事業", 10), ("TEST-LATER", "締切が先の実証事業", 45)]:
        row = dict(base, id=public_id, name=name,
                   windows=f"{today - dt.timedelta(days=5):%Y-%m-%d}..{today + dt.timedelta(days=days):%Y-%m-%d}")
        save_program(users["admin"], None, row)
    client = client_for(users["hachioji"])
    assert "検索条件を保存すると" in section(client.get("/accounts/mypage/").content.decode(), "deadlines")
    SavedSearch.objects.create(owner=users["hachioji"], name="実証事業", params="")
    deadlines = section(client.get("/accounts/mypage/").content.decode(), "deadlines")
    assert 'href="/programs/p/TEST-SOON/"' in deadlines and "（あと10日）" in deadlines and "保存した検索「実証事業」" in deadlines
    soon = today + dt.timedelta(days=10)
    assert f"締切 {soon.year}年{soon.month}月{soon.day}日（あと10日）" in deadlines
    assert "TEST-LATER" not in deadlines


def test_the_deadline_window_is_stated_from_one_constant(users, client_for, monkeypatch):
    from chiiki.accounts import queries

    monkeypatch.setattr(queries, "DEADLINE_DAYS", 45)
    client = client_for(users["hachioji"])
    assert "45日以内の締切をここに表示します" in section(client.get("/accounts/mypage/").content.decode(), "deadlines")
    SavedSearch.objects.create(owner=users["hachioji"], name="すべて", params="")
    deadlines = section(client.get("/accounts/mypage/").content.decode(), "deadlines")
    assert "45日以内に締切のある支援メニューはありません" in deadlines and "30日" not in deadlines


def test_unfinished_imports_are_listed_until_committed(users, client_for):
    admin = client_for(users["admin"])
    assert "todo-imports" not in admin.get("/accounts/mypage/").content.decode()
    response = admin.post("/regions/import/population/", {
        "file": SimpleUploadedFile("pop.csv", "団体コード,人口\n13101,66680\n".encode()), "year": "2020",
        "code_column": "団体コード", "population_column": "人口", "data_source": ""})
    preview = response["Location"]
    imports = section(admin.get("/accounts/mypage/").content.decode(), "imports")
    assert f'href="{preview}">人口の取込: pop.csv</a>' in imports and "まだ取り込んでいません" in imports
    ImportUpload.objects.update(created_at=timezone.now() - UPLOAD_TTL - dt.timedelta(minutes=1))
    imports = section(admin.get("/accounts/mypage/").content.decode(), "imports")
    assert "期限切れ" in imports and 'href="/regions/import/population/"' in imports
    # When it was uploaded reads as on every page, in Japan time: 15:30 UTC on the 16th is 0:30 on the 17th.
    ImportUpload.objects.update(created_at=dt.datetime(2026, 1, 16, 15, 30, tzinfo=dt.UTC))
    imports = section(admin.get("/accounts/mypage/").content.decode(), "imports")
    assert "2026年1月17日 00:30 にアップロード・確認の期限切れ" in imports
    # Someone else's uploads are not on my page.
    assert "pop.csv" not in client_for(users["tokyo"]).get("/accounts/mypage/").content.decode()


def test_history_button_only_when_there_is_something_to_see(users, client_for, register):
    update_municipality_attributes(users["admin"], register["municipalities"]["132012"], {"mountainous": True})
    for who in ["advisor", "company"]:
        html = client_for(users[who]).get("/accounts/mypage/").content.decode()
        assert "変更履歴を見る" not in html, who
    for who in ["admin", "tokyo", "hachioji"]:
        html = client_for(users[who]).get("/accounts/mypage/").content.decode()
        assert 'href="/history/">変更履歴を見る' in html, who


def test_tokens_have_their_own_page(users, client_for):
    client = client_for(users["hachioji"])
    mypage = client.get("/accounts/mypage/").content.decode()
    assert 'id="token-form"' not in mypage and 'href="/accounts/tokens/">APIトークン</a>' in mypage
    page = client.get("/accounts/tokens/").content.decode()
    assert 'id="token-form"' in page and "APIトークンはまだありません" in page
    created = client.post("/accounts/tokens/", {"name": "連携"}).content.decode()
    assert 'href="/accounts/tokens/">APIトークンの一覧へ戻る' in created


def hub_links(html: str) -> dict[str, str]:
    nav = re.search(r'<nav class="progress-nav municipality-nav".*?</nav>', html, re.S)
    assert nav, "hub navigation missing"
    return {label: href for href, label in re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', nav.group(0))}


def test_municipality_pages_are_one_click_apart(users, client_for, register):
    pages = {
        "基本情報": "/regions/municipalities/132012/",
        "進捗": "/progress/municipalities/132012/",
        "支援メニューナビ": "/programs/navigator/?municipality=132012",
        "推進体制・パッケージ": "/promotion/m/132012/",  # promotion
        "変更履歴": "/history/?municipality=132012",
    }
    officer = client_for(users["hachioji"])
    for label, url in pages.items():
        response = officer.get(url)
        assert response.status_code == 200, url
        links = hub_links(response.content.decode())
        assert links == pages, url
        assert re.search(rf'aria-current="page">{label}</a>', response.content.decode()), url
    # Anonymous visitors and staff of another municipality get the same hub without the history tab.
    for client in (client_for(None), client_for(users["sapporo"])):
        links = hub_links(client.get("/regions/municipalities/132012/").content.decode())
        assert list(links) == ["基本情報", "進捗", "支援メニューナビ", "推進体制・パッケージ"]


def test_home_links_the_national_map(client):
    html = client.get("/").content.decode()
    assert '<a href="/regions/map/">全国地図</a>' in html.split('class="grid home-pillars"')[1]


def test_the_unreported_count_opens_the_list_behind_it_with_exports(users, client_for, register):
    """The prefecture's chase list: the count on マイページ leads to a list of exactly those municipalities, with
    the sectors still to report, and the same rows in its CSV and in the API."""
    year = current_fiscal_year()
    for sector in Sector.objects.all():
        report(register["municipalities"]["131016"], sector.code)  # 千代田区 has reported everything
    report(register["municipalities"]["132012"], "education")
    report(register["municipalities"]["132012"], "health", year - 1)  # carried over: still to report
    cells.rebuild()  # the records were written directly: bring the current state up to date
    client = client_for(users["tokyo"])
    unreported = section(client.get("/accounts/mypage/").content.decode(), "unreported")
    assert "（2団体）" in unreported
    link = re.search(r'<a href="([^"]+)">一覧で見る</a>', unreported)
    assert link, unreported
    url = link.group(1).replace("&amp;", "&")
    page = client.get(url).content.decode()
    assert re.search(r"data-testid=\"records-count\">2</strong>団体", page), re.findall(r"records-count.{0,80}", page)
    assert "八王子市" in page and "青ヶ島村" in page and "千代田区" not in page
    hachioji = re.search(r"八王子市</a>.*?</tr>", page, re.S).group(0)
    assert "医療・介護・健康" in hachioji and "教育" not in hachioji  # only what is left to report
    exported = client.get(url + "&format=csv").content.decode("utf-8-sig")
    assert "八王子市" in exported and "青ヶ島村" in exported and "千代田区" not in exported
    per_cell = client.get(url.replace("per=municipality", "per=cell") + "&format=csv").content.decode("utf-8-sig")
    assert len(per_cell.strip().splitlines()) == 1 + 7 + 8  # header, 八王子市's 7 sectors, 青ヶ島村's 8
    api = client.get(f"/api/v1/progress?fiscal_year={year}&prefecture=13&unreported=true&page_size=100").json()
    assert api["count"] == 15
    assert {item["municipality"]["code"] for item in api["items"]} == {"132012", "134023"}
    assert not any(item["municipality"]["code"] == "132012" and item["sector"] == "education"
                   for item in api["items"])


def test_the_previous_years_unreported_count_is_shown_with_its_own_list(users, client_for, register):
    """Early in a 年度 the prefecture still chases the previous 年度's survey: its 未報告 count is shown before this
    年度's while any municipality is left, each count linking to the list of exactly those municipalities."""
    from chiiki.core.fiscal import fiscal_year_label

    year = current_fiscal_year()
    m = register["municipalities"]
    for sector in Sector.objects.all():
        report(m["131016"], sector.code, year - 1)  # 千代田区 reported everything last year (carried over now)
    report(m["132012"], "education", year - 1)
    cells.rebuild()
    client = client_for(users["tokyo"])

    def listed(key):
        html = section(client.get("/accounts/mypage/").content.decode(), key)
        count = int(re.search(r"（(\d+)団体）", html).group(1))
        url = re.search(r'<a href="([^"]+)">(?:\d+団体を)?一覧で見る</a>', html).group(1).replace("&amp;", "&")
        page = client.get(url).content.decode()
        shown = int(re.search(r'data-testid="records-count">(\d+)</strong>団体', page).group(1))
        return html, count, url, shown, page

    html, count, url, shown, page = listed("unreported-previous")
    assert f"{fiscal_year_label(year - 1)}の進捗を報告し終えていない市区町村（2団体）" in html
    assert ">2団体を一覧で見る</a>" in html  # only the count here: this year's list is on the page already
    # It comes first (it is the survey being chased), this year's list after it.
    mypage = client.get("/accounts/mypage/").content.decode()
    assert mypage.index('id="todo-unreported-previous-section"') < mypage.index('id="todo-unreported-section"')
    assert f"fiscal_year={year - 1}" in url and "unreported=1" in url and "prefecture=13" in url
    assert shown == count == 2
    assert "八王子市" in page and "青ヶ島村" in page and "千代田区" not in page
    html, count, url, shown, _page = listed("unreported")
    assert f"{fiscal_year_label(year)}の進捗を" in html and f"fiscal_year={year}&" in url
    assert shown == count == 3  # a record carried over from last year is not this year's report

    for code in ("132012", "134023"):
        for sector in Sector.objects.all():
            if not ProgressRecord.objects.filter(municipality_id=code, sector=sector, fiscal_year=year - 1).exists():
                report(m[code], sector.code, year - 1)
    cells.rebuild()
    html = client.get("/accounts/mypage/").content.decode()
    assert "todo-unreported-previous" not in html  # nothing left to chase: no section
    assert "（3団体）" in section(html, "unreported")


def test_a_month_end_standing_in_for_an_unstated_deadline_says_so(users, client_for, monkeypatch):
    """地域情報化アドバイザー's source gives monthly deadlines without a day: マイページ showed 「締切 2026年12月31日」 as
    if known. It now says the month's end stands in for it, as the program page does; a known date says nothing."""
    load_catalog(data_dir=Path(settings.BASE_DIR) / "data")
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: dt.date(2026, 12, 5))
    base = row_of(SupportProgram.objects.get(public_id="MIC-ICT-ADVISOR"))
    save_program(users["admin"], None, dict(base, id="TEST-DATED", name="締切日のある実証事業",
                                            windows="2026-12-01..2026-12-18"))
    SavedSearch.objects.create(owner=users["hachioji"], name="すべて", params="")
    deadlines = section(client_for(users["hachioji"]).get("/accounts/mypage/").content.decode(), "deadlines")
    assert "締切 2026年12月31日（月末として表示・締切日は募集案内で確認）（あと26日）" in deadlines
    assert "締切 2026年12月18日（あと13日）" in deadlines
