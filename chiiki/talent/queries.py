"""Reads shared by the pages, the API and later apps (the PDCA KPI counts completed dispatches from here)."""

import datetime as dt
from collections import defaultdict

from django.db.models import Case, Count, IntegerField, Max, Min, Prefetch, Q, Value, When
from django.http import Http404
from django.utils import timezone

from chiiki import access
from chiiki.core.search_request import MAX_Q_LENGTH
from chiiki.core.text import fold, fold_kana
from chiiki.regions.models import Prefecture
from chiiki.roadmap.models import Sector

from . import indexing, rules
from .models import (
    APPROVED_STATES,
    COMMON_LABEL,
    COMMON_SECTOR,
    Capability,
    DispatchReport,
    ProfileCapability,
    Status,
    TalentProfile,
    TalentRequest,
    Visit,
)

# ---- The KPI ---------------------------------------------------------------------------------------------------


def completed_dispatches(*, fiscal_year: int | None = None, municipality=None, prefecture=None, sector=None):
    """派遣 completed: requests in state 完了, by the 年度 of the request. A queryset (count it, or list its rows)."""
    return dispatch_record(status=Status.COMPLETED, fiscal_year=fiscal_year, municipality=municipality,
                           prefecture=prefecture, sector=sector)


# The public record of dispatches: requests from 承諾 on (who went where, for what). Earlier states are the
# municipality's and the secretariat's business (access.scope_talent_requests).
DISPATCH_STATUSES = [(str(s), s.label) for s in APPROVED_STATES]


class UnknownDispatchStatus(ValueError):
    pass


def dispatch_record(*, status: str = "", fiscal_year: int | None = None, municipality=None, prefecture=None,
                    sector=None, gained: str = ""):
    """Dispatches (承諾 and later), narrowed. status: one or more of DISPATCH_STATUSES, comma-separated ("" = all of
    them); anything else raises UnknownDispatchStatus. gained: a capability the report says the staff can now do
    (reports exist only from 報告提出 on, so these are capability_gains' rows). The others take a code or an
    object."""
    wanted = [s for s in str(status).split(",") if s]
    if any(s not in dict(DISPATCH_STATUSES) for s in wanted):
        raise UnknownDispatchStatus("状態は、承諾・派遣中・報告提出・評価済・完了のいずれかを指定してください")
    qs = TalentRequest.objects.filter(status__in=wanted or [s for s, _ in DISPATCH_STATUSES])
    if fiscal_year is not None:
        qs = qs.filter(fiscal_year=fiscal_year)
    if municipality:
        qs = qs.filter(municipality_id=_safe(getattr(municipality, "pk", municipality)))
    if prefecture:
        qs = qs.filter(municipality__prefecture_id=_safe(getattr(prefecture, "pk", prefecture)))
    if sector:
        qs = qs.filter(sector_id=_safe(getattr(sector, "pk", sector)))
    if gained:
        qs = qs.filter(report__gained__pk=_safe(gained))
    return qs


def listed_dispatches(**filters):
    """dispatch_record's rows as the list page, its exports and the API show them: newest 年度 first."""
    return (dispatch_record(**filters).select_related("municipality__prefecture", "sector")
            .prefetch_related("report__gained").order_by("-fiscal_year", "municipality_id", "-id"))


# ---- Vocabulary ------------------------------------------------------------------------------------------------


def sector_names() -> dict[str, str]:
    return {COMMON_SECTOR: COMMON_LABEL} | dict(Sector.objects.order_by("order").values_list("code", "name"))


def capabilities(*, sector: str = "", q: str = ""):
    """The vocabulary as its list page shows it: by sector in the sectors' order (共通 last), then each item's
    order. sector: one sector code (or "common"); q: a 「○○ができる人」 or text in the label or the synonyms."""
    order = [code for code in sector_names() if code != COMMON_SECTOR] + [COMMON_SECTOR]
    rank = Case(*(When(sector=code, then=Value(i)) for i, code in enumerate(order)), default=Value(len(order)),
                output_field=IntegerField())
    qs = Capability.objects.annotate(sector_rank=rank).order_by("sector_rank", "order", "id")
    if sector:
        qs = qs.filter(sector=_safe(sector))
    q = _safe(q).strip()[:MAX_Q_LENGTH]
    if q:
        # Every item /api/v1/capabilities would suggest (its search index, not only its 20 best), and every item
        # whose label or synonyms hold the text, both folded (width, case, hiragana/katakana): the index leaves
        # out words such as できる that every label has. The vocabulary is small (≈ 80 rows): folded here.
        folded = fold(q)
        items = list(Capability.objects.values_list("pk", "label", "synonyms"))
        wanted = {c.pk for c in indexing.suggest(q, limit=len(items))}
        wanted.update(pk for pk, label, synonyms in items if folded in fold(label) or folded in fold(synonyms))
        qs = qs.filter(pk__in=wanted)
    return qs


