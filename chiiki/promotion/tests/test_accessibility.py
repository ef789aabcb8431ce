"""axe-core on the promotion detail pages the site-wide tour cannot reach by a fixed URL (their ids vary):
a council, an organisation, a challenge with proposals (as the municipality) and an event."""

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
    return {"urls": [council.get_absolute_url(), plan.get_absolute_url(), org.get_absolute_url(),
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
