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