# ---- Profiles --------------------------------------------------------------------------------------------------


def _safe(value: str) -> str:
    """A filter value PostgreSQL can compare (NUL cannot even be sent): it then simply matches nothing."""
    return (value or "").replace("\x00", "\ufffd")


def profiles(*, q: str = "", capability: str = "", sector: str = "", kind: str = "", prefecture: str = "",
             online: str = ""):
    """Public list of profiles (public fields only are shown from it). online="1": those who work online."""
    q, capability, sector, kind, prefecture = map(_safe, (q, capability, sector, kind, prefecture))
    qs = TalentProfile.objects.select_related("home_prefecture").prefetch_related(
        Prefetch("skills", queryset=ProfileCapability.objects.select_related("capability")))
    if capability:
        qs = qs.filter(skills__capability_id=capability)
    if sector:
        qs = qs.filter(Q(skills__capability__sector=sector)).distinct()
    if kind:
        qs = qs.filter(kind=kind)
    if online == "1":
        qs = qs.filter(online_available=True)
    if prefecture:
        qs = qs.filter(Q(home_prefecture_id=prefecture) | Q(prefectures_served=prefecture)).distinct()
    # Every word somewhere in the name or the profile. fold_kana too: a name the roster wrote without small kana
    # (キヨウコ) is still found by キョウコ.
    for term in fold(q).split():
        qs = qs.filter(Q(search_folded__contains=term) | Q(search_folded__contains=fold_kana(term)))
    return qs.order_by("id")


def profile_of(user) -> TalentProfile | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return TalentProfile.objects.filter(user=user).first()


# ---- Requests --------------------------------------------------------------------------------------------------


def scope_requests(user, qs=None):
    """Requests the user may see (access.scope_talent_requests)."""
    return access.scope_talent_requests(user, TalentRequest.objects.all() if qs is None else qs)


def requests_for(user, *, status: str = "", sector: str = "", fiscal_year: int | None = None,
                 capability: str = "", municipality: str = "", prefecture: str = "", overdue: bool = False,
                 unmet: bool = False, gained: str = "", demand: bool = False, talent: int | None = None,
                 wait_min: int | None = None, wait_max: int | None = None, application_round: int | None = None):
    """The request list behind every number of the pages: `demand` = the requests the demand figures count (申請
    and later, not withdrawn); wait_min/wait_max = days from 申請 to the first visit (派遣), inclusive."""
    status, sector, capability, municipality, prefecture, gained = map(_safe, (
        status, sector, capability, municipality, prefecture, gained))
    # The plan with its municipality: whether the viewer may see a named draft plan is asked of every row (the API).
    qs = scope_requests(user).select_related("municipality__prefecture", "sector", "talent", "round",
                                             "plan__municipality")
    if status:
        qs = qs.filter(status__in=status.split(","))
    if sector:
        qs = qs.filter(sector_id=sector)
    if fiscal_year:
        qs = qs.filter(fiscal_year=fiscal_year)
    if capability:
        qs = qs.filter(required__pk=capability)
    if municipality:
        qs = qs.filter(municipality_id=municipality)
    if gained:  # dispatches whose report says the staff can now do this themselves
        qs = qs.filter(report__gained__pk=gained)
    if prefecture:
        qs = qs.filter(municipality__prefecture_id=prefecture)
    if demand:
        qs = qs.filter(status__in=DEMAND_STATES)
    if talent is not None:
        qs = qs.filter(talent_id=talent)
    if application_round is not None:  # the requests behind a 募集回's count
        qs = qs.filter(round_id=application_round)
    if wait_min is not None or wait_max is not None:
        low, high = wait_min if wait_min is not None else 0, wait_max if wait_max is not None else 10 ** 6
        qs = qs.filter(pk__in=[pk for days, pk in waiting_times(fiscal_year)["items"] if low <= days <= high])
    qs = qs.annotate(last_visit=Max("visits__date"), first_visit=Min("visits__date"))
    if overdue:
        qs = qs.filter(status=Status.DISPATCHING, last_visit__lt=timezone.localdate() - dt.timedelta(
            days=rules.REPORT_DUE_DAYS))
    if unmet:
        qs = qs.filter(pk__in=unmet_request_ids())
    return qs.order_by("-id")


def get_request(user, pk: int) -> TalentRequest:
    request = scope_requests(user).select_related("municipality__prefecture", "sector", "talent", "round",
                                                  "plan__municipality").filter(pk=pk).first()
    if request is None:
        raise Http404("派遣依頼が見つかりません")
    return request


def overdue(request: TalentRequest) -> bool:
    if request.status != Status.DISPATCHING:
        return False
    last = request.visits.aggregate(m=Max("date"))["m"]
    return rules.is_overdue(last)


