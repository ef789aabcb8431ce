"""Changing and removing a project (事業) of a 地域再生計画 on its page and through
PUT/DELETE /api/v1/revitalisation-projects/{id}: permission by role, Japanese validation, stale version → 409,
history, and the pledges and funding lines that keep a project from being removed."""

import pytest

from chiiki.core.models import ChangeRecord
from chiiki.funding import actions
from chiiki.funding.models import RevitalisationProject

from .test_revitalisation_edit import EDITORS, ROLES, pledge_to, rr  # noqa: F401 - the fixture


def _body(project, **changes):
    return {"version": project.version, "name": project.name, "sector": project.sector_id,
            "target_amount": project.target_amount, "description": project.description, **changes}


def test_recipient_changes_the_target_on_the_page_with_history(client_for, users, rr):  # noqa: F811
    _plan, project = rr
    c = client_for(users["hachioji"])
    assert "この事業を編集" in c.get(project.get_absolute_url()).content.decode()
    form = c.get(f"/funding/projects/{project.pk}/edit").content.decode()
    assert 'value="10000000"' in form and "この事業を削除する" in form
    response = c.post(f"/funding/projects/{project.pk}/edit",
                      _body(project, target_amount="15,000,000", description="避難所の混雑を見える化"))
    assert response.status_code == 302 and response["Location"] == project.get_absolute_url()
    project.refresh_from_db()
    assert (project.target_amount, project.description, project.version) == (15_000_000, "避難所の混雑を見える化", 2)
    record = ChangeRecord.objects.get(model="funding.revitalisationproject", object_id=str(project.pk),
                                      action="update")
    assert record.before["target_amount"] == 10_000_000 and record.after["target_amount"] == 15_000_000
    assert "15,000,000" in c.get(project.get_absolute_url()).content.decode()


def test_page_reports_errors_stale_versions_and_unchanged_saves(client_for, users, rr):  # noqa: F811
    _plan, project = rr
    c = client_for(users["hachioji"])
    bad = c.post(f"/funding/projects/{project.pk}/edit", _body(project, name="", sector="", target_amount="0"))
    assert bad.status_code == 422
    text = bad.content.decode()
    assert "事業名" in text and "分野を選んでください" in text and "寄附の目標額" in text
    assert c.post(f"/funding/projects/{project.pk}/edit", _body(project, name="別の名前")).status_code == 302
    stale = c.post(f"/funding/projects/{project.pk}/edit", _body(project, name="古い画面から"))  # version 1 again
    assert stale.status_code == 409 and "ほかの利用者が先に更新しました" in stale.content.decode()
    assert RevitalisationProject.objects.get(pk=project.pk).name == "別の名前"
    project.refresh_from_db()
    unchanged = c.post(f"/funding/projects/{project.pk}/edit", _body(project))
    assert unchanged.status_code == 302
    assert RevitalisationProject.objects.get(pk=project.pk).version == project.version  # nothing changed, no new版


def test_api_update_conflict_and_validation(client_for, users, rr):  # noqa: F811
    _plan, project = rr
    c = client_for(users["hachioji"])
    got = c.get(f"/api/v1/revitalisation-projects/{project.pk}").json()
    assert got["version"] == 1
    ok = c.put(f"/api/v1/revitalisation-projects/{project.pk}", data=_body(project, name="API で更新"),
               content_type="application/json")
    assert ok.status_code == 200 and ok.json()["name"] == "API で更新" and ok.json()["version"] == 2
    stale = c.put(f"/api/v1/revitalisation-projects/{project.pk}", data=_body(project, name="古い版"),
                  content_type="application/json")
    assert stale.status_code == 409 and stale.json()["current"]["name"] == "API で更新"
    unknown_sector = c.put(f"/api/v1/revitalisation-projects/{project.pk}",
                           data=_body(project, version=2, sector="nonexistent"), content_type="application/json")
    assert unknown_sector.status_code == 422 and "分野を選んでください" in str(unknown_sector.json())
    assert c.put("/api/v1/revitalisation-projects/999999", data=_body(project),
                 content_type="application/json").status_code == 404


def test_a_project_with_pledges_or_funding_lines_is_kept(client_for, users, rr, register):  # noqa: F811
    _plan, project = rr
    made = pledge_to(users, register, project, 2026)
    actions.set_pledge_state(users["company"], made, "cancelled", version=made.version)
    c = client_for(users["hachioji"])
    refused = c.delete(f"/api/v1/revitalisation-projects/{project.pk}?version=1")
    assert refused.status_code == 422
    assert "寄附の申出が1件あるため削除できません" in str(refused.json())
    page = c.post(f"/funding/projects/{project.pk}/edit", {"version": 1, "delete": "1"})
    assert page.status_code == 422 and "寄附の申出が1件あるため削除できません" in page.content.decode()
    assert RevitalisationProject.objects.filter(pk=project.pk).exists()


def test_an_unused_project_is_removed_with_history(client_for, users, rr):  # noqa: F811
    plan, project = rr
    c = client_for(users["hachioji"])
    assert c.delete(f"/api/v1/revitalisation-projects/{project.pk}?version=9").status_code == 409
    other = actions.add_revitalisation_project(users["hachioji"], plan, name="二つ目の事業",
                                               sector=project.sector, target_amount=1_000_000)
    assert c.delete(f"/api/v1/revitalisation-projects/{project.pk}?version=1").status_code == 204
    page = c.post(f"/funding/projects/{other.pk}/edit", {"version": 1, "delete": "1"})
    assert page.status_code == 302 and page["Location"] == f"/funding/revitalisation/{plan.pk}/edit"
    assert not RevitalisationProject.objects.exists()
    deletes = ChangeRecord.objects.filter(model="funding.revitalisationproject", action="delete")
    assert sorted(r.before["name"] for r in deletes) == ["二つ目の事業", "八王子 防災センサー"]


@pytest.mark.parametrize("role", ROLES)
def test_edit_and_delete_by_role(client_for, users, rr, role):  # noqa: F811
    _plan, project = rr
    c = client_for(None if role == "public" else users[role])
    response = c.put(f"/api/v1/revitalisation-projects/{project.pk}", data=_body(project, name="更新後"),
                     content_type="application/json")
    page = c.get(f"/funding/projects/{project.pk}/edit")
    removed = c.delete(f"/api/v1/revitalisation-projects/{project.pk}?version=2")
    if role == "public":
        assert response.status_code == 401 and page.status_code == 302 and removed.status_code == 401
    elif role in EDITORS:
        assert response.status_code == 200 and page.status_code == 200 and removed.status_code == 204
    else:
        assert response.status_code == 403 and page.status_code == 403 and removed.status_code == 403
        assert RevitalisationProject.objects.get().name != "更新後"
