"""A request written in January–March (or after the last round's deadline in December) can only be submitted into
the first round of the next 年度 (rounds are April–December). Its 年度 — the project's key (municipality × sector
× 年度), the year its visits must fall in and the year the KPI counts it — is the round's 年度, not the 年度 its
draft was begun in."""

import datetime as dt

import pytest
from django.utils import timezone

from chiiki.core.models import ChangeRecord
from chiiki.talent import actions, rules
from chiiki.talent.models import ApplicationRound, Status, TalentRequest

from .conftest import request_data

pytestmark = pytest.mark.django_db


def _at(monkeypatch, moment: dt.datetime):
    monkeypatch.setattr(timezone, "now", lambda: moment)
    monkeypatch.setattr(rules, "today", lambda: moment.astimezone(rules.JST).date())


@pytest.fixture
def january(users, client_for, vocabulary, monkeypatch):
    """2026年度's and 2027年度's rounds, the clock on 15 January 2027 (2026年度, every round of it past) and a draft
    of 八王子市 begun then; returns the draft and the officer's client."""
    for number, month in enumerate(range(4, 13), start=1):
        ApplicationRound.objects.create(fiscal_year=2026, number=number, deadline=dt.date(2026, month, 20))
        ApplicationRound.objects.create(fiscal_year=2027, number=number, deadline=dt.date(2027, month, 20))
    _at(monkeypatch, dt.datetime(2027, 1, 15, 10, 0, tzinfo=rules.JST))
    officer = client_for(users["hachioji"])  # signed in at the moment the clock says (sessions expire)
    created = officer.post("/talent/requests/new", request_data())
    assert created.status_code == 302, created.content.decode()
    return TalentRequest.objects.get(), officer


def test_a_request_submitted_into_next_years_round_takes_that_year(users, client_for, advisor_profile, january,
                                                                    monkeypatch):
    r, officer = january
    assert officer.post(f"/talent/requests/{r.pk}/move/submit", {"version": 1}).status_code == 302
    r.refresh_from_db()
    assert (r.status, r.round.fiscal_year, r.round.number) == (Status.SUBMITTED, 2027, 1)
    assert r.fiscal_year == r.round.fiscal_year  # 2027年度第1回 → a 2027年度 request

    _at(monkeypatch, dt.datetime(2027, 4, 22, 10, 0, tzinfo=rules.JST))
    admin, advisor = client_for(users["admin"]), client_for(users["advisor"])
    admin.post(f"/talent/requests/{r.pk}/move/receive", {"version": 2})
    admin.post(f"/talent/requests/{r.pk}/move/ask", {"version": 3, "talent": advisor_profile.pk})
    advisor.post(f"/talent/requests/{r.pk}/move/accept", {"version": 4})
    _at(monkeypatch, dt.datetime(2027, 5, 12, 10, 0, tzinfo=rules.JST))
    advisor = client_for(users["advisor"])
    visit = advisor.post(f"/talent/requests/{r.pk}/visits", {"version": 5, "date": "2027-05-10", "hours": "3",
                                                              "mode": "onsite", "participants": "4"})
    assert visit.status_code == 302, visit.content.decode()[:3000]
    assert TalentRequest.objects.get(pk=r.pk).status == Status.DISPATCHING


def test_the_submission_records_the_change_of_year(january):
    r, officer = january
    page = officer.get(f"/talent/requests/{r.pk}/").content.decode()
    assert "申請すると、その募集回の年度になります" in page  # the draft says its 2026年度 is not final
    officer.post(f"/talent/requests/{r.pk}/move/submit", {"version": 1})
    record = ChangeRecord.objects.filter(model="talent.talentrequest", object_id=str(r.pk), action="update").get()
    assert (record.before["fiscal_year"], record.after["fiscal_year"]) == (2026, 2027)
    assert (record.before["status"], record.after["status"]) == (Status.DRAFT, Status.SUBMITTED)
    assert "申請すると、その募集回の年度になります" not in officer.get(f"/talent/requests/{r.pk}/").content.decode()


def test_the_once_a_year_rule_reads_the_rounds_year(users, client_for, register, advisor_profile, january,
                                                    monkeypatch):
    """The same advisor already holds 八王子市's 2027年度 健康 project: the January draft, submitted into 2027年度第1回,
    is that project, so asking the advisor again is refused (under its draft's 2026年度 it slipped through)."""
    held = actions.create_request(users["hachioji"], register["municipalities"]["132012"],
                                  request_data(title="2027年度の依頼"), fiscal_year=2027)
    TalentRequest.objects.filter(pk=held.pk).update(status=Status.ACCEPTED, talent=advisor_profile)
    r, officer = january
    officer.post(f"/talent/requests/{r.pk}/move/submit", {"version": 1})
    _at(monkeypatch, dt.datetime(2027, 4, 22, 10, 0, tzinfo=rules.JST))
    admin = client_for(users["admin"])
    admin.post(f"/talent/requests/{r.pk}/move/receive", {"version": 2})
    asked = admin.post(f"/talent/requests/{r.pk}/move/ask", {"version": 3, "talent": advisor_profile.pk})
    assert asked.status_code == 422
    assert "同じ事業（団体・分野）への同じ人材の派遣は1年度に1回までです" in asked.content.decode()
    r.refresh_from_db()
    assert (r.status, r.talent_id) == (Status.RECEIVED, None)