# ---- Demand and supply -----------------------------------------------------------------------------------------

DEMAND_STATES = [s for s in Status.values if s not in (Status.DRAFT, Status.WITHDRAWN)]


def fiscal_years() -> list[int]:
    """The 年度 the public figures can show: of requests since 申請 (a draft's 年度 would tell it exists)."""
    return sorted(set(TalentRequest.objects.filter(status__in=DEMAND_STATES).values_list("fiscal_year", flat=True)),
                  reverse=True)


def demand_supply_by_capability(fiscal_year: int | None = None, capabilities=None) -> list[dict]:
    """Per vocabulary item: requests that require it (since 申請) and talents who list it. capabilities: only
    these items (a page of the list), counted for them alone."""
    items = list(Capability.objects.all() if capabilities is None else capabilities)
    demand_qs = TalentRequest.objects.filter(status__in=DEMAND_STATES)
    supply_qs = ProfileCapability.objects.all()
    if capabilities is not None:
        ids = [c.pk for c in items]
        demand_qs, supply_qs = demand_qs.filter(required__pk__in=ids), supply_qs.filter(capability_id__in=ids)
    if fiscal_year:
        demand_qs = demand_qs.filter(fiscal_year=fiscal_year)
    demand = dict(demand_qs.values("required__pk").annotate(n=Count("id")).values_list("required__pk", "n"))
    supply = dict(supply_qs.values("capability_id").annotate(n=Count("profile_id"))
                  .values_list("capability_id", "n"))
    names = sector_names()
    rows = []
    for c in items:
        d, s = demand.get(c.pk, 0), supply.get(c.pk, 0)
        rows.append({"id": c.pk, "label": c.label, "sector": c.sector, "sector_name": names.get(c.sector, c.sector),
                     "demand": d, "supply": s, "ratio": round(d / s, 2) if s else None, "gap": d > 0 and s == 0})
    return rows


def demand_supply_by_prefecture(fiscal_year: int | None = None) -> list[dict]:
    """Per prefecture: requests from its municipalities and talents based there (home) or serving it."""
    demand_qs = TalentRequest.objects.filter(status__in=DEMAND_STATES)
    if fiscal_year:
        demand_qs = demand_qs.filter(fiscal_year=fiscal_year)
    demand = dict(demand_qs.values("municipality__prefecture_id").annotate(n=Count("id"))
                  .values_list("municipality__prefecture_id", "n"))
    # Supply: the talents based in the prefecture or serving it — the same rows as /talent/profiles/?prefecture=.
    serving: dict[str, set[int]] = defaultdict(set)
    for profile_id, code in TalentProfile.objects.filter(home_prefecture__isnull=False).values_list(
            "id", "home_prefecture_id"):
        serving[code].add(profile_id)
    for profile_id, code in TalentProfile.prefectures_served.through.objects.values_list("talentprofile_id",
                                                                                         "prefecture_id"):
        serving[code].add(profile_id)
    online = TalentProfile.objects.filter(online_available=True).count()
    return [{"code": p.code, "name": p.name, "demand": demand.get(p.code, 0), "supply": len(serving.get(p.code, ())),
             "online": online} for p in Prefecture.objects.order_by("code")]


def demand_supply_by_sector(fiscal_year: int | None = None) -> list[dict]:
    demand_qs = TalentRequest.objects.filter(status__in=DEMAND_STATES)
    if fiscal_year:
        demand_qs = demand_qs.filter(fiscal_year=fiscal_year)
    demand = dict(demand_qs.values("sector_id").annotate(n=Count("id")).values_list("sector_id", "n"))
    # Supply: talents holding a capability of the sector — the same rows as /talent/profiles/?sector=.
    supply = dict(ProfileCapability.objects.values("capability__sector").annotate(
        n=Count("profile_id", distinct=True)).values_list("capability__sector", "n"))
    return [{"code": code, "name": name, "demand": demand.get(code, 0), "supply": supply.get(code, 0)}
            for code, name in Sector.objects.order_by("order").values_list("code", "name")]


def unmet_request_ids() -> list[int]:
    """Open requests (申請〜辞退) for which no talent covers every required item."""
    open_requests = list(TalentRequest.objects.filter(status__in=(
        Status.SUBMITTED, Status.RECEIVED, Status.PROPOSED, Status.DECLINED)).prefetch_related("required"))
    if not open_requests:
        return []
    caps_of: dict[int, set[str]] = defaultdict(set)
    wanted = {c.pk for r in open_requests for c in r.required.all()}
    for profile_id, cap_id in ProfileCapability.objects.filter(capability_id__in=wanted).values_list(
            "profile_id", "capability_id"):
        caps_of[profile_id].add(cap_id)
    skill_sets = list(caps_of.values())
    unmet = []
    for r in open_requests:
        need = {c.pk for c in r.required.all()}
        if not any(need <= have for have in skill_sets):
            unmet.append(r.pk)
    return unmet


