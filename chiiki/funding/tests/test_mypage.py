"""マイページ's 資金循環 part: the municipality's unpublished plans and the corporate pledges waiting for the
recipient to confirm receipt, each linking to the list of exactly those rows."""

import pytest

from chiiki.access import SYSTEM
from chiiki.funding import actions
from chiiki.funding.models import PlanStatus
from chiiki.testing import follow_section_list, mypage_section

from .test_corporate import _pledge, corp  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def test_a_draft_plan_waits_on_its_municipality_until_published(client_for, users, plan_factory):
    draft = plan_factory([(2026, "people_knowhow", 1_000_000, [])], title="見守りの計画（案）")
    plan_factory([(2026, "people_knowhow", 1_000_000, [])], title="公開済みの計画", status=PlanStatus.PUBLISHED)
    staff = client_for(users["hachioji"])
    drafts = mypage_section(staff, "funding-drafts")
    assert "公開していない実装計画（下書き）（1件）" in drafts and f'href="/funding/plans/{draft.pk}/"' in drafts
    listed = follow_section_list(staff, drafts)
    assert "見守りの計画（案）" in listed and "公開済みの計画" not in listed
    assert mypage_section(client_for(users["sapporo"]), "funding-drafts") is None
    draft.refresh_from_db()
    actions.set_status(SYSTEM, draft, PlanStatus.PUBLISHED, version=draft.version)
    assert mypage_section(staff, "funding-drafts") is None


def test_an_offered_pledge_waits_for_the_recipient_not_the_company(client_for, users, corp):  # noqa: F811
    pledge = _pledge(client_for(users["company"]), corp["hachioji"]).json()
    staff = client_for(users["hachioji"])
    waiting = mypage_section(staff, "funding-pledges")
    assert "受領を待つ企業版ふるさと納税の申出（1件）" in waiting and f'href="/funding/pledges/{pledge["id"]}/"' in waiting
    assert f'/funding/pledges/{pledge["id"]}/' in follow_section_list(staff, waiting)
    for other in ("company", "sapporo", "admin"):
        assert mypage_section(client_for(users[other]), "funding-pledges") is None
    assert client_for(users["hachioji"]).post(f"/api/v1/pledges/{pledge['id']}/receive", data={"version": 1},
                                              content_type="application/json").status_code == 200
    assert mypage_section(staff, "funding-pledges") is None
