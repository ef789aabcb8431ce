"""Browser tests across the whole site: axe-core finds no violation (of any impact) on any page, for every role
that sees something different, and no page scrolls sideways on a 375 px phone (JIS X 8341-3 AA, issue 9)."""

import datetime as dt
import hashlib
import json
import secrets
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from chiiki.access import SYSTEM
from chiiki.conftest import PASSWORD
from chiiki.core import history
from chiiki.core.fiscal import current_fiscal_year
from chiiki.core.models import ChangeRecord, ImportUpload
from chiiki.funding.models import PlanYear
from chiiki.funding.tests import tour as funding_tour
from chiiki.opendata.tests.samples import make_catalog as make_opendata_catalog
from chiiki.pdca.tests import tour as pdca_tour  # pdca
from chiiki.programs.reference import load_catalog
from chiiki.progress.imports import PROGRESS
from chiiki.promotion import actions as promotion_actions
from chiiki.regions.tests import topo_fixture
from chiiki.talent.tests import tour as talent_tour

pytestmark = pytest.mark.browser

AXE = Path(settings.BASE_DIR) / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
PROGRAM = "MIC-KOUDO-MUSEN"

# Pages every visitor sees (the anonymous view of each public page).
PUBLIC = [
    "/", "/about/data", "/accounts/login/", "/regions/", "/regions/?q=はちおうじ", "/regions/map/",
    "/regions/prefectures/13/", "/regions/municipalities/132012/", "/progress/", "/progress/map/?sector=disaster",
    "/progress/prefectures/", "/progress/prefectures/13/", "/progress/rankings/", "/progress/municipalities/132012/",
    "/progress/records/", "/progress/records/?implemented_any=1", "/programs/", "/programs/?q=防災", "/programs/?q=存在しない語句", "/programs/navigator/",
    "/programs/navigator/?municipality=132012", "/programs/navigator/?municipality=132012&sector=disaster",
    f"/programs/p/{PROGRAM}/", "/programs/?status=ended", "/programs/p/CAS-DIGIDEN-JISSO/",  # 募集終了 + successor
    "/api/v1/docs", "/no-such-page/",
    # opendata
    "/opendata/", "/opendata/?q=AED", "/opendata/?q=存在しない語句", "/opendata/dataset/hachioji-aed/",
    "/opendata/org/132012/", "/opendata/standards/", "/opendata/validate/", "/opendata/uses/",
    # pdca
    "/pdca/", "/pdca/kpis/DIGIDEN-1500/", "/pdca/kpis/TOKYO-DISASTER/", "/pdca/reviews/", "/pdca/reviews/?overdue=1",
    "/pdca/reviews/{review}/",
    "/pdca/proposals/", "/pdca/proposals/{proposal}/", "/cases/", "/cases/?q=防災&sector=disaster", "/cases/{case}/",
    # promotion
    "/promotion/", "/promotion/candidates/", "/promotion/model-regions/132012/", "/promotion/m/132012/",
    "/promotion/organisations/", "/promotion/councils/", "/promotion/challenges/", "/promotion/events/",
    "/promotion/commitments/",  # promotion
    "/promotion/diffusion-cells/?year={year}&group=comparison",  # promotion: the cells behind a diffusion figure
    "/promotion/model-regions/132012/cells/?fiscal_year={year}&year={year}&group=neighbours&implemented=1",  # empty
    # funding
    "/funding/plans/", "/funding/plans/{plan}/", "/funding/lines/", "/funding/flows/", "/funding/cliffs/",
    "/funding/campaigns/", "/funding/campaigns/{campaign}/", "/funding/projects/",
    "/funding/projects/{project}/?amount=1000000",
]
EXPECTED_STATUS = {"/no-such-page/": 404, "/progress/entry/011002/": 403}
SIGNED_IN = ["/", "/accounts/mypage/", "/accounts/password/", "/accounts/tokens/", f"/programs/p/{PROGRAM}/",
             "/programs/saved/"]
