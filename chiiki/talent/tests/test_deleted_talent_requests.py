"""The person a request names deletes their profile. What they still had to do (answer 依頼中, visit after 承諾, report
on 派遣中) nobody else may do for them: the request goes back to the secretariat as 辞退 with the reason, on its
マイページ to ask someone else, and a request left naming nobody is never 承諾・辞退・visited or reported for nobody."""

import datetime as dt

import pytest

from chiiki.core.fiscal import current_fiscal_year
from chiiki.core.models import ChangeRecord
from chiiki.talent import actions
from chiiki.talent.models import Status, TalentRequest, Visit
from chiiki.talent.tests.conftest import move, profile_data, request_data
from chiiki.testing import mypage_section

pytestmark = pytest.mark.django_db

LEFT = "依頼した人材の登録が削除されました"


def _delete(client_for, users, profile):
    profile.refresh_from_db()
    response = client_for(users["advisor"]).post(f"/talent/profiles/{profile.pk}/delete",
                                                 {"version": str(profile.version)})
    assert response.status_code == 302


def _status_records(request):
    return [(r.before["status"], r.after["status"], r.after["reason"]) for r in ChangeRecord.objects.filter(
        model="talent.talentrequest", object_id=str(request.pk), action="update").order_by("at", "pk")
        if r.before and "status" in r.before]


def test_an_asked_request_whose_talent_left_is_declined_and_asked_again(users, client_for, hachioji_request,
                                                                         advisor_profile, rounds):
    r = hachioji_request
    move(r, "submit", users["hachioji"])
    move(r, "receive", users["admin"])
    move(r, "ask", users["admin"], talent=advisor_profile)
    _delete(client_for, users, advisor_profile)
    r = TalentRequest.objects.get(pk=r.pk)
    assert (r.status, r.reason, r.talent_id, r.talent_label) == (Status.DECLINED, LEFT, None, "（削除された人材）")
    # Recorded like any move (the request's history shows 依頼中 → 辞退 and why).
    assert _status_records(r)[-1] == ("asked", "declined", LEFT)
    unlinked = ChangeRecord.objects.filter(model="talent.talentrequest", object_id=str(r.pk)).order_by("at", "pk")
    assert (unlinked.last().before, unlinked.last().after) == ({"talent_id": advisor_profile.pk}, {"talent_id": None})
    assert advisor_profile.display_name not in str(list(unlinked.values_list("before", "after", "object_repr")))
    admin = client_for(users["admin"])
    page = admin.get(f"/talent/requests/{r.pk}/").content.decode()
    assert f"<dd>{LEFT}</dd>" in page
    # Nobody can be said to have accepted it.
    response = admin.post(f"/api/v1/talent/requests/{r.pk}/transitions/accept", {"version": r.version},
                          content_type="application/json")
    assert response.status_code == 422 and TalentRequest.objects.get(pk=r.pk).status == Status.DECLINED
    # The secretariat's next step is on its マイページ, and it can take it.
    desk = mypage_section(admin, "talent-secretariat")
    assert desk is not None and f'href="/talent/requests/{r.pk}/"' in desk and "辞退 → 候補を選び人材に依頼する" in desk
    other = actions.create_profile(users["admin"], profile_data(display_name="別 二郎", email="jiro@example.jp"))
    assert admin.post(f"/talent/requests/{r.pk}/move/ask", {"version": r.version, "talent": other.pk}).status_code == 302
    r.refresh_from_db()
    assert (r.status, r.talent_id, r.reason) == (Status.ASKED, other.pk, "")


def test_accepted_and_dispatching_requests_whose_talent_left_go_back_to_the_secretariat(
        users, client_for, hachioji_request, advisor_profile, rounds, clock):
    officer = users["hachioji"]
    municipality = hachioji_request.municipality
    accepted = hachioji_request
    dispatching, reported = (actions.create_request(officer, municipality, request_data(sector=sector))
                             for sector in ("education", "disaster"))
    for r in (accepted, dispatching, reported):
        move(r, "submit", officer)
        move(r, "receive", users["admin"])
        move(r, "ask", users["admin"], talent=advisor_profile)
        move(r, "accept", users["advisor"])
    for r in (dispatching, reported):
        r.refresh_from_db()
        clock(dt.date(r.fiscal_year + 1, 3, 31))  # the round's 年度 may be next year's: its visits have happened
        actions.add_visit(users["advisor"], r, date=dt.date(r.fiscal_year, 7, 1), hours="3", mode="onsite",
                          version=r.version)
    move(reported, "report", users["advisor"], report={"done": "研修", "handed_over_to": "担当者へ手順書"})
    _delete(client_for, users, advisor_profile)

    admin = client_for(users["admin"])
    desk = mypage_section(admin, "talent-secretariat")
    for r, was in ((accepted, "accepted"), (dispatching, "dispatching")):
        r = TalentRequest.objects.get(pk=r.pk)
        assert (r.status, r.reason, r.talent_id) == (Status.DECLINED, LEFT, None)
        assert _status_records(r)[-1] == (was, "declined", LEFT)
        assert f'href="/talent/requests/{r.pk}/"' in desk
        for client in (admin, client_for(officer)):
            page = client.get(f"/talent/requests/{r.pk}/")
            assert page.status_code == 200 and 'id="visit-form"' not in page.content.decode()
    # The visit already made stays on the request (it counts towards the case's 3 days with whoever comes next).
    assert Visit.objects.filter(request=dispatching).count() == 1
    # A reported request needs the talent no more: it keeps its state, and the municipality rates it as before.
    reported.refresh_from_db()
    assert reported.status == Status.REPORTED and reported.talent_id is None
    assert client_for(officer).post(f"/talent/requests/{reported.pk}/rate",
                                    {"rating": "4", "comment": "", "version": reported.version}).status_code == 302
    assert TalentRequest.objects.get(pk=reported.pk).status == Status.RATED


