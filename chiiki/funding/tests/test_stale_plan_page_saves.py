"""A stale save on the plan page (a 年度, a funding line, the participants, the status) keeps what the officer typed,
shows beside each field what the other person saved, and carries the stored version, so saving again is a deliberate
overwrite. A row someone deleted meanwhile: what was typed moves to the add form (or is listed), and the page says so."""
import re

from chiiki import access
from chiiki.funding import actions
from chiiki.funding.models import FundingLine, PlanYear

from .test_wide_area import _wide_plan


def _theirs(page: str, field_id: str) -> str:
    """What the page shows as the other person's value of a field ("" if nothing)."""
    found = re.search(rf'<div class="theirs" id="{field_id}_theirs">(.*?)</div>', page, re.S)
    return found.group(1) if found else ""


def _value(page: str, name: str) -> str:
    return re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', page).group(1)


def test_a_stale_line_edit_keeps_the_typed_values_beside_the_stored_ones(client_for, users, plan_factory):
    plan = plan_factory([(2027, "implementation", 0, [("general", 1000, "planned", None)])])
    line = FundingLine.objects.get()
    seen = line.version
    actions.update_line(access.SYSTEM, line, version=seen, source_kind="general", amount=2000, state="planned",
                        label="他の人の内訳")
    c = client_for(users["hachioji"])
    body = {f"line{line.pk}-source_kind": "general", f"line{line.pk}-amount": "7777777",
            f"line{line.pk}-state": "confirmed", f"line{line.pk}-label": "わたしが入力した内訳",
            f"line{line.pk}-version": seen}
    for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
        response = c.post(f"/funding/plans/{plan.pk}/lines/{line.pk}", body, **headers)
        assert response.status_code == (200 if headers else 409)
        page = response.content.decode()
        assert "ほかの利用者が先に更新しました" in page and "あなたの入力は消さずに残しています" in page
        assert _value(page, f"line{line.pk}-label") == "わたしが入力した内訳"
        assert _value(page, f"line{line.pk}-amount") == "7777777"
        assert "他の人の内訳" in _theirs(page, f"id_line{line.pk}-label")
        assert "2000" in _theirs(page, f"id_line{line.pk}-amount")
        assert _theirs(page, f"id_line{line.pk}-state").endswith("予定")  # the label of the stored state, not its code
        assert _theirs(page, f"id_line{line.pk}-source_kind") == ""  # the same as typed: nothing beside it
        assert _value(page, f"line{line.pk}-version") == str(seen + 1)
    again = c.post(f"/funding/plans/{plan.pk}/lines/{line.pk}", {**body, f"line{line.pk}-version": seen + 1})
    assert again.status_code == 302, "saving the kept input again must overwrite, not answer 409 forever"
    line.refresh_from_db()
    assert (line.label, line.amount, line.state) == ("わたしが入力した内訳", 7777777, "confirmed")


def test_a_stale_year_edit_keeps_the_typed_activities_and_can_be_saved_over(client_for, users, plan_factory):
    plan = plan_factory([(2027, "implementation", 0, [])])
    year = plan.years.get()
    seen = year.version
    actions.update_year(access.SYSTEM, year, version=seen, fiscal_year=2027, phase="implementation",
                        activities="他の人の取組", total_cost=5)
    c = client_for(users["hachioji"])
    body = {f"year{year.pk}-fiscal_year": "2027", f"year{year.pk}-phase": "implementation",
            f"year{year.pk}-total_cost": "3000000", f"year{year.pk}-activities": "わたしが書いた取組内容（長文）",
            f"year{year.pk}-version": seen}
    response = c.post(f"/funding/plans/{plan.pk}/years/{year.pk}", body)
    assert response.status_code == 409
    page = response.content.decode()
    assert re.search(rf'<textarea[^>]*name="year{year.pk}-activities"[^>]*>\s*わたしが書いた取組内容（長文）</textarea>', page)
    assert "他の人の取組" in _theirs(page, f"id_year{year.pk}-activities")
    assert "5" in _theirs(page, f"id_year{year.pk}-total_cost")
    assert f'href="#year-{year.pk}"' in page  # the message leads to the form
    version = _value(page, f"year{year.pk}-version")
    assert c.post(f"/funding/plans/{plan.pk}/years/{year.pk}",
                  {**body, f"year{year.pk}-version": version}).status_code == 302
    year.refresh_from_db()
    assert (year.activities, year.total_cost) == ("わたしが書いた取組内容（長文）", 3000000)


def test_a_stale_participants_change_keeps_the_typed_codes(client_for, users, register):
    plan = _wide_plan(register)  # participants: 134023
    seen = plan.version
    actions.set_participants(access.SYSTEM, plan, [register["municipalities"]["131016"]], version=seen)
    c = client_for(users["tokyo"])
    response = c.post(f"/funding/plans/{plan.pk}/participants", {"participants": "134023 132012", "version": seen})
    assert response.status_code == 409
    page = response.content.decode()
    assert _value(page, "participants") == "134023 132012"
    assert "131016" in _theirs(page, "plan-participants")
    version = re.search(r'name="version" value="(\d+)">\s*<div class="field field--wide"><label for="plan-participants"',
                        page).group(1)
    assert version == str(seen + 1)
    assert c.post(f"/funding/plans/{plan.pk}/participants",
                  {"participants": "134023 132012", "version": version}).status_code == 302
    assert sorted(plan.participants.values_list("code", flat=True)) == ["132012", "134023"]


