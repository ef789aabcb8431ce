"""A draft implementation plan is seen only by those who manage it (funding): a request names, and shows, a plan
only to users who may see it. The prefecture's draft wide-area plan is not the participating municipality's to
see, nor the advisor's asked to help."""

import pytest

from chiiki import access
from chiiki.funding import actions as funding
from chiiki.funding.models import PlanStatus
from chiiki.roadmap.models import Sector
from chiiki.talent import actions
from chiiki.talent.models import TalentRequest

from .conftest import move, profile_data, request_data

pytestmark = pytest.mark.django_db

SECRET = "極秘・広域見守り計画"


@pytest.fixture
def draft(register):
    """東京都's wide-area plan, still a draft, in which 八王子市 takes part."""
    return funding.create_plan(access.SYSTEM, register["prefectures"]["13"], sector=Sector.objects.get(pk="health"),
                               title=f"{SECRET}（下書き）", start_year=2026,
                               participants=[register["municipalities"]["132012"]])


def test_a_participant_can_neither_choose_nor_name_a_draft_it_cannot_see(users, client_for, vocabulary, draft,
                                                                        register):
    own = funding.create_plan(access.SYSTEM, register["municipalities"]["132012"],
                              sector=Sector.objects.get(pk="health"), title="八王子市 見守り計画（案）", start_year=2026)
    c = client_for(users["hachioji"])
    assert c.get(draft.get_absolute_url()).status_code == 404
    form = c.get("/talent/requests/new").content.decode()
    assert SECRET not in form
    assert "八王子市 見守り計画（案）" in form  # its own draft: it manages it
    refused = c.post("/talent/requests/new", request_data(plan=str(draft.pk)))
    assert refused.status_code == 422 and SECRET not in refused.content.decode()
    api = c.post("/api/v1/talent/requests", request_data(plan=draft.pk) | {"municipality": "132012"},
                 content_type="application/json")
    assert api.status_code == 422 and set(api.json()["detail"]) == {"plan"}
    assert not TalentRequest.objects.exists()
    assert c.post("/talent/requests/new", request_data(plan=str(own.pk))).status_code == 302


def test_the_request_shows_the_plan_only_to_those_who_may_see_it(users, client_for, vocabulary, rounds, draft):
    tokyo = client_for(users["tokyo"])  # 東京都 manages its draft, so it may name it on 八王子市's request
    created = tokyo.post("/api/v1/talent/requests", request_data(plan=draft.pk) | {"municipality": "132012"},
                         content_type="application/json")
    assert created.status_code == 201 and created.json()["plan"] == draft.pk
    request = TalentRequest.objects.get()
    move(request, "submit", users["hachioji"])
    move(request, "receive")
    move(request, "ask", talent=actions.create_profile(users["advisor"], profile_data()))
    link = f'href="{draft.get_absolute_url()}"'
    page = tokyo.get(f"/talent/requests/{request.pk}/").content.decode()
    assert SECRET in page and link in page
    for name in ("hachioji", "advisor"):
        c = client_for(users[name])
        assert c.get(draft.get_absolute_url()).status_code == 404
        page = c.get(f"/talent/requests/{request.pk}/").content.decode()
        assert SECRET not in page and link not in page and "実装計画</dt>" not in page, name
        assert c.get(f"/api/v1/talent/requests/{request.pk}").json()["plan"] is None, name
        assert [item["plan"] for item in c.get("/api/v1/talent/requests").json()["items"]] == [None], name
    # Published, the plan is everyone's to see, on the request too.
    funding.set_status(access.SYSTEM, draft, PlanStatus.PUBLISHED, version=draft.version)
    advisor = client_for(users["advisor"])
    assert SECRET in advisor.get(f"/talent/requests/{request.pk}/").content.decode()
    assert advisor.get(f"/api/v1/talent/requests/{request.pk}").json()["plan"] == draft.pk


def test_the_change_history_does_not_name_a_draft_plan_its_reader_cannot_see(users, client_for, vocabulary, draft):
    """東京都 staff name their draft on 八王子市's request: 八王子市's history (list, detail, CSV, XLSX) says a plan
    it may not see, not its title; 東京都 staff still read the title."""
    from chiiki.core.models import ChangeRecord

    created = client_for(users["tokyo"]).post("/api/v1/talent/requests",
                                              request_data(plan=draft.pk) | {"municipality": "132012"},
                                              content_type="application/json")
    assert created.status_code == 201
    request = TalentRequest.objects.get()
    record = ChangeRecord.objects.get(model="talent.talentrequest", object_id=str(request.pk), action="create")
    hachioji = client_for(users["hachioji"])
    for url in ["/history/", "/history/?format=csv", "/history/?format=xlsx", f"/history/{record.pk}/",
                f"/history/?model=talent.talentrequest&object_id={request.pk}"]:
        response = hachioji.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert response.status_code == 200 and SECRET.encode() not in body, url
    assert f"閲覧できない実装計画 #{draft.pk}" in hachioji.get(f"/history/{record.pk}/").content.decode()
    assert SECRET in client_for(users["tokyo"]).get(f"/history/{record.pk}/").content.decode()


def test_a_participant_editing_the_request_keeps_the_plan_it_cannot_see(users, client_for, vocabulary, draft):
    """八王子市 staff edit the draft request 東京都 linked to its draft plan: the form offered only 「選ばない」 for the
    plan, so saving dropped the link unseen. It now offers to keep it, without its title; a chosen other plan or
    「選ばない」 still changes it, and another hidden plan is still refused."""
    import re

    created = client_for(users["tokyo"]).post("/api/v1/talent/requests",
                                              request_data(plan=draft.pk) | {"municipality": "132012"},
                                              content_type="application/json")
    request = TalentRequest.objects.get(pk=created.json()["id"])
    hachioji = client_for(users["hachioji"])
    form = hachioji.get(f"/talent/requests/{request.pk}/edit").content.decode()
    assert SECRET not in form
    assert re.search(rf'<option value="{draft.pk}" selected>閲覧できない実装計画（#{draft.pk}）', form)
    saved = hachioji.post(f"/talent/requests/{request.pk}/edit", request_data(
        plan=str(draft.pk), vision="見守りの対象を広げる") | {"version": request.version})
    assert saved.status_code == 302
    request.refresh_from_db()
    assert request.plan_id == draft.pk and request.vision == "見守りの対象を広げる"
    cleared = hachioji.post(f"/talent/requests/{request.pk}/edit", request_data(plan="") | {"version": request.version})
    assert cleared.status_code == 302
    request.refresh_from_db()
    assert request.plan_id is None
    refused = hachioji.post(f"/talent/requests/{request.pk}/edit", request_data(plan=str(draft.pk)) | {
        "version": request.version})
    assert refused.status_code == 422 and SECRET not in refused.content.decode()
