"""マイページ's 推進体制 part: a challenge whose deadline passed with proposals to judge waits on its municipality's
マイページ until it is decided; the events a user registered for within 30 days are listed for them. Dates read as on
every page (2027年1月17日)."""

import datetime as dt
import re

import pytest

from chiiki.promotion import actions
from chiiki.promotion.models import Challenge
from chiiki.testing import follow_section_list, mypage_section

from .test_challenges import in_days, market  # noqa: F401 - the fixture
from .test_events import event_body

pytestmark = pytest.mark.django_db


def test_a_closed_challenge_waits_for_its_municipality_until_decided(client_for, users, market):  # noqa: F811
    cid = market["challenge"]["id"]
    assert mypage_section(client_for(users["hachioji"]), "promotion-selection") is None  # still open
    Challenge.objects.filter(pk=cid).update(deadline=in_days(-1))  # the deadline has passed
    waiting = mypage_section(client_for(users["hachioji"]), "promotion-selection")
    assert "提案の選定を待つ課題（1件）" in waiting and f"締切 {_japanese(in_days(-1))}・選定を待つ提案 2件" in waiting
    assert f'href="/promotion/challenges/{cid}/"' in waiting
    for other in ("aogashima", "tokyo", "company"):
        assert mypage_section(client_for(users[other]), "promotion-selection") is None
    challenge = Challenge.objects.get(pk=cid)
    chosen = challenge.proposals.order_by("id").first()
    actions.select_proposal(users["hachioji"], chosen, amount=3_000_000, version=challenge.version)
    assert mypage_section(client_for(users["hachioji"]), "promotion-selection") is None


def _japanese(iso: str) -> str:
    day = dt.date.fromisoformat(iso)
    return f"{day.year}年{day.month}月{day.day}日"


def _copy(challenge, proposals=(), **changes):
    original = Challenge.objects.get(pk=challenge)
    copied = Challenge.objects.get(pk=challenge)
    copied.pk = None
    for name, value in changes.items():
        setattr(copied, name, value)
    copied.save()
    for proposal in original.proposals.order_by("id")[:len(proposals)]:
        proposal.pk, proposal.challenge = None, copied
        proposal.save()
    return copied.pk


def test_the_selection_section_links_to_the_list_of_exactly_its_challenges(client_for, users, market):  # noqa: F811
    cid = market["challenge"]["id"]
    closed = {"deadline": in_days(-3)}
    Challenge.objects.filter(pk=cid).update(deadline=in_days(-1))
    second = _copy(cid, proposals=[1], title="公共交通の再編", **closed)
    _copy(cid, title="提案のなかった課題", **closed)  # nothing to select from
    _copy(cid, proposals=[1], title="まだ募集中の課題", deadline=in_days(5))
    _copy(cid, proposals=[1], title="青ヶ島村の課題", municipality_id="134023", **closed)
    client = client_for(users["hachioji"])

    section = mypage_section(client, "promotion-selection")
    assert "提案の選定を待つ課題（2件）" in section
    in_section = re.findall(r'href="/promotion/challenges/(\d+)/"', section)
    assert sorted(in_section) == sorted([str(cid), str(second)])
    listed_page = follow_section_list(client, section)
    table = re.search(r'data-testid="challenges">(.*?)</table>', listed_page, re.S).group(1)
    assert sorted(re.findall(r'href="/promotion/challenges/(\d+)/"', table)) == sorted(in_section)
    assert "八王子市の提案の選定を待つ課題</h2>" in listed_page

    # The export and the API answer the same filter with the same rows.
    csv = client.get("/promotion/challenges/?municipality=132012&status=awaiting&format=csv").content.decode("utf-8-sig")
    assert sorted(line.split(",")[0] for line in csv.splitlines()[1:]) == sorted(in_section)
    api = client.get("/api/v1/challenges?municipality=132012&status=awaiting").json()
    assert sorted(str(item["id"]) for item in api["items"]) == sorted(in_section)


def test_registered_events_within_thirty_days(client_for, users):
    soon = actions.save_event(users["hachioji"], None, event_body())  # in 10 days
    later = actions.save_event(users["hachioji"], None, event_body(title="来年度の説明会",
                                                                   starts_at=f"{in_days(45)}T14:00",
                                                                   ends_at=f"{in_days(45)}T15:00"))
    for event in (soon, later):
        actions.register_for_event(users["advisor"], event)
    listed = mypage_section(client_for(users["advisor"]), "promotion-events")
    assert "申し込んだイベント（30日以内）（1件）" in listed
    assert f'href="/promotion/events/{soon.pk}/"' in listed and "来年度の説明会" not in listed
    assert f"{_japanese(in_days(10))} 14:00〜・オンライン" in listed  # Japan time, as entered
    assert mypage_section(client_for(users["company"]), "promotion-events") is None


def test_a_prefecture_officer_is_told_about_councils_events_and_candidates(client_for, users):
    """What the rules in chiiki.access let a prefecture officer do in 推進体制, on マイページ and at /me/abilities."""
    html = client_for(users["tokyo"]).get("/accounts/mypage/").content.decode()
    assert 'href="/promotion/councils/new">東京都の推進協議会を登録し' in html
    assert 'href="/promotion/events/?prefecture=13&amp;past=1">東京都・域内の市区町村が主催するイベントを編集できます' in html
    assert 'href="/promotion/candidates/?prefecture=13">東京都内の見本となる地域の候補' in html
    abilities = [a["text"] for a in client_for(users["tokyo"]).get("/api/v1/me/abilities").json()["abilities"]]
    assert any(text.startswith("東京都の推進協議会を登録し") for text in abilities)
    own = client_for(users["hachioji"]).get("/accounts/mypage/").content.decode()
    assert "八王子市の推進協議会を登録し" in own and "主催するイベントを編集できます" not in own
    for outsider in ("advisor", "company"):
        page = client_for(users[outsider]).get("/accounts/mypage/").content.decode()
        assert "推進協議会を登録し" not in page and "見本となる地域の候補を確認" not in page
