"""Explained matching: a ranked list of candidates for a request, each with the reasons behind its score.

One function (candidates) serves the page and GET /api/v1/talent/requests/{id}/candidates. The formula is shown on
the page (FORMULA) and documented in docs/decisions/0016-talent-dispatch.md:

  score = 50 × required covered / required
        + 15 × desired covered / desired            (0 when the request lists no desired item)
        + 10 past dispatch in the request's sector (5 when the sector is only listed in the profile)
        + 10 same prefecture · 6 neighbouring prefecture · 4 online (request format オンライン or 併用)
        + 10 × remaining share of this 年度's days (hours for online-only talents)
        +  5 × (average rating − 1) / 4              (2.5 without ratings)

The pool is the profiles holding at least one required item. Candidates who cover every required item are
ranked; those missing one are listed separately below and never above. Ties: fewer dispatches this 年度 first (load balance), then the profile id. Deterministic.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import Count

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


def _rows(sql: str, params) -> list[tuple]:
    """Plain rows from the cursor: the pool can be thousands of profiles, and the ORM's per-row conversion (JSON,
    Decimal) and query building cost more than the database does here (bench/talent_matching.py)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.fetchall()


def _marks(values) -> str:
    return ", ".join(["%s"] * len(values))


def _tenth(value) -> Decimal:
    """A DecimalField value as the ORM would give it (one decimal place), whatever the engine's cursor returns."""
    return Decimal(str(value or 0)).quantize(Decimal("0.1"))


def _tenths(value) -> int:
    """A one-decimal-place value (days, hours) as an integer number of tenths."""
    return round(float(value) * 10) if value else 0


def _lists_sector(sectors, code: str) -> bool:
    """The profile's JSON list of sector codes contains code (the cursor gives text on SQLite, a list elsewhere)."""
    if isinstance(sectors, str):
        return f'"{code}"' in sectors
    return code in (sectors or ())


