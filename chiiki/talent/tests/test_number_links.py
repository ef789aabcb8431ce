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


def test_the_api_filters_requests_by_round_like_the_list(users, client_for, vocabulary, rounds, register):
    from chiiki.talent.models import ApplicationRound

    hachioji = register["municipalities"]["132012"]
    made = [actions.create_request(users["hachioji"], hachioji, request_data(title=f"依頼{i}")) for i in range(3)]
    for r in made:
        move(r, "submit", users["hachioji"])
    this_round = TalentRequest.objects.get(pk=made[0].pk).round
    other = ApplicationRound.objects.exclude(pk=this_round.pk).order_by("pk").first()
    TalentRequest.objects.filter(pk=made[2].pk).update(round=other)
    admin = client_for(users["admin"])
    for round_, expected in ((this_round, made[:2]), (other, made[2:])):
        body = admin.get("/api/v1/talent/requests", {"round": round_.pk}).json()
        assert sorted(i["id"] for i in body["items"]) == sorted(r.pk for r in expected) == sorted(
            r.pk for r in admin.get("/talent/requests/", {"round": round_.pk}).context["page"].object_list)
        assert body["count"] == len(expected) and {i["round_id"] for i in body["items"]} == {round_.pk}
    assert admin.get("/api/v1/talent/requests").json()["count"] == 3
    for bad in ("0", "abc"):
        response = admin.get("/api/v1/talent/requests", {"round": bad})
        assert response.status_code == 422 and response.json()["detail"][0]["loc"][-1] == "round"
    spec = admin.get("/api/v1/openapi.json").json()["paths"]["/api/v1/talent/requests"]["get"]["parameters"]
    assert "round" in {p["name"] for p in spec}
