"""The 「似た事例」 block of the plan page (事例ライブラリ): published cases of other municipalities in the plan's
sectors; a case written in the cases app shows on the next anonymous request of the cached plan page."""

import pytest

from chiiki.access import SYSTEM
from chiiki.cases import actions as case_actions

pytestmark = pytest.mark.django_db


def _case(code, title, sectors, status="published"):
    case, _ = case_actions.save_case(SYSTEM, None, {"municipality": code, "title": title, "summary": f"{title}の概要",
                                                    "sectors": sectors, "status": status}, version=0)
    return case


def test_the_plan_page_shows_similar_cases_in_its_sectors(client, plan_factory):
    plan = plan_factory([(2026, "implementation", 100, [])], status="published", further_sectors=["health"])
    url = plan.get_absolute_url()
    assert "似た事例" not in client.get(url).content.decode()
    school = _case("011002", "札幌市の遠隔授業", ["education"])
    care = _case("131016", "千代田区の見守り", ["health"])
    _case("012025", "函館市の観光案内", ["tourism"])  # another sector
    _case("131016", "千代田区の下書き", ["education"], status="draft")
    _case("132012", "八王子市自身の事例", ["education"])  # the plan's own municipality
    page = client.get(url).content.decode()
    assert "似た事例" in page
    assert f'href="/cases/{school.pk}/"' in page and f'href="/cases/{care.pk}/"' in page
    for absent in ("函館市の観光案内", "千代田区の下書き", "八王子市自身の事例"):
        assert absent not in page
