"""What 資金循環 adds to マイページ: the municipality's plan drafts, corporate pledges waiting to be received, and
what the user may do."""

from django.urls import reverse

from chiiki import access
from chiiki.core.mypage import Capability, Todo, first_rows, section

from . import queries
from .models import PlanStatus, PledgeState


def _drafts(user, code: str) -> list:
    # The same rows as the plan list's ?municipality=…&status=draft (wide-area drafts it takes part in included).
    qs = (queries.filter_plans(queries.visible_plans(user), municipality=code, status=PlanStatus.DRAFT)
          .select_related(None).order_by("id").only("id", "title"))
    rows, total = first_rows(qs)
    if not total:
        return []
    items = [Todo(p.title, reverse("funding:plan", args=[p.pk]), "下書き（公開すると一覧・集計に載ります）")
             for p in rows]
    return [section("funding-drafts", "公開していない実装計画（下書き）", items, total,
                    more_url=f"{reverse('funding:plans')}?municipality={code}&status={PlanStatus.DRAFT}")]


def _pledges_to_receive(user) -> list:
    # Receiving is the project's local government's move (the secretariat could, but it is not its to-do).
    # One query for the rows the user may act on (and a count only when more wait than are listed).
    rows, total = first_rows(queries.receivable_pledges(user).select_related(None).select_related("company", "project")
                             .only("id", "amount", "fiscal_year", "company__name", "project__name"))
    if not total:
        return []
    items = [Todo(f"{p.company.name} → {p.project.name}", p.get_absolute_url(), f"{p.amount:,}円・{p.fiscal_year}年度")
             for p in rows]
    return [section("funding-pledges", "受領を待つ企業版ふるさと納税の申出", items, total,
                    more_url=f"{reverse('funding:pledges')}?state={PledgeState.OFFERED}")]


def todo_sections(user, today) -> list:
    sections = []
    code = access.staff_municipality_id(user)
    if code:
        sections += _drafts(user, code)
    if code or access.staff_prefecture_id(user):
        sections += _pledges_to_receive(user)
    return sections


def capabilities(user) -> list[Capability]:
    own = user.municipality if access.staff_municipality_id(user) else None
    items = []
    if access.is_admin(user):
        items.append(Capability("全国の実装計画・クラウドファンディング・企業版ふるさと納税を管理できます",
                                reverse("funding:plans")))
    elif own is not None and access.can(user, "funding.plan_edit", own):
        items.append(Capability(f"{own.name}の複数年度の実装計画とクラウドファンディングを作成・編集できます",
                                reverse("funding:plan_new")))
    if access.can(user, "funding.company_register") and not access.is_admin(user):
        items.append(Capability("企業版ふるさと納税の寄附を申し出られます", reverse("funding:projects")))
    return items
