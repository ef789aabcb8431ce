"""Implementation plans through the pages and the API: create, edit one row at a time, stale versions, drafts,
permissions for every role at every write, history, filters and exports."""

import csv
import io
import re

import pytest

from chiiki.core.models import ChangeRecord
from chiiki.funding.models import FundingLine, ImplementationPlan, PlanYear

from .conftest import CONFIRMED, GENERAL, PLANNED

ROLES = ["public", "admin", "tokyo", "hachioji", "aogashima", "sapporo", "advisor", "company"]
EDITORS = {"admin", "tokyo", "hachioji"}


def _client(client_for, users, role):
    return client_for(None if role == "public" else users[role])


# ---- Creating and editing on the pages ------------------------------------------------------------------------


def test_municipal_officer_creates_a_draft_plan(client_for, users):
    c = client_for(users["hachioji"])
    form = c.get("/funding/plans/new").content.decode()
    assert "八王子市" in form and "千代田区" not in form  # only the municipality the officer manages
    response = c.post("/funding/plans/new", {
        "owner": "m:132012", "title": "八王子市 GIGAスクール実装計画", "sector": "education", "start_year": "令和8年度",
        "operator_kind": "direct", "vision": "すべての学校で端末を日常的に使う",
        "kpis": "端末の利用率, 40%, 90%, 令和10年度\n家庭学習の実施校、0校、30校"})
    plan = ImplementationPlan.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/funding/plans/{plan.pk}/"
    assert plan.status == "draft" and plan.municipality_id == "132012" and plan.prefecture_id == "13"
    assert plan.kpis == [{"indicator": "端末の利用率", "baseline": "40%", "target": "90%", "fiscal_year": 2028},
                         {"indicator": "家庭学習の実施校", "baseline": "0校", "target": "30校", "fiscal_year": None}]
    assert "端末の利用率, 40%, 90%, 2028" in c.get(f"/funding/plans/{plan.pk}/edit").content.decode()
    assert [(y.fiscal_year, y.phase) for y in plan.years.all()] == [
        (2026, "people_knowhow"), (2027, "implementation"), (2028, "operation")]
    assert ChangeRecord.objects.filter(model="funding.implementationplan", object_id=str(plan.pk),
                                       action="create", actor=users["hachioji"]).exists()
    assert ChangeRecord.objects.filter(model="funding.planyear").count() == 3


def test_a_plan_holds_at_most_thirty_kpis(client_for, users):
    """50,000 KPIs in one body were accepted (a 2.4 MB plan that every page, export and history record carried)."""
    from chiiki.pdca.tests.conftest import bearer

    body = {"municipality": "132012", "title": "KPIの多い計画", "sector": "education", "start_year": 2026,
            "kpis": [{"indicator": f"指標{n}", "target": "1"} for n in range(31)]}
    response = client_for(None).post("/api/v1/plans", body, content_type="application/json",
                                     **bearer(users["hachioji"]))
    assert response.status_code == 422
    assert response.json()["detail"]["kpis"] == "KPIは1つの計画に30件までです（31件あります）"
    page = client_for(users["hachioji"]).post("/funding/plans/new", {
        "owner": "m:132012", "title": "KPIの多い計画", "sector": "education", "start_year": "2026",
        "operator_kind": "direct", "kpis": "\n".join(f"指標{n}, 0, 1" for n in range(31))})
    assert page.status_code == 422 and "KPIは1つの計画に30件までです" in page.content.decode()
    assert not ImplementationPlan.objects.exists()
    body["kpis"] = body["kpis"][:30]
    assert client_for(None).post("/api/v1/plans", body, content_type="application/json",
                                 **bearer(users["hachioji"])).status_code == 201


def test_create_form_reports_japanese_errors(client_for, users):
    c = client_for(users["hachioji"])
    response = c.post("/funding/plans/new", {"owner": "m:132012", "title": "", "sector": "education",
                                             "start_year": "来年", "operator_corporate_number": "1234567890123",
                                             "kpis": "利用者数"})
    assert response.status_code == 422
    page = response.content.decode()
    assert "計画名を入力してください" in page
    assert "開始年度: 年度を読み取れません" in page
    assert "法人番号のチェックデジットが一致しません" in page
    assert "KPI 1件目の目標値を入力してください" in page
    assert not ImplementationPlan.objects.exists()


