"""The plan list's 財源 links (CSV/XLSX and 財源の一覧) hold the lines of exactly the plans the list shows, on all its
pages, for the same user: every filter of the list travels, a municipality's wide-area plans included, and the line
list says which plans it lists."""

import csv
import html
import io
import re

import pytest

from .conftest import CONFIRMED, GENERAL
from .test_wide_area import _wide_plan

pytestmark = pytest.mark.django_db


def _link(page, fmt="csv"):
    found = re.search(rf'href="(/funding/lines/\?[^"]*format={fmt})"', page.content.decode())
    return html.unescape(found.group(1))


def _exported_plans(client, link) -> list[int]:
    response = client.get(link)
    assert response.status_code == 200, response.content.decode()[:300]
    return [int(r[0]) for r in list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))[1:]]


def test_lines_export_of_a_municipality_plan_list_holds_the_wide_area_plans_lines(client, register):
    wide = _wide_plan(register, participants=("134023",))  # 東京都's plan, 青ヶ島村 takes part; 3 lines
    page = client.get("/funding/plans/?municipality=134023")
    assert [p.pk for p, _flags in page.context["rows"]] == [wide.pk]  # the list shows the wide-area plan
    link = _link(page)
    rows = list(csv.reader(io.StringIO(client.get(link).content.decode("utf-8-sig"))))[1:]
    assert len(rows) == wide.years.count() == 3, f"{link!r}: {len(rows)} lines for the listed plan's 3"


def test_lines_export_of_a_status_filtered_list_leaves_the_owners_drafts_out(client_for, users, plan_factory):
    published = plan_factory([(2026, "implementation", 100, [(GENERAL, 100, CONFIRMED, None)])],
                             status="published", title="公開した計画")
    draft = plan_factory([(2026, "implementation", 100, [(GENERAL, 50, CONFIRMED, None)])], title="下書きの計画")
    c = client_for(users["hachioji"])  # the owner: sees its draft in the unfiltered lists
    assert {draft.pk, published.pk} <= set(_exported_plans(c, "/funding/lines/?format=csv"))
    page = c.get("/funding/plans/?status=public")
    assert [p.pk for p, _flags in page.context["rows"]] == [published.pk]
    for fmt in ("csv", "xlsx"):
        assert "status" in _link(page, fmt)
    assert _exported_plans(c, _link(page)) == [published.pk]


def test_lines_export_follows_the_lists_risk_filter(client, register, plan_factory):
    _wide_plan(register, participants=("134023",))  # 3 年度: not 3年度未満
    short = plan_factory([(2026, "implementation", 100, [(GENERAL, 100, CONFIRMED, None),
                                                         (GENERAL, 20, CONFIRMED, None)])],
                         status="published", title="単年度の計画")
    page = client.get("/funding/plans/?flag=too_short")
    assert [p.pk for p, _flags in page.context["rows"]] == [short.pk]
    assert _exported_plans(client, _link(page)) == [short.pk, short.pk]
    listed = client.get(_link(page).replace("&format=csv", "").replace("format=csv", ""))
    assert listed.context["totals"] == {"count": 2, "amount": 120}
    assert [line.plan_year.plan_id for line in listed.context["page"].object_list] == [short.pk, short.pk]


def test_line_list_reached_from_the_plan_list_says_which_plans_it_lists(client, register, plan_factory):
    wide = _wide_plan(register, participants=("134023",))
    page = client.get("/funding/plans/?municipality=134023&status=public")
    link = re.search(r'href="(/funding/lines/\?[^"]*)">財源の一覧', page.content.decode())
    listed = client.get(html.unescape(link.group(1)))
    assert listed.status_code == 200
    assert {line.plan_year.plan_id for line in listed.context["page"].object_list} == {wide.pk}
    body = listed.content.decode()
    notice = re.search(r'<p id="plan-list-lines"[^>]*>(.*?)</p>', body, re.S).group(1)
    assert "実装計画の一覧" in notice and "青ヶ島村" in notice and "参加する広域計画を含む" in notice
    assert "公開・完了" in notice
    back = html.unescape(re.search(r'href="([^"]*)"', notice).group(1))
    assert back.startswith("/funding/plans/?") and "municipality=134023" in back and "status=public" in back
    # The line list's own form keeps the plan list's filters when narrowed further.
    assert 'name="plans-municipality" value="134023"' in body


def test_a_plan_list_filter_the_line_list_cannot_read_is_refused_with_nothing_exported(client, register):
    _wide_plan(register, participants=("134023",))
    response = client.get("/funding/lines/?plans-status=nonsense&format=csv")
    assert response.status_code == 422
    assert "text/csv" not in response["Content-Type"]
    assert "実装計画の一覧の条件「状態」" in response.content.decode()
    assert not response.context["page"].object_list


def test_lines_export_carries_every_filter_of_the_list(client, register, plan_factory):
    wide = _wide_plan(register, participants=("134023",))
    plan_factory([(2026, "implementation", 100, [(GENERAL, 100, CONFIRMED, None)])], status="published")
    page = client.get("/funding/plans/?municipality=134023&min_years=3&started_by=2030&published_by=R22"
                      "&sector=disaster&prefecture=13")
    assert [p.pk for p, _flags in page.context["rows"]] == [wide.pk]
    assert _exported_plans(client, _link(page, "csv")) == [wide.pk] * 3
    too_many = client.get("/funding/plans/?municipality=134023&min_years=4")
    assert not too_many.context["rows"]  # no rows, no export links: the lines the 財源の一覧 link would show
    assert _exported_plans(client, f"/funding/lines/?{too_many.context['lines_query']}&format=csv") == []
