"""Organisations' roles in implementation plans (運営主体・連携・資金提供): the plan's editors add, change and remove
them with history and versions, through the API and the plan page (funding) — drafts stay hidden — and the
organisation's page and API list the plans it serves."""

import re

import pytest

from chiiki.access import SYSTEM
from chiiki.core.models import ChangeRecord
from chiiki.funding import actions as funding_actions
from chiiki.promotion import actions
from chiiki.promotion.models import Organisation, PlanParticipation
from chiiki.roadmap.models import Sector

from .conftest import bearer, send

pytestmark = pytest.mark.django_db


def _plan(place, *, publish=True, title="八王子の見守り計画"):
    plan = funding_actions.create_plan(
        SYSTEM, place, sector=Sector.objects.get(pk="health"), title=title, start_year=2026, operator_kind="direct",
        years=[{"fiscal_year": 2026, "phase": "implementation", "total_cost": 100}])
    return funding_actions.set_status(SYSTEM, plan, "published", version=plan.version) if publish else plan


@pytest.fixture
def world(register, users):
    place = register["municipalities"]["132012"]
    org = actions.save_organisation(SYSTEM, None, {"name": "多摩IoT協会", "kind": "industry", "prefecture": "13"})
    return {"plan": _plan(place), "draft": _plan(place, publish=False, title="下書きの計画"), "org": org}


def test_the_plans_editors_name_roles_with_history_and_versions(client, users, world):
    plan, org = world["plan"], world["org"]
    url = f"/api/v1/plans/{plan.pk}/organisations"
    body = {"organisation": org.pk, "role": "operator", "note": "運用の窓口"}
    for user in (users["company"], users["advisor"], users["aogashima"]):  # not the plan's editors
        assert send(client, "post", url, body, **bearer(user)).status_code == 403
    assert send(client, "post", url, body).status_code == 401
    created = send(client, "post", url, body, **bearer(users["hachioji"]))
    assert created.status_code == 201, created.content
    item = created.json()
    assert (item["role_label"], item["organisation_name"], item["version"]) == ("運営主体", "多摩IoT協会", 1)
    # The same role twice is refused in Japanese; another role of the same organisation is fine.
    again = send(client, "post", url, body, **bearer(users["tokyo"]))
    assert again.status_code == 422 and "既に" in again.json()["detail"]["organisation"]
    bad = send(client, "post", url, {**body, "role": "sponsor"}, **bearer(users["tokyo"]))
    assert bad.status_code == 422 and "役割" in bad.json()["detail"]["role"]
    assert send(client, "post", url, {**body, "role": "funder"}, **bearer(users["tokyo"])).status_code == 201
    assert [r["role"] for r in client.get(url).json()] == ["operator", "funder"]  # 運営主体 first, public

    edit = f"/api/v1/plan-organisations/{item['id']}"
    changed = send(client, "put", edit, {"role": "partner", "note": "検証", "version": 1}, **bearer(users["hachioji"]))
    assert changed.status_code == 200 and changed.json()["version"] == 2
    stale = send(client, "put", edit, {"role": "operator", "note": "", "version": 1}, **bearer(users["hachioji"]))
    assert stale.status_code == 409
    # An edit that changes nothing keeps the version and writes no history.
    records = ChangeRecord.objects.filter(model="promotion.planparticipation").count()
    same = send(client, "put", edit, {"role": "partner", "note": "検証", "version": 2}, **bearer(users["hachioji"]))
    assert same.json()["version"] == 2
    assert ChangeRecord.objects.filter(model="promotion.planparticipation").count() == records
    assert client.delete(f"{edit}?version=1", **bearer(users["hachioji"])).status_code == 409
    assert client.delete(f"{edit}?version=2", **bearer(users["company"])).status_code == 403
    assert client.delete(f"{edit}?version=2", **bearer(users["hachioji"])).status_code == 204
    actions_seen = list(ChangeRecord.objects.filter(model="promotion.planparticipation", object_id=str(item["id"]))
                        .order_by("id").values_list("action", flat=True))
    assert actions_seen == ["create", "update", "delete"]


def test_a_draft_plans_roles_are_hidden_like_the_plan(client, users, world):
    draft, org = world["draft"], world["org"]
    url = f"/api/v1/plans/{draft.pk}/organisations"
    body = {"organisation": org.pk, "role": "partner", "note": ""}
    assert send(client, "post", url, body, **bearer(users["company"])).status_code == 404
    assert send(client, "post", url, body, **bearer(users["hachioji"])).status_code == 201
    assert client.get(url).status_code == 404
    assert client.get(f"/api/v1/organisations/{org.pk}/plans").json() == []
    assert client.get(f"/promotion/organisations/{org.pk}/").content.decode().count("下書きの計画") == 0
    seen = client.get(f"/api/v1/organisations/{org.pk}/plans", **bearer(users["hachioji"])).json()
    assert [p["plan_title"] for p in seen] == ["下書きの計画"]


