"""A request whose talent left after their visits used up the case's limit (3 days, or 10 hours online only: the
request's, whoever visits) is never asked again: a new talent could accept it but never visit or report, and it would
stay 承諾 for ever. The ask is refused with the reason, not offered, and the secretariat's マイページ names the step it
can take (不採択); a request with some of its limit left is asked again and its next talent visits within what is left."""

import datetime as dt
import re

import pytest

from chiiki.talent import actions
from chiiki.talent.models import Status, TalentRequest
from chiiki.talent.tests.conftest import move, profile_data
from chiiki.testing import mypage_section

pytestmark = pytest.mark.django_db

USED_UP = "この依頼の派遣の上限（現地訪問を含めて3日、オンラインのみなら10時間）はすでに使い切っています"


def _visited_then_left(users, client_for, request, profile, clock, visits):
    """`request` asked of and accepted by `profile`'s advisor, who records `visits` ((day of July, hours, mode)) and
    then deletes their profile: back to the secretariat as 辞退."""
    move(request, "submit", users["hachioji"])
    move(request, "receive", users["admin"])
    move(request, "ask", users["admin"], talent=profile)
    move(request, "accept", users["advisor"])
    request.refresh_from_db()
    clock(dt.date(request.fiscal_year + 1, 3, 31))
    for day, hours, mode in visits:
        request.refresh_from_db()
        actions.add_visit(users["advisor"], request, date=dt.date(request.fiscal_year, 7, day), hours=hours,
                          mode=mode, version=request.version)
    profile.refresh_from_db()
    assert client_for(users["advisor"]).post(f"/talent/profiles/{profile.pk}/delete",
                                             {"version": str(profile.version)}).status_code == 302
    request.refresh_from_db()
    assert (request.status, request.talent_id) == (Status.DECLINED, None)
    return request


@pytest.mark.parametrize("visits", [
    [(day, "2", "online") for day in range(1, 6)],  # 10 hours online only
    [(1, "3", "onsite"), (2, "1", "online"), (3, "2", "onsite")],  # 3 days with on-site visits
], ids=["online-hours", "days"])
def test_a_request_whose_talent_used_up_its_limit_and_left_is_not_asked_again(
        users, client_for, hachioji_request, advisor_profile, rounds, clock, visits):
    r = _visited_then_left(users, client_for, hachioji_request, advisor_profile, clock, visits)
    admin = client_for(users["admin"])
    other = actions.create_profile(users["admin"], profile_data(display_name="別 二郎", email="jiro@example.jp"))

    # Not offered: no ask in the API's transitions nor a button on the page, which says why; 不採択 still is.
    answer = admin.get(f"/api/v1/talent/requests/{r.pk}").json()
    assert "ask" not in answer["transitions"] and "reject" in answer["transitions"]
    page = admin.get(f"/talent/requests/{r.pk}/").content.decode()
    assert 'data-testid="ask"' not in page and USED_UP in page and 'data-testid="move-reject"' in page

    # Refused on the page and through the API, with the reason; nothing changes.
    refused = admin.post(f"/talent/requests/{r.pk}/move/ask", {"version": r.version, "talent": other.pk})
    assert refused.status_code == 422 and USED_UP in refused.content.decode()
    refused = admin.post(f"/api/v1/talent/requests/{r.pk}/transitions/ask", {"version": r.version,
                                                                               "talent": other.pk},
                         content_type="application/json")
    assert refused.status_code == 422 and USED_UP in refused.json()["detail"]["visits"]
    assert (TalentRequest.objects.get(pk=r.pk).status, TalentRequest.objects.get(pk=r.pk).talent_id) == (
        Status.DECLINED, None)

    # The secretariat's to-do names the step it can take, not the ask it cannot.
    desk = mypage_section(admin, "talent-secretariat")
    row = re.search(rf'href="/talent/requests/{r.pk}/".*?</li>', desk, re.S).group(0)
    assert "辞退 → 不採択にする（派遣の上限を使い切っています）" in row and "候補を選び人材に依頼する" not in row
    # And it can take it: the request is closed, off every to-do list.
    assert admin.post(f"/talent/requests/{r.pk}/move/reject", {"version": r.version,
                                                               "reason": "派遣の上限を使い切っています"}).status_code == 302
    assert TalentRequest.objects.get(pk=r.pk).status == Status.REJECTED
    assert f'href="/talent/requests/{r.pk}/"' not in (mypage_section(admin, "talent-secretariat") or "")


def test_a_request_with_some_of_its_limit_left_is_asked_again_within_what_is_left(
        users, client_for, hachioji_request, advisor_profile, rounds, clock):
    # 10 hours online over 2 days: an on-site day still fits (3 days with on-site visits), so the case is not over.
    r = _visited_then_left(users, client_for, hachioji_request, advisor_profile, clock,
                           [(1, "5", "online"), (2, "5", "online")])
    admin = client_for(users["admin"])
    assert "ask" in admin.get(f"/api/v1/talent/requests/{r.pk}").json()["transitions"]
    desk = mypage_section(admin, "talent-secretariat")
    assert "辞退 → 候補を選び人材に依頼する" in desk and "派遣の上限を使い切っています" not in desk
    other = actions.create_profile(users["admin"], profile_data(display_name="別 二郎", email="jiro@example.jp"))
    assert admin.post(f"/talent/requests/{r.pk}/move/ask", {"version": r.version, "talent": other.pk}).status_code == 302
    r.refresh_from_db()
    assert admin.post(f"/api/v1/talent/requests/{r.pk}/transitions/accept", {"version": r.version},
                      content_type="application/json").status_code == 200

    def visit(day, mode):
        r.refresh_from_db()
        return admin.post(f"/api/v1/talent/requests/{r.pk}/visits", {
            "version": r.version, "date": dt.date(r.fiscal_year, 8, day).isoformat(), "hours": "1", "mode": mode},
            content_type="application/json")

    # The limit stays the request's: the last day is the new talent's, a fourth is refused.
    assert visit(1, "onsite").status_code == 201
    refused = visit(2, "onsite")
    assert refused.status_code == 422 and "現地訪問を含めて3日まで" in refused.json()["detail"]["date"]
    assert TalentRequest.objects.get(pk=r.pk).status == Status.DISPATCHING