def test_a_stale_status_change_keeps_the_typed_status_and_reason(client_for, users, plan_factory):
    plan = plan_factory([(2026, "people_knowhow", 0, [])])
    seen = plan.version
    actions.set_status(access.SYSTEM, plan, "published", version=seen)
    c = client_for(users["hachioji"])
    response = c.post(f"/funding/plans/{plan.pk}/status", {"status": "discontinued", "version": seen,
                                                           "reason": "予算が付かなかったため"})
    assert response.status_code == 409
    page = response.content.decode()
    assert _value(page, "reason") == "予算が付かなかったため"
    assert re.search(r'<option value="discontinued" selected>', page)
    assert "公開" in _theirs(page, "plan-status")


def test_a_line_deleted_meanwhile_keeps_the_typed_values_in_the_add_form(client_for, users, plan_factory):
    plan = plan_factory([(2027, "implementation", 0, [("general", 1000, "planned", None)])])
    line = FundingLine.objects.get()
    year = line.plan_year
    actions.delete_line(access.SYSTEM, line, version=line.version)
    c = client_for(users["hachioji"])
    response = c.post(f"/funding/plans/{plan.pk}/lines/{line.pk}", {
        f"line{line.pk}-source_kind": "general", f"line{line.pk}-amount": "4242",
        f"line{line.pk}-state": "planned", f"line{line.pk}-label": "消えた財源への入力", f"line{line.pk}-version": 1})
    assert response.status_code == 409
    page = response.content.decode()
    assert "この財源はほかの利用者が削除しました" in page
    assert _value(page, f"newline{year.pk}-label") == "消えた財源への入力"
    assert _value(page, f"newline{year.pk}-amount") == "4242"
    # A line that never was is still not found.
    assert c.post(f"/funding/plans/{plan.pk}/lines/99999", {"line99999-amount": "1"}).status_code == 404


def test_a_year_deleted_meanwhile_keeps_the_typed_values(client_for, users, plan_factory):
    plan = plan_factory([(2026, "people_knowhow", 0, []), (2027, "implementation", 0, [])])
    gone = PlanYear.objects.get(fiscal_year=2027)
    actions.delete_year(access.SYSTEM, gone, version=gone.version)
    c = client_for(users["hachioji"])
    response = c.post(f"/funding/plans/{plan.pk}/years/{gone.pk}", {
        f"year{gone.pk}-fiscal_year": "2027", f"year{gone.pk}-phase": "implementation",
        f"year{gone.pk}-total_cost": "123", f"year{gone.pk}-activities": "消えた年度への取組", f"year{gone.pk}-version": 1})
    assert response.status_code == 409
    page = response.content.decode()
    assert "この年度はほかの利用者が削除しました" in page
    assert re.search(r'<textarea[^>]*name="newyear-activities"[^>]*>\s*消えた年度への取組</textarea>', page)
    assert c.post(f"/funding/plans/{plan.pk}/years/add", {"newyear-fiscal_year": "2027", "newyear-phase": "implementation",
                  "newyear-total_cost": "123", "newyear-activities": "消えた年度への取組"}).status_code == 302
    gone = PlanYear.objects.get(fiscal_year=2027)
    actions.delete_year(access.SYSTEM, gone, version=gone.version)
    # The line typed for it cannot go anywhere: the page lists what was typed.
    response = c.post(f"/funding/plans/{plan.pk}/years/{gone.pk}/lines/add", {
        f"newline{gone.pk}-source_kind": "general", f"newline{gone.pk}-amount": "5150",
        f"newline{gone.pk}-state": "planned", f"newline{gone.pk}-label": "行き場のない財源"})
    assert response.status_code == 409
    page = response.content.decode()
    assert "この年度はほかの利用者が削除しました" in page and "行き場のない財源" in page and "5150" in page


def test_a_line_whose_year_was_deleted_lists_the_typed_values(client_for, users, plan_factory):
    plan = plan_factory([(2027, "implementation", 0, [("general", 1000, "planned", None)])])
    line = FundingLine.objects.get()
    year = line.plan_year
    actions.delete_year(access.SYSTEM, year, version=year.version)
    c = client_for(users["hachioji"])
    response = c.post(f"/funding/plans/{plan.pk}/lines/{line.pk}", {
        f"line{line.pk}-source_kind": "general", f"line{line.pk}-amount": "6060",
        f"line{line.pk}-state": "planned", f"line{line.pk}-label": "年度ごと消えた財源", f"line{line.pk}-version": 1})
    assert response.status_code == 409
    page = response.content.decode()
    assert "この財源とその年度はほかの利用者が削除しました" in page
    assert "内訳・名称: 年度ごと消えた財源" in page and "金額（円）: 6060" in page
    # The line of another plan is not this plan's to speak of.
    other = plan_factory([(2026, "people_knowhow", 0, [])], title="別の計画")
    assert c.post(f"/funding/plans/{other.pk}/lines/{line.pk}", {f"line{line.pk}-amount": "1"}).status_code == 404
