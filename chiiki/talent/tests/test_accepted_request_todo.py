"""An accepted request waits for the talent's first visit record (承諾 → 派遣中 is add_visit, no transition): it stays
on the talent's マイページ as their next step, instead of dropping off every to-do list between 承諾 and 派遣中, and
the section's list link shows exactly the rows it counts."""

import datetime as dt
import re

import pytest

from chiiki.talent import actions
from chiiki.talent.tests.conftest import move, request_data
from chiiki.testing import follow_section_list, mypage_section

pytestmark = pytest.mark.django_db


def test_an_accepted_request_stays_on_the_talents_todo_until_the_first_visit(users, client_for, hachioji_request,
                                                                            advisor_profile, rounds, clock):
    advisor = client_for(users["advisor"])
    r = hachioji_request
    move(r, "submit", users["hachioji"])
    move(r, "receive")
    move(r, "ask", talent=advisor_profile)
    move(r, "accept", users["advisor"])
    answer = mypage_section(advisor, "talent-respond")
    assert answer is not None and f'href="/talent/requests/{r.pk}/"' in answer
    assert "承諾 → 訪問・オンライン支援を記録する" in answer
    r.refresh_from_db()
    clock(dt.date(r.fiscal_year + 1, 3, 31))
    actions.add_visit(users["advisor"], r, date=dt.date(r.fiscal_year, 7, 1), hours="3", mode="onsite",
                      version=r.version)
    assert "派遣中 → 派遣報告を提出する" in mypage_section(advisor, "talent-respond")


def test_the_talents_section_links_to_the_rows_it_counts(users, client_for, hachioji_request, advisor_profile, rounds,
                                                         clock):
    officer = users["hachioji"]
    asked, accepted, dispatching, declined = [hachioji_request] + [
        actions.create_request(officer, hachioji_request.municipality, request_data(sector=sector))
        for sector in ("education", "disaster", "tourism")]
    for r in (asked, accepted, dispatching, declined):
        move(r, "submit", officer)
        move(r, "receive")
        move(r, "ask", talent=advisor_profile)
    for r in (accepted, dispatching):
        move(r, "accept", users["advisor"])
    move(declined, "decline", users["advisor"], reason="日程が合いません")
    dispatching.refresh_from_db()
    clock(dt.date(dispatching.fiscal_year + 1, 3, 31))
    actions.add_visit(users["advisor"], dispatching, date=dt.date(dispatching.fiscal_year, 7, 1), hours="3",
                      mode="onsite", version=dispatching.version)

    advisor = client_for(users["advisor"])
    answer = mypage_section(advisor, "talent-respond")
    waiting = {str(r.pk) for r in (asked, accepted, dispatching)}
    assert set(re.findall(r'href="/talent/requests/(\d+)/"', answer)) == waiting
    assert f"（{len(waiting)}件）" in answer
    listed = set(re.findall(r'href="/talent/requests/(\d+)/"', follow_section_list(advisor, answer)))
    assert listed == waiting
