"""Browser: the national admin designates a model region and its neighbours' diffusion chart and map appear."""

import pytest
from django.core.management import call_command

from chiiki.regions.tests import topo_fixture
from chiiki.testing import collect_errors

from .conftest import seed

pytestmark = pytest.mark.browser


@pytest.fixture
def browser_data(transactional_db, users, register, tmp_path):
    topo_fixture.write(tmp_path)
    call_command("load_boundaries", str(tmp_path))
    m = register["municipalities"]
    m["011002"].neighbours.add(m["012025"], m["013315"])  # after the boundaries, which set their own pairs
    seed([("013315", "education", 2025, "implemented"), ("012025", "education", 2026, "implemented"),
          ("012025", "health", 2024, "piloting")])
    return users


def test_admin_designates_and_the_diffusion_chart_appears(page, login, screenshot, browser_data):
    errors = collect_errors(page)
    login(browser_data["admin"])
    page.goto("/promotion/manage/designate")
    page.fill("#id_code", "011002")
    page.fill("#id_fiscal_year", "2025")
    page.get_by_label("教育").check()
    page.get_by_label("医療・介護・健康").check()
    page.fill("#id_package_name", "教育と医療のパッケージ")
    page.fill("#id_story", "札幌市の取組を周辺へ広げます。")
    page.get_by_role("button", name="指定する").click()
    page.wait_for_url("**/promotion/model-regions/011002/**")
    assert "札幌市を2025年度の見本となる地域に指定しました" in page.content()
    page.wait_for_selector('#promotion-diffusion-chart[data-ready="true"]')
    page.wait_for_selector('#promotion-map-wrap[data-ready="true"]')
    values = page.evaluate("document.querySelector('[data-chiiki-map]')._chiikiMap.values")
    assert set(values) == {"011002", "013315", "012025"}
    table = page.locator('[data-testid="diffusion-table"]').inner_text()
    assert "2025年度" in table and "2026年度" in table
    assert page.locator('[data-testid="too-small"]').is_visible()  # 2 neighbours: fewer than 5
    screenshot(page, "promotion-model-region")
    page.goto("/promotion/")
    page.wait_for_selector('#promotion-map-wrap[data-ready="true"]')
    assert "札幌市" in page.locator('[data-testid="model-regions"]').inner_text()
    screenshot(page, "promotion-index")
    assert errors == []


def test_a_startup_answers_a_challenge_and_the_municipality_selects_it(page, login, screenshot, browser_data):
    import datetime as dt

    from django.utils import timezone

    from chiiki.promotion import actions

    users = browser_data
    errors = collect_errors(page)
    deadline = timezone.localdate() + dt.timedelta(days=20)
    challenge = actions.save_challenge(users["hachioji"], users["hachioji"].municipality, None, {
        "sector": "health", "title": "見守りの仕組み", "problem": "独居高齢者の安否確認", "requirements": "通知まで",
        "budget_max": "3000000", "deadline": deadline.isoformat(), "no_track_record": "1"})

    login(users["company"])
    page.goto(f"/promotion/challenges/{challenge.pk}/")
    page.get_by_role("link", name="所属する組織を登録").click()
    page.fill("#id_name", "見守りスタートアップ合同会社")
    page.select_option("#id_kind", "startup")
    page.get_by_role("button", name="保存する").click()
    page.wait_for_url("**/promotion/organisations/*/")
    page.goto(f"/promotion/challenges/{challenge.pk}/")
    page.fill("#id_summary", "LPWAセンサーで見守り")
    page.fill("#id_approach", "3か月の実証から")
    page.fill("#id_cost", "2500000")
    page.fill("#id_team", "技術者2名")
    page.get_by_role("button", name="提案を提出する").click()
    page.wait_for_selector('[data-testid="proposal"]')
    screenshot(page, "promotion-proposal-submitted")
    page.context.clear_cookies()

    login(users["hachioji"])
    page.goto(f"/promotion/challenges/{challenge.pk}/")
    card = page.locator('[data-testid="proposal"]', has_text="見守りスタートアップ合同会社")
    card.get_by_role("button", name="候補にする").click()
    card = page.locator('[data-testid="proposal"]', has_text="見守りスタートアップ合同会社")
    assert "候補" in card.inner_text()
    card.get_by_label("契約金額（円）").fill("2400000")
    card.get_by_role("button", name="この提案を選定して結果を公表").click()
    page.wait_for_selector('[data-testid="outcome"]')
    assert page.locator('[data-testid="challenge-status"]').inner_text() == "決定"
    screenshot(page, "promotion-challenge-selected")

    page.context.clear_cookies()
    page.goto(f"/promotion/challenges/{challenge.pk}/")
    outcome = page.locator('[data-testid="outcome"]').inner_text()
    assert "見守りスタートアップ合同会社" in outcome and "2,400,000円" in outcome and "LPWAセンサー" in outcome
    assert errors == []


def test_the_plan_editor_names_an_organisations_role_on_the_plan_page(page, login, screenshot, transactional_db,
                                                                      users, register):
    from chiiki.access import SYSTEM
    from chiiki.funding import actions as funding_actions
    from chiiki.promotion import actions
    from chiiki.roadmap.models import Sector

    errors = collect_errors(page)
    plan = funding_actions.create_plan(
        SYSTEM, register["municipalities"]["132012"], sector=Sector.objects.get(pk="health"), title="八王子の見守り計画",
        start_year=2026, operator_kind="direct",
        years=[{"fiscal_year": 2026, "phase": "implementation", "total_cost": 100}])
    actions.save_organisation(SYSTEM, None, {"name": "多摩IoT協会", "kind": "industry", "prefecture": "13"})
    login(users["hachioji"])
    page.goto(plan.get_absolute_url())
    section = page.locator("#plan-organisations")
    assert "まだ登録されていません" in section.inner_text()
    page.select_option("#plan-org-organisation", label="多摩IoT協会")
    page.select_option("#plan-org-role", label="運営主体")
    page.fill("#plan-org-note", "運用・保守の窓口")
    section.get_by_role("button", name="加える").click()
    page.wait_for_selector('[data-testid="plan-organisations"]')
    assert "多摩IoT協会" in page.locator('[data-testid="plan-organisations"]').inner_text()
    assert "運営主体" in page.locator('[data-testid="plan-organisations"]').inner_text()
    page.locator("#plan-organisations").scroll_into_view_if_needed()
    screenshot(page, "promotion-plan-organisations")
    page.set_viewport_size({"width": 375, "height": 800})
    page.reload()
    # On a phone each organisation reads as a card: its role and the button that removes it are on screen, and
    # the button says what it removes.
    role = page.locator('[data-testid="plan-organisations"] td[data-label="役割"]').first
    role.scroll_into_view_if_needed()
    box = role.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375, box
    assert page.get_by_role("button", name="多摩IoT協会（運営主体）を外す").is_visible()
    screenshot(page, "promotion-plan-organisations-375")
    page.get_by_role("link", name="多摩IoT協会").first.click()
    page.wait_for_url("**/promotion/organisations/**")
    assert "八王子の見守り計画" in page.locator('[data-testid="organisation-plans"]').inner_text()
    screenshot(page, "promotion-organisation-plans-375")
    actions.record_commitment(SYSTEM, register["municipalities"]["132012"], declared_on="2026-04-01",
                              title="市長の地域IoT実装宣言", document_url="https://example.jp/declaration")
    page.goto("/promotion/commitments/?prefecture=13")
    assert "市長の地域IoT実装宣言" in page.locator('[data-testid="commitments"]').inner_text()
    screenshot(page, "promotion-commitments-375")
    assert errors == []
