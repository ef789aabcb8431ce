"""Every risk flag through the API (GET /api/v1/plans/{id}) and the plan page: present when its rule holds, gone
when the plan is fixed, with its Japanese reason and the rows behind it."""

import pytest

from chiiki import access
from chiiki.funding import actions
from chiiki.funding.models import FundingLine, PlanYear

from .conftest import CONFIRMED, GENERAL, NATIONAL, PLANNED, RECEIVED, REJECTED, make_program

PEOPLE, IMPL, OPER = "people_knowhow", "implementation", "operation"


def flags_of(client, plan):
    response = client.get(f"/api/v1/plans/{plan.pk}")
    assert response.status_code == 200, response.content
    return response.json()["risk_flags"]


def codes(client, plan):
    return sorted(f["code"] for f in flags_of(client, plan))


def funded(fy, phase, cost=100, kind=GENERAL):
    return (fy, phase, cost, [(kind, cost, CONFIRMED, None)])


@pytest.fixture
def healthy(plan_factory):
    return plan_factory([funded(2026, PEOPLE), funded(2027, IMPL), funded(2028, OPER)], status="published")


def test_a_healthy_plan_has_no_flags(client, healthy):
    assert codes(client, healthy) == []


def test_cliff_year_with_cost_but_nothing_secured(client, plan_factory):
    plan = plan_factory([funded(2026, PEOPLE), (2027, IMPL, 5_000_000, [(GENERAL, 5_000_000, PLANNED, None)]),
                         funded(2028, OPER)], status="published")
    [flag] = flags_of(client, plan)
    assert flag["code"] == "funding_cliff" and flag["label"] == "財源の崖"
    assert "2027年度は事業費5,000,000円に対して、採択・確定または受領した財源がありません" in flag["reason"]
    year = PlanYear.objects.get(plan=plan, fiscal_year=2027)
    assert {(r["kind"], r["id"]) for r in flag["rows"]} == {("year", year.pk), ("line", year.lines.get().pk)}
    # A received line makes the year secured: the flag goes on the next read (nothing stored).
    actions.add_line(access.SYSTEM, year, source_kind=GENERAL, amount=1, state=RECEIVED)
    assert codes(client, plan) == []


def test_cliff_rejected_money_does_not_count(client, plan_factory):
    plan = plan_factory([funded(2026, PEOPLE), (2027, IMPL, 100, [(GENERAL, 100, REJECTED, None)]), funded(2028, OPER)],
                        status="published")
    assert codes(client, plan) == ["funding_cliff"]


def test_cliff_after_a_programs_max_years(client, plan_factory):
    program = make_program("ONE-YEAR", max_years=1, name="単年度補助金")
    plan = plan_factory([funded(2026, PEOPLE), (2027, IMPL, 1000, [(NATIONAL, 800, CONFIRMED, program),
                                                           (GENERAL, 200, CONFIRMED, None)]),
                         (2028, OPER, 1000, [(GENERAL, 300, CONFIRMED, None)])], status="published")
    [flag] = flags_of(client, plan)
    assert flag["code"] == "funding_cliff"
    assert "「単年度補助金」は最長1年のため2027年度で終わりますが、2028年度にこれに代わる財源が300円しかありません" in flag["reason"]
    line_2028 = FundingLine.objects.get(plan_year__plan=plan, plan_year__fiscal_year=2028)
    assert ("line", line_2028.pk) in {(r["kind"], r["id"]) for r in flag["rows"]}
    actions.update_line(access.SYSTEM, line_2028, version=line_2028.version, amount=800)
    assert codes(client, plan) == []


def test_operator_undecided_for_the_operation_year(client, plan_factory):
    plan = plan_factory([funded(2026, PEOPLE), funded(2027, IMPL), funded(2028, OPER)], operator_kind="undecided",
                        status="published")
    [flag] = flags_of(client, plan)
    assert flag["code"] == "operator_undecided"
    assert "運用・自走の年度（2028年度）があるのに、支援終了後の運営主体が未定です" in flag["reason"]
    assert [r["fiscal_year"] for r in flag["rows"]] == [2028]
    plan.refresh_from_db()
    actions.update_plan(access.SYSTEM, plan, version=plan.version, operator_kind="npo", operator_name="NPO法人テスト")
    assert codes(client, plan) == []


def test_plan_shorter_than_three_years(client, plan_factory):
    plan = plan_factory([funded(2026, PEOPLE), funded(2027, IMPL)], status="published")
    [flag] = flags_of(client, plan)
    assert flag["code"] == "too_short"
    assert "計画が2年度分しかありません" in flag["reason"]
    actions.add_year(access.SYSTEM, plan, fiscal_year=2028, phase=OPER, total_cost=0)
    assert codes(client, plan) == []


