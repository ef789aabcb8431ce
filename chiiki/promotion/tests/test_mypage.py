"""マイページ's 推進体制 part: a challenge whose deadline passed with proposals to judge waits on its municipality's
マイページ until it is decided; the events a user registered for within 30 days are listed for them."""

import pytest

from chiiki.promotion import actions
from chiiki.promotion.models import Challenge
from chiiki.testing import mypage_section

from .test_challenges import in_days, market  # noqa: F401 - the fixture
from .test_events import event_body

pytestmark = pytest.mark.django_db


def test_a_closed_challenge_waits_for_its_municipality_until_decided(client_for, users, market):  # noqa: F811
    cid = market["challenge"]["id"]
    assert mypage_section(client_for(users["hachioji"]), "promotion-selection") is None  # still open
    Challenge.objects.filter(pk=cid).update(deadline=in_days(-1))  # the deadline has passed
    waiting = mypage_section(client_for(users["hachioji"]), "promotion-selection")
    assert "提案の選定を待つ課題（1件）" in waiting and "選定を待つ提案 2件" in waiting
    assert f'href="/promotion/challenges/{cid}/"' in waiting
    for other in ("aogashima", "tokyo", "company"):
        assert mypage_section(client_for(users[other]), "promotion-selection") is None
    challenge = Challenge.objects.get(pk=cid)
    chosen = challenge.proposals.order_by("id").first()
    actions.select_proposal(users["hachioji"], chosen, amount=3_000_000, version=challenge.version)
    assert mypage_section(client_for(users["hachioji"]), "promotion-selection") is None


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
    assert mypage_section(client_for(users["company"]), "promotion-events") is None
