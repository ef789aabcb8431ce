"""Challenges and proposals: the municipality posts, companies propose, proposals stay confidential (by role)
until the outcome is published, then only the selected summary is public."""

import datetime as dt

import pytest
from django.utils import timezone

from chiiki.promotion.models import Proposal

from .conftest import bearer, send

pytestmark = pytest.mark.django_db


def in_days(n):
    return (timezone.localdate() + dt.timedelta(days=n)).isoformat()


@pytest.fixture
def market(client, users, django_user_model):
    """八王子市 posts a challenge; two companies (each with an organisation) propose."""
    rival = django_user_model.objects.create(username="rival", role="company")
    orgs = {}
    for user, name in ((users["company"], "株式会社サンプル"), (rival, "スタートアップ合同会社")):
        response = send(client, "post", "/api/v1/organisations", {"name": name, "kind": "startup"}, **bearer(user))
        orgs[user.username] = response.json()
    body = {"sector": "health", "title": "高齢者の見守り", "problem": "独居高齢者の安否確認", "requirements": "センサーで",
            "budget_min": 1_000_000, "budget_max": 5_000_000, "deadline": in_days(30), "no_track_record": True}
    assert send(client, "post", "/api/v1/municipalities/132012/challenges", body,
                **bearer(users["aogashima"])).status_code == 403
    response = send(client, "post", "/api/v1/municipalities/132012/challenges", body, **bearer(users["hachioji"]))
    assert response.status_code == 201, response.content
    challenge = response.json()
    proposals = {}
    for user, summary in ((users["company"], "見守りセンサー"), (rival, "AIカメラ")):
        r = send(client, "post", f"/api/v1/challenges/{challenge['id']}/proposals",
                 {"summary": summary, "approach": "実証から", "cost": 3_000_000, "team": "3名"}, **bearer(user))
        assert r.status_code == 201, r.content
        proposals[user.username] = r.json()
    return {"challenge": challenge, "proposals": proposals, "rival": rival, "orgs": orgs}


def visible(client, challenge_id, user):
    extra = bearer(user) if user is not None else {}
    return sorted(p["summary"] for p in client.get(f"/api/v1/challenges/{challenge_id}/proposals", **extra).json())


def test_proposals_are_confidential_by_role(client, users, market):
    cid = market["challenge"]["id"]
    assert visible(client, cid, None) == []
    assert visible(client, cid, users["company"]) == ["見守りセンサー"]
    assert visible(client, cid, market["rival"]) == ["AIカメラ"]
    assert visible(client, cid, users["hachioji"]) == ["AIカメラ", "見守りセンサー"]
    assert visible(client, cid, users["admin"]) == ["AIカメラ", "見守りセンサー"]
    for role in ("tokyo", "aogashima", "advisor"):  # not the municipality concerned
        assert visible(client, cid, users[role]) == []
    page = client.get(f"/promotion/challenges/{cid}/").content.decode()
    assert "見守りセンサー" not in page and "AIカメラ" not in page


def test_shortlist_select_and_publish(client, users, market, client_for):
    cid = market["challenge"]["id"]
    rival_proposal = market["proposals"]["rival"]
    url = f"/api/v1/proposals/{rival_proposal['id']}"
    # Another company cannot even see it (404); the prefecture may see the challenge but not review (404 too).
    assert send(client, "put", f"{url}/shortlist", {"version": 1}, **bearer(users["company"])).status_code == 404
    assert send(client, "put", f"{url}/shortlist", {"version": 1}, **bearer(users["hachioji"])).status_code == 200
    assert send(client, "put", f"{url}/shortlist", {"version": 1}, **bearer(users["hachioji"])).status_code == 409
    challenge_version = client.get(f"/api/v1/challenges/{cid}").json()["version"]
    selected = send(client, "post", f"{url}/select", {"amount": 2_800_000, "version": challenge_version},
                    **bearer(users["hachioji"]))
    assert selected.status_code == 200, selected.content
    outcome = client.get(f"/api/v1/challenges/{cid}").json()
    assert outcome["status"] == "decided"
    assert outcome["outcome"]["organisation"] == "スタートアップ合同会社" and outcome["outcome"]["amount"] == 2_800_000
    assert outcome["outcome"]["summary"] == "AIカメラ"
    # The selected summary is public now; the other proposal stays with its organisation, the municipality, the admin.
    page = client.get(f"/promotion/challenges/{cid}/").content.decode()
    assert "AIカメラ" in page and "見守りセンサー" not in page and "2,800,000円" in page
    assert visible(client, cid, None) == []
    assert visible(client, cid, users["company"]) == ["見守りセンサー"]
    assert dict(Proposal.objects.values_list("summary", "status")) == {"AIカメラ": "selected",
                                                                       "見守りセンサー": "not_selected"}
    # Nothing moves after publication.
    assert send(client, "post", f"{url}/select", {"amount": 1, "version": outcome["version"]},
                **bearer(users["hachioji"])).status_code == 422
    assert client.get("/api/v1/challenges").json()["count"] == 0  # no longer open