def test_program_outside_its_eligibility(client, plan_factory):
    villages = make_program("VILLAGES", entity_kinds=["village", "town"], name="町村向け補助金")
    plan = plan_factory([funded(2026, PEOPLE), (2027, IMPL, 100, [(NATIONAL, 100, CONFIRMED, villages)]),
                         funded(2028, OPER)], status="published")  # 八王子市 is a 中核市
    [flag] = flags_of(client, plan)
    assert flag["code"] == "program_ineligible"
    assert "「町村向け補助金」は八王子市では対象外です" in flag["reason"]
    assert "中核市は対象外" in flag["reason"]
    assert [r["kind"] for r in flag["rows"]] == ["line"]
    # The same program is fine for 青ヶ島村.
    other = plan_factory([funded(2026, PEOPLE), (2027, IMPL, 100, [(NATIONAL, 100, CONFIRMED, villages)]),
                          funded(2028, OPER)], municipality="134023", status="published")
    assert codes(client, other) == []


def test_program_beyond_its_max_years(client, plan_factory):
    two = make_program("TWO-YEARS", max_years=2, name="2年補助金")
    plan = plan_factory([(2026, PEOPLE, 100, [(NATIONAL, 50, CONFIRMED, two), (GENERAL, 50, CONFIRMED, None)]),
                         (2027, IMPL, 100, [(NATIONAL, 50, CONFIRMED, two), (GENERAL, 50, CONFIRMED, None)]),
                         (2028, OPER, 100, [(NATIONAL, 50, CONFIRMED, two), (GENERAL, 50, CONFIRMED, None)])],
                        status="published")
    [flag] = flags_of(client, plan)
    assert flag["code"] == "program_over_max_years"
    assert "「2年補助金」は最長2年ですが、3年度（2026年度、2027年度、2028年度）で使われています" in flag["reason"]
    third = FundingLine.objects.get(plan_year__plan=plan, plan_year__fiscal_year=2028, program=two)
    assert [(r["kind"], r["id"]) for r in flag["rows"]] == [("line", third.pk)]


def test_last_year_mostly_one_time_national_money(client, plan_factory):
    program = make_program("OPEX", name="運用支援")
    plan = plan_factory([funded(2026, PEOPLE), funded(2027, IMPL),
                         (2028, OPER, 1000, [(NATIONAL, 800, CONFIRMED, program), (GENERAL, 200, CONFIRMED, None)])],
                        status="published")
    [flag] = flags_of(client, plan)
    assert flag["code"] == "one_time_heavy"
    assert "最終年度（2028年度）の財源1,000円のうち80%（800円）が一時的な国の支援メニューです" in flag["reason"]
    general = FundingLine.objects.get(plan_year__plan=plan, plan_year__fiscal_year=2028, source_kind=GENERAL)
    actions.update_line(access.SYSTEM, general, version=general.version, amount=201)  # 800 / 1001 < 80 %
    assert codes(client, plan) == []


def test_flags_show_on_the_plan_page_and_filter_the_list(client, plan_factory, healthy):
    short = plan_factory([funded(2026, PEOPLE)], status="published", title="短い計画")
    page = client.get(f"/funding/plans/{short.pk}/").content.decode()
    assert "3年度未満" in page and "計画が1年度分しかありません" in page
    listed = client.get("/funding/plans/?flag=too_short").content.decode()
    assert "短い計画" in listed and healthy.title not in listed.replace("短い計画", "")


def test_national_cliff_list(client, plan_factory):
    program = make_program("ENDS", max_years=1, name="終わる補助金")
    plan = plan_factory([funded(2026, PEOPLE), (2027, IMPL, 1000, [(NATIONAL, 900, CONFIRMED, program),
                                                           (GENERAL, 100, CONFIRMED, None)])],
                        status="published", title="崖のある計画")
    body = client.get("/api/v1/funding/cliffs?fiscal_year=2027").json()
    assert body == [{"plan": plan.pk, "title": "崖のある計画", "owner_name": "東京都八王子市", "program": "ENDS",
                     "program_name": "終わる補助金", "last_year": 2027, "ending": 900, "replacement": 0,
                     "at_risk": 900}]
    assert client.get("/api/v1/funding/cliffs?fiscal_year=2026").json() == []
    page = client.get("/funding/cliffs/?fiscal_year=2027").content.decode()
    assert "崖のある計画" in page and "900円" in page


def test_the_plan_list_names_a_flag_once_however_many_years_it_holds_for(client, plan_factory):
    plan = plan_factory([funded(2026, PEOPLE), (2027, IMPL, 100, [(GENERAL, 100, PLANNED, None)]),
                         (2028, OPER, 100, [(GENERAL, 100, PLANNED, None)])], status="published")
    assert [f["code"] for f in flags_of(client, plan)] == ["funding_cliff", "funding_cliff"]  # the page says each
    html = client.get("/funding/plans/").content.decode()
    row = html.split(plan.title)[1].split("</tr>")[0]
    assert row.count("財源の崖") == 1
    assert client.get("/funding/plans/?format=csv").content.decode("utf-8-sig").count("財源の崖") == 1
