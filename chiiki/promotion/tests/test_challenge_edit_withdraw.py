"""A posted 課題 can be corrected and withdrawn by its municipality (pages and API): before, a wrong budget or
deadline stayed public and a challenge that lost its budget could only wait for its deadline."""

import pytest
from django.core import mail

from chiiki.core.models import ChangeRecord
from chiiki.promotion.models import Challenge

from .conftest import bearer, send
from .test_challenges import in_days, market  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db


def form_values(challenge: Challenge, **changes) -> dict:
    values = {"sector": challenge.sector_id, "title": challenge.title, "problem": challenge.problem,
              "requirements": challenge.requirements, "budget_min": challenge.budget_min or "",
              "budget_max": challenge.budget_max or "", "deadline": challenge.deadline.isoformat(),
              "no_track_record": "on", "version": challenge.version}
    return {**values, **changes}


def test_the_municipality_corrects_its_challenge_on_the_web(client_for, users, market):  # noqa: F811
    challenge = Challenge.objects.get(pk=market["challenge"]["id"])
    officer = client_for(users["hachioji"])
    page = officer.get(challenge.get_absolute_url()).content.decode()
    assert f'href="/promotion/challenges/{challenge.pk}/edit"' in page
    form = officer.get(f"/promotion/challenges/{challenge.pk}/edit").content.decode()
    assert 'value="高齢者の見守り"' in form and f'value="{challenge.deadline.isoformat()}"' in form
    saved = officer.post(f"/promotion/challenges/{challenge.pk}/edit",
                         form_values(challenge, budget_max="4000000", deadline=in_days(45)))
    assert saved.status_code == 302
    challenge.refresh_from_db()
    assert challenge.budget_max == 4_000_000 and challenge.deadline.isoformat() == in_days(45)
    assert "1,000,000〜4,000,000円" in client_for(None).get(challenge.get_absolute_url()).content.decode()
    change = ChangeRecord.objects.filter(object_id=str(challenge.pk), action="update").latest("pk")
    assert change.before["budget_max"] == 5_000_000 and change.after["budget_max"] == 4_000_000
    # Someone saved first: 409, what was typed is kept, nothing is overwritten.
    stale = officer.post(f"/promotion/challenges/{challenge.pk}/edit",
                         form_values(challenge, title="見守りの実証", version=challenge.version - 1))
    assert stale.status_code == 409 and 'value="見守りの実証"' in stale.content.decode()
    assert Challenge.objects.get(pk=challenge.pk).title == "高齢者の見守り"


@pytest.mark.parametrize("role", ["aogashima", "sapporo", "company", "advisor"])
def test_only_its_municipality_its_prefecture_and_the_admin_manage_a_challenge(client_for, users, role,
                                                                                market):  # noqa: F811
    cid = market["challenge"]["id"]
    client = client_for(users[role])
    page = client.get(f"/promotion/challenges/{cid}/").content.decode()
    assert 'data-testid="challenge-manage"' not in page
    for what in ("edit", "withdraw"):
        assert client.get(f"/promotion/challenges/{cid}/{what}").status_code == 403
    assert client_for(None).get(f"/promotion/challenges/{cid}/edit").status_code == 302  # to the login
    version = Challenge.objects.get(pk=cid).version
    assert send(client, "post", f"/api/v1/challenges/{cid}/withdraw", {"reason": "x", "version": version},
                **bearer(users[role])).status_code == 403
    for manager in ("admin", "tokyo"):
        assert client_for(users[manager]).get(f"/promotion/challenges/{cid}/withdraw").status_code == 200


