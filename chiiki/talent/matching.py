"""Explained matching: a ranked list of candidates for a request, each with the reasons behind its score.

One function (candidates) serves the page and GET /api/v1/talent/requests/{id}/candidates. The formula is shown on
the page (FORMULA) and documented in docs/decisions/0016-talent-dispatch.md:

  score = 50 × required covered / required
        + 15 × desired covered / desired            (0 when the request lists no desired item)
        + 10 past dispatch in the request's sector (5 when the sector is only listed in the profile)
        + 10 same prefecture · 6 neighbouring prefecture · 4 online (request format オンライン or 併用)
        + 10 × remaining share of this 年度's days (hours for online-only talents)
        +  5 × (average rating − 1) / 4              (2.5 without ratings)

Candidates who cover every required item are ranked; those missing one are listed separately below and never
above. Ties: fewer dispatches this 年度 first (load balance), then the profile id. Deterministic.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Avg, Count

from chiiki.regions.models import Municipality

from .models import (
    APPROVED_STATES,
    Format,
    Kind,
    ProfileCapability,
    Status,
    TalentProfile,
    TalentRequest,
    Visit,
)

FORMULA = [
    ("必須のできること", "50 × 満たした数 ÷ 必須の数"),
    ("望ましいできること", "15 × 満たした数 ÷ 望ましい数（指定なしは0）"),
    ("分野の経験", "この分野への派遣実績あり 10・プロフィールに分野あり 5"),
    ("距離", "同じ都道府県 10・隣接する都道府県 6・オンライン対応（形態がオンラインか併用）4"),
    ("今年度の余力", "10 × 残りの対応可能日数（オンラインのみの人材は時間）÷ 年度の対応可能日数"),
    ("過去の評価", "5 × (平均評価 − 1) ÷ 4（評価なしは2.5）"),
    ("同点のとき", "今年度の派遣件数が少ない人を上位に（負担の平準化）、次に登録順"),
]
_DONE = (Status.REPORTED, Status.RATED, Status.COMPLETED)


@dataclass
class Candidate:
    profile_id: int
    display_name: str
    kind: str
    kind_label: str
    score: float
    full: bool
    required_covered: list[str]
    required_missing: list[str]
    desired_covered: list[str]
    sector_points: int
    sector_reason: str
    distance: str  # same / neighbour / online / none
    distance_reason: str
    remaining: str
    remaining_share: float
    dispatches_this_year: int
    average_rating: float | None
    reasons: list[str] = field(default_factory=list)


def neighbouring_prefectures(code: str) -> set[str]:
    """Prefectures sharing a boundary with `code`: derived from the municipalities' neighbour relation."""
    through = Municipality.neighbours.through
    pairs = through.objects.filter(from_municipality__prefecture_id=code).exclude(
        to_municipality__prefecture_id=code).values_list("to_municipality__prefecture_id", flat=True).distinct()
    return set(pairs)


