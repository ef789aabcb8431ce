"""The plan list's filters for "published" (公開 and 完了 together) and "started by a 年度": the page, its export and
the API give the same plans (promotion's candidate score links here with both)."""

import csv
import io

import pytest

from chiiki.access import SYSTEM
from chiiki.funding import actions
from chiiki.funding.queries import municipalities_with_published_plans

from .conftest import CONFIRMED, GENERAL

pytestmark = pytest.mark.django_db


def _titles_on_page(client, query: str) -> set[str]:
    page = client.get(f"/funding/plans/?{query}").content.decode()
    return {t for t in ("公開2025", "完了2024", "公開2027", "下書き2025", "中止2025") if f">{t}</a>" in page}


def test_published_and_started_by_filters(client, plan_factory):
    years = lambda y: [(y, "people_knowhow", 100, [(GENERAL, 100, CONFIRMED, None)])]  # noqa: E731
    plan_factory(years(2025), status="published", title="公開2025")
    done = plan_factory(years(2024), status="published", title="完了2024")
    actions.set_status(SYSTEM, done, "completed", version=done.version)
    plan_factory(years(2027), status="published", title="公開2027")
    plan_factory(years(2025), title="下書き2025")
    stopped = plan_factory(years(2025), status="published", title="中止2025")
    actions.set_status(SYSTEM, stopped, "discontinued", version=stopped.version, reason="予算がつかなかった")

    assert _titles_on_page(client, "status=public") == {"公開2025", "完了2024", "公開2027"}
    assert _titles_on_page(client, "status=public&started_by=2026") == {"公開2025", "完了2024"}
    assert _titles_on_page(client, "status=public&started_by=令和7年度&municipality=132012") == {"公開2025",
                                                                                                  "完了2024"}
    assert _titles_on_page(client, "started_by=2024") == {"完了2024"}
    exported = list(csv.reader(io.StringIO(client.get("/funding/plans/?status=public&started_by=2026&format=csv")
                                           .content.decode("utf-8-sig"))))
    assert {r[1] for r in exported[1:]} == {"公開2025", "完了2024"}
    api = client.get("/api/v1/plans?status=public&started_by=2026").json()
    assert api["count"] == 2 and {p["title"] for p in api["items"]} == {"公開2025", "完了2024"}
    # The score's own read counts the same plans
    assert municipalities_with_published_plans(up_to_year=2023) == set()
    assert municipalities_with_published_plans(up_to_year=2024) == {"132012"}
    assert client.get("/api/v1/plans?status=bogus").status_code == 422


def test_a_mistyped_start_year_is_said_on_the_filter(client, plan_factory):
    page = client.get("/funding/plans/?started_by=そのうち").content.decode()
    assert 'id="id_started_by_error"' in page and "年度" in page.split('id="id_started_by_error"', 1)[1][:200]
    assert client.get("/api/v1/plans?started_by=soon").status_code == 422


def test_a_mistyped_filter_lists_and_exports_no_plan(client, plan_factory):
    """?prefecture=01 with a mistyped 開始年度 showed (and exported) 東京都's plans as if they were 北海道's."""
    years = [(2025, "people_knowhow", 100, [(GENERAL, 100, CONFIRMED, None)])]
    plan_factory(years, status="published", title="公開2025")
    assert _titles_on_page(client, "") == {"公開2025"}
    assert _titles_on_page(client, "prefecture=01&started_by=abc") == set()
    exported = client.get("/funding/plans/?prefecture=01&started_by=abc&format=csv").content.decode("utf-8-sig")
    assert exported.splitlines()[0].startswith("計画ID") and len(exported.splitlines()) == 1


@pytest.mark.parametrize("value,status,count", [("-1", 422, None), ("-2026", 422, None), ("99999", 422, None),
                                                ("R8", 200, 1), ("令和6年度", 200, 0), ("2026", 200, 1)])
def test_the_api_reads_the_start_year_as_the_page_does(client, plan_factory, value, status, count):
    """A negative year was a 500 (Django proves the bound empty and writes no SQL); 和暦 was refused, 99999 taken."""
    plan_factory([(2025, "people_knowhow", 100, [(GENERAL, 100, CONFIRMED, None)])], status="published", title="公開")
    response = client.get(f"/api/v1/plans?started_by={value}")
    page = client.get(f"/funding/plans/?started_by={value}").content.decode()
    assert response.status_code == status
    if count is None:
        assert "年度" in str(response.json()["detail"]) and 'id="id_started_by_error"' in page
    else:
        assert response.json()["count"] == count and page.count(">公開</a>") == count
