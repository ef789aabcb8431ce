"""A visit is recorded once it has happened: a date after today (Japan time) is refused beside the field, with the
typed values kept and nothing written — a visit dated ahead would start the dispatch early and push the report's due
date (last visit + 7 days) past an overdue report. The page and the API share add_visit."""

import datetime as dt

import pytest

from chiiki.core.fiscal import current_fiscal_year
from chiiki.core.models import ChangeRecord
from chiiki.talent import queries, rules
from chiiki.talent.models import Status, TalentRequest, Visit

pytestmark = pytest.mark.django_db

MESSAGE = "訪問日は今日（{d.year}年{d.month}月{d.day}日）までの日付を入力してください"


def _accepted(request_, profile):
    TalentRequest.objects.filter(pk=request_.pk).update(status=Status.ACCEPTED, talent=profile)


def test_the_page_refuses_a_visit_after_today(users, client_for, hachioji_request, advisor_profile, clock):
    today = clock(dt.date(current_fiscal_year(), 6, 10))
    _accepted(hachioji_request, advisor_profile)
    advisor = client_for(users["advisor"])
    before = ChangeRecord.objects.count()
    tomorrow = today + dt.timedelta(days=1)
    page = advisor.post(
        f"/talent/requests/{hachioji_request.pk}/visits",
        {
            "version": "1",
            "date": tomorrow.isoformat(),
            "hours": "3",
            "mode": "onsite",
            "participants": "4",
            "note": "キックオフ",
        },
    )
    html = page.content.decode()
    assert page.status_code == 422
    assert f'<ul class="errorlist" id="id_date_error"><li>{MESSAGE.format(d=today)}</li></ul>' in html
    assert f'value="{tomorrow.isoformat()}"' in html and 'value="キックオフ"' in html
    assert not Visit.objects.exists() and ChangeRecord.objects.count() == before
    assert TalentRequest.objects.get(pk=hachioji_request.pk).status == Status.ACCEPTED
    # Today itself has happened.
    done = advisor.post(
        f"/talent/requests/{hachioji_request.pk}/visits",
        {"version": "1", "date": today.isoformat(), "hours": "3", "mode": "onsite", "participants": "4"},
    )
    assert done.status_code == 302
    assert TalentRequest.objects.get(pk=hachioji_request.pk).status == Status.DISPATCHING


@pytest.mark.parametrize("role", ["advisor", "admin"])
def test_the_api_refuses_a_visit_after_today(
    users, client_for, hachioji_request, advisor_profile, clock, role
):
    today = clock(dt.date(current_fiscal_year(), 6, 10))
    _accepted(hachioji_request, advisor_profile)
    body = {"version": 1, "date": (today + dt.timedelta(days=30)).isoformat(), "hours": 3, "mode": "onsite"}
    response = client_for(users[role]).post(
        f"/api/v1/talent/requests/{hachioji_request.pk}/visits", body, content_type="application/json"
    )
    assert response.status_code == 422 and response.json()["detail"] == {"date": MESSAGE.format(d=today)}
    assert not Visit.objects.exists()


def test_a_future_visit_cannot_hide_an_overdue_report(
    users, client_for, hachioji_request, advisor_profile, clock
):
    """Visited on 1 June, nothing reported by 10 June: overdue, and a visit dated 20 June does not clear the flag."""
    year = current_fiscal_year()
    clock(dt.date(year, 6, 1))
    _accepted(hachioji_request, advisor_profile)
    advisor = client_for(users["advisor"])

    def visit(version, day, mode):
        body = {"version": version, "date": f"{year}-06-{day:02d}", "hours": "2", "mode": mode, "participants": "0"}
        return advisor.post(f"/talent/requests/{hachioji_request.pk}/visits", body).status_code

    assert visit("1", 1, "onsite") == 302
    today = clock(dt.date(year, 6, 10))
    assert rules.is_overdue(dt.date(year, 6, 1), today=today)
    assert visit("2", 20, "online") == 422
    assert list(Visit.objects.values_list("date", flat=True)) == [dt.date(year, 6, 1)]
    assert rules.is_overdue(
        queries.visits_of(TalentRequest.objects.get(pk=hachioji_request.pk))[-1].date, today=today
    )


def test_the_date_picker_stops_at_today(users, client_for, hachioji_request, advisor_profile, clock):
    """The form offers no day after today (Japan time) in its picker; the 422 above stays the check (novalidate)."""
    today = clock(dt.date(current_fiscal_year(), 6, 10))
    _accepted(hachioji_request, advisor_profile)
    html = client_for(users["advisor"]).get(f"/talent/requests/{hachioji_request.pk}/").content.decode()
    field = next(tag for tag in html.split("<input")[1:] if 'name="date"' in tag)
    assert f'max="{today.isoformat()}"' in field and 'type="date"' in field
