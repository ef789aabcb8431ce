"""What 推進体制 adds to マイページ: the municipality's challenges whose proposals wait for a selection, the
events the user registered for, and what the user may do."""

import datetime as dt
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from chiiki import access
from chiiki.core.mypage import Capability, Todo, first_rows, section

from . import queries
from .models import Event

EVENT_DAYS = 30


def _challenges_awaiting_selection(code: str, today: dt.date) -> list:
    # The same rows as the challenge list's ?municipality=…&status=awaiting.
    rows, total = first_rows(queries.challenges(municipality=code, status=queries.AWAITING_SELECTION, today=today))
    if not total:
        return []
    items = [Todo(c.title, c.get_absolute_url(), f"締切 {c.deadline:%Y-%m-%d}・選定を待つ提案 {c.waiting}件")
             for c in rows]
    query = urlencode({"municipality": code, "status": queries.AWAITING_SELECTION})
    return [section("promotion-selection", "提案の選定を待つ課題", items, total,
                    more_url=f"{reverse('promotion:challenges')}?{query}")]


def _registered_events(user) -> list:
    now = timezone.now()
    qs = (Event.objects.filter(registrations__user=user, ends_at__gte=now,
                               starts_at__lte=now + dt.timedelta(days=EVENT_DAYS)).order_by("starts_at", "id"))
    rows, total = first_rows(qs)
    if not total:
        return []
    items = [Todo(e.title, e.get_absolute_url(),
                  f"{timezone.localtime(e.starts_at):%Y-%m-%d %H:%M}〜・{e.get_format_display()}")
             for e in rows]
    return [section("promotion-events", f"申し込んだイベント（{EVENT_DAYS}日以内）", items, total)]


def todo_sections(user, today) -> list:
    sections = []
    code = access.staff_municipality_id(user)
    if code:
        sections += _challenges_awaiting_selection(code, today)
    return sections + _registered_events(user)


def capabilities(user) -> list[Capability]:
    items = []
    own = user.municipality if access.staff_municipality_id(user) else None
    if access.can(user, "promotion.manage"):
        items.append(Capability("見本となる地域の指定と候補スコアの重みを管理できます", reverse("promotion:designate")))
    if own is not None and access.can(user, "promotion.challenge_manage", own):
        items.append(Capability(f"{own.name}の首長のコミットメントを記録し、企業・スタートアップ向けの課題を掲載できます",
                                reverse("promotion:challenge_new") + f"?municipality={own.code}"))
    if access.can(user, "promotion.proposal_submit"):
        items.append(Capability("自治体の課題に提案できます", reverse("promotion:challenges")))
    if access.can(user, "promotion.event_create"):
        items.append(Capability("イベント・オンライン説明会を登録し、参加を申し込めます", reverse("promotion:events")))
    return items
