"""The main flow in Chromium: a municipal officer writes a request from free text, the admin dispatches the top
candidate, the advisor logs a visit and reports, the municipality rates; the demand–supply page shows the change."""


import pytest
from django.utils import timezone

from chiiki.talent.models import Status, TalentRequest
from chiiki.testing import collect_errors

pytestmark = pytest.mark.browser


def _as(page, login, user):
    page.context.clear_cookies()
    login(user)


def _demand_cell(page, capability):
    page.goto("/talent/analytics/")
    return page.locator(f'[data-testid="capability-heat"] td[data-capability="{capability}"]').inner_text()


def _map_label(page, code):
    """The demand–supply map's label for a municipality (its prefecture's figures), once the map is coloured."""
    page.wait_for_selector('#talent-map-wrap[data-ready="balance"]')
    return page.evaluate(f"document.getElementById('talent-map')._chiikiMap.values['{code}'].label")


def test_request_from_free_text_to_rated_dispatch(transactional_db, users, vocabulary, rounds, advisor_profile,
                                                  page, login, screenshot, tmp_path):
    from io import StringIO

    from django.core.management import call_command

    from chiiki.regions.tests import topo_fixture

    topo_fixture.write(tmp_path / "boundaries")  # the map draws polygons, as on a site with boundaries loaded
    call_command("load_boundaries", str(tmp_path / "boundaries"), stdout=StringIO())
    errors = collect_errors(page)
    _as(page, login, users["admin"])
    assert _demand_cell(page, "CAP-HLT-07") == "0"
    assert "依頼 0件" in _map_label(page, "132012")

    # The municipal officer: free text → suggested capability → draft → 申請
    _as(page, login, users["hachioji"])
    page.goto("/talent/requests/new")
    page.fill("#id_wish_search", "見守りセンサーを入れられる人")
    page.get_by_role("button", name="できることの候補を見る").click()
    page.locator('[data-capability="CAP-HLT-07"]').click()
    assert page.locator('input[name=required][value="CAP-HLT-07"]').is_checked()
    page.fill("#id_title", "見守りセンサーを入れられる人")
    page.select_option("#id_sector", "health")
    page.fill("#id_vision", "一人暮らしの高齢者が安心して暮らせる")
    screenshot(page, "talent-request-form")
    page.get_by_role("button", name="下書きとして保存する").click()
    page.get_by_test_id("move-submit").click()
    assert page.get_by_test_id("status").inner_text() == "申請"
    request_id = TalentRequest.objects.get().pk

    # The national admin: 受付 → the top candidate → 依頼中
    _as(page, login, users["admin"])
    page.goto(f"/talent/requests/{request_id}/")
    page.get_by_test_id("move-receive").click()
    first = page.get_by_test_id("candidate").first
    assert "見守 一郎" in first.inner_text() and "必須 1/1" in first.inner_text()
    screenshot(page, "talent-candidates")
    first.get_by_test_id("ask").click()
    assert page.get_by_test_id("status").inner_text() == "依頼中"

    # The advisor: 承諾 → a visit (派遣中) → the report
    _as(page, login, users["advisor"])
    page.goto(f"/talent/requests/{request_id}/")
    page.get_by_test_id("move-accept").click()
    page.fill("#id_date", timezone.localdate().isoformat())
    page.fill("#id_hours", "3")
    page.select_option("#id_mode", "onsite")
    page.fill("#id_participants", "5")
    page.get_by_test_id("add-visit").click()
    assert page.get_by_test_id("status").inner_text() == "派遣中"
    page.fill("#id_done", "センサーの試験設置と研修")
    page.fill("#id_handed_over_to", "福祉課の担当者2名に設定手順を引き継ぎ")
    page.locator("#id_gained summary", has_text="医療・介護・健康").click()  # the sector's group unfolds
    page.locator('input[name=gained][value="CAP-HLT-07"]').check()
    page.get_by_test_id("submit-report").click()
    assert page.get_by_test_id("status").inner_text() == "報告提出"

    # The municipality rates; the contact details are now visible to it
    _as(page, login, users["hachioji"])
    page.goto(f"/talent/requests/{request_id}/")
    assert "ichiro@example.jp" in page.get_by_test_id("contact").inner_text()
    page.get_by_label("5").check()
    page.get_by_test_id("rate").click()
    assert page.get_by_test_id("status").inner_text() == "評価済"
    screenshot(page, "talent-rated")
    assert TalentRequest.objects.get().status == Status.RATED

    # The demand–supply page shows the request and the capability handed over
    _as(page, login, users["admin"])
    assert _demand_cell(page, "CAP-HLT-07") == "1"
    assert "IoTセンサーによる高齢者の見守りを導入できる" in page.locator("main").inner_text()
    assert _map_label(page, "132012") == "東京都：依頼 1件・対応できる人材 1人（依頼は人材の数以下）"
    page.locator("#talent-map").scroll_into_view_if_needed()
    screenshot(page, "talent-analytics")
    page.select_option("#talent-map-measure", "demand")
    page.wait_for_selector('#talent-map-wrap[data-ready="demand"]')
    assert "依頼 1件" in page.evaluate("document.getElementById('talent-map')._chiikiMap.values['132012'].label")
    page.set_viewport_size({"width": 375, "height": 800})
    page.locator("#talent-map").scroll_into_view_if_needed()
    screenshot(page, "talent-analytics-375")
    assert errors == []


def test_looking_for_suggestions_keeps_the_form_as_typed(transactional_db, users, vocabulary, page, login):
    """分野, 目指す姿 and a ticked 「できること」 survive 「できることの候補を見る」 sent with Enter in the wish box, and
    a suggestion pressed afterwards adds to what was ticked."""
    errors = collect_errors(page)
    login(users["hachioji"])
    page.goto("/talent/requests/new")
    page.select_option("#id_sector", "health")
    page.fill("#id_vision", "一人暮らしの高齢者が安心して暮らせる")
    page.locator("#id_required details:has(input[value=CAP-EDU-01]) > summary").click()
    page.check('input[name=required][value="CAP-EDU-01"]')
    page.fill("#id_wish_search", "見守りができる人")
    with page.expect_navigation():
        page.press("#id_wish_search", "Enter")
    assert page.input_value("#id_wish_search") == "見守りができる人"
    assert page.input_value("#id_sector") == "health"
    assert page.input_value("#id_vision") == "一人暮らしの高齢者が安心して暮らせる"
    assert page.input_value("#id_title") == "見守りができる人"
    assert page.locator('input[name=required][value="CAP-EDU-01"]').is_checked()
    assert page.locator("[data-error-summary], .errorlist").count() == 0
    assert page.get_by_test_id("suggestion").count() > 0
    page.get_by_test_id("suggestion").first.click()
    assert page.locator("input[name=required]:checked").count() == 2
    assert not TalentRequest.objects.exists() and errors == []
