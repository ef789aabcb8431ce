"""Text longer than a request keeps is refused with a Japanese reason beside its field, never stored cut
(reason[:2000], comment[:2000], report[:5000] and a visit's note[:300] were sliced in the actions)."""

import pytest

from chiiki.core.fiscal import current_fiscal_year
from chiiki.talent.models import TalentRequest

from .conftest import accepted_on_the_pages

pytestmark = pytest.mark.django_db


def test_a_decline_reason_longer_than_kept_is_refused_not_cut(users, client_for, hachioji_request, advisor_profile):
    TalentRequest.objects.filter(pk=hachioji_request.pk).update(status="asked", talent=advisor_profile, version=4)
    page = client_for(users["advisor"]).post(f"/talent/requests/{hachioji_request.pk}/move/decline",
                                             {"version": 4, "reason": "日" * 2001})
    assert page.status_code == 422 and "理由は2000文字以内で入力してください" in page.content.decode()
    assert TalentRequest.objects.get(pk=hachioji_request.pk).status == "asked"


def test_a_report_a_rating_comment_and_a_visit_note_longer_than_kept_are_refused(users, client_for, vocabulary,
                                                                                  rounds, advisor_profile, clock):
    r, officer, _admin, advisor = accepted_on_the_pages(users, client_for, advisor_profile)
    visit = {"date": f"{current_fiscal_year()}-06-02", "hours": "4", "mode": "onsite", "participants": 6}
    long_note = advisor.post(f"/api/v1/talent/requests/{r.pk}/visits", {**visit, "note": "訪" * 301, "version": 5},
                             content_type="application/json")
    assert long_note.status_code == 422 and "内容は300文字以内" in str(long_note.json()["detail"])
    assert advisor.post(f"/talent/requests/{r.pk}/visits", {**visit, "version": 5}).status_code == 302
    page = advisor.post(f"/talent/requests/{r.pk}/report", {"done": "実" * 5001, "handed_over_to": "福祉課へ",
                                                           "version": 6})
    assert page.status_code == 422 and "実施内容は5000文字以内で入力してください" in page.content.decode()
    assert TalentRequest.objects.get(pk=r.pk).status == "dispatching"
    assert advisor.post(f"/talent/requests/{r.pk}/report", {"done": "実" * 5000, "handed_over_to": "福祉課へ",
                                                           "version": 6}).status_code == 302
    assert len(TalentRequest.objects.get(pk=r.pk).report.done) == 5000
    rated = officer.post(f"/talent/requests/{r.pk}/rate", {"rating": "4", "comment": "評" * 2001, "version": 7})
    assert rated.status_code == 422 and "コメントは2000文字以内で入力してください" in rated.content.decode()
    assert TalentRequest.objects.get(pk=r.pk).rating is None
