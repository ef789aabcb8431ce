"""A 参加者数 no column can hold is refused with a Japanese message (the typed values kept), never a 500
(SQLite: OverflowError beyond 64 bits; PostgreSQL: integer out of range)."""

import datetime as dt

import pytest

from chiiki.core.fiscal import current_fiscal_year
from chiiki.talent.models import Status, TalentRequest, Visit

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("participants", ["9" * 30, "3000000000"])
def test_visit_page_refuses_participants_beyond_the_column(users, client_for, hachioji_request, advisor_profile,
                                                             participants, clock):
    TalentRequest.objects.filter(pk=hachioji_request.pk).update(status=Status.ACCEPTED, talent=advisor_profile)
    page = client_for(users["advisor"]).post(f"/talent/requests/{hachioji_request.pk}/visits", {
        "version": "1", "date": dt.date(current_fiscal_year(), 7, 1).isoformat(), "hours": "3", "mode": "onsite",
        "participants": participants, "note": "キックオフ"})
    assert page.status_code == 422  # a refused form, as everywhere on the site (views._status)
    text = page.content.decode()
    assert "参加者数は0〜100,000の整数で入力してください" in text and "キックオフ" in text
    assert not Visit.objects.exists()


def test_visit_api_refuses_participants_beyond_the_column(users, client_for, hachioji_request, advisor_profile, clock):
    TalentRequest.objects.filter(pk=hachioji_request.pk).update(status=Status.ACCEPTED, talent=advisor_profile)
    body = {"version": 1, "date": dt.date(current_fiscal_year(), 7, 1).isoformat(), "hours": 3, "mode": "onsite",
            "participants": 10**30}
    response = client_for(users["advisor"]).post(f"/api/v1/talent/requests/{hachioji_request.pk}/visits", body,
                                                 content_type="application/json")
    assert response.status_code == 422 and set(response.json()["detail"]) == {"participants"}
    assert not Visit.objects.exists()


@pytest.mark.parametrize("version", ["", "abc", "-1", "a\x00b"])
def test_deleting_a_profile_with_a_version_that_is_no_number_shows_the_page_again(users, client_for, advisor_profile,
                                                                                   version):
    """The action refused the version (Invalid) and the page let it through: a 500 on both engines."""
    from chiiki.talent.models import TalentProfile

    page = client_for(users["advisor"]).post(f"/talent/profiles/{advisor_profile.pk}/delete", {"version": version})
    assert page.status_code == 422
    assert "版（version）" in page.content.decode() and "削除していません" in page.content.decode()
    assert TalentProfile.objects.filter(pk=advisor_profile.pk).exists()
