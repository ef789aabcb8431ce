"""What 人材 adds to マイページ: dispatch requests waiting for the user's next step, and what the user may do."""

from collections import defaultdict
from urllib.parse import urlencode

from django.urls import reverse

from chiiki import access
from chiiki.core.mypage import Capability, Todo, first_rows, section

from . import queries, rules
from .actions import TRANSITIONS
from .models import Status, TalentProfile, Visit

# The moves that are someone's next step. Withdraw and reject stay open at every stage, and propose is the other
# way to the same step as ask: none of them is a to-do.
NEXT_STEPS = {"submit": "申請する", "receive": "受け付ける", "ask": "候補を選び人材に依頼する",
              "accept": "承諾か辞退を回答する", "report": "派遣報告を提出する", "rate": "派遣を評価する",
              "complete": "完了にする"}
# 承諾 → 派遣中 is no transition but the talent's first visit record (actions.add_visit): their step all the same,
# or an accepted request would be on nobody's list until the dispatch starts.
VISIT_STEP = {Status.ACCEPTED: "訪問・オンライン支援を記録する"}
# A declined request whose visits (a departed talent's) used up the case's limit cannot be asked again
# (actions.transition): what is left to the secretariat is to close it, or it would wait on a step nobody can take.
USED_UP_STEP = "不採択にする（派遣の上限を使い切っています）"


def _steps(rule: str) -> dict[str, str]:
    """{status: next step} for the moves the rule governs (chiiki.talent.actions.TRANSITIONS, not restated)."""
    return {status: NEXT_STEPS[name] for name, (move_rule, sources, _to) in TRANSITIONS.items()
            if name in NEXT_STEPS and move_rule == rule for status in sources}


def _used_up(rows) -> set[int]:
    """The declined requests among `rows` with no visit left to give (one query, only when some are declined)."""
    declined = [r.pk for r in rows if r.status == Status.DECLINED]
    if not declined:
        return set()
    visits = defaultdict(list)
    for visit in Visit.objects.filter(request_id__in=declined).only("request_id", "date", "hours", "mode"):
        visits[visit.request_id].append(visit)
    return {pk for pk, made in visits.items() if rules.limit_used_up(made)}


def _requests_section(key: str, title: str, qs, steps: dict[str, str], **filters) -> list:
    qs = (qs.filter(status__in=steps).select_related(None).select_related("municipality")
          .only("id", "title", "status", "municipality__name").order_by("id"))  # what the to-do shows
    rows, total = first_rows(qs)
    if not total:
        return []
    used_up = _used_up(rows) if Status.DECLINED in steps else set()
    listed = [Todo(f"{r.municipality.name}「{r.title}」", reverse("talent:request", args=[r.pk]),
                   f"{r.get_status_display()} → {USED_UP_STEP if r.pk in used_up else steps[r.status]}")
              for r in rows]
    query = urlencode({"status": ",".join(steps), **filters})
    return [section(key, title, listed, total, more_url=f"{reverse('talent:requests')}?{query}")]


def _profile(user) -> TalentProfile | None:
    # The reverse one-to-one keeps its answer (a profile or none) on the user object, so the to-do list and the
    # abilities read it once per page; マイページ's user comes with it already (accounts.queries.mypage_user).
    try:
        return user.talent_profile
    except TalentProfile.DoesNotExist:
        return None


def todo_sections(user, today) -> list:
    sections = []
    requests = queries.scope_requests(user)
    if access.can(user, "talent.manage"):
        sections += _requests_section("talent-secretariat", "事務局の対応を待つ派遣依頼", requests,
                                      _steps("talent.manage"))
    elif access.staff_municipality_id(user):
        code = access.staff_municipality_id(user)
        sections += _requests_section("talent-municipality", "団体の対応を待つ派遣依頼",
                                      requests.filter(municipality_id=code), _steps("talent.request"),
                                      municipality=code)
    elif access.staff_prefecture_id(user):
        code = access.staff_prefecture_id(user)
        sections += _requests_section("talent-prefecture", "管内の団体の対応を待つ派遣依頼",
                                      requests.filter(municipality__prefecture_id=code), _steps("talent.request"),
                                      prefecture=code)
    profile = _profile(user)
    if profile is not None:
        sections += _requests_section("talent-respond", "あなたの回答・訪問の記録・報告を待つ派遣依頼",
                                      requests.filter(talent=profile), {**_steps("talent.respond"), **VISIT_STEP},
                                      talent=profile.pk)
    return sections


def capabilities(user) -> list[Capability]:
    items = []
    own = user.municipality if access.staff_municipality_id(user) else None
    if access.can(user, "talent.manage"):
        items.append(Capability("派遣依頼の受付・人材への依頼・完了と、できることの語彙・募集回を管理できます",
                                reverse("talent:requests")))
    elif own is not None and access.can(user, "talent.request", own):
        items.append(Capability(f"{own.name}として人材（地域情報化アドバイザーなど）の派遣を依頼できます",
                                reverse("talent:request_new")))
    if _profile(user) is not None:
        items.append(Capability("人材として、依頼への回答と派遣報告ができます（人材のプロフィール）",
                                reverse("talent:me")))
    return items