ROLE_PAGES = {
    None: PUBLIC,
    "hachioji": SIGNED_IN + [
        "/regions/municipalities/132012/", "/regions/municipalities/132012/edit/", "/progress/entry/132012/",
        "/progress/municipalities/132012/", "/programs/navigator/", "/history/", "/history/{record}/",
        "/progress/entry/011002/",  # 403: another municipality
        # opendata
        "/opendata/manage/", "/opendata/manage/new", "/opendata/dataset/hachioji-aed/edit",
        "/opendata/dataset/hachioji-aed/resources", "/opendata/dataset/hachioji-aed/usage",
        "/opendata/dataset/hachioji-internal-budget/",
        "/pdca/proposals/new", "/cases/new",  # pdca
        "/promotion/m/132012/commitments/new", "/promotion/challenges/new?municipality=132012",  # promotion
        "/promotion/events/new", "/promotion/councils/new", "/promotion/events/?registered=1",
        "/promotion/challenges/{challenge}/", "/promotion/challenges/{challenge}/edit",
        "/promotion/challenges/{challenge}/withdraw",  # promotion: its officer corrects or withdraws it
        "/funding/plans/new", "/funding/plans/{draft}/", "/funding/plans/{plan}/edit", "/funding/campaigns/new",
        "/funding/campaigns/{campaign}/", "/funding/lines/import/", "/funding/revitalisation/{rr}/edit",  # funding
        "/funding/projects/{project}/edit",  # funding: a 地域再生計画 project
    ],
    "tokyo": SIGNED_IN + ["/progress/entry/", "/progress/import/", "/history/", "/progress/records/",
                          "/regions/prefectures/13/", "/funding/plans/{wide}/"],  # funding: wide-area participants
    "admin": SIGNED_IN + [
        "/programs/manage/", "/programs/manage/new", f"/programs/p/{PROGRAM}/edit", "/programs/manage/import/",
        "/regions/import/population/", "/regions/import/area/", "/regions/import/fiscal-indices/",
        "/progress/import/", "/progress/import/{preview_ok}/", "/progress/import/{preview_bad}/", "/progress/records/",
        "/progress/records/132012/disaster/{year}/delete", "/history/", "/history/{record}/",
        "/regions/municipalities/132012/edit/",
        "/pdca/kpis/new", "/pdca/kpis/DIGIDEN-1500/edit", "/pdca/reviews/new", "/pdca/reviews/{review}/",  # pdca
        "/pdca/proposals/{proposal}/", "/cases/{case}/edit", "/cases/import/",
        "/promotion/manage/designate", "/promotion/manage/weights", "/promotion/challenges/",  # promotion: chooser
        "/funding/tax-credit", "/funding/non-grant/import/", "/funding/revitalisation/new",  # funding
    ],
    "advisor": SIGNED_IN,
    "company": SIGNED_IN + ["/funding/projects/{project}/", "/funding/companies/new", "/funding/pledges/"],  # funding
}
for _role, _urls in {None: talent_tour.PUBLIC, **talent_tour.ROLE_PAGES}.items():  # talent (人材)
    ROLE_PAGES[_role] = ROLE_PAGES[_role] + _urls