@pytest.mark.parametrize("status,refused", [
    (Status.ASKED, ("accept", "decline")), (Status.DISPATCHING, ("report",))])
def test_a_request_that_names_no_talent_is_answered_and_reported_by_nobody(users, client_for, hachioji_request,
                                                                          status, refused):
    # As the requests whose talent left before this was fixed: still 依頼中 or 派遣中, naming nobody.
    TalentRequest.objects.filter(pk=hachioji_request.pk).update(status=status, talent=None,
                                                                talent_label="（削除された人材）")
    admin = client_for(users["admin"])
    body = {"version": 1, "reason": "理由", "report": {"done": "研修", "handed_over_to": "担当者へ手順書"}}
    for name in refused:
        response = admin.post(f"/api/v1/talent/requests/{hachioji_request.pk}/transitions/{name}", body,
                              content_type="application/json")
        assert response.status_code == 422, (name, response.content)
        assert response.json()["detail"]["talent"] == "依頼している人材がいません"
    assert TalentRequest.objects.get(pk=hachioji_request.pk).status == status
    api = admin.get(f"/api/v1/talent/requests/{hachioji_request.pk}").json()
    assert not set(refused) & set(api["transitions"])
    page = admin.get(f"/talent/requests/{hachioji_request.pk}/").content.decode()
    assert not any(f'data-testid="move-{name}"' in page for name in refused)
    assert 'id="report-form"' not in page and 'id="visit-form"' not in page


@pytest.mark.parametrize("status", [Status.ACCEPTED, Status.DISPATCHING])
def test_no_visit_is_recorded_for_a_request_that_names_no_talent(users, client_for, hachioji_request, status, clock):
    TalentRequest.objects.filter(pk=hachioji_request.pk).update(status=status, talent=None)
    body = {"version": 1, "date": dt.date(current_fiscal_year(), 7, 1).isoformat(), "hours": 3, "mode": "onsite"}
    response = client_for(users["admin"]).post(f"/api/v1/talent/requests/{hachioji_request.pk}/visits", body,
                                               content_type="application/json")
    assert response.status_code == 422, response.content
    assert response.json()["detail"]["talent"] == "依頼している人材がいません"
    assert not Visit.objects.filter(request=hachioji_request).exists()


def test_the_migration_declines_the_requests_left_naming_nobody_before_this(users, client_for, hachioji_request):
    import importlib

    from django.apps import apps

    officer = users["hachioji"]
    left = {status: actions.create_request(officer, hachioji_request.municipality, request_data(sector=sector))
            for status, sector in ((Status.ASKED, "education"), (Status.ACCEPTED, "disaster"),
                                   (Status.DISPATCHING, "tourism"), (Status.REPORTED, "work"))}
    for status, r in left.items():  # as a profile deleted before this fix left them
        TalentRequest.objects.filter(pk=r.pk).update(status=status, talent=None, talent_label="（削除された人材）")
    admin = client_for(users["admin"])
    assert mypage_section(admin, "talent-secretariat") is None
    migration = importlib.import_module("chiiki.talent.migrations.0007_requests_whose_talent_left")
    migration.decline_requests_whose_talent_left(apps, None)
    desk = mypage_section(admin, "talent-secretariat")
    for status, r in left.items():
        answer = admin.get(f"/api/v1/talent/requests/{r.pk}").json()
        if status == Status.REPORTED:  # needs the talent no more
            assert answer["status"] == "reported" and f'href="/talent/requests/{r.pk}/"' not in desk
            continue
        assert (answer["status"], answer["reason"], answer["version"]) == ("declined", LEFT, 2)
        assert "ask" in answer["transitions"] and f'href="/talent/requests/{r.pk}/"' in desk
        assert _status_records(r)[-1] == (status, "declined", LEFT)