def candidates(request: TalentRequest, *, limit: int | None = 50) -> dict:
    """{"ranked": [Candidate…] (every required item covered), "partial": [...], "required": n, "desired": n}."""
    required = dict(request.required.values_list("pk", "label"))
    desired = dict(request.desired.values_list("pk", "label"))
    wanted = set(required) | set(desired)
    skills: dict[int, set[str]] = defaultdict(set)
    for profile_id, cap_id in ProfileCapability.objects.filter(capability_id__in=wanted).values_list(
            "profile_id", "capability_id"):
        skills[profile_id].add(cap_id)
    ids = list(skills)
    if not ids:
        return {"ranked": [], "partial": [], "required": len(required), "desired": len(desired)}
    profiles = {p["id"]: p for p in TalentProfile.objects.filter(pk__in=ids).values(
        "id", "display_name", "kind", "sectors", "home_prefecture_id", "online_available", "available_days",
        "available_hours")}
    served: dict[int, set[str]] = defaultdict(set)
    for profile_id, pref in TalentProfile.prefectures_served.through.objects.filter(
            talentprofile_id__in=ids).values_list("talentprofile_id", "prefecture_id"):
        served[profile_id].add(pref)
    year = request.fiscal_year
    dispatches = dict(TalentRequest.objects.filter(talent_id__in=ids, fiscal_year=year, status__in=APPROVED_STATES)
                      .exclude(pk=request.pk).values("talent_id").annotate(n=Count("id")).values_list("talent_id", "n"))
    used_days: dict[int, set] = defaultdict(set)
    used_hours: dict[int, Decimal] = defaultdict(Decimal)
    for talent_id, date, hours in Visit.objects.filter(request__talent_id__in=ids, request__fiscal_year=year).values_list(
            "request__talent_id", "date", "hours"):
        used_days[talent_id].add(date)
        used_hours[talent_id] += hours
    ratings = dict(TalentRequest.objects.filter(talent_id__in=ids, rating__isnull=False).values("talent_id")
                   .annotate(a=Avg("rating")).values_list("talent_id", "a"))
    sector_done = set(TalentRequest.objects.filter(talent_id__in=ids, sector_id=request.sector_id, status__in=_DONE)
                      .values_list("talent_id", flat=True))
    place = request.municipality.prefecture_id
    neighbours = neighbouring_prefectures(place)
    online_ok = request.format in (Format.ONLINE, Format.MIXED)
    kind_labels = dict(Kind.choices)

    ranked, partial = [], []
    for pid, p in profiles.items():
        have = skills[pid]
        req_cov = [label for cid, label in required.items() if cid in have]
        req_miss = [label for cid, label in required.items() if cid not in have]
        des_cov = [label for cid, label in desired.items() if cid in have]
        score = 50 * len(req_cov) / len(required) if required else 50.0
        score += 15 * len(des_cov) / len(desired) if desired else 0.0
        if pid in sector_done:
            sector_points, sector_reason = 10, "この分野への派遣実績あり"
        elif request.sector_id in (p["sectors"] or []):
            sector_points, sector_reason = 5, "プロフィールにこの分野あり"
        else:
            sector_points, sector_reason = 0, "この分野の経験の記載なし"
        score += sector_points
        areas = served[pid] | ({p["home_prefecture_id"]} if p["home_prefecture_id"] else set())
        if place in areas:
            distance, distance_reason, points = "same", "同じ都道府県で対応", 10
        elif areas & neighbours:
            distance, distance_reason, points = "neighbour", "隣接する都道府県から対応", 6
        elif online_ok and p["online_available"]:
            distance, distance_reason, points = "online", "オンラインで対応", 4
        else:
            distance, distance_reason, points = "none", "現地対応の範囲外", 0
        score += points
        days, hours = Decimal(p["available_days"]), Decimal(p["available_hours"])
        if days > 0:
            left = max(days - len(used_days[pid]), Decimal(0))
            share = float(left / days)
            remaining = f"今年度あと{left}日（{days}日中）"
        elif hours > 0:
            left = max(hours - used_hours[pid], Decimal(0))
            share = float(left / hours)
            remaining = f"今年度あと{left}時間（{hours}時間中）"
        else:
            share, remaining = 0.0, "今年度の対応可能日数の登録なし"
        score += 10 * share
        average = float(ratings[pid]) if pid in ratings else None
        score += 5 * (average - 1) / 4 if average is not None else 2.5
        count = dispatches.get(pid, 0)
        candidate = Candidate(
            profile_id=pid, display_name=p["display_name"], kind=p["kind"], kind_label=kind_labels.get(p["kind"], ""),
            score=round(score, 1), full=not req_miss, required_covered=req_cov, required_missing=req_miss,
            desired_covered=des_cov, sector_points=sector_points, sector_reason=sector_reason, distance=distance,
            distance_reason=distance_reason, remaining=remaining, remaining_share=round(share, 3),
            dispatches_this_year=count, average_rating=round(average, 2) if average is not None else None)
        candidate.reasons = [
            f"必須 {len(req_cov)}/{len(required)}" + (f"（不足: {'・'.join(req_miss)}）" if req_miss else ""),
            f"望ましい {len(des_cov)}/{len(desired)}", sector_reason, distance_reason, remaining,
            f"平均評価 {candidate.average_rating}" if average is not None else "評価なし",
            f"今年度の派遣 {count}件"]
        (ranked if candidate.full else partial).append(candidate)
    order = lambda c: (-c.score, c.dispatches_this_year, c.profile_id)  # noqa: E731
    ranked.sort(key=order)
    partial.sort(key=order)
    if limit is not None:
        ranked, partial = ranked[:limit], partial[:limit]
    return {"ranked": ranked, "partial": partial, "required": len(required), "desired": len(desired)}


def has_full_candidate(request: TalentRequest) -> bool:
    """Whether any profile covers every required item (unmet demand when not): one grouped query."""
    required = list(request.required.values_list("pk", flat=True))
    if not required:
        return False
    return (ProfileCapability.objects.filter(capability_id__in=required).values("profile_id")
            .annotate(n=Count("capability_id")).filter(n=len(required)).exists())