def test_an_empty_plan_form_says_once_per_field_what_is_missing(client_for, users, plan_factory):
    """Each required field of the create and edit forms sent empty has one Japanese message (before: Django's
    「このフィールドは必須です。」 above 「策定団体を選んでください」 / 「分野を選んでください」)."""
    import re

    def errors(page):
        return {field: re.findall(r"<li>(.*?)</li>", listed) for field, listed in re.findall(
            r'<label for="id_(\w+)">[^<]*(?:<span class="required">必須</span>)?</label>\s*<ul class="errorlist"[^>]*>(.*?)</ul>',
            page)}

    c = client_for(users["hachioji"])
    blank = {"owner": "", "participants": "", "title": "", "sector": "", "vision": "", "start_year": "",
             "operator_kind": "undecided", "operator_name": "", "operator_corporate_number": "", "kpis": ""}
    response = c.post("/funding/plans/new", blank)  # as a browser sends the form untouched (owner left blank)
    assert response.status_code == 422
    assert errors(response.content.decode()) == {
        "owner": ["策定団体を選んでください"], "title": ["計画名を入力してください"], "sector": ["分野を選んでください"],
        "start_year": ["開始年度を入力してください"]}
    response = c.post("/funding/plans/new", {})  # nothing at all (not a browser): refused the same way, not a 500
    assert response.status_code == 422
    assert errors(response.content.decode())["operator_kind"] == ["運営主体の種類を選んでください"]
    # owner and sector chosen: the action's refusal of the empty 計画名 is not said a second time
    response = c.post("/funding/plans/new", {"owner": "m:132012", "sector": "education", "start_year": "2026",
                                             "operator_kind": "direct"})
    assert errors(response.content.decode()) == {"title": ["計画名を入力してください"]}
    plan = plan_factory([(2026, "implementation", 1000, [])])
    response = c.post(f"/funding/plans/{plan.pk}/edit", {"version": plan.version, "start_year": "2026",
                                                         "operator_kind": "direct"})
    assert response.status_code == 422
    assert errors(response.content.decode()) == {"title": ["計画名を入力してください"],
                                                  "sector": ["分野を選んでください"]}
    assert "このフィールドは必須です" not in response.content.decode()


def test_the_only_municipality_an_officer_may_plan_for_is_chosen_already(client_for, users):
    one = client_for(users["hachioji"]).get("/funding/plans/new").content.decode()
    assert '<option value="m:132012" selected>東京都八王子市</option>' in one
    several = client_for(users["tokyo"]).get("/funding/plans/new").content.decode()  # 都内の団体 and the 広域計画
    assert re.search(r'<option value="" selected>選択してください</option>', several)
    assert " selected>東京都" not in several


def test_create_form_refused_to_those_who_manage_nothing(client_for, users):
    assert _client(client_for, users, "company").get("/funding/plans/new").status_code == 403
    assert _client(client_for, users, "public").get("/funding/plans/new").status_code == 302  # to the login