@pytest.fixture
def site(transactional_db, users, tmp_path, settings):
    """A site with something on every page: the catalog, progress records, boundaries and history."""
    load_catalog(data_dir=Path(settings.BASE_DIR) / "data")
    settings.OPENDATA_FILES_DIR = tmp_path / "opendata"  # opendata: its catalog, files outside var/
    make_opendata_catalog()
    year = current_fiscal_year()
    lines = ["団体コード,分野,年度,段階,備考,根拠URL", f"132012,disaster,{year},planned,防災無線,https://example.jp/a",
             f"131016,disaster,{year},implemented,,", f"322016,education,{year},piloting,,",
             f"012025,disaster,{year - 1},planned,,"]
    report = PROGRESS.run(SYSTEM, ("\r\n".join(lines) + "\r\n").encode("utf-8-sig"), "seed.csv")
    assert report.committed
    history.record(users["hachioji"], history.UPDATE, users["hachioji"].municipality, {"depopulated": None},
                   {"depopulated": False}, municipality=users["hachioji"].municipality, source=history.WEB)
    directory = tmp_path / "boundaries"
    topo_fixture.write(directory)
    call_command("load_boundaries", str(directory))
    pdca_tour.seed_site(users)  # pdca
    promotion_actions.designate(SYSTEM, users["hachioji"].municipality, fiscal_year=year, sectors=["disaster"],
                                story="防災のパッケージ")  # promotion: a model region page to visit
    soon = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    promotion_actions.save_event(users["hachioji"], None, {  # promotion: a row in the events and challenges lists
        "title": "スマート農業オンライン説明会", "organiser": "municipality:132012", "format": "online",
        "starts_at": f"{soon}T14:00", "ends_at": f"{soon}T15:00", "online_url": "https://example.jp/meet",
        "sectors": ["agriculture"], "capacity": 30})
    promotion_actions.save_challenge(users["hachioji"], users["hachioji"].municipality, None, {
        "sector": "health", "title": "高齢者の見守り", "problem": "独居高齢者の安否確認", "requirements": "センサーで",
        "budget_min": 1_000_000, "budget_max": 5_000_000, "deadline": soon, "no_track_record": True})
    users["talent_ids"] = talent_tour.seed(users)  # talent (人材): ids for the tour's URLs
    return users


