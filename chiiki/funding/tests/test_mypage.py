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


@pytest.mark.parametrize("role", ["public", "admin", "tokyo", "hachioji", "aogashima", "sapporo", "advisor", "company"])
def test_receivable_pledges_are_the_query_form_of_the_receive_rule(users, corp, role):  # noqa: F811
    from chiiki import access
    from chiiki.funding import queries
    from chiiki.funding.models import CorporateDonationPledge, PledgeState

    for project in ("hachioji", "hachioji", "matsue"):
        actions.pledge(users["company"], corp["company"], corp[project], amount=200_000, fiscal_year=2026,
                       no_return_declared=True)
    received = CorporateDonationPledge.objects.filter(project=corp["hachioji"]).first()
    actions.set_pledge_state(SYSTEM, received, PledgeState.RECEIVED, version=received.version)
    user = None if role == "public" else users[role]
    expected = {p.pk for p in CorporateDonationPledge.objects.filter(state=PledgeState.OFFERED)
                if access.can(user, "funding.pledge_receive", p)}
    assert {p.pk for p in queries.receivable_pledges(user)} == expected


# Before session 9 the section read every offered pledge the officer could see and asked access.can about each in
# Python; now the rows it lists come from one query bounded to the listed rows (a count when more wait).
PLEDGES_PAGE_QUERIES = 13


def test_the_pledges_section_reads_only_the_rows_it_lists(client_for, users, corp, django_assert_num_queries):  # noqa: F811
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from chiiki.core.mypage import MAX_LISTED

    for i in range(MAX_LISTED + 3):  # 東京都's officer receives for 八王子市, not for 松江市
        actions.pledge(users["company"], corp["company"], corp["hachioji"],
                       amount=100_000 + i, fiscal_year=2026, no_return_declared=True)
    actions.pledge(users["company"], corp["company"], corp["matsue"], amount=300_000, fiscal_year=2026,
                   no_return_declared=True)
    staff = client_for(users["tokyo"])
    staff.get("/accounts/mypage/")  # the session and other one-off reads
    with django_assert_num_queries(PLEDGES_PAGE_QUERIES), CaptureQueriesContext(connection) as read:
        html = staff.get("/accounts/mypage/").content.decode()
    pledge_rows = [q["sql"] for q in read.captured_queries
                   if 'FROM "funding_corporatedonationpledge"' in q["sql"] and "COUNT(" not in q["sql"]]
    assert pledge_rows and all(f"LIMIT {MAX_LISTED + 1}" in sql for sql in pledge_rows), pledge_rows
    section = html[html.index('id="todo-funding-pledges-section"'):]
    section = section[:section.index("</section>")]
    assert f"受領を待つ企業版ふるさと納税の申出（{MAX_LISTED + 3}件）" in section
    assert section.count('href="/funding/pledges/') - 2 == MAX_LISTED  # the heading's count, the rows, the list's link
    listed = follow_section_list(staff, section)
    assert "松江 見守り" not in listed and listed.count('<tr><td data-label="申出"><a href="/funding/pledges/') == MAX_LISTED + 3
