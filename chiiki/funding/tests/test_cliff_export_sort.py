"""The 財源の崖 page sorted 計画の登録順 links to an export in the same order (the sort travels with the filters), and
the API offers the same order through the same code."""

import csv
import html
import io
import re

import pytest

from .test_list_windows import cliff_world  # noqa: F401 — the four-cliff world

pytestmark = pytest.mark.django_db


def _export(client, page, fmt="csv"):
    link = html.unescape(re.search(rf'href="(\?[^"]*format={fmt})"', page.content.decode()).group(1))
    return link, client.get("/funding/cliffs/" + link)


def test_cliff_export_link_keeps_the_pages_sort(client, cliff_world):  # noqa: F811
    cliffs, _others = cliff_world
    page = client.get("/funding/cliffs/?fiscal_year=2027&sort=plan")
    assert page.status_code == 200
    shown = [plan.pk for plan, _c in page.context["page"].object_list]
    assert shown == sorted(cliffs.values())  # the page: 計画の登録順
    link, exported = _export(client, page)
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))[1:]
    assert [int(r[0]) for r in rows] == shown, f"export link {link!r} lists the cliffs in another order"
    assert "sort=plan" in _export(client, page, "xlsx")[0]


def test_cliff_export_link_of_the_default_order_keeps_it(client, cliff_world):  # noqa: F811
    cliffs, _others = cliff_world
    page = client.get("/funding/cliffs/?fiscal_year=2027")
    shown = [plan.pk for plan, _c in page.context["page"].object_list]
    assert shown == [cliffs[t] for t in ("崖900", "崖700", "崖500", "崖300")]
    _link, exported = _export(client, page)
    assert [int(r[0]) for r in list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))[1:]] == shown


def test_cliffs_api_offers_the_pages_sort(client, cliff_world):  # noqa: F811
    cliffs, _others = cliff_world
    by_plan = client.get("/api/v1/funding/cliffs?fiscal_year=2027&sort=plan")
    assert by_plan.status_code == 200
    assert [r["plan"] for r in by_plan.json()] == sorted(cliffs.values())
    page = client.get("/funding/cliffs/?fiscal_year=2027&sort=plan")
    assert [r["plan"] for r in by_plan.json()] == [plan.pk for plan, _c in page.context["page"].object_list]
    refused = client.get("/api/v1/funding/cliffs?fiscal_year=2027&sort=nonsense")
    assert refused.status_code == 422
    assert "並び順" in refused.json()["detail"]