def test_the_plan_page_shows_the_roles_and_its_editors_add_them(client_for, users, world):
    plan, org = world["plan"], world["org"]
    anonymous = client_for(None)
    page = anonymous.get(plan.get_absolute_url()).content.decode()
    assert "推進体制の担い手" in page and "まだ登録されていません" in page and "plan-org-role" not in page
    editor = client_for(users["hachioji"])
    assert 'id="plan-org-role"' in editor.get(plan.get_absolute_url()).content.decode()
    response = editor.post(f"/promotion/plans/{plan.pk}/organisations",
                           {"organisation": org.pk, "role": "funder", "note": "地域の融資"})
    assert response.status_code == 302 and response["Location"].endswith("#plan-organisations")
    # The cached anonymous plan page shows it on the next request (the action bumps the funding data version).
    page = anonymous.get(plan.get_absolute_url()).content.decode()
    assert "多摩IoT協会" in page and "資金提供" in page and "地域の融資" in page
    org_page = anonymous.get(f"/promotion/organisations/{org.pk}/").content.decode()
    assert "八王子の見守り計画" in org_page and "資金提供" in org_page
    assert client_for(users["company"]).post(f"/promotion/plans/{plan.pk}/organisations",
                                             {"organisation": org.pk, "role": "partner"}).status_code == 403
    participation = PlanParticipation.objects.get(plan=plan)
    removed = editor.post(f"/promotion/plan-organisations/{participation.pk}/remove", {"version": participation.version})
    assert removed.status_code == 302 and not PlanParticipation.objects.filter(plan=plan).exists()


def test_link_user_organisations_matches_the_free_text_name_once(users, django_user_model):
    from django.core.management import call_command

    Organisation.objects.create(name="株式会社サンプル", kind="company")
    Organisation.objects.create(name="同名の会", kind="npo")
    Organisation.objects.create(name="同名の会", kind="npo")
    twin = django_user_model.objects.create(username="twin", role="company", organisation="同名の会")
    spaced = django_user_model.objects.create(username="spaced", role="company", organisation="株式会社 サンプル")
    call_command("link_user_organisations", "--dry-run", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert not hasattr(users["company"], "organisation_membership") or users["company"].linked_organisation is None
    call_command("link_user_organisations", stdout=open("/dev/null", "w"))  # noqa: SIM115
    for user in (users["company"], spaced):
        user.refresh_from_db()
        assert django_user_model.objects.get(pk=user.pk).linked_organisation.name == "株式会社サンプル"
    assert django_user_model.objects.get(pk=twin.pk).linked_organisation is None  # two candidates: left alone
    assert django_user_model.objects.get(pk=users["advisor"].pk).linked_organisation is None  # not a company
    assert ChangeRecord.objects.filter(model="promotion.organisationmember").count() == 2


def test_the_account_shows_the_linked_organisation(client_for, client, users):
    org = actions.save_organisation(users["company"], None, {"name": "株式会社リンク", "kind": "startup"})
    page = client_for(users["company"]).get("/accounts/mypage/").content.decode()
    assert f'href="/promotion/organisations/{org.pk}/"' in page and "株式会社リンク" in page
    me = client.get("/api/v1/me", **bearer(users["company"])).json()
    assert (me["organisation"], me["organisation_id"]) == ("株式会社リンク", org.pk)
    advisor = client.get("/api/v1/me", **bearer(users["advisor"])).json()
    assert (advisor["organisation"], advisor["organisation_id"]) == ("地域情報化アドバイザー", None)


def test_removing_a_role_another_editor_changed_answers_409_on_the_plan_page(client_for, users, world):
    """The 外す button with a version someone else has moved on: the plan page again (409), with the rows as they are
    now, instead of a redirect with a flash message; nothing removed, no history."""
    plan, org = world["plan"], world["org"]
    seen = actions.add_plan_participation(SYSTEM, plan, org, {"role": "operator", "note": "運用の窓口"})
    actions.update_plan_participation(SYSTEM, seen, {"role": "partner", "note": "技術支援"}, version=seen.version)
    records = ChangeRecord.objects.count()
    response = client_for(users["hachioji"]).post(f"/promotion/plan-organisations/{seen.pk}/remove",
                                                  {"version": seen.version})
    assert response.status_code == 409
    html = response.content.decode()
    assert "ほかの利用者が先に更新しました" in html and "技術支援" in html and 'name="version" value="2"' in html
    assert PlanParticipation.objects.filter(pk=seen.pk).exists() and ChangeRecord.objects.count() == records
    bad = client_for(users["hachioji"]).post(f"/promotion/plan-organisations/{seen.pk}/remove", {"version": "二"})
    assert bad.status_code == 422 and "版（version）は0以上の整数です" in bad.content.decode()
    assert PlanParticipation.objects.filter(pk=seen.pk).exists() and ChangeRecord.objects.count() == records


def test_the_roles_table_on_the_plan_page_is_named_by_its_heading(client_for, users, world):
    plan, org = world["plan"], world["org"]
    actions.add_plan_participation(SYSTEM, plan, org, {"role": "operator"})
    page = client_for(None).get(plan.get_absolute_url()).content.decode()
    table = re.search(r'<table[^>]*data-testid="plan-organisations"[^>]*>', page).group(0)
    named = re.search(r'aria-labelledby="([^"]+)"', table)
    assert named and f'id="{named.group(1)}"' in page  # one of several tables on the plan page: named
