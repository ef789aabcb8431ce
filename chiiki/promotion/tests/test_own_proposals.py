"""A company's own proposals: it finds them again (マイページ, its organisation page), corrects or withdraws one
until the deadline, and after the deadline neither is possible (the municipality is reviewing what it read)."""

import re

import pytest

from chiiki.core.models import ChangeRecord
from chiiki.promotion.models import Challenge, Proposal
from chiiki.testing import follow_section_list, mypage_section

from .conftest import bearer, send
from .test_challenges import in_days, market  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def _own(fixture, users):
    return Proposal.objects.get(pk=fixture["proposals"][users["company"].username]["id"])


def _edit(client, cid, version, **changes):
    body = {"action": "edit_proposal", "summary": "見守りセンサー（改訂）", "approach": "実証から",
            "cost": "2500000", "team": "4名", "version": str(version), **changes}
    return client.post(f"/promotion/challenges/{cid}/", body)


def test_the_proposing_organisation_corrects_its_proposal_until_the_deadline(client_for, users, market):  # noqa: F811
    cid, own = market["challenge"]["id"], _own(market, users)
    company = client_for(users["company"])
    page = company.get(f"/promotion/challenges/{cid}/").content.decode()
    assert "提案を修正する" in page and 'name="action" value="edit_proposal"' in page

    # Bad values: a Japanese reason beside the field, what was typed kept, nothing written.
    refused = _edit(company, cid, own.version, cost="-5", summary="あ" * 2001)
    assert refused.status_code == 422
    html = refused.content.decode()
    assert "見積額は0〜1,000億円の範囲で入力してください" in html and "概要は2000文字以内で入力してください" in html
    assert 'value="-5"' in html and "あ" * 2001 in html
    own.refresh_from_db()
    assert (own.summary, own.cost, own.version) == ("見守りセンサー", 3_000_000, 1)

    saved = _edit(company, cid, own.version)
    assert saved.status_code == 302
    own.refresh_from_db()
    assert (own.summary, own.cost, own.team, own.version) == ("見守りセンサー（改訂）", 2_500_000, "4名", 2)
    change = ChangeRecord.objects.filter(model="promotion.proposal", object_id=str(own.pk), action="update").get()
    assert change.before["cost"] == 3_000_000 and change.after["cost"] == 2_500_000

    # The page another tab still shows (version 1): 409, the typed text kept beside what was saved.
    stale = _edit(company, cid, 1, summary="古い画面からの修正")
    assert stale.status_code == 409 and "古い画面からの修正" in stale.content.decode()

    # Nobody else changes it: the municipality reviewing it, and another company, have no such button (404).
    for other in (users["hachioji"], users["advisor"]):
        assert _edit(client_for(other), cid, 2, summary="横取り").status_code == 404
    own.refresh_from_db()
    assert own.summary == "見守りセンサー（改訂）"

    # After the deadline the form is gone, and a late edit is refused with the reason.
    Challenge.objects.filter(pk=cid).update(deadline=in_days(-1))
    assert "提案を修正する" not in company.get(f"/promotion/challenges/{cid}/").content.decode()
    late = _edit(company, cid, 2, summary="締切後の修正")
    assert late.status_code == 422
    assert "提案の締切を過ぎた課題の提案は、変更も取下げもできません" in late.content.decode()
    own.refresh_from_db()
    assert own.summary == "見守りセンサー（改訂）"


def test_a_withdrawn_proposal_is_gone_and_may_be_sent_again(client_for, users, market):  # noqa: F811
    cid, own = market["challenge"]["id"], _own(market, users)
    company = client_for(users["company"])
    assert "提案を取り下げる" in company.get(f"/promotion/challenges/{cid}/").content.decode()
    assert client_for(users["hachioji"]).post(
        f"/promotion/challenges/{cid}/", {"action": "withdraw_proposal", "version": "1"}).status_code == 404

    response = company.post(f"/promotion/challenges/{cid}/", {"action": "withdraw_proposal", "version": "1"})
    assert response.status_code == 302
    assert not Proposal.objects.filter(pk=own.pk).exists()
    deleted = ChangeRecord.objects.get(model="promotion.proposal", object_id=str(own.pk), action="delete")
    assert deleted.before["summary"] == "見守りセンサー" and deleted.actor == users["company"]
    reviewer_page = client_for(users["hachioji"]).get(f"/promotion/challenges/{cid}/").content.decode()
    assert "見守りセンサー" not in reviewer_page and "AIカメラ" in reviewer_page

    # Withdrawn before the deadline: the organisation may propose again (a double submit makes one proposal).
    page = company.get(f"/promotion/challenges/{cid}/").content.decode()
    assert "この課題に提案する" in page
    body = {"action": "propose", "summary": "再提案", "approach": "段階的に", "cost": "2000000", "team": "2名"}
    assert company.post(f"/promotion/challenges/{cid}/", body).status_code == 302
    assert company.post(f"/promotion/challenges/{cid}/", body).status_code in (404, 422)
    assert Proposal.objects.filter(challenge_id=cid, organisation__members__user=users["company"]).count() == 1