def candidates(request: TalentRequest, *, limit: int | None = 50) -> dict:
    """{"ranked": [Candidate…] (every required item covered), "partial": [...], "required": n, "desired": n}.

    The pool is every profile holding at least one required item. All of them are scored (cheap arithmetic) from
    a handful of grouped queries, each one row per pooled profile at most; reasons and labels are built only for
    the `limit` best of each list.
    """
    required = dict(request.required.values_list("pk", "label"))
    desired = dict(request.desired.values_list("pk", "label"))
    empty = {"ranked": [], "partial": [], "required": len(required), "desired": len(desired)}
    if not required:
        return empty
    req_ids, des_ids = list(required), list(desired)
    skill_table = ProfileCapability._meta.db_table
    # The pool as a subquery, not a list of ids: thousands of bound parameters cost more than the join.
    pool_sql = f"SELECT profile_id FROM {skill_table} WHERE capability_id IN ({_marks(req_ids)})"
    desired_sum = (f"SUM(CASE WHEN capability_id IN ({_marks(des_ids)}) THEN 1 ELSE 0 END)" if des_ids else "0")
    coverage = {pid: (req_n, des_n) for pid, req_n, des_n in _rows(
        f"SELECT profile_id, SUM(CASE WHEN capability_id IN ({_marks(req_ids)}) THEN 1 ELSE 0 END), {desired_sum} "
        f"FROM {skill_table} WHERE capability_id IN ({_marks(req_ids + des_ids)}) GROUP BY profile_id",
        [*req_ids, *des_ids, *req_ids, *des_ids])}
    if not coverage:
        return empty
    profiles = {row[0]: row for row in _rows(
        f"SELECT id, sectors, home_prefecture_id, online_available, available_days, available_hours "
        f"FROM {TalentProfile._meta.db_table} WHERE id IN ({pool_sql})", req_ids)}
    place = request.municipality.prefecture_id
    neighbours = neighbouring_prefectures(place)
    nearby = [place, *sorted(neighbours)]
    served_table = TalentProfile.prefectures_served.through._meta.db_table
    areas: dict[int, set[str]] = defaultdict(set)  # only the request's prefecture and its neighbours matter
    for profile_id, pref in _rows(f"SELECT talentprofile_id, prefecture_id FROM {served_table} "
                                  f"WHERE prefecture_id IN ({_marks(nearby)}) AND talentprofile_id IN ({pool_sql})",
                                  [*nearby, *req_ids]):
        areas[profile_id].add(pref)
    year = request.fiscal_year
    request_table, visit_table = TalentRequest._meta.db_table, Visit._meta.db_table
    approved, done = [str(s) for s in APPROVED_STATES], [str(s) for s in _DONE]
    dispatches, ratings, sector_done = {}, {}, set()
    for talent_id, count, average, in_sector in _rows(
            f"SELECT talent_id, SUM(CASE WHEN fiscal_year = %s AND status IN ({_marks(approved)}) AND id <> %s "
            f"THEN 1 ELSE 0 END), AVG(rating), MAX(CASE WHEN sector_id = %s AND status IN ({_marks(done)}) "
            f"THEN 1 ELSE 0 END) FROM {request_table} WHERE talent_id IN ({pool_sql}) GROUP BY talent_id",
            [year, *approved, request.pk, request.sector_id, *done, *req_ids]):
        if count:
            dispatches[talent_id] = int(count)
        if average is not None:
            ratings[talent_id] = float(average)
        if in_sector:
            sector_done.add(talent_id)
    used_days: dict[int, int] = defaultdict(int)
    used_hours: dict[int, Decimal] = defaultdict(Decimal)
    used_hours_t: dict[int, int] = {}
    for talent_id, days_used, hours_used in _rows(
            f"SELECT r.talent_id, COUNT(DISTINCT v.date), SUM(v.hours) FROM {visit_table} v "
            f"INNER JOIN {request_table} r ON r.id = v.request_id WHERE r.fiscal_year = %s "
            f"AND r.talent_id IN ({pool_sql}) GROUP BY r.talent_id", [year, *req_ids]):
        used_days[talent_id] = int(days_used)
        used_hours[talent_id] = _tenth(hours_used)
        used_hours_t[talent_id] = _tenths(hours_used)
    online_ok = request.format in (Format.ONLINE, Format.MIXED)
    n_required = len(req_ids)

    scored_full, scored_partial = [], []
    no_areas: set[str] = set()
    sector_code, sector_text = request.sector_id, f'"{request.sector_id}"'
    n_desired = len(des_ids)
    same, near, remote = _DISTANCE_POINTS["same"], _DISTANCE_POINTS["neighbour"], _DISTANCE_POINTS["online"]
    # The pool can be thousands of profiles: this loop is plain arithmetic on integers (days and hours in tenths,
    # exact for their one decimal place) rather than Decimal, builds no set or dict entry per profile, and reads
    # nothing from the request object.
    for pid, (_id, sectors, home, online, days, hours) in profiles.items():
        req_n, des_n = coverage.get(pid, (0, 0))
        score = 50 * req_n / n_required + (15 * des_n / n_desired if n_desired else 0)  # as in FORMULA, exactly
        if pid in sector_done:
            sector_points = 10
        elif sectors and (sector_text in sectors if isinstance(sectors, str) else sector_code in sectors):
            sector_points = 5
        else:
            sector_points = 0
        served = areas.get(pid, no_areas)
        if home == place or place in served:
            distance, points = "same", same
        elif home in neighbours or not served.isdisjoint(neighbours):
            distance, points = "neighbour", near
        elif online_ok and online:
            distance, points = "online", remote
        else:
            distance, points = "none", 0
        days_t = round(float(days) * 10) if days else 0
        if days_t > 0:
            share = max(days_t - 10 * used_days.get(pid, 0), 0) / days_t
        else:
            hours_t = round(float(hours) * 10) if hours else 0
            share = max(hours_t - used_hours_t.get(pid, 0), 0) / hours_t if hours_t > 0 else 0.0
        average = ratings.get(pid)
        score += sector_points + points + 10 * share + (5 * (average - 1) / 4 if average is not None else 2.5)
        entry = (-round(score, 1), dispatches.get(pid, 0), pid, share, sector_points, distance, average)
        (scored_full if req_n == n_required else scored_partial).append(entry)
    scored_full.sort()
    scored_partial.sort()
    if limit is not None:
        scored_full, scored_partial = scored_full[:limit], scored_partial[:limit]
    shown = sorted({entry[2] for entry in scored_full + scored_partial})
    names, kinds, skills = {}, {}, defaultdict(set)
    for pid, name, kind in TalentProfile.objects.filter(pk__in=shown).values_list("id", "display_name", "kind"):
        names[pid], kinds[pid] = name, kind
    for pid, cap_id in ProfileCapability.objects.filter(profile_id__in=shown, capability_id__in=req_ids + des_ids
                                                        ).values_list("profile_id", "capability_id"):
        skills[pid].add(cap_id)

    def explain(entry) -> Candidate:
        neg_score, count, pid, share, sector_points, distance, average = entry
        have = skills[pid]
        req_cov = [label for cid, label in required.items() if cid in have]
        req_miss = [label for cid, label in required.items() if cid not in have]
        des_cov = [label for cid, label in desired.items() if cid in have]
        days, hours = _tenth(profiles[pid][4]), _tenth(profiles[pid][5])
        if days > 0:
            remaining = f"今年度あと{max(days - used_days[pid], 0)}日（{days}日中）"
        elif hours > 0:
            remaining = f"今年度あと{max(hours - used_hours[pid], 0)}時間（{hours}時間中）"
        else:
            remaining = "今年度の対応可能日数の登録なし"
        candidate = Candidate(
            profile_id=pid, display_name=names[pid], kind=kinds[pid], kind_label=Kind(kinds[pid]).label
            if kinds[pid] in Kind.values else "", score=-neg_score, full=not req_miss, required_covered=req_cov,
            required_missing=req_miss, desired_covered=des_cov, sector_points=sector_points,
            sector_reason=_SECTOR_REASONS[sector_points], distance=distance, distance_reason=_DISTANCE_REASONS[distance],
            remaining=remaining, remaining_share=round(share, 3), dispatches_this_year=count,
            average_rating=round(average, 2) if average is not None else None)
        candidate.reasons = [
            f"必須 {len(req_cov)}/{len(required)}" + (f"（不足: {'・'.join(req_miss)}）" if req_miss else ""),
            f"望ましい {len(des_cov)}/{len(desired)}", candidate.sector_reason, candidate.distance_reason, remaining,
            f"平均評価 {candidate.average_rating}" if average is not None else "評価なし", f"今年度の派遣 {count}件"]
        return candidate

    return {"ranked": [explain(e) for e in scored_full], "partial": [explain(e) for e in scored_partial],
            "required": len(required), "desired": len(desired)}


_DISTANCE_POINTS = {"same": 10, "neighbour": 6, "online": 4, "none": 0}
_DISTANCE_REASONS = {"same": "同じ都道府県で対応", "neighbour": "隣接する都道府県から対応", "online": "オンラインで対応",
                     "none": "現地対応の範囲外"}
_SECTOR_REASONS = {10: "この分野への派遣実績あり", 5: "プロフィールにこの分野あり", 0: "この分野の経験の記載なし"}


def has_full_candidate(request: TalentRequest) -> bool:
    """Whether any profile covers every required item (unmet demand when not): one grouped query."""
    required = list(request.required.values_list("pk", flat=True))
    if not required:
        return False
    return (ProfileCapability.objects.filter(capability_id__in=required).values("profile_id")
            .annotate(n=Count("capability_id")).filter(n=len(required)).exists())
