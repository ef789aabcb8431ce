"""マイページ's PDCA part: the overdue actions of the reviews the user runs (national for the secretariat, the
prefecture's for its staff), each count linking to exactly those actions, and proposals awaiting a decision."""

import datetime as dt

import pytest
from django.utils import timezone

from chiiki.testing import follow_section_list, mypage_section

from .. import actions
from .test_number_links import _rows, two_reviews  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def test_each_scope_sees_its_own_overdue_actions(users, client_for, two_reviews):  # noqa: F811
    secretariat = client_for(users["admin"])
    national = mypage_section(secretariat, "pdca-overdue")
    assert "全国の年次レビューで期限を過ぎた未完了の対応（2件）" in national
    assert "説明会を開く" in national and "手引きを改訂する" in national and "町村を訪ねる" not in national
    page = follow_section_list(secretariat, national)
    assert _rows(page) == 2 and "（全国のレビュー）" in page and "町村を訪ねる" not in page

    tokyo = client_for(users["tokyo"])
    own = mypage_section(tokyo, "pdca-overdue")
    assert "東京都の年次レビューで期限を過ぎた未完了の対応（1件）" in own and "町村を訪ねる" in own
    due = timezone.localdate() - dt.timedelta(days=2)
    assert f"期限 {due.year}年{due.month}月{due.day}日・担当 東京都 デジタルサービス局" in own
    page = follow_section_list(tokyo, own)
    assert _rows(page) == 1 and "（東京都のレビュー）" in page

    assert mypage_section(client_for(users["hachioji"]), "pdca-overdue") is None


def test_the_scope_filter_exports_what_it_shows_and_refuses_an_unknown_scope(client, two_reviews):  # noqa: F811
    response = client.get("/pdca/reviews/?overdue=1&scope=13&format=csv")
    body = response.content.decode("utf-8-sig")
    assert response.status_code == 200 and "町村を訪ねる" in body and "説明会を開く" not in body
    assert client.get("/pdca/reviews/?overdue=1&scope=99").status_code == 404


def test_the_secretariat_sees_proposals_awaiting_a_decision(users, client_for):
    proposal = actions.submit_proposal(users["hachioji"], {
        "title": "補助率の見直し", "problem": "小規模団体には負担が大きい", "rule_concerned": "補助要綱"})
    secretariat = client_for(users["admin"])
    waiting = mypage_section(secretariat, "pdca-proposals")
    assert "検討を待つ制度の見直しの提案（1件）" in waiting and f'href="/pdca/proposals/{proposal.pk}/"' in waiting
    assert f"/pdca/proposals/{proposal.pk}/" in follow_section_list(secretariat, waiting)
    actions.set_proposal_status(users["admin"], proposal, status="under_review", version=proposal.version)
    assert mypage_section(secretariat, "pdca-proposals") is None
    assert mypage_section(client_for(users["tokyo"]), "pdca-proposals") is None