def _sign_in(page, user):
    page.goto("/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url("**/accounts/mypage/**")


def _upload(user, content: bytes) -> str:
    """An upload waiting for its preview, as the upload form leaves it (the preview page is what is checked)."""
    upload = ImportUpload.objects.create(token=secrets.token_urlsafe(24), importer="progress", user=user,
                                         filename="survey.csv", content=content,
                                         sha256=hashlib.sha256(content).hexdigest(), options={})
    return upload.token


def _values(users) -> dict:
    """The ids the page lists format in (seeding the funding rows they name)."""
    record = ChangeRecord.objects.filter(municipality_id="132012").order_by("-pk").first()
    from chiiki.promotion.models import Challenge

    return {"record": record.pk, "year": current_fiscal_year(), **pdca_tour.tour_values(),  # pdca: review, proposal
            "challenge": Challenge.objects.get(title="高齢者の見守り").pk,  # promotion
            **users["talent_ids"], **funding_tour.seed()}  # talent, funding


def _pages(role, users):
    values = _values(users)
    if role == "admin":
        header = "団体コード,分野,年度,段階\r\n"
        values["preview_ok"] = _upload(users["admin"], f"{header}134023,work,{values['year']},planned\r\n".encode())
        values["preview_bad"] = _upload(users["admin"], f"{header}13402x,work,{values['year']},done\r\n".encode())
    return [p.format(**values) for p in ROLE_PAGES[role]]


def _settle(page):
    """Wait until maps and charts have drawn (what a visitor would see)."""
    page.wait_for_load_state("networkidle")
    for element in page.locator("[data-chiiki-map]").all():
        element.wait_for(state="attached")
        page.wait_for_function("(el) => !!el.dataset.mapReady", arg=element.element_handle())


def axe_violations(page) -> list[str]:
    page.evaluate(AXE.read_text(encoding="utf-8"))
    found = page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ["violations"]});
        return result.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
                                              nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" "))}));
    }""")
    return [json.dumps(v, ensure_ascii=False) for v in found]


ROLES = list(ROLE_PAGES)


@pytest.mark.parametrize("role", ROLES, ids=[r or "anonymous" for r in ROLES])
def test_axe_finds_nothing_on_any_page(site, page, role):
    if role:
        _sign_in(page, site[role])
    problems = {}
    for url in _pages(role, site):
        response = page.goto(url)
        assert response.status == EXPECTED_STATUS.get(url, 200), url
        _settle(page)
        violations = axe_violations(page)
        if violations:
            problems[url] = violations
    assert problems == {}, json.dumps(problems, ensure_ascii=False, indent=1)


@pytest.mark.parametrize("role", ROLES, ids=[r or "anonymous" for r in ROLES])
def test_no_page_scrolls_sideways_on_a_phone(site, browser, live_server, role):
    context = browser.new_context(locale="ja-JP", viewport={"width": 375, "height": 740}, base_url=live_server.url,
                                  is_mobile=True, has_touch=True, device_scale_factor=2)
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        if role:
            _sign_in(page, site[role])
        wide = {}
        for url in _pages(role, site):
            response = page.goto(url)
            assert response.status == EXPECTED_STATUS.get(url, 200), url
            _settle(page)
            # The layout viewport (clientWidth), not innerWidth: on a mobile viewport the browser zooms out to fit
            # a page that is too wide, so innerWidth grows with the overflow and the check would always pass.
            sizes = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
            if sizes[0] > sizes[1]:
                wide[url] = sizes
        assert wide == {}
    finally:
        context.close()


# List pages sharing the filter panel (templates/components/facet_panel.html).
FILTER_LISTS = ["/programs/", "/cases/", "/opendata/"]

_OBSCURED = """() => {  // the focused control lies wholly under the sticky 絞り込む bar
    const box = document.activeElement.getBoundingClientRect();
    const bar = document.querySelector(".filter-panel__actions").getBoundingClientRect();
    return box.top >= bar.top - 1 && box.bottom <= bar.bottom + 1 && document.activeElement.closest(".facet") !== null;
}"""


@pytest.mark.parametrize("width, height", [(375, 667), (1280, 900)])
def test_list_filters_fold_above_the_results_on_a_phone_and_stay_open_when_wide(site, browser, live_server,
                                                                                 screenshot, width, height):
    context = browser.new_context(locale="ja-JP", viewport={"width": width, "height": height}, base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        for url in FILTER_LISTS:
            page.goto(url)
            _settle(page)
            panel = page.locator("details.filter-panel")
            boxes = panel.locator("input[type=checkbox]")
            assert boxes.count() > 0, url
            if width < 800:
                # folded: one summary line between the keyword box and the results, which begin on the first screen
                assert panel.evaluate("(d) => d.open") is False and not boxes.first.is_visible(), url
                assert panel.locator("summary").inner_text() == "絞り込み（0件選択中）", url
                assert page.locator(".programs-results .toolbar").bounding_box()["y"] < height, url
                panel.locator("summary").click()
            assert boxes.first.is_visible() and panel.get_by_role("button", name="絞り込む").is_visible(), url
            page.locator("#q").focus()
            for _ in range(min(60, 2 * boxes.count() + 2)):  # Tab down the panel
                page.keyboard.press("Tab")
                assert not page.evaluate(_OBSCURED), (url, page.evaluate("document.activeElement.outerHTML"))
            screenshot(page, f"filters{url.replace('/', '-')}{width}")
            assert axe_violations(page) == [], url
    finally:
        context.close()


# Tables whose rows carry long text become one card per row on a phone (.cards-on-phone): scrolled sideways inside
# their box, each row was a narrow column hundreds of pixels tall. {role: {url: table selector}}.
CARD_TABLES = {
    None: [("/progress/municipalities/132012/", "table.progress-municipality"),
           ("/progress/municipalities/132012/", "table.progress-similar"),
           ("/promotion/", "table[data-testid=model-regions]"), ("/promotion/events/", "table[data-testid=events]"),
           ("/promotion/challenges/", "table[data-testid=challenges]"), ("/talent/capabilities/", "table.data >> nth=0"),
           ("/talent/profiles/", "table.data"), ("/pdca/proposals/", "table.data"),
           ("/programs/navigator/?municipality=132012&sector=disaster", "table.navigator-table"),
           # funding
           ("/funding/plans/", "table.plan-table"), ("/funding/cliffs/?fiscal_year=2027", "table.data"),
           ("/funding/lines/", "table.data"), ("/funding/plans/{plan}/", "#year-{plan_year} table.data"),
           ("/funding/projects/", "table.data"), ("/funding/campaigns/", "table.data")],
    "hachioji": [("/history/", "table.history"), ("/opendata/manage/", "table.data")],
    "company": [("/funding/pledges/", "table.data")],
}


@pytest.mark.parametrize("role", list(CARD_TABLES), ids=[r or "anonymous" for r in CARD_TABLES])
def test_long_text_tables_are_cards_on_a_phone(site, browser, live_server, role):
    context = browser.new_context(locale="ja-JP", viewport={"width": 375, "height": 740}, base_url=live_server.url,
                                  is_mobile=True, has_touch=True, device_scale_factor=2)
    page = context.new_page()
    values = _values(site)
    funding_tour.seed_list_rows(site, values)  # a 財源の崖 and a pledge to list
    values["plan_year"] = PlanYear.objects.get(plan=values["plan"], fiscal_year=2026).pk  # the 年度 with a line
    try:
        if role:
            _sign_in(page, site[role])
        sideways = {}
        for url, selector in CARD_TABLES[role]:
            url, selector = url.format(**values), selector.format(**values)
            assert page.goto(url).status == 200, url
            table = page.locator(selector)
            assert table.locator("tbody tr").count() > 0, url
            # The table's own width beyond its box (0 when every row is a card the width of the screen).
            overflow = table.evaluate("t => t.scrollWidth - (t.closest('.table-wrap') || t.parentElement).clientWidth")
            if overflow > 0:
                sideways[url, selector] = overflow
        assert sideways == {}
    finally:
        context.close()


def test_error_pages_say_what_happened_and_what_to_do(site, page, screenshot, monkeypatch):
    """404, 403, 405, CSRF failure and 500 as a visitor meets them: in the layout, no axe violation, next steps."""
    from chiiki.core import views as core_views

    response = page.goto("/no-such-page/")
    assert response.status == 404 and page.locator("nav.site-nav").is_visible()
    assert page.get_by_role("link", name="トップページへ").is_visible()
    screenshot(page, "error-404")
    _sign_in(page, site["hachioji"])
    page.goto("/progress/entry/132012/")
    response = page.goto("/progress/entry/011002/", referer=page.url)  # as if followed from the entry page
    assert response.status == 403 and "権限がありません" in page.locator("h1").inner_text()
    assert page.get_by_role("link", name="前のページに戻る").get_attribute("href") == "/progress/entry/132012/"
    assert axe_violations(page) == []
    screenshot(page, "error-403")
    response = page.goto("/progress/entry/132012/disaster/")
    assert response.status == 405 and "この方法ではページを開けません" in page.locator("h1").inner_text()
    assert axe_violations(page) == []
    screenshot(page, "error-405")
    page.goto("/accounts/mypage/")
    page.context.clear_cookies(name="csrftoken")
    page.get_by_role("button", name="ログアウト").click()
    page.wait_for_selector("h1:has-text('フォームの有効期限が切れました')")
    assert page.get_by_role("link", name="前のページに戻る").get_attribute("href") == "/accounts/mypage/"
    assert "担当団体を確かめる" not in page.locator("main").inner_text()  # that advice is for a refusal, not this
    assert axe_violations(page) == []
    screenshot(page, "error-csrf")

    def broken(*args, **kwargs):
        raise RuntimeError("home page broke")

    monkeypatch.setattr(core_views, "render", broken)
    response = page.goto("/")
    assert response.status == 500
    reference = page.locator("main code").first.inner_text()
    assert len(reference) == 12 and f"エラーID {reference}" in page.locator("main").inner_text()
    assert page.get_by_role("link", name=settings.CONTACT_EMAIL).is_visible()
    assert axe_violations(page) == []
    screenshot(page, "error-500")


def test_the_demo_banner_is_inside_the_header_landmark(site, page, settings):
    settings.DEBUG = True  # DEMO_MODE follows DEBUG (chiiki.core.context_processors)
    page.goto("/")
    assert page.locator("header.site-header .demo-banner").is_visible()
    assert axe_violations(page) == []
