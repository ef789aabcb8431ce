"""Wide-area (prefecture-owned) plans: their participants are edited after creation (page and API, version,
history, every role), and each participant is checked against the navigator's eligibility rules."""

import pytest

from chiiki import access
from chiiki.core.models import ChangeRecord
from chiiki.funding import actions
from chiiki.roadmap.models import Sector

from .conftest import CONFIRMED, GENERAL, NATIONAL, make_program

ROLES = ["public", "admin", "tokyo", "hachioji", "aogashima", "sapporo", "advisor", "company"]
EDITORS = {"admin", "tokyo"}  # a wide-area plan of 東京都: its prefecture staff and the national admin


def _wide_plan(register, participants=("134023",), lines=()):
    m = register["municipalities"]
    plan = actions.create_plan(
        access.SYSTEM, register["prefectures"]["13"], sector=Sector.objects.get(pk="disaster"),
        title="東京都 島しょ防災計画", start_year=2026, operator_kind="direct",
        participants=[m[c] for c in participants],
        years=[{"fiscal_year": 2026 + i, "phase": phase, "total_cost": 100}
               for i, phase in enumerate(("people_knowhow", "implementation", "operation"))])
    years = {y.fiscal_year: y for y in plan.years.all()}
    for fy in years:
        actions.add_line(access.SYSTEM, years[fy], source_kind=GENERAL, amount=100, state=CONFIRMED)
    for fy, program in lines:
        actions.add_line(access.SYSTEM, years[fy], source_kind=NATIONAL, amount=10, state=CONFIRMED,
                         program=program)
    plan.refresh_from_db()
    return actions.set_status(access.SYSTEM, plan, "published", version=plan.version)


def _flags(client, plan):
    return {f["code"]: f for f in client.get(f"/api/v1/plans/{plan.pk}").json()["risk_flags"]}


# ---- Eligibility per participant ---------------------------------------------------------------------------------


def test_program_checked_against_every_participant(client, register):
    villages = make_program("VILLAGES", entity_kinds=["village", "town"], name="町村向け補助金")
    plan = _wide_plan(register, participants=("134023",), lines=[(2027, villages)])
    assert "program_ineligible" not in _flags(client, plan)  # 青ヶ島村 is a village: eligible

    plan = actions.set_participants(access.SYSTEM, plan, [register["municipalities"][c]
                                                          for c in ("134023", "132012", "131016")],
                                    version=plan.version)
    flag = _flags(client, plan)["program_ineligible"]
    assert flag["reason"] == ("「町村向け補助金」は参加団体のうち千代田区、八王子市では対象外です: "
                              "千代田区: 対象は村・町のため、特別区は対象外／八王子市: 対象は村・町のため、中核市は対象外")
    assert [(r["kind"], r["fiscal_year"]) for r in flag["rows"]] == [("line", 2027)]
    page = client.get(f"/funding/plans/{plan.pk}/").content.decode()
    assert "参加団体のうち千代田区、八王子市では対象外です" in page
    assert "program_ineligible" in client.get("/api/v1/plans?flag=program_ineligible").content.decode()


def test_wide_area_plan_without_participants_has_no_eligibility_flag(client, register):
    villages = make_program("VILLAGES", entity_kinds=["village"], name="村向け補助金")
    plan = _wide_plan(register, participants=(), lines=[(2027, villages)])
    assert "program_ineligible" not in _flags(client, plan)


# ---- Editing the participants ------------------------------------------------------------------------------------


