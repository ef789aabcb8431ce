"""The 募集回 page's request counts lead to exactly those requests (audit6b)."""

import re

import pytest

from chiiki.talent import actions
from chiiki.talent.models import TalentRequest

from .conftest import move, request_data

pytestmark = pytest.mark.django_db


def test_round_request_counts_link_to_exactly_those_requests(users, client_for, vocabulary, rounds, register):
    hachioji = register["municipalities"]["132012"]
    submitted = [actions.create_request(users["hachioji"], hachioji, request_data(title=f"依頼{i}")) for i in range(2)]
    for r in submitted:
        move(r, "submit", users["hachioji"])
    actions.create_request(users["hachioji"], hachioji, request_data(title="下書きのまま"))
    in_round = TalentRequest.objects.exclude(round=None)
    assert in_round.count() == 2
    round_pk = in_round.first().round_id
    admin = client_for(users["admin"])
    page = admin.get("/talent/manage/rounds").content.decode()
    shown = dict(re.findall(r'data-testid="round-requests-(\d+)">(\d+)</a>件', page))
    assert shown[str(round_pk)] == "2" and sum(map(int, shown.values())) == 2
    href = re.search(rf'<a href="([^"]+)" data-testid="round-requests-{round_pk}">', page).group(1)
    listed = admin.get(href.replace("&amp;", "&"))
    assert listed.context["page"].paginator.count == 2
    assert 'data-testid="requests-round">（募集回:' in listed.content.decode()
    lines = admin.get(href.replace("&amp;", "&") + "&format=csv").content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("ID,年度,団体コード,団体,分野,求める人,状態")
    assert sorted(int(line.split(",")[0]) for line in lines[1:]) == sorted(r.pk for r in submitted)
    other = next(int(pk) for pk in shown if int(pk) != round_pk)
    empty = admin.get(f"/talent/requests/?round={other}")
    assert empty.context["page"].paginator.count == 0