def test_edit_rows_on_the_plan_page(client_for, users, plan_factory):
    plan = plan_factory([(2026, "people_knowhow", 0, []), (2027, "implementation", 0, []),
                         (2028, "operation", 0, [])])
    c = client_for(users["hachioji"])
    year = plan.years.get(fiscal_year=2027)
    response = c.post(f"/funding/plans/{plan.pk}/years/{year.pk}", {
        f"year{year.pk}-fiscal_year": "2027", f"year{year.pk}-phase": "implementation",
        f"year{year.pk}-total_cost": "3,000,000", f"year{year.pk}-activities": "機器導入",
        f"year{year.pk}-version": year.version})
    assert response.status_code == 302
    year.refresh_from_db()
    assert (year.total_cost, year.activities, year.version) == (3_000_000, "機器導入", 2)
    page = c.get(f"/funding/plans/{plan.pk}/").content.decode()
    assert "2027年度は事業費3,000,000円に対して" in page

    # htmx: the answer is the page, whose #plan-editor replaces the old one (flags included).
    response = c.post(f"/funding/plans/{plan.pk}/years/{year.pk}/lines/add", {
        f"newline{year.pk}-source_kind": "general", f"newline{year.pk}-amount": "3000000",
        f"newline{year.pk}-state": "confirmed", f"newline{year.pk}-label": "一般財源"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    page = response.content.decode()
    assert "2027年度に財源（一般財源）を追加しました" in page and "2027年度は事業費" not in page
    line = FundingLine.objects.get()
    # A stale version of the line is refused and the page shows the current values.
    c.post(f"/funding/plans/{plan.pk}/lines/{line.pk}", {
        f"line{line.pk}-source_kind": "general", f"line{line.pk}-amount": "1", f"line{line.pk}-state": "planned",
        f"line{line.pk}-version": line.version})
    stale = c.post(f"/funding/plans/{plan.pk}/lines/{line.pk}", {
        f"line{line.pk}-source_kind": "general", f"line{line.pk}-amount": "2", f"line{line.pk}-state": "planned",
        f"line{line.pk}-version": line.version})
    assert stale.status_code == 409
    assert "ほかの利用者が先に更新しました" in stale.content.decode()
    line.refresh_from_db()
    assert (line.amount, line.version) == (1, 2)
    # A bad amount: 422 with the reason, nothing written.
    bad = c.post(f"/funding/plans/{plan.pk}/lines/{line.pk}", {
        f"line{line.pk}-source_kind": "general", f"line{line.pk}-amount": "-5", f"line{line.pk}-state": "planned",
        f"line{line.pk}-version": line.version})
    assert bad.status_code == 422 and "金額は0円以上で入力してください" in bad.content.decode()
    # Delete the line; the history keeps it.
    c.post(f"/funding/plans/{plan.pk}/lines/{line.pk}", {"delete": "1", f"line{line.pk}-version": line.version})
    assert not FundingLine.objects.exists()
    assert ChangeRecord.objects.filter(model="funding.fundingline", action="delete").count() == 1


def test_a_refused_row_comes_back_as_typed_with_its_bad_field_marked(client_for, users, plan_factory):
    """Bad input loses nothing: the form the refused post came from shows what was typed; the others stay stored."""
    plan = plan_factory([(2026, "people_knowhow", 0, []), (2027, "implementation", 0, [])])
    c = client_for(users["hachioji"])
    year = plan.years.get(fiscal_year=2027)
    other = plan.years.get(fiscal_year=2026)
    for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
        response = c.post(f"/funding/plans/{plan.pk}/years/{year.pk}/lines/add", {
            f"newline{year.pk}-source_kind": "general", f"newline{year.pk}-amount": "-5",
            f"newline{year.pk}-state": "confirmed", f"newline{year.pk}-label": "入力した内訳の名前"}, **headers)
        assert response.status_code == (200 if headers else 422)
        page = response.content.decode()
        assert "金額は0円以上で入力してください" in page and not FundingLine.objects.exists()
        assert 'value="入力した内訳の名前"' in page and 'value="-5"' in page
        assert f'name="newline{year.pk}-amount" value="-5" aria-invalid="true" aria-describedby="plan-errors"' in page
        assert f'id="id_newline{year.pk}-label" aria-invalid' not in page  # only the field that was refused
        assert f'name="newline{other.pk}-label"' in page and 'value="入力した内訳の名前"' not in page.split(
            f'name="newline{other.pk}-label"')[1][:80]  # the other year's empty form stays empty
        assert '<details class="add-line" open><summary>2027年度に財源を追加' in page
    # A refused year keeps what was typed in that year's form, with the stored value nowhere lost.
    response = c.post(f"/funding/plans/{plan.pk}/years/{year.pk}", {
        f"year{year.pk}-fiscal_year": "二千二十七", f"year{year.pk}-phase": "implementation",
        f"year{year.pk}-total_cost": "100", f"year{year.pk}-activities": "入力した取組内容",
        f"year{year.pk}-version": year.version})
    assert response.status_code == 422
    page = response.content.decode()
    assert "入力した取組内容" in page and 'value="二千二十七"' in page
    year.refresh_from_db()
    assert (year.fiscal_year, year.activities, year.version) == (2027, "", 1)


def test_status_changes_and_discontinue_needs_a_reason(client_for, users, plan_factory):
    plan = plan_factory([(2026, "people_knowhow", 0, [])])
    c = client_for(users["tokyo"])
    assert c.post(f"/funding/plans/{plan.pk}/status", {"status": "published", "version": 1}).status_code == 302
    plan.refresh_from_db()
    assert plan.status == "published"
    response = c.post(f"/funding/plans/{plan.pk}/status", {"status": "discontinued", "version": plan.version})
    assert response.status_code == 422 and "中止の理由を入力してください" in response.content.decode()
    c.post(f"/funding/plans/{plan.pk}/status", {"status": "discontinued", "version": plan.version,
                                                 "reason": "事業者が撤退したため"})
    plan.refresh_from_db()
    assert (plan.status, plan.status_reason) == ("discontinued", "事業者が撤退したため")


# ---- Who sees what ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_drafts_are_404_to_everyone_but_their_editors(client_for, users, plan_factory, role):
    draft = plan_factory([(2026, "people_knowhow", 0, [])], title="下書きの計画")
    c = _client(client_for, users, role)
    expected = 200 if role in EDITORS else 404
    assert c.get(f"/funding/plans/{draft.pk}/").status_code == expected
    assert c.get(f"/api/v1/plans/{draft.pk}").status_code == expected
    assert ("下書きの計画" in c.get("/funding/plans/").content.decode()) is (role in EDITORS)
    assert (c.get("/api/v1/plans").json()["count"] == 1) is (role in EDITORS)


def test_published_plans_are_public(client, plan_factory):
    plan = plan_factory([(2026, "people_knowhow", 0, [])], status="published", title="公開の計画")
    assert client.get(f"/funding/plans/{plan.pk}/").status_code == 200
    assert "公開の計画" in client.get("/funding/plans/").content.decode()


# ---- Every API write for every role ----------------------------------------------------------------------------


def _writes(plan):
    year = plan.years.get(fiscal_year=2026)
    line = FundingLine.objects.get(plan_year=year)
    return {
        "create": ("post", "/api/v1/plans", {"municipality": "132012", "title": "API計画", "sector": "education",
                                             "start_year": 2027}),
        "update": ("put", f"/api/v1/plans/{plan.pk}", {"version": plan.version, "title": "改名"}),
        "status": ("post", f"/api/v1/plans/{plan.pk}/status", {"version": plan.version, "status": "completed"}),
        "add_year": ("post", f"/api/v1/plans/{plan.pk}/years", {"fiscal_year": 2029, "phase": "operation"}),
        "update_year": ("put", f"/api/v1/plans/{plan.pk}/years/{year.pk}", {"version": year.version,
                                                                          "total_cost": 5}),
        "delete_year": ("delete", f"/api/v1/plans/{plan.pk}/years/{year.pk}?version={year.version}", None),
        "add_line": ("post", f"/api/v1/plans/{plan.pk}/years/{year.pk}/lines", {"source_kind": "general",
                                                                               "amount": 10}),
        "update_line": ("put", f"/api/v1/plans/{plan.pk}/lines/{line.pk}", {"version": line.version, "amount": 7}),
        "delete_line": ("delete", f"/api/v1/plans/{plan.pk}/lines/{line.pk}?version={line.version}", None),
    }


@pytest.mark.parametrize("write", ["create", "update", "status", "add_year", "update_year", "delete_year",
                                   "add_line", "update_line", "delete_line"])
@pytest.mark.parametrize("role", ROLES)
def test_api_writes_by_role(client_for, users, plan_factory, role, write):
    plan = plan_factory([(2026, "people_knowhow", 10, [(GENERAL, 10, CONFIRMED, None)]),
                         (2027, "implementation", 0, [])], status="published")
    method, url, body = _writes(plan)[write]
    c = _client(client_for, users, role)
    kwargs = {"content_type": "application/json", "data": body} if body is not None else {}
    response = getattr(c, method)(url, **kwargs)
    if role == "public":
        assert response.status_code == 401
    elif role in EDITORS:
        assert response.status_code in (200, 201), response.content
    else:
        assert response.status_code == 403, response.content
        assert response.json()["detail"] == "この操作を行う権限がありません"


@pytest.mark.parametrize("role", ["aogashima", "sapporo", "company"])
def test_api_writes_to_a_draft_are_404_to_others(client_for, users, plan_factory, role):
    plan = plan_factory([(2026, "people_knowhow", 0, [])])
    response = client_for(users[role]).put(f"/api/v1/plans/{plan.pk}", data={"version": 1, "title": "x"},
                                           content_type="application/json")
    assert response.status_code == 404


def test_api_stale_versions_are_409_with_the_current_plan(client_for, users, plan_factory):
    plan = plan_factory([(2026, "people_knowhow", 10, [(GENERAL, 10, PLANNED, None)])])
    c = client_for(users["hachioji"])
    assert c.put(f"/api/v1/plans/{plan.pk}", data={"version": 1, "title": "一回目"},
                 content_type="application/json").status_code == 200
    stale = c.put(f"/api/v1/plans/{plan.pk}", data={"version": 1, "title": "二回目"}, content_type="application/json")
    assert stale.status_code == 409
    assert stale.json()["current"]["title"] == "一回目" and stale.json()["current"]["version"] == 2
    year = PlanYear.objects.get(plan=plan)
    line = FundingLine.objects.get()
    for url, body in ((f"/api/v1/plans/{plan.pk}/years/{year.pk}", {"version": 0, "total_cost": 1}),
                      (f"/api/v1/plans/{plan.pk}/lines/{line.pk}", {"version": 5, "amount": 1})):
        assert c.put(url, data=body, content_type="application/json").status_code == 409
    assert c.delete(f"/api/v1/plans/{plan.pk}/lines/{line.pk}?version=9").status_code == 409
    assert FundingLine.objects.get().amount == 10


def test_api_validation_is_422_in_japanese(client_for, users, plan_factory):
    plan = plan_factory([(2026, "people_knowhow", 0, [])])
    c = client_for(users["hachioji"])
    year = PlanYear.objects.get(plan=plan)
    response = c.post(f"/api/v1/plans/{plan.pk}/years/{year.pk}/lines",
                      data={"source_kind": "national_program", "amount": 100}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["detail"] == {"program": "国の支援メニューを選んでください"}
    response = c.post(f"/api/v1/plans/{plan.pk}/years", data={"fiscal_year": 2026, "phase": "operation"},
                      content_type="application/json")
    assert response.status_code == 422 and response.json()["detail"] == {"fiscal_year": "2026年度はすでにあります"}
    response = c.post("/api/v1/plans", data={"municipality": "132012", "prefecture": "13", "title": "x",
                                             "sector": "education", "start_year": 2026},
                      content_type="application/json")
    assert response.status_code == 422


def test_prefecture_wide_area_plan(client_for, users, register):
    c = client_for(users["tokyo"])
    response = c.post("/api/v1/plans", data={"prefecture": "13", "participants": ["132012", "134023"],
                                             "title": "東京都 広域防災計画", "sector": "disaster", "start_year": 2026},
                      content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["municipality"] is None and body["owner_name"] == "東京都（広域）"
    assert sorted(body["participants"]) == ["132012", "134023"]
    # Municipal staff of a participant cannot edit the prefecture's plan; a municipality elsewhere is refused.
    plan_id = body["id"]
    assert client_for(users["hachioji"]).put(f"/api/v1/plans/{plan_id}", data={"version": 1, "title": "x"},
                                             content_type="application/json").status_code == 404
    response = c.post("/api/v1/plans", data={"prefecture": "13", "participants": ["011002"], "title": "x",
                                             "sector": "disaster", "start_year": 2026},
                      content_type="application/json")
    assert response.status_code == 422 and "東京都以外の団体は参加団体にできません" in str(response.json())


# ---- Lists, filters and exports -------------------------------------------------------------------------------


def test_list_filters_and_exports(client, plan_factory):
    plan_factory([(2026, "people_knowhow", 100, [(GENERAL, 100, CONFIRMED, None)])], status="published",
                 title="八王子の計画")
    plan_factory([(2026, "people_knowhow", 100, [(GENERAL, 60, CONFIRMED, None)])], status="published",
                 municipality="011002", title="札幌の計画")
    page = client.get("/funding/plans/?prefecture=01").content.decode()
    assert "札幌の計画" in page and "八王子の計画" not in page
    assert client.get("/api/v1/plans?prefecture=13").json()["count"] == 1
    assert client.get("/api/v1/plans?status=bogus").status_code == 422
    response = client.get("/funding/plans/?format=csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["計画ID", "計画名", "団体コード"]
    assert {r[1] for r in rows[1:]} == {"八王子の計画", "札幌の計画"}
    lines = list(csv.reader(io.StringIO(client.get("/funding/lines/?prefecture=01&format=csv")
                                        .content.decode("utf-8-sig"))))
    assert [r[10] for r in lines[1:]] == ["60"]
    assert client.get("/funding/plans/?format=xlsx")["Content-Type"].startswith(
        "application/vnd.openxmlformats")


def test_empty_list_says_so(client, register):
    assert "条件に合う実装計画はありません" in client.get("/funding/plans/").content.decode()


def test_prefecture_staff_create_a_wide_area_plan_on_the_page(client_for, users):
    c = client_for(users["tokyo"])
    form = c.get("/funding/plans/new").content.decode()
    assert "東京都（広域計画）" in form and "八王子市" in form and "札幌市" not in form
    bad = c.post("/funding/plans/new", {"owner": "m:132012", "participants": "134023", "title": "x",
                                        "sector": "disaster", "start_year": "2026", "operator_kind": "undecided"})
    assert bad.status_code == 422 and "参加団体は都道府県の広域計画にだけ指定できます" in bad.content.decode()
    outside = c.post("/funding/plans/new", {"owner": "p:13", "participants": "011002", "title": "x",
                                            "sector": "disaster", "start_year": "2026", "operator_kind": "undecided"})
    assert "東京都以外の団体は参加団体にできません: 札幌市" in outside.content.decode()
    c.post("/funding/plans/new", {"owner": "p:13", "participants": "132012、13402", "title": "東京都 島しょ防災",
                                  "sector": "disaster", "start_year": "2026", "operator_kind": "undecided"})
    plan = ImplementationPlan.objects.get()
    assert plan.municipality is None and sorted(plan.participants.values_list("code", flat=True)) == [
        "132012", "134023"]
    assert "参加団体: 八王子市、青ヶ島村" in c.get(plan.get_absolute_url()).content.decode()


def test_year_source_table_figures_link_to_lines_that_add_up_to_them(client, plan_factory):
    """Every amount of the 年度 × 財源 table (per source kind, 財源計, うち確定・受領) links to its lines."""
    import re

    from .conftest import NATIONAL, make_program

    program = make_program("TABLE", name="表の補助金")
    plan = plan_factory([(2026, "implementation", 1000, [(NATIONAL, 600, CONFIRMED, program), (GENERAL, 300, PLANNED, None),
                                                         (GENERAL, 100, CONFIRMED, None)]),
                         (2027, "operation", 500, [(GENERAL, 500, PLANNED, None)])], status="published")
    page = client.get(f"/funding/plans/{plan.pk}/").content.decode()
    table = re.search(r'<table class="data funding-table[^"]*">(.*?)</table>', page, re.S).group(1)
    linked = re.findall(r'<td class="num"[^>]*><a href="([^"]+)">([\d,]+)円</a></td>', table)
    assert len(linked) == 2 * (2 + 2)  # two years × (two source kinds + 財源計 + うち確定・受領)
    for href, figure in linked:
        lines = client.get(href.replace("&amp;", "&")).content.decode()
        amounts = [int(a.replace(",", "")) for a in re.findall(r'<td class="num"[^>]*>([\d,]+)円</td>', lines)]
        assert sum(amounts) == int(figure.replace(",", "")), href
    assert f"?plan={plan.pk}&amp;fiscal_year=2026&amp;source_kind=general&amp;exclude_rejected=1\">400円" in table


def test_cost_gap_and_risk_figures_link_to_exactly_the_rows_behind_them(client, client_for, users, plan_factory):
    """事業費 leads to the 年度 it is stated on, 不足 to the lines it subtracts (with the 事業費 they are subtracted
    from), and the リスク count to the risks counted."""
    import re

    plan = plan_factory([(2026, "implementation", 1000, [(GENERAL, 300, PLANNED, None), (GENERAL, 100, CONFIRMED, None),
                                                         (GENERAL, 200, "rejected", None)]),
                         (2027, "operation", 500, [(GENERAL, 700, PLANNED, None)])], status="published")
    years = {y.fiscal_year: y for y in plan.years.all()}
    for who in (None, users["hachioji"]):  # the reader's page and the editor's (the 事業費 is a form field there)
        page = client_for(who).get(f"/funding/plans/{plan.pk}/").content.decode()
        table = re.search(r'<table class="data funding-table[^"]*">(.*?)</table>', page, re.S).group(1)
        costs = re.findall(r'<a href="#([\w-]+)" data-testid="cost">([\d,]+)円</a>', table)
        assert costs == [(f"year-{years[2026].pk}-cost", "1,000"), (f"year-{years[2027].pk}-cost", "500")]
        for anchor, figure in costs:
            target = re.search(rf'<(p|div)[^>]* id="{anchor}"[^>]*>(.*?)</\1>', page, re.S).group(2)
            assert "事業費" in target and (f"{figure}円" in target or f'value="{figure.replace(",", "")}"' in target)
        risk = re.search(r'<a href="#([\w-]+)" data-testid="risk-count">(\d+)件</a>', page)
        assert risk and int(risk.group(2)) >= 1
        risks = page.split(f'id="{risk.group(1)}"', 1)[1].split("</section>", 1)[0]
        assert risks.count('<li class="risk-flag ') == int(risk.group(2))
    gaps = re.findall(r'<a href="([^"]+)" data-testid="gap">([\d,]+)円</a>', table)
    assert [g for _h, g in gaps] == ["600", "0"]  # 1,000 − (300 + 100; the 不採択 200 not counted); 500 − 700 → 0
    for href, figure in gaps:
        lines = client.get(href.replace("&amp;", "&")).content.decode()
        amounts = [int(a.replace(",", "")) for a in re.findall(r'<td class="num"[^>]*>([\d,]+)円</td>', lines)]
        gap = re.search(r'data-testid="year-gap">(.*?)</p>', lines, re.S).group(1)
        cost = int(re.search(r'事業費 <a href="[^"]+">([\d,]+)円</a>', gap).group(1).replace(",", ""))
        assert f"財源の計（不採択を除く） {sum(amounts):,}円" in gap
        assert f"不足 <strong>{figure}円</strong>" in gap and max(cost - sum(amounts), 0) == int(figure.replace(",", ""))
    # Narrowed any further, the list no longer holds the lines of the 不足: it says no 不足.
    narrowed = client.get(f"/funding/lines/?plan={plan.pk}&fiscal_year=2026&exclude_rejected=1&state=planned")
    assert 'data-testid="year-gap"' not in narrowed.content.decode()
    assert 'data-testid="year-gap"' not in client.get(f"/funding/lines/?plan={plan.pk}&fiscal_year=2026").content.decode()


def test_gap_of_a_draft_is_not_shown_to_those_who_may_not_see_it(client_for, users, plan_factory):
    plan = plan_factory([(2026, "implementation", 1000, [(GENERAL, 300, PLANNED, None)])])  # a draft
    url = f"/funding/lines/?plan={plan.pk}&fiscal_year=2026&exclude_rejected=1"
    assert "不足 <strong>700円</strong>" in client_for(users["hachioji"]).get(url).content.decode()
    for who in (None, users["aogashima"], users["company"]):
        page = client_for(who).get(url).content.decode()
        assert 'data-testid="year-gap"' not in page and "テスト計画" not in page


def test_no_risk_count_links_to_the_no_risk_message(client, plan_factory):
    plan = plan_factory([(fy, phase, 100, [(GENERAL, 100, CONFIRMED, None)]) for fy, phase in (
        (2026, "people_knowhow"), (2027, "implementation"), (2028, "operation"))], status="published")
    page = client.get(f"/funding/plans/{plan.pk}/").content.decode()
    assert '<a href="#risk-flags" data-testid="risk-count">0件</a>' in page
    assert '<p class="empty" id="risk-flags">リスクは見つかりませんでした。</p>' in page
