"""GET /api/v1/funding/cliffs and /pledges stay bare JSON arrays, bounded by limit/offset (X-Total-Count, Link);
the national cliff list computes only from the plans that can have a cliff in the 年度 asked for."""

import datetime as dt

import pytest

from chiiki import access
from chiiki.core.tests.windows import assert_window_documented, assert_windowed
from chiiki.funding import actions, flags
from chiiki.funding.models import NonGrantStatus
from chiiki.roadmap.models import Sector

from .conftest import CONFIRMED, GENERAL, NATIONAL, REJECTED, make_program

PEOPLE, IMPL = "people_knowhow", "implementation"

pytestmark = pytest.mark.django_db


@pytest.fixture
def cliff_world(plan_factory):
    """Four plans whose program support ends in 2027 with less replacing it in 2028 (amount at risk: 900, 700,
    500, 300), and plans without a 2027 cliff."""
    one_year = make_program("ENDS-1", max_years=1, name="1年で終わる補助金")
    two_years = make_program("ENDS-2", max_years=2, name="2年で終わる補助金")
    endless = make_program("OPEN", name="期限のない補助金")
    cliffs = {}
    for title, at_risk, program, years in (("崖300", 300, one_year, [2027]), ("崖900", 900, two_years, [2026, 2027]),
                                           ("崖500", 500, one_year, [2027]), ("崖700", 700, one_year, [2027])):
        rows = [(fy, PEOPLE if fy == 2026 else IMPL, 1000, [(NATIONAL, at_risk, CONFIRMED, program)])
                for fy in years]
        rows.append((2028, IMPL, 1000, [(GENERAL, 0, CONFIRMED, None)]))
        cliffs[title] = plan_factory(rows, status="published", title=title).pk
    others = [
        plan_factory([(2027, IMPL, 1000, [(NATIONAL, 800, CONFIRMED, one_year)])], title="下書き"),  # a draft
        plan_factory([(2027, IMPL, 1000, [(NATIONAL, 800, REJECTED, one_year)])], status="published",
                     title="不採択"),
        plan_factory([(2027, IMPL, 1000, [(NATIONAL, 800, CONFIRMED, endless)])], status="published",
                     title="期限なし"),
        plan_factory([(2027, IMPL, 1000, [(NATIONAL, 800, CONFIRMED, two_years)])], status="published",
                     title="2028年度に終わる"),
        plan_factory([(2027, IMPL, 1000, [(NATIONAL, 800, CONFIRMED, one_year)]),
                      (2028, IMPL, 1000, [(GENERAL, 800, CONFIRMED, None)])], status="published", title="置き換え済み"),
        plan_factory([(2026, IMPL, 1000, [(GENERAL, 1000, CONFIRMED, None)])], status="published", title="国の支援なし"),
    ]
    return cliffs, [p.pk for p in others]


def test_cliffs_are_windowed_largest_first(client, cliff_world):
    cliffs, _others = cliff_world
    order = [cliffs[t] for t in ("崖900", "崖700", "崖500", "崖300")]
    assert_windowed(client, "/api/v1/funding/cliffs?fiscal_year=2027", order, key="plan")


def test_cliffs_compute_only_from_plans_with_program_money_ending_that_year(client, cliff_world, monkeypatch):
    cliffs, others = cliff_world
    loaded = []
    real_load = flags.load

    def spy(plan_ids):
        loaded.extend(plan_ids.values_list("pk", flat=True))
        return real_load(plan_ids)

    monkeypatch.setattr(flags, "load", spy)
    assert len(client.get("/api/v1/funding/cliffs?fiscal_year=2027&limit=1").json()) == 1
    # Candidates: the four cliffs, the plan whose 2027 money is replaced and the one whose program lasts to
    # 2028 (the rule itself rules them out); never the draft, the rejected line, the open-ended program or the
    # plan without national money.
    assert sorted(loaded) == sorted([*cliffs.values(), others[3], others[4]])


@pytest.fixture
def pledges(register, users):
    m = register["municipalities"]
    company = actions.register_company(users["company"], name="株式会社サンプル", corporate_number="7000012050002",
                                       head_office=m["131016"])
    NonGrantStatus.objects.create(code="132012", fiscal_year=2026, non_grant=False, metropolitan=True)
    plan = actions.create_revitalisation_plan(access.SYSTEM, m["132012"], name="八王子市の地域再生計画",
                                              approved_on=dt.date(2025, 6, 1), start_year=2025, end_year=2029)
    project = actions.add_revitalisation_project(access.SYSTEM, plan, name="防災センサー",
                                                 sector=Sector.objects.get(pk="disaster"), target_amount=10_000_000)
    made = [actions.pledge(users["company"], company, project, amount=100_000 * (i + 1), fiscal_year=2026,
                           no_return_declared=True, idempotency_key=f"order-{i}")[0].pk for i in range(5)]
    return made


def test_pledges_are_windowed_newest_first(client_for, users, pledges):
    assert_windowed(client_for(users["company"]), "/api/v1/pledges", pledges[::-1])
    other = client_for(users["sapporo"]).get("/api/v1/pledges")  # sees none of them
    assert other.json() == [] and other["X-Total-Count"] == "0"


@pytest.mark.parametrize("path", ["/api/v1/funding/cliffs", "/api/v1/pledges"])
def test_window_parameters_are_in_the_openapi_document(client, path):
    assert_window_documented(client, path)