def test_a_withdrawal_after_the_deadline_is_refused(client_for, users, market):  # noqa: F811
    cid, own = market["challenge"]["id"], _own(market, users)
    Challenge.objects.filter(pk=cid).update(deadline=in_days(-1))
    response = client_for(users["company"]).post(f"/promotion/challenges/{cid}/",
                                                 {"action": "withdraw_proposal", "version": "1"})
    assert response.status_code == 422
    assert "提案の締切を過ぎた課題の提案は、変更も取下げもできません" in response.content.decode()
    assert Proposal.objects.filter(pk=own.pk).exists()


def test_the_company_finds_its_proposals_on_mypage_and_its_organisation_page(client_for, users, market):  # noqa: F811
    cid = market["challenge"]["id"]
    company = client_for(users["company"])
    section = mypage_section(company, "promotion-proposals")
    assert section is not None and "提出した提案（結果の公表前）（1件）" in section
    assert f'href="/promotion/challenges/{cid}/"' in section and "提出済み・締切まで修正・取下げができます" in section
    deadline = Challenge.objects.get(pk=cid).deadline
    assert f"締切 {deadline.year}年{deadline.month}月{deadline.day}日・提出済み" in section

    # Its count leads to the organisation page, which lists the same proposal with its status.
    listed = follow_section_list(company, section)
    table = re.search(r'data-testid="organisation-proposals">(.*?)</table>', listed, re.S).group(1)
    assert re.findall(r'href="/promotion/challenges/(\d+)/"', table) == [str(cid)]
    assert "提出済み" in table and "3,000,000円" in table

    # Only its members (and the admin) see that list; others see the organisation without it.
    org_url = f"/promotion/organisations/{market['orgs'][users['company'].username]['id']}/"
    for other in (None, users["hachioji"], market["rival"]):
        assert "organisation-proposals" not in client_for(other).get(org_url).content.decode()
    assert "organisation-proposals" in client_for(users["admin"]).get(org_url).content.decode()
    for other in (users["hachioji"], users["advisor"]):
        assert mypage_section(client_for(other), "promotion-proposals") is None


def test_the_api_corrects_and_withdraws_the_same_way(client, users, market):  # noqa: F811
    own = _own(market, users)
    url = f"/api/v1/challenges/{own.challenge_id}/proposals/{own.pk}"
    body = {"summary": "API で修正", "approach": "実証から", "cost": 2_000_000, "team": "3名", "version": 1}
    assert send(client, "put", url, body, **bearer(market["rival"])).status_code == 404  # another company
    other_challenge = f"/api/v1/challenges/{own.challenge_id + 1}/proposals/{own.pk}"
    assert send(client, "put", other_challenge, body, **bearer(users["company"])).status_code == 404
    assert send(client, "put", url, body, **bearer(users["hachioji"])).status_code == 403  # sees it, may not change
    response = send(client, "put", url, body, **bearer(users["company"]))
    assert response.status_code == 200 and response.json()["version"] == 2 and response.json()["cost"] == 2_000_000
    assert send(client, "put", url, body, **bearer(users["company"])).status_code == 409  # version 1 is stale
    assert send(client, "put", url, {**body, "summary": "", "version": 2},
                **bearer(users["company"])).status_code == 422
    assert client.delete(f"{url}?version=1", **bearer(users["company"])).status_code == 409
    Challenge.objects.filter(pk=own.challenge_id).update(deadline=in_days(-1))
    assert client.delete(f"{url}?version=2", **bearer(users["company"])).status_code == 422
    Challenge.objects.filter(pk=own.challenge_id).update(deadline=in_days(1))
    assert client.delete(f"{url}?version=2", **bearer(users["company"])).status_code == 204
    assert not Proposal.objects.filter(pk=own.pk).exists()
