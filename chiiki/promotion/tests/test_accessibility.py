"""axe-core on the promotion detail pages the site-wide tour cannot reach by a fixed URL (their ids vary):
a council, an organisation, a challenge with proposals (as the municipality) and an event; and on the states a
fixed URL does not show: the proposing company's proposals table, its edit and withdraw forms opened, refused and
after a conflict, and the council form with its municipality filter in use and refused."""

import datetime as dt

import pytest
from django.utils import timezone

from chiiki.access import SYSTEM
from chiiki.core.tests.test_accessibility import _settle, axe_violations
from chiiki.promotion import actions

pytestmark = pytest.mark.browser


@pytest.fixture
def objects(transactional_db, users):
    org = actions.save_organisation(users["company"], None, {"name": "株式会社サンプル", "kind": "startup",
                                                             "sectors": ["health"]})
    council = actions.save_council(SYSTEM, None, {"name": "八王子市推進協議会", "municipality": "132012"})
    actions.add_council_member(SYSTEM, council, org, "chair")
    day = timezone.localdate() + dt.timedelta(days=10)
    challenge = actions.save_challenge(SYSTEM, users["hachioji"].municipality, None, {
        "sector": "health", "title": "見守り", "problem": "p", "requirements": "r", "deadline": day.isoformat(),
        "small_orders": "1"})
    actions.submit_proposal(users["company"], challenge, {"summary": "s", "approach": "a", "cost": "1", "team": "t"})
    event = actions.save_event(users["hachioji"], None, {
        "title": "説明会", "organiser": "municipality:132012", "format": "hybrid", "venue": "市役所",
        "online_url": "https://example.jp/m", "starts_at": f"{day.isoformat()}T10:00",
        "ends_at": f"{day.isoformat()}T11:00", "capacity": "10"})
    from chiiki.funding import actions as funding_actions
    from chiiki.roadmap.models import Sector

    plan = funding_actions.create_plan(  # the plan page with the organisations' roles and the editor's form
        SYSTEM, users["hachioji"].municipality, sector=Sector.objects.get(pk="health"), title="見守りの計画",
        start_year=2026, operator_kind="direct",
        years=[{"fiscal_year": 2026, "phase": "implementation", "total_cost": 100}])
    actions.add_plan_participation(SYSTEM, plan, org, {"role": "partner", "note": "検証"})
    return {"org": org, "challenge": challenge,
            "urls": [council.get_absolute_url(), plan.get_absolute_url(), org.get_absolute_url(),
                     challenge.get_absolute_url(), event.get_absolute_url(),
                     f"/promotion/organisations/{org.pk}/edit"], "users": users}


def test_axe_on_detail_pages(page, login, objects):
    login(objects["users"]["hachioji"])
    problems = {}
    for url in objects["urls"][:5]:
        response = page.goto(url)
        assert response.status == 200, url
        _settle(page)
        found = axe_violations(page)
        if found:
            problems[url] = found
    page.context.clear_cookies()
    login(objects["users"]["company"])
    for url in objects["urls"][3:]:
        response = page.goto(url)
        assert response.status == 200, url
        _settle(page)
        found = axe_violations(page)
        if found:
            problems[f"company {url}"] = found
    assert problems == {}


def _check(page, problems, name):
    _settle(page)
    if found := axe_violations(page):
        problems[name] = found


def test_axe_on_the_proposal_forms_and_the_council_form_in_use(page, login, objects):
    problems = {}
    login(objects["users"]["company"])
    page.goto(objects["org"].get_absolute_url())
    assert page.locator('[data-testid="organisation-proposals"]').is_visible()
    _check(page, problems, "proposals table")

    page.goto(objects["challenge"].get_absolute_url())
    page.get_by_text("提案を修正する").click()
    page.get_by_text("提案を取り下げる…").click()
    _check(page, problems, "edit and withdraw forms opened")
    page.fill("#own-approach", "")
    page.fill("#own-team", "t" * 2001)
    page.get_by_role("button", name="修正を保存する").click()
    assert "進め方を入力してください" in page.content()
    _check(page, problems, "edit refused (422)")
    page.get_by_text("提案を取り下げる…").click()
    page.eval_on_selector("#withdraw-version", "input => input.value = '99'")  # another tab saved first
    page.get_by_role("button", name="この提案を取り下げる").click()
    assert "別の画面で変更されました" in page.content()
    _check(page, problems, "withdraw after a conflict (409)")

    page.context.clear_cookies()
    login(objects["users"]["admin"])
    page.goto("/promotion/councils/new")
    page.get_by_label("市区町村名で絞り込み").fill("八王子")
    _check(page, problems, "council form filtered")
    page.get_by_label("市区町村名で絞り込み").fill("該当なしの名前")
    _check(page, problems, "council form filtered to nothing")
    page.fill("#id_website", "ftp://example.jp")
    page.get_by_role("button", name="保存する").click()
    assert "ウェブサイトは http:// または https://" in page.content()
    _check(page, problems, "council form refused (422)")
    assert problems == {}
