"""財源の崖: the money that ends and the money replacing it link to the lines behind them, and the line list's total
is that figure."""

import html as htmllib
import re

import pytest

from .conftest import CONFIRMED, GENERAL, NATIONAL, PLANNED, REJECTED, make_program

pytestmark = pytest.mark.django_db

PEOPLE, IMPL, OPER = "people_knowhow", "implementation", "operation"


def _total(client, url: str) -> str:
    page = client.get(url).content.decode()
    return re.search(r'<p id="line-totals">([^<]*)</p>', page).group(1)


def test_each_amount_of_a_cliff_links_to_the_lines_that_make_it(client, plan_factory):
    program = make_program("ENDS", max_years=1, name="終わる補助金")
    other = make_program("OTHER", name="別の補助金")
    plan_factory([(2026, PEOPLE, 100, [(GENERAL, 100, CONFIRMED, None)]),
                  (2027, IMPL, 1000, [(NATIONAL, 600, CONFIRMED, program), (NATIONAL, 200, PLANNED, program),
                                      (NATIONAL, 50, REJECTED, program), (GENERAL, 150, CONFIRMED, None)]),
                  (2028, OPER, 1000, [(GENERAL, 300, CONFIRMED, None), (NATIONAL, 100, PLANNED, other),
                                      (GENERAL, 400, REJECTED, None), (NATIONAL, 500, CONFIRMED, program)])],
                 status="published", title="崖のある計画")
    page = client.get("/funding/cliffs/?fiscal_year=2027").content.decode()
    row = re.search(r"<tr><td data-label=\"計画\">.*?</tr>", page, re.S).group(0)
    links = re.findall(r'<td class="num" data-label="([^"]*)"><a href="([^"]+)">([^<]*)</a></td>', row)
    assert [(label, text) for label, _, text in links] == [("2027年度の額", "800円"), ("翌年度の代わりの財源", "400円")]
    ending, replacement = (htmllib.unescape(href) for _, href, _ in links)
    # 800 = the program's 2027 lines that are not 不採択; 400 = 2028's lines from anything else, not 不採択.
    assert _total(client, ending) == "該当 2件・合計 800円"
    assert _total(client, replacement) == "該当 2件・合計 400円"
    listed = client.get(ending).content.decode()
    assert "支援メニュー「終わる補助金」の財源のみ" in listed and "不採択を除く" in listed
    assert "支援メニュー「終わる補助金」以外の財源" in client.get(replacement).content.decode()
    # The filters stay when the form narrows further (hidden fields).
    assert 'name="other_than_program"' in client.get(replacement).content.decode()


def test_the_line_list_states_its_total(client, plan_factory):
    plan_factory([(2026, PEOPLE, 100, [(GENERAL, 1_200, CONFIRMED, None), (GENERAL, 34, PLANNED, None)])],
                 status="published")
    assert _total(client, "/funding/lines/") == "該当 2件・合計 1,234円"
    assert _total(client, "/funding/lines/?secured=1") == "該当 1件・合計 1,200円"


def test_the_api_lists_the_same_lines_with_their_total(client, plan_factory):
    program = make_program("ENDS", max_years=1, name="終わる補助金")
    plan = plan_factory([(2027, IMPL, 1000, [(NATIONAL, 600, CONFIRMED, program), (NATIONAL, 50, REJECTED, program),
                                             (GENERAL, 150, CONFIRMED, None)])], status="published")
    hidden = plan_factory([(2027, IMPL, 70, [(GENERAL, 70, CONFIRMED, None)])], title="下書きの計画")  # a draft
    body = client.get(f"/api/v1/funding/lines?fiscal_year=2027&program=ENDS&plan={plan.pk}").json()
    assert (body["count"], body["total_amount"]) == (2, 650)
    body = client.get("/api/v1/funding/lines?fiscal_year=2027&program=ENDS&exclude_rejected=true").json()
    assert (body["count"], body["total_amount"]) == (1, 600)
    assert body["items"][0] | {"id": 0} == {
        "id": 0, "source_kind": NATIONAL, "source_kind_label": "国の支援メニュー", "program": "ENDS", "campaign": None,
        "donation_project": None, "label": body["items"][0]["label"], "amount": 600, "state": CONFIRMED,
        "state_label": "採択・確定", "version": 1, "plan": plan.pk, "plan_title": plan.title,
        "owner_name": "東京都八王子市", "sector": plan.sector_id, "fiscal_year": 2027}
    others = client.get("/api/v1/funding/lines?other_than_program=ENDS").json()
    assert (others["count"], others["total_amount"]) == (1, 150)  # the draft's line is not public
    assert hidden.pk not in {i["plan"] for i in others["items"]}
    assert client.get("/api/v1/funding/lines?state=nope").status_code == 422
    assert client.get("/api/v1/funding/lines?fiscal_year=abc").status_code == 422


def _conditions(client, url: str) -> str:
    page = client.get(url).content.decode()
    found = re.search(r'<p class="small" id="line-conditions">(.*?)</p>', page, re.S)
    return " ".join(found.group(1).split()) if found else ""


def test_a_list_reached_from_one_plan_names_that_plan(client, client_for, users, plan_factory):
    """The cliff's amounts (and the plan page's figures) open the list filtered to one plan by a hidden field: the
    list says which plan its rows and total are for, as it says the program — only to those who may see the plan."""
    program = make_program("ENDS", max_years=1, name="終わる補助金")
    plan = plan_factory([(2027, IMPL, 1000, [(NATIONAL, 600, CONFIRMED, program)]),
                         (2028, OPER, 1000, [(GENERAL, 300, CONFIRMED, None)])], status="published", title="崖のある計画")
    page = client.get("/funding/cliffs/?fiscal_year=2027").content.decode()
    for href in re.findall(r'<td class="num" data-label="[^"]*"><a href="([^"]+)">', page):
        said = _conditions(client, htmllib.unescape(href))
        assert f'計画「<a href="/funding/plans/{plan.pk}/">崖のある計画</a>」の財源のみ。' in said
    assert "崖のある計画" in _conditions(client, f"/funding/lines/?plan={plan.pk}")
    draft = plan_factory([(2027, IMPL, 70, [(GENERAL, 70, CONFIRMED, None)])], title="下書きの計画")
    assert "下書きの計画" in _conditions(client_for(users["hachioji"]), f"/funding/lines/?plan={draft.pk}")
    hidden = _conditions(client, f"/funding/lines/?plan={draft.pk}")
    assert f"計画（ID {draft.pk}）の財源のみ。" in hidden and "下書きの計画" not in hidden
    assert _conditions(client, "/funding/lines/") == ""


def test_a_gap_of_zero_with_more_money_than_cost_is_not_written_as_a_false_subtraction(client, plan_factory):
    """事業費 500 and lines of 700: 「500円 − 700円 = 不足 0円」 is false arithmetic; the list says the lines exceed it."""
    plan = plan_factory([(2027, OPER, 500, [(GENERAL, 700, PLANNED, None)])], status="published")
    page = client.get(f"/funding/lines/?plan={plan.pk}&fiscal_year=2027&exclude_rejected=1").content.decode()
    gap = " ".join(re.sub(r"<[^>]+>", "", re.search(r'data-testid="year-gap">(.*?)</p>', page, re.S).group(1)).split())
    assert gap.endswith("の2027年度: 下の財源の計（不採択を除く） 700円が事業費 500円を上回るため、不足 0円")
    assert "−" not in gap