def test_prefecture_staff_edit_participants_on_the_page(client_for, users, register):
    plan = _wide_plan(register)
    c = client_for(users["tokyo"])
    page = c.get(f"/funding/plans/{plan.pk}/").content.decode()
    assert "参加団体（広域計画）" in page and 'value="134023"' in page
    response = c.post(f"/funding/plans/{plan.pk}/participants", {"participants": "134023、13201",
                                                                  "version": plan.version})
    assert response.status_code == 302
    plan.refresh_from_db()
    assert sorted(plan.participants.values_list("code", flat=True)) == ["132012", "134023"]
    assert plan.version == 3  # created 1 → published 2 → participants 3
    record = ChangeRecord.objects.filter(model="funding.implementationplan", object_id=str(plan.pk),
                                         actor=users["tokyo"]).get()
    assert record.before["participants"] == ["134023"] and record.after["participants"] == ["132012", "134023"]
    assert "参加団体: 八王子市、青ヶ島村" in c.get(f"/funding/plans/{plan.pk}/").content.decode()

    # Stale version: 409, nothing changed; htmx gets 200 with the message in the swapped part.
    stale = c.post(f"/funding/plans/{plan.pk}/participants", {"participants": "134023", "version": 2})
    assert stale.status_code == 409 and "ほかの利用者" in stale.content.decode()
    assert plan.participants.count() == 2
    outside = c.post(f"/funding/plans/{plan.pk}/participants", {"participants": "011002", "version": 3})
    assert outside.status_code == 422 and "東京都以外の団体は参加団体にできません: 札幌市" in outside.content.decode()
    unknown = c.post(f"/funding/plans/{plan.pk}/participants", {"participants": "999999", "version": 3})
    assert unknown.status_code == 422 and "団体コードが正しくありません" in unknown.content.decode()
    # An edit that changes nothing keeps the version and writes no history.
    same = c.post(f"/funding/plans/{plan.pk}/participants", {"participants": "132012 134023", "version": 3})
    assert same.status_code == 302
    plan.refresh_from_db()
    assert plan.version == 3
    assert ChangeRecord.objects.filter(model="funding.implementationplan", object_id=str(plan.pk),
                                       actor=users["tokyo"]).count() == 1


def test_participants_only_for_wide_area_plans(client_for, users, plan_factory):
    plan = plan_factory([(2026, "people_knowhow", 0, [])])  # 八王子市's own plan
    c = client_for(users["hachioji"])
    assert "参加団体（広域計画）" not in c.get(f"/funding/plans/{plan.pk}/").content.decode()
    response = c.put(f"/api/v1/plans/{plan.pk}/participants", data={"version": 1, "participants": ["134023"]},
                     content_type="application/json")
    assert response.status_code == 422
    assert response.json()["detail"] == {"participants": "参加団体は都道府県の広域計画にだけ指定できます"}


def test_participant_with_a_campaign_line_cannot_be_removed(client_for, users, register):
    import datetime as dt

    plan = _wide_plan(register, participants=("134023", "132012"))
    campaign = actions.create_campaign(
        access.SYSTEM, register["municipalities"]["132012"], title="八王子 防災CF", use_of_funds="センサー",
        target_amount=1_000_000, start_date=dt.date(2026, 5, 1), end_date=dt.date(2026, 7, 31),
        donation_url="https://example.jp/cf")
    actions.add_line(access.SYSTEM, plan.years.get(fiscal_year=2026), source_kind="crowdfunding", amount=5,
                     campaign=campaign)
    response = client_for(users["tokyo"]).put(f"/api/v1/plans/{plan.pk}/participants",
                                              data={"version": plan.version, "participants": ["134023"]},
                                              content_type="application/json")
    assert response.status_code == 422
    assert "クラウドファンディングがこの計画の財源になっている団体は外せません: 八王子市" in str(response.json())


def test_api_participants_stale_version_is_409_with_the_plan(client_for, users, register):
    plan = _wide_plan(register)
    c = client_for(users["tokyo"])
    ok = c.put(f"/api/v1/plans/{plan.pk}/participants", data={"version": plan.version,
                                                               "participants": ["134023", "131016"]},
               content_type="application/json")
    assert ok.status_code == 200 and sorted(ok.json()["participants"]) == ["131016", "134023"]
    stale = c.put(f"/api/v1/plans/{plan.pk}/participants", data={"version": plan.version, "participants": []},
                  content_type="application/json")
    assert stale.status_code == 409 and sorted(stale.json()["current"]["participants"]) == ["131016", "134023"]
    missing = c.put(f"/api/v1/plans/{plan.pk}/participants", data={"participants": []},
                    content_type="application/json")
    assert missing.status_code == 422


@pytest.mark.parametrize("role", ROLES)
def test_participants_write_by_role(client_for, users, register, role):
    plan = _wide_plan(register)
    c = client_for(None if role == "public" else users[role])
    response = c.put(f"/api/v1/plans/{plan.pk}/participants", data={"version": plan.version,
                                                                      "participants": ["134023", "132012"]},
                     content_type="application/json")
    page = c.post(f"/funding/plans/{plan.pk}/participants", {"participants": "134023", "version": plan.version})
    if role == "public":
        assert response.status_code == 401 and page.status_code in (302, 403)
    elif role in EDITORS:
        assert response.status_code == 200, response.content
        assert page.status_code == 409  # the API write above moved the version
    else:
        assert response.status_code == 403 and page.status_code == 403
