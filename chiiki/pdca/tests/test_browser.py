"""Browser test of the PDCA flow: a KPI's value leads to its rows; a prefecture officer opens the review,
assesses the KPI and records an action that is flagged when overdue."""

import datetime as dt

import pytest
from django.utils import timezone

from chiiki.access import SYSTEM
from chiiki.core.fiscal import current_fiscal_year
from chiiki.progress.imports import PROGRESS
from chiiki.progress.tests.conftest import csv_file

from .. import actions

pytestmark = pytest.mark.browser


@pytest.fixture
def pdca_data(transactional_db, users):
    year = current_fiscal_year()
    report = PROGRESS.run(SYSTEM, csv_file([f"131016,disaster,{year - 1},implemented,,",
                                            f"132012,disaster,{year},self_sustaining,,",
                                            f"011002,disaster,{year},implemented,,"]), "seed.csv")
    assert report.committed
    actions.save_kpi(SYSTEM, None, {"code": "TOKYO-DISASTER", "name": "都内で防災分野を実装済の団体数", "unit": "団体",
                                    "target_value": "3", "target_fiscal_year": year + 2,
                                    "measure": "progress_implemented_sectors", "sectors": ["disaster"],
                                    "prefecture": "13"}, version=0)
    return users


def test_kpi_to_rows_and_a_prefecture_review_with_an_overdue_action(page, login, screenshot, pdca_data):
    year = current_fiscal_year()
    page.goto("/pdca/")
    page.get_by_role("link", name="都内で防災分野を実装済の団体数").click()
    assert "見込み値 = 最新の実績" in page.get_by_test_id("kpi-formula").inner_text()
    screenshot(page, "pdca-kpi")
    page.get_by_test_id("kpi-years").get_by_role("link", name="2", exact=True).click()
    page.wait_for_url("**/progress/records/**")
    listed = page.locator("table").first.inner_text()
    assert "千代田区" in listed and "八王子市" in listed and "札幌市" not in listed

    login(pdca_data["tokyo"])
    page.goto("/pdca/reviews/new")
    page.fill("#id_fiscal_year", str(year))
    page.get_by_role("button", name="作成してKPIの値を記録する").click()
    page.wait_for_url("**/pdca/reviews/*/")
    assert page.get_by_test_id("frozen-TOKYO-DISASTER").inner_text() == "2団体"
    page.fill("textarea[name=assessment]", "防災分野は順調。町村の取組が課題。")
    page.get_by_role("button", name="評価を保存").click()
    page.get_by_text("の評価を保存しました").wait_for()
    page.get_by_text("対応を追加").click()
    page.fill("#id_new-title", "町村向けの説明会を開く")
    page.fill("#id_new-owner_organisation", "東京都 デジタルサービス局")
    page.fill("#id_new-due_date", (timezone.localdate() - dt.timedelta(days=3)).isoformat())
    page.get_by_role("button", name="追加する").click()
    page.get_by_text("対応を追加しました").wait_for()
    assert page.locator(".flag--overdue").first.inner_text() == "期限切れ"
    screenshot(page, "pdca-review")


def test_kpi_prefecture_map_colours_by_prefecture_and_opens_the_rows(page, screenshot, pdca_data, tmp_path):
    """The national KPI page's choropleth: boundaries through the map component, every municipality in its
    prefecture's colour, a legend, the credit line, and the table beside it as the alternative."""
    from io import StringIO

    from django.core.management import call_command

    from chiiki.regions.tests import topo_fixture

    topo_fixture.write(tmp_path / "boundaries")
    call_command("load_boundaries", str(tmp_path / "boundaries"), stdout=StringIO())
    year = current_fiscal_year()
    actions.save_kpi(SYSTEM, None, {"code": "NATIONAL-ANY", "name": "実装済の団体数", "unit": "団体",
                                    "target_value": "5", "target_fiscal_year": year + 2,
                                    "measure": "progress_implemented_any"}, version=0)
    page.goto("/pdca/kpis/NATIONAL-ANY/")
    page.wait_for_selector("#kpi-map-wrap[data-ready=true]")
    legend = page.locator('[data-map-legend-for="kpi-map"]').inner_text()
    assert "0団体（1都道府県）" in legend and "都道府県）" in legend
    assert "国土数値情報" in page.locator(".map-credit").inner_text()
    tokyo = page.locator("#kpi-map-m131016")
    assert "東京都" in tokyo.get_attribute("aria-label") and "2団体" in tokyo.get_attribute("aria-label")
    assert page.get_by_test_id("kpi-prefectures").locator("tbody tr").count() == 3
    screenshot(page, "pdca-kpi-map")
    page.set_viewport_size({"width": 375, "height": 800})
    screenshot(page, "pdca-kpi-map-375")
    page.set_viewport_size({"width": 1280, "height": 900})
    tokyo.dispatch_event("click")  # the fixture polygons are a few pixels wide
    page.wait_for_url("**/progress/records/**prefecture=13**")


