"""What 推進体制 adds to マイページ: the municipality's challenges whose proposals wait for a selection, a company's
proposals (until the outcome, then the outcome for 30 days), the events the user registered for, and what the user
may do."""

import datetime as dt
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from chiiki import access
from chiiki.core.dates import japanese_date
from chiiki.core.mypage import Capability, Todo, first_rows, section

from . import queries
from .models import ChallengeStatus, Event, ProposalStatus

EVENT_DAYS = queries.REGISTERED_EVENT_DAYS
OUTCOME_DAYS = queries.RECENT_OUTCOME_DAYS
OUTCOME_WORDS = {ProposalStatus.SELECTED: "選定されました", ProposalStatus.NOT_SELECTED: "今回は選定されませんでした"}


def _challenges_awaiting_selection(user, code: str, today: dt.date) -> list:
    # The same rows as the challenge list's ?municipality=…&status=awaiting.
    rows, total = first_rows(queries.challenges(municipality=code, status=queries.AWAITING_SELECTION, today=today,
                                                viewer=user)
                             .select_related(None).only("id", "title", "deadline"))  # what the to-do shows
    if not total:
        return []
    items = [Todo(c.title, c.get_absolute_url(), f"締切 {japanese_date(c.deadline)}・選定を待つ提案 {c.waiting}件")
             for c in rows]
    query = urlencode({"municipality": code, "status": queries.AWAITING_SELECTION})
    return [section("promotion-selection", "提案の選定を待つ課題", items, total,
                    more_url=f"{reverse('promotion:challenges')}?{query}")]


def _registered_events(user) -> list:
    # The same rows as the event list's ?registered=1.
    rows, total = first_rows(queries.events(registered_by=user).select_related(None).prefetch_related(None)
                             .only("id", "title", "starts_at", "format"))  # what the to-do shows
    if not total:
        return []
    items = [Todo(e.title, e.get_absolute_url(),
                  f"{japanese_date(e.starts_at)}〜・{e.get_format_display()}")
             for e in rows]
    return [section("promotion-events", f"申し込んだイベント（{EVENT_DAYS}日以内）", items, total,
                    more_url=f"{reverse('promotion:events')}?registered=1")]


def _own_proposals(user, today: dt.date) -> list:
    # A company user's proposals until the outcome: where each stands, and which can still be changed.
    membership = getattr(user, "organisation_membership", None)
    if membership is None:
        return []
    rows, total = first_rows(queries.organisation_proposals(user, membership.organisation, undecided_only=True))
    if not total:
        return []
    items = []
    for p in rows:
        c = p.challenge
        open_ = c.status == ChallengeStatus.OPEN and c.deadline >= today
        items.append(Todo(f"{c.municipality.name}「{c.title}」", c.get_absolute_url(),
                          f"締切 {japanese_date(c.deadline)}・{p.get_status_display()}"
                          + ("・締切まで修正・取下げができます" if open_ else "・審査中")))
    return [section("promotion-proposals", "提出した提案（結果の公表前）", items, total,
                    more_url=membership.organisation.get_absolute_url() + "?proposals=undecided#proposals")]


def _outcomes(user) -> list:
    # The outcome of the organisation's proposals for OUTCOME_DAYS after it was published: the e-mail (notify.py)
    # is easily missed, and a member who joined later never had it.
    membership = getattr(user, "organisation_membership", None)
    if membership is None:
        return []
    rows, total = first_rows(queries.filtered_organisation_proposals(user, membership.organisation,
                                                                     "recent_outcomes"))
    if not total:
        return []
    items = []
    for p in rows:
        c = p.challenge
        published = japanese_date(timezone.localtime(c.outcome_published_at).date())
        items.append(Todo(f"{c.municipality.name}「{c.title}」", c.get_absolute_url(),
                          f"{OUTCOME_WORDS[p.status]}・結果の公表 {published}"))
    return [section("promotion-outcomes", f"結果が公表された提案（{OUTCOME_DAYS}日以内）", items, total,
                    more_url=membership.organisation.get_absolute_url() + "?proposals=recent_outcomes#proposals")]


def todo_sections(user, today) -> list:
    sections = []
    code = access.staff_municipality_id(user)
    if code:
        sections += _challenges_awaiting_selection(user, code, today)
    return sections + _own_proposals(user, today) + _outcomes(user) + _registered_events(user)


def capabilities(user) -> list[Capability]:
    items = []
    own = user.municipality if access.staff_municipality_id(user) else None
    if access.can(user, "promotion.manage"):
        items.append(Capability("見本となる地域の指定と候補スコアの重みを管理できます", reverse("promotion:designate")))
    if own is not None and access.can(user, "promotion.challenge_manage", own):
        items.append(Capability(f"{own.name}の首長のコミットメントを記録し、企業・スタートアップ向けの課題を掲載できます",
                                reverse("promotion:challenge_new") + f"?municipality={own.code}"))
    prefecture = user.prefecture if access.staff_prefecture_id(user) else None
    place = own or prefecture
    if place is not None and access.can(user, "promotion.council_manage", place):
        items.append(Capability(f"{place.name}の推進協議会を登録し、構成員を管理できます", reverse("promotion:council_new")))
    if prefecture is not None and access.can(user, "promotion.event_edit", Event(organiser_prefecture=prefecture)):
        # The rule asked about an event the prefecture organises (its municipalities' follow the same rule).
        items.append(Capability(f"{prefecture.name}・域内の市区町村が主催するイベントを編集できます（録画・資料の追加など）",
                                reverse("promotion:events") + "?" + urlencode({"prefecture": prefecture.code,
                                                                               "past": "1"})))
    if prefecture is not None:
        items.append(Capability(f"{prefecture.name}内の見本となる地域の候補を確認できます（順位は全国）",
                                reverse("promotion:candidates") + "?" + urlencode({"prefecture": prefecture.code})))
    if access.can(user, "promotion.proposal_submit"):
        items.append(Capability("自治体の課題に提案できます", reverse("promotion:challenges")))
    if access.can(user, "promotion.event_create"):
        items.append(Capability("イベント・オンライン説明会を登録し、参加を申し込めます", reverse("promotion:events")))
    return items
