"""A program whose last 年度 of applications is this one (ended_fiscal_year = this 年度) has no deadline and no
opening in any later 年度: its recurring window (monthly:4-12) must not reopen it in the deadline calendar nor
show it as 受付予定 for next April, nor give it a next deadline there."""

import datetime as dt

import pytest
from django.utils import timezone
from icalendar import Calendar

from chiiki.core.fiscal import fiscal_year_of

from .test_admin import form_data

FY = 2026
NOVEMBER = dt.date(FY, 11, 20)  # the November and December deadlines of 2026年度 are still ahead
JANUARY = dt.date(FY + 1, 1, 15)  # still 2026年度, after its last monthly deadline (31 December)


@pytest.fixture
def today(monkeypatch):
    def set_day(day):
        monkeypatch.setattr(timezone, "localdate", lambda *a, **k: day)

    set_day(NOVEMBER)
    return set_day


def _end_advisor_this_year(client_for, catalog, users, **changes):
    program = catalog["MIC-ICT-ADVISOR"]  # windows monthly:4-12
    response = client_for(users["admin"]).post(f"/programs/p/{program.public_id}/edit",
                                               form_data(program, ended_fiscal_year=str(FY), **changes))
    assert response.status_code == 302, response.content.decode()


def _calendar_days(client) -> list[dt.date]:
    calendar = Calendar.from_ical(client.get("/programs/deadlines.ics", {"program": "MIC-ICT-ADVISOR"}).content)
    return sorted(e.decoded("DTSTART") for e in calendar.walk("VEVENT"))


def test_the_deadline_calendar_has_no_deadline_after_the_last_fiscal_year(client, client_for, catalog, users,
                                                                          today):
    assert any(fiscal_year_of(d) == FY + 1 for d in _calendar_days(client))  # before: next 年度's too
    _end_advisor_this_year(client_for, catalog, users)
    assert _calendar_days(client) == [dt.date(FY, 10, 31), dt.date(FY, 11, 30), dt.date(FY, 12, 31)]


def test_a_dated_round_of_a_later_fiscal_year_is_neither_listed_nor_upcoming(client, client_for, catalog, users,
                                                                            today):
    _end_advisor_this_year(client_for, catalog, users, windows=f"{FY + 1}-05-01〜{FY + 1}-05-31")
    assert _calendar_days(client) == []
    body = client.get("/api/v1/programs/MIC-ICT-ADVISOR").json()
    assert (body["status"], body["next_opening"]) == ("closed", None)


def test_after_the_last_window_of_the_last_fiscal_year_the_program_is_not_upcoming(client, client_for, catalog,
                                                                                   users, today):
    _end_advisor_this_year(client_for, catalog, users)
    today(JANUARY)
    body = client.get("/api/v1/programs/MIC-ICT-ADVISOR").json()
    assert body["status"] == "closed", body["status"]
    assert body["next_opening"] is None


def test_a_year_round_program_has_no_next_deadline_after_its_last_fiscal_year(client, client_for, catalog, users,
                                                                             today):
    _end_advisor_this_year(client_for, catalog, users, windows="通年\n毎月 4月〜12月")
    today(JANUARY)
    body = client.get("/api/v1/programs/MIC-ICT-ADVISOR").json()
    assert (body["status"], body["next_deadline"]) == ("open", None)