def test_overview_kpi_panel_leads_to_the_kpi_page(page, screenshot, pdca_data):
    from pathlib import Path

    from django.conf import settings

    from ..reference import load_kpis

    load_kpis(data_dir=Path(settings.BASE_DIR) / "data")
    page.goto("/progress/")
    panel = page.get_by_test_id("overview-kpi-DIGIDEN-1500")
    assert "1,500団体" in panel.inner_text()
    screenshot(page, "pdca-overview-kpi-panel")
    panel.get_by_role("link", name="デジタル実装に取り組む地方公共団体数").click()
    page.wait_for_url("**/pdca/kpis/DIGIDEN-1500/")


def test_the_kpi_list_keeps_each_figure_and_its_year_on_one_line(page, screenshot, pdca_data):
    """The KPI's name wraps instead: before, the name's column took the width and 「2020年度まで」 broke after 「ま」."""
    from pathlib import Path

    from django.conf import settings

    from ..reference import load_kpis

    load_kpis(data_dir=Path(settings.BASE_DIR) / "data")
    page.goto("/pdca/")
    table = page.get_by_test_id("kpi-table")
    table.wait_for()
    screenshot(page, "pdca-kpi-list")
    line_height = page.evaluate("parseFloat(getComputedStyle(document.querySelector('table.data td.num .small')).lineHeight)")
    heights = page.evaluate(
        "[...document.querySelectorAll('table.data td.num .small')].map(e => e.getBoundingClientRect().height)"
    )
    assert heights and all(height < line_height * 1.5 for height in heights), (heights, line_height)
    # The figure (a link) and its unit (the text node after it) start on the same line.
    link_top, unit_top = page.evaluate(
        """() => { const link = document.querySelector('[data-testid="kpi-value-DIGIDEN-1500"]');
                   const unit = document.createRange(); unit.selectNode(link.nextSibling);
                   return [link.getBoundingClientRect().top, unit.getBoundingClientRect().top]; }"""
    )
    assert abs(link_top - unit_top) < line_height / 2, (link_top, unit_top)


def test_the_kpi_list_reads_as_cards_on_a_phone(page, screenshot, pdca_data):
    """At 375 px each KPI is a card: its name first, then 目標, 達成率 and 見通し on screen (before, the table
    scrolled sideways and they were off to the right)."""
    from pathlib import Path

    from django.conf import settings

    from chiiki.testing import assert_cards_on_screen

    from ..reference import load_kpis

    load_kpis(data_dir=Path(settings.BASE_DIR) / "data")
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto("/pdca/")
    table = page.get_by_test_id("kpi-table")
    assert_cards_on_screen(table, 375, ["最新値", "目標", "達成率", "見通し"])
    screenshot(page, "pdca-kpi-list-375")


@pytest.mark.parametrize("width", [1280, 375])
def test_an_assessment_refused_by_a_conflict_keeps_what_was_typed(page, login, screenshot, pdca_data, width):
    """Someone else saves the assessment while the officer is typing: the page comes back (409) with the officer's
    text still in the field, the other person's text beside it and the message focused; saving again overwrites."""
    page.set_viewport_size({"width": width, "height": 900})
    review = actions.open_review(SYSTEM, fiscal_year=current_fiscal_year(), prefecture="13")
    entry = review.entries.get()
    login(pdca_data["tokyo"])
    page.goto(f"/pdca/reviews/{review.pk}/")
    mine = "防災分野は順調。\n町村の取組が課題で、説明会を開く。"
    page.fill(f"#assessment-{entry.pk}", mine)
    actions.save_assessment(SYSTEM, entry, assessment="県の担当が先に書いた評価", version=entry.version)
    with page.expect_response(lambda r: r.request.method == "POST") as sent:
        page.get_by_role("button", name="評価を保存").click()
    assert sent.value.status == 409
    page.wait_for_function("document.activeElement && document.activeElement.matches('[data-error-summary]')")
    assert "ほかの人が先に保存しました" in page.locator("[data-error-summary]").inner_text()
    assert page.input_value(f"#assessment-{entry.pk}") == mine
    assert "県の担当が先に書いた評価" in page.locator(".theirs").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth - innerWidth") <= 0
    screenshot(page, f"pdca-assessment-conflict-{width}")
    entry.refresh_from_db()
    assert entry.assessment == "県の担当が先に書いた評価"

    page.get_by_role("button", name="評価を保存").click()
    page.get_by_text("の評価を保存しました").wait_for()
    entry.refresh_from_db()
    assert entry.assessment.replace("\r\n", "\n") == mine