def test_withdrawing_says_why_stops_proposals_and_tells_the_proposers(client, client_for, users, market,  # noqa: F811
                                                                      django_capture_on_commit_callbacks):
    users["company"].email = "sample@example.jp"
    users["company"].save()
    cid = market["challenge"]["id"]
    officer = client_for(users["hachioji"])
    challenge = Challenge.objects.get(pk=cid)
    refused = officer.post(f"/promotion/challenges/{cid}/withdraw", {"reason": "", "version": challenge.version})
    assert refused.status_code == 422 and "取下げの理由を入力してください" in refused.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = officer.post(f"/promotion/challenges/{cid}/withdraw",
                            {"reason": "来年度の予算が確保できなかったため", "version": challenge.version})
    assert done.status_code == 302
    public = client.get(f"/promotion/challenges/{cid}/").content.decode()
    assert 'data-testid="withdrawn"' in public and "来年度の予算が確保できなかったため" in public
    assert 'data-testid="challenge-status">取下げ<' in public
    assert 'data-testid="challenge-manage"' not in officer.get(f"/promotion/challenges/{cid}/").content.decode()
    # The proposing organisation with an address hears of it, with the reason.
    told = [m for m in mail.outbox if "課題の取下げ" in m.subject]
    assert [m.to for m in told] == [["sample@example.jp"]] and "来年度の予算が確保できなかったため" in told[0].body
    # Final: no proposals, no edits, no selection; the lists put it under 取り下げた課題 only.
    body = {"summary": "s", "approach": "a", "cost": 1, "team": "t"}
    assert client.get("/api/v1/challenges").json()["count"] == 0
    assert [c["id"] for c in client.get("/api/v1/challenges?status=withdrawn").json()["items"]] == [cid]
    assert client.get(f"/api/v1/challenges/{cid}").json()["withdrawal_reason"] == "来年度の予算が確保できなかったため"
    assert "BEGIN:VEVENT" not in client.get("/promotion/challenges/deadlines.ics").content.decode()
    every = client.get("/promotion/challenges/?status=all").content.decode()
    assert 'data-testid="challenge-row-status">取下げ<' in every  # the list says so in the row
    exported = client.get("/promotion/challenges/?status=all&format=csv").content.decode("utf-8-sig").splitlines()
    assert exported[0].split(",")[8] == "状態" and exported[1].split(",")[8] == "取下げ"
    again = send(client, "post", f"/api/v1/challenges/{cid}/proposals", body, **bearer(users["company"]))
    assert again.status_code == 422
    challenge.refresh_from_db()
    edit = officer.post(f"/promotion/challenges/{cid}/edit", form_values(challenge, title="別の課題"))
    assert edit.status_code == 422 and "取り下げた課題は変更できません" in edit.content.decode()
    proposal = market["proposals"]["rival"]
    select = send(client, "post", f"/api/v1/proposals/{proposal['id']}/select",
                  {"amount": 1, "version": challenge.version}, **bearer(users["hachioji"]))
    assert select.status_code == 422 and "取り下げた課題" in str(select.json()["detail"])
    twice = send(client, "post", f"/api/v1/challenges/{cid}/withdraw", {"reason": "再度", "version": challenge.version},
                 **bearer(users["hachioji"]))
    assert twice.status_code == 422
    # The company's マイページ no longer waits for an outcome that will not come.
    mypage = client_for(users["company"]).get("/accounts/mypage/").content.decode()
    assert "提出した提案（結果の公表前）" not in mypage


def test_the_api_withdraws_with_a_version_and_a_reason(client, users, market):  # noqa: F811
    cid = market["challenge"]["id"]
    version = client.get(f"/api/v1/challenges/{cid}").json()["version"]
    url = f"/api/v1/challenges/{cid}/withdraw"
    assert send(client, "post", url, {"reason": " ", "version": version},
                **bearer(users["hachioji"])).status_code == 422
    assert send(client, "post", url, {"reason": "解決した", "version": version - 1},
                **bearer(users["hachioji"])).status_code == 409
    done = send(client, "post", url, {"reason": "別の事業で解決した", "version": version}, **bearer(users["hachioji"]))
    assert done.status_code == 200 and done.json()["status"] == "withdrawn"
    assert done.json()["version"] == version + 1
    change = ChangeRecord.objects.filter(object_id=str(cid), action="update").latest("pk")
    assert change.before["status"] == "open" and change.after["status"] == "withdrawn"
    assert change.after["withdrawal_reason"] == "別の事業で解決した"