def test_who_may_propose(client, users, market, django_user_model):
    cid = market["challenge"]["id"]
    body = {"summary": "x", "approach": "y", "cost": 1, "team": "z"}
    loner = django_user_model.objects.create(username="loner", role="company")
    response = send(client, "post", f"/api/v1/challenges/{cid}/proposals", body, **bearer(loner))
    assert response.status_code == 422 and "所属する組織" in str(response.json()["detail"])
    assert send(client, "post", f"/api/v1/challenges/{cid}/proposals", body,
                **bearer(users["hachioji"])).status_code == 403
    again = send(client, "post", f"/api/v1/challenges/{cid}/proposals", body, **bearer(users["company"]))
    assert again.status_code == 422 and "既に" in str(again.json()["detail"])


def test_lists_filters_and_ics(client, users, market):
    send(client, "post", "/api/v1/municipalities/134023/challenges",
         {"sector": "disaster", "title": "島の防災", "problem": "p", "requirements": "r", "deadline": in_days(90)},
         **bearer(users["aogashima"]))
    titles = lambda q: [c["title"] for c in client.get(f"/api/v1/challenges?{q}").json()["items"]]  # noqa: E731
    assert titles("") == ["高齢者の見守り", "島の防災"]
    assert titles("startup_friendly=true") == ["高齢者の見守り"]
    assert titles("sector=disaster") == ["島の防災"]
    assert titles(f"deadline_before={in_days(31)}") == ["高齢者の見守り"]
    assert titles("prefecture=01") == []
    ics = client.get("/promotion/challenges/deadlines.ics").content.decode()
    assert ics.count("BEGIN:VEVENT") == 2 and f"DTSTART;VALUE=DATE:{in_days(90).replace('-', '')}" in ics
    page = client.get("/promotion/challenges/?startup_friendly=1").content.decode()
    assert "高齢者の見守り" in page and "島の防災" not in page
    assert "島の防災" in client.get("/promotion/challenges/?format=csv").content.decode("utf-8-sig")


def test_challenge_validation(client, users, register):
    body = {"sector": "nope", "title": "", "problem": "p", "requirements": "r", "deadline": "2000-01-01",
            "budget_min": 10, "budget_max": 5}
    response = send(client, "post", "/api/v1/municipalities/132012/challenges", body, **bearer(users["hachioji"]))
    assert response.status_code == 422
    assert set(response.json()["detail"]) == {"sector", "title", "deadline", "budget_max"}


def test_web_flow_propose_and_select(client_for, users, market):
    cid = market["challenge"]["id"]
    officer = client_for(users["hachioji"])
    page = officer.get(f"/promotion/challenges/{cid}/").content.decode()
    assert "見守りセンサー" in page and "AIカメラ" in page
    proposal = market["proposals"]["company"]
    version = officer.get(f"/api/v1/challenges/{cid}").json()["version"]
    stale = officer.post(f"/promotion/challenges/{cid}/", {"action": "select", "proposal": proposal["id"],
                                                           "amount": "3120000", "version": version - 1})
    assert stale.status_code == 409 and 'name="amount" value="3120000"' in stale.content.decode()  # typed, kept
    response = officer.post(f"/promotion/challenges/{cid}/", {"action": "select", "proposal": proposal["id"],
                                                              "amount": "3000000", "version": version})
    assert response.status_code == 302
    assert "見守りセンサー" in client_for(None).get(f"/promotion/challenges/{cid}/").content.decode()


def test_only_the_reviewers_export_the_proposals(client_for, users, market):
    from chiiki.core.tabular import read_table

    url = f"/promotion/challenges/{market['challenge']['id']}/?format=csv"
    response = client_for(users["hachioji"]).get(url)
    assert response.status_code == 200
    rows = read_table(response.content, "p.csv").rows
    assert sorted((r.get("組織"), r.get("概要")) for r in rows) == [("スタートアップ合同会社", "AIカメラ"),
                                                                 ("株式会社サンプル", "見守りセンサー")]
    for role in ("company", "tokyo", "aogashima"):  # a proposer sees only their own on the page, never the list
        assert client_for(users[role]).get(url).status_code == 403
    anonymous = client_for(None).get(url)
    assert anonymous.status_code in (302, 403) and "見守りセンサー" not in anonymous.content.decode()


def test_the_change_history_keeps_proposals_from_the_prefecture(client_for, users, market):
    """The prefecture reads its municipalities' history, but a proposal is the municipality's to review alone
    (promotion.proposals_review): its records stay out of the prefecture's list, detail pages and exports."""
    from chiiki.core.models import ChangeRecord

    proposals = ChangeRecord.objects.filter(model="promotion.proposal")
    assert proposals.exists()
    tokyo = client_for(users["tokyo"])
    for fmt in ("", "&format=csv"):
        listed = tokyo.get(f"/history/?municipality=132012{fmt}").content.decode("utf-8-sig")
        assert "見守りセンサー" not in listed and "AIカメラ" not in listed
    challenge = tokyo.get("/history/?model=promotion.challenge&format=csv").content.decode("utf-8-sig")
    assert "高齢者の見守り" in challenge  # the rest of the municipality's history stays the prefecture's to read
    assert tokyo.get(f"/history/{proposals.first().pk}/").status_code == 404
    for reviewer in ("hachioji", "admin"):
        listed = client_for(users[reviewer]).get("/history/?model=promotion.proposal&format=csv")
        assert "見守りセンサー" in listed.content.decode("utf-8-sig"), reviewer