# Waiting-time bands of the analytics page: (label, first day, last day); each links to its requests.
WAIT_BANDS = [("30日以内", 0, 30), ("31〜60日", 31, 60), ("61〜90日", 61, 90), ("91日以上", 91, None)]


def waiting_days(submitted_at, first_visit) -> int | None:
    """Days from 申請 (its date in JST) to the first visit (派遣); None until both exist."""
    if submitted_at is None or first_visit is None:
        return None
    return (first_visit - timezone.localtime(submitted_at).date()).days


def waiting_times(fiscal_year: int | None = None) -> dict:
    """Days from 申請 to the first visit (派遣), per request that has both: count, median, the longest (with its
    request) and the bands of WAIT_BANDS."""
    qs = TalentRequest.objects.filter(submitted_at__isnull=False).annotate(first=Min("visits__date")).filter(
        first__isnull=False).values_list("pk", "submitted_at", "first")
    if fiscal_year:
        qs = qs.filter(fiscal_year=fiscal_year)
    days = sorted((waiting_days(submitted, first), pk) for pk, submitted, first in qs)
    values = [d for d, _ in days]
    bands = [{"label": label, "min": low, "max": high,
              "count": sum(1 for d in values if d >= low and (high is None or d <= high))}
             for label, low, high in WAIT_BANDS]
    if not values:
        return {"count": 0, "median": None, "max": None, "longest": None, "items": [], "bands": bands}
    return {"count": len(values), "median": values[len(values) // 2], "max": values[-1], "longest": days[-1][1],
            "items": days, "bands": bands}


def dispatches_per_talent(fiscal_year: int | None = None) -> list[dict]:
    """Concentration: accepted dispatches per talent (most first)."""
    qs = TalentRequest.objects.filter(status__in=APPROVED_STATES, talent__isnull=False)
    if fiscal_year:
        qs = qs.filter(fiscal_year=fiscal_year)
    rows = list(qs.values("talent_id", "talent__display_name").annotate(n=Count("id")).order_by("-n", "talent_id"))
    return [{"talent_id": r["talent_id"], "name": r["talent__display_name"], "dispatches": r["n"]} for r in rows]


def capability_gains(*, municipality=None) -> list[dict]:
    """Capabilities the municipalities' staff can now do themselves (from dispatch reports), by 年度."""
    qs = DispatchReport.gained.through.objects.select_related("dispatchreport__request__municipality", "capability")
    if municipality is not None:
        qs = qs.filter(dispatchreport__request__municipality=municipality)
    counts: dict[tuple, int] = defaultdict(int)
    labels = {}
    for row in qs:
        key = (row.dispatchreport.request.fiscal_year, row.capability_id)
        counts[key] += 1
        labels[row.capability_id] = row.capability.label
    return [{"fiscal_year": y, "capability": c, "label": labels[c], "count": n}
            for (y, c), n in sorted(counts.items(), key=lambda kv: (-kv[0][0], -kv[1], kv[0][1]))]


def request_scope_label(user) -> str:
    """Which requests the list shows this user (access.scope_talent_requests in words): the national figures
    count every request, the list only these."""
    if access.is_admin(user):
        return "全国のすべての派遣依頼"
    if (code := access.staff_prefecture_id(user)) is not None:
        name = Prefecture.objects.filter(pk=code).values_list("name", flat=True).first() or code
        return f"{name}内の団体の派遣依頼"
    if (code := access.staff_municipality_id(user)) is not None:
        from chiiki.regions.models import Municipality

        name = Municipality.objects.filter(pk=code).values_list("name", flat=True).first() or code
        return f"{name}の派遣依頼"
    return "あなたに届いた派遣依頼（下書きを除く）"


def request_list_covers(user, prefecture: str | None = None) -> bool:
    """Whether the request list shows this user every request a figure counts: a national figure (prefecture
    None) or one prefecture's. Only then does a figure link to the list (its rows are exactly the figure's); for
    anyone else the list is narrower (access.scope_talent_requests) and the figure stays plain text."""
    if access.is_admin(user):
        return True
    return prefecture is not None and access.staff_prefecture_id(user) == prefecture


def visible_request_ids(user, requests) -> set[int]:
    """The ids among `requests` (a queryset) this user may open."""
    return set(access.scope_talent_requests(user, requests).values_list("pk", flat=True))


def can_open_request(user, request_id: int | None) -> bool:
    return request_id is not None and bool(visible_request_ids(user, TalentRequest.objects.filter(pk=request_id)))


def municipality_dispatches(municipality):
    """The dispatches a municipality received (accepted and later), newest first."""
    return listed_dispatches(municipality=municipality)


def visits_of(request: TalentRequest) -> list[Visit]:
    return list(request.visits.all())
