"""The plan form's KPI box (「指標, 基準値, 目標値, 年度」 per line) reads back what it shows: a figure with a digit
grouping (5,000人) or a value holding a comma does not split into another field, so saving the page unchanged
saves (before, 「KPI 1件目の年度: 年度を読み取れません: '000人'」 refused every edit of such a plan)."""

import re
from html import unescape

import pytest

from chiiki.funding.models import ImplementationPlan

pytestmark = pytest.mark.django_db

KPIS = [{"indicator": "サービスの利用者数", "baseline": "0人", "target": "5,000人", "fiscal_year": 2027},
        {"indicator": "見守り、防災の通報件数", "baseline": "1,234,567件", "target": "\"倍増\"", "fiscal_year": None}]


def _form(page: str) -> dict:
    values = {name: unescape(value) for name, value in re.findall(r'<input[^>]*name="(\w+)"[^>]*value="([^"]*)"', page)}
    values.update({name: unescape(text) for name, text in
                   re.findall(r'<textarea[^>]*name="(\w+)"[^>]*>\n?(.*?)</textarea>', page, re.S)})
    values.update({name: value for name, value in re.findall(
        r'<select[^>]*name="(\w+)"[^>]*>.*?<option value="([^"]*)"[^>]*selected', page, re.S)})
    return values


def test_a_plan_whose_kpis_hold_commas_is_saved_from_its_page_unchanged(client_for, users, plan_factory):
    plan = plan_factory([(2026, "people_knowhow", 0, [])], kpis=KPIS)
    editor = client_for(users["hachioji"])
    page = editor.get(f"/funding/plans/{plan.pk}/edit").content.decode()
    body = _form(page)
    assert "5,000人" in body["kpis"]
    body["title"] = "題名だけ直した計画"
    response = editor.post(f"/funding/plans/{plan.pk}/edit", body)
    assert response.status_code == 302, re.findall(r'class="errorlist[^"]*"[^>]*>(.*?)</ul>', response.content.decode())
    saved = ImplementationPlan.objects.get(pk=plan.pk)
    assert saved.title == "題名だけ直した計画" and saved.kpis == KPIS


@pytest.mark.parametrize("typed, expected", [
    ("利用者数, 0人, 5,000人, 2027", ["利用者数", "0人", "5,000人", 2027]),
    ("利用者数,100,200,2028", ["利用者数", "100", "200", 2028]),  # four fields as typed: no grouping read
    ("利用者数、1,000、2,000、令和10年度", ["利用者数", "1,000", "2,000", 2028]),
    ('"見守り、防災", 1, 2', ["見守り、防災", "1", "2", None]),
])
def test_the_kpi_box_reads_grouped_figures_and_quoted_values(client_for, users, plan_factory, typed, expected):
    plan = plan_factory([(2026, "people_knowhow", 0, [])])
    editor = client_for(users["hachioji"])
    body = _form(editor.get(f"/funding/plans/{plan.pk}/edit").content.decode())
    body["kpis"] = typed
    assert editor.post(f"/funding/plans/{plan.pk}/edit", body).status_code == 302
    kpi = ImplementationPlan.objects.get(pk=plan.pk).kpis[0]
    assert [kpi["indicator"], kpi["baseline"], kpi["target"], kpi["fiscal_year"]] == expected


def test_an_overlong_kpi_box_is_refused_before_it_is_read(client_for, users, plan_factory):
    plan = plan_factory([(2026, "people_knowhow", 0, [])])
    editor = client_for(users["hachioji"])
    body = _form(editor.get(f"/funding/plans/{plan.pk}/edit").content.decode())
    body["kpis"] = "x" + '"' * 60_000
    response = editor.post(f"/funding/plans/{plan.pk}/edit", body)
    assert response.status_code == 422
    assert "KPIの欄は" in response.content.decode() and "60,001文字あります" in response.content.decode()
    assert ImplementationPlan.objects.get(pk=plan.pk).version == plan.version


@pytest.mark.parametrize("indicator", ["見守りの\n通報件数", "見守りの\u2028通報件数", "見守りの\r通報件数"])
def test_a_plan_whose_kpi_holds_a_line_break_is_saved_from_its_page(client_for, users, plan_factory, indicator):
    # Saved through the API or an import, a value may hold a line break: the box shows it as a space, one KPI a line.
    kpis = [{"indicator": indicator, "baseline": "0件", "target": "100件", "fiscal_year": 2027}]
    plan = plan_factory([(2026, "people_knowhow", 0, [])], kpis=kpis)
    editor = client_for(users["hachioji"])
    body = _form(editor.get(f"/funding/plans/{plan.pk}/edit").content.decode())
    body["title"] = "題名だけ直した計画"
    assert editor.post(f"/funding/plans/{plan.pk}/edit", body).status_code == 302
    assert ImplementationPlan.objects.get(pk=plan.pk).kpis == [{**kpis[0], "indicator": "見守りの 通報件数"}]
