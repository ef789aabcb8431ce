"""What PDCA adds to マイページ: overdue actions of the reviews the user runs, proposals awaiting a decision."""

from django.urls import reverse

from chiiki import access
from chiiki.core.dates import japanese_date
from chiiki.core.mypage import Capability, Todo, first_rows, section

from . import queries
from .models import ProposalStatus


def _overdue_section(scope: str, whose: str) -> list:
    qs = queries.overdue_actions(scope=scope)
    rows, total = first_rows(qs)
    if not total:
        return []
    items = [Todo(a.title, reverse("pdca:review", args=[a.review_id]) + "#actions-heading",
                  f"期限 {japanese_date(a.due_date)}・担当 {a.owner_organisation}・{a.get_status_display()}")
             for a in rows]
    return [section("pdca-overdue", f"{whose}の年次レビューで期限を過ぎた未完了の対応", items, total,
                    more_url=f"{reverse('pdca:reviews')}?overdue=1&scope={scope}")]


def todo_sections(user, today) -> list:
    sections = []
    if access.is_admin(user):
        sections += _overdue_section(queries.NATIONAL, "全国")
    elif access.staff_prefecture_id(user) and access.can(user, "pdca.manage", user.prefecture):
        sections += _overdue_section(user.prefecture_id, user.prefecture.name)
    if access.can(user, "pdca.judge_proposal"):
        rows, total = first_rows(queries.proposals(ProposalStatus.RECEIVED).order_by("id"))
        if total:
            items = [Todo(p.title, reverse("pdca:proposal", args=[p.pk]), f"提案: {p.proposer_label}")
                     for p in rows]
            sections.append(section("pdca-proposals", "検討を待つ制度の見直しの提案", items, total,
                                    more_url=f"{reverse('pdca:proposals')}?status={ProposalStatus.RECEIVED}"))
    return sections


def capabilities(user) -> list[Capability]:
    items = []
    if access.is_admin(user):
        items.append(Capability("全国KPIと年次レビュー（対応の期限・結果）を管理できます", reverse("pdca:index")))
    elif access.staff_prefecture_id(user) and access.can(user, "pdca.manage", user.prefecture):
        items.append(Capability(f"{user.prefecture.name}のKPIと年次レビューを管理できます", reverse("pdca:index")))
    if access.can(user, "pdca.propose"):
        items.append(Capability("制度の見直しを提案できます", reverse("pdca:proposal_new")))
    return items
