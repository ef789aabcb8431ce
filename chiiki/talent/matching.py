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
ranked; those missing one are listed separately below and never above. Scores are rounded to 0.1 (Python's round);
ties: fewer dispatches this 年度 first (load balance), then the profile id. Deterministic. The database scores the
whole pool only to shortlist the rows that can reach the top `limit` of each list; the shown scores and the order
are computed here (ADR 0016, "the database shortlists, Python ranks").
"""

import json
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import Count

from chiiki.core.cache import per_request
from chiiki.regions.models import Municipality

from .models import (
    APPROVED_STATES,
    Capability,
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
    """Prefectures sharing a boundary with `code`: derived from the municipalities' neighbour relation. Plain SQL:
    it runs for every candidate list, and building the three-table ORM query cost 3–4 times its execution."""
    municipality, through = Municipality._meta, Municipality.neighbours.through._meta
    key, prefecture = municipality.pk.column, municipality.get_field("prefecture").column
    return {code for (code,) in _plain_rows(
        f"SELECT DISTINCT t.{prefecture} FROM {through.db_table} n"
        f" INNER JOIN {municipality.db_table} f ON f.{key} = n.from_municipality_id"
        f" INNER JOIN {municipality.db_table} t ON t.{key} = n.to_municipality_id"
        f" WHERE f.{prefecture} = %s AND t.{prefecture} <> %s", [code, code])}


def _rows(sql: str, params) -> list[tuple]:
    """Plain rows from the cursor: the pool can be thousands of profiles, and the ORM's per-row conversion (JSON,
    Decimal) and query building cost more than the database does here (bench/talent_matching.py).

    On PostgreSQL the statement runs with JIT compilation off. Its estimated cost grows with the pool (15,000–131,000
    for limit 20/50 on the bench's 10,000 profiles: the unfiltered history aggregates inflate the row estimates);
    past jit_above_cost (100,000 by default) the server compiles the plan first, and an early version of this
    statement that crossed it spent seconds compiling for a statement that runs in milliseconds. SET LOCAL in the same simple-protocol query string (Django's client-side binding cursor) applies
    to the implicit transaction of that string only, so it costs no round trip and leaves the connection's setting
    alone; inside an outer transaction it lasts until that transaction ends (ADR 0016)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"{JIT_OFF} {sql}", list(params))
            cursor.nextset()  # the SET's empty result comes first
        else:
            cursor.execute(sql, list(params))
        return cursor.fetchall()


JIT_OFF = "SET LOCAL jit = off;"


def request_items(request: TalentRequest) -> tuple[dict, dict]:
    """The request's required and desired items as {id: label} in the vocabulary's order: one statement, read once
    per HTTP request (the request page shows them and matching scores with them)."""
    return per_request(("talent.request_items", request.pk), lambda: _read_items(request.pk))


def _read_items(pk: int) -> tuple[dict, dict]:
    cap = Capability._meta.db_table
    required_table = TalentRequest.required.through._meta.db_table
    desired_table = TalentRequest.desired.through._meta.db_table
    quoted = connection.ops.quote_name
    select = (f"SELECT {{}} AS kind, c.id AS item, c.label AS label, c.{quoted('order')} AS position FROM {cap} c"
              f" INNER JOIN {{}} t ON t.capability_id = c.id WHERE t.talentrequest_id = %s")
    required, desired = {}, {}
    for kind, pid, label, _position in _plain_rows(
            f"{select.format(1, required_table)} UNION ALL {select.format(0, desired_table)}"
            " ORDER BY kind DESC, position, item", [pk, pk]):
        (required if kind else desired)[pid] = label
    return required, desired


def _plain_rows(sql: str, params) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _marks(values) -> str:
    return ", ".join(["%s"] * len(values))


def _tenth(value) -> Decimal:
    """A DecimalField value as the ORM would give it (one decimal place), whatever the engine's cursor returns."""
    return Decimal(str(value or 0)).quantize(Decimal("0.1"))


def _tenths(value) -> int:
    """A one-decimal-place value (days, hours) as an integer number of tenths."""
    return round(float(value) * 10) if value else 0


def candidates(request: TalentRequest, *, limit: int | None = 50) -> dict:
    """{"ranked": [Candidate…] (every required item covered), "partial": [...], "required": n, "desired": n}.

    The pool is every profile holding at least one required item. One statement scores the whole pool in the
    database and sends back only the rows that can be among the `limit` best of each list (_shortlist_sql); the
    scores, the order and the reasons of those rows are then computed here exactly as FORMULA says.
    """
    required, desired = request_items(request)
    empty = {"ranked": [], "partial": [], "required": len(required), "desired": len(desired)}
    if not required:
        return empty
    req_ids, des_ids = list(required), list(desired)
    n_required, n_desired = len(req_ids), len(des_ids)
    sql, params = _shortlist_sql(request, req_ids, des_ids, limit)
    scored_full, scored_partial = [], []
    rows = {}
    for row in _rows(sql, params):
        (pid, _name, _kind, req_n, des_n, sector_points, distance, count, average, used_days, used_hours, days,
         hours, *_masks) = row
        rows[pid] = row
        # Exactly the arithmetic of FORMULA, in this order, on the same values: the database's own score only
        # chose which rows come back (its float or numeric arithmetic may round differently at x.x5).
        days_t = _tenths(days)
        if days_t > 0:
            share = max(days_t - 10 * used_days, 0) / days_t
        else:
            hours_t = _tenths(hours)
            share = max(hours_t - _tenths(used_hours), 0) / hours_t if hours_t > 0 else 0.0
        average = float(average) if average is not None else None
        score = 50 * req_n / n_required + (15 * des_n / n_desired if n_desired else 0)
        score += sector_points + _DISTANCE_POINTS[distance] + 10 * share + (
            5 * (average - 1) / 4 if average is not None else 2.5)
        entry = (-round(score, 1), count, pid, share, sector_points, distance, average)
        (scored_full if req_n == n_required else scored_partial).append(entry)
    scored_full.sort()
    scored_partial.sort()
    if limit is not None:
        scored_full, scored_partial = scored_full[:limit], scored_partial[:limit]
    items = _item_order(req_ids, des_ids)

    def explain(entry) -> Candidate:
        neg_score, count, pid, share, sector_points, distance, average = entry
        _pid, name, kind, *_, used_days, used_hours, days, hours = rows[pid][:_COVERED_AT]
        have = _covered(items, rows[pid][_COVERED_AT:])
        req_cov = [label for cid, label in required.items() if cid in have]
        req_miss = [label for cid, label in required.items() if cid not in have]
        des_cov = [label for cid, label in desired.items() if cid in have]
        days, hours, used_hours = _tenth(days), _tenth(hours), _tenth(used_hours)
        if days > 0:
            remaining = f"今年度あと{max(days - used_days, 0)}日（{days}日中）"
        elif hours > 0:
            remaining = f"今年度あと{max(hours - used_hours, 0)}時間（{hours}時間中）"
        else:
            remaining = "今年度の対応可能日数の登録なし"
        candidate = Candidate(
            profile_id=pid, display_name=name, kind=kind, kind_label=Kind(kind).label
            if kind in Kind.values else "", score=-neg_score, full=not req_miss, required_covered=req_cov,
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


# How far below the limit-th best database score a row must still come back. Rounding to 0.1 moves a score by at
# most 0.05 either way, so a row that ranks among the `limit` best after rounding scores at most 0.1 below the
# limit-th best before it; 0.01 more covers the difference between the database's float or numeric arithmetic and
# Python's (well under 1e-9 on scores ≤ 100).
_MARGIN = 0.11


def _in(column: str, values) -> str:
    return f"{column} IN ({_marks(values)})" if values else "1 = 0"


# Which of the request's items a profile holds comes back with its row as bit masks (bit i = the i-th item of
# _item_order), _BITS items per column so a sum of distinct powers of two stays within a 64-bit integer on both
# engines: no second statement for the shown candidates' items. (profile, capability) is unique, so each bit is
# added at most once.
_BITS = 60
_COVERED_AT = 13  # the mask columns follow the 13 named ones


def _item_order(req_ids: list, des_ids: list) -> list:
    return list(dict.fromkeys(req_ids + des_ids))


def _mask_columns(items: list) -> tuple[list[str], list]:
    columns, params = [], []
    for start in range(0, len(items), _BITS):
        chunk = items[start:start + _BITS]
        columns.append("SUM(CASE capability_id " + " ".join(f"WHEN %s THEN {1 << bit}" for bit in range(len(chunk)))
                       + " ELSE 0 END)")
        params.extend(chunk)
    return columns, params


def _covered(items: list, masks) -> set:
    # int(): PostgreSQL sums bigint to numeric (a Decimal here) once a mask needs more than 31 bits.
    masks = [int(mask) for mask in masks]
    return {item for position, item in enumerate(items) if masks[position // _BITS] >> (position % _BITS) & 1}


def _shortlist_sql(request: TalentRequest, req_ids: list, des_ids: list, limit: int | None) -> tuple[str, list]:
    """One statement: the pool's inputs to FORMULA per profile, scored, and only the rows whose score is within
    _MARGIN of the limit-th best of their list (every required item covered, or not) — a superset of the `limit`
    best after rounding and tie-breaks, usually a few more than `limit`. All rows when limit is None.

    Columns: id, display_name, kind, required covered, desired covered, sector points, distance, dispatches this
    年度 (other than this request), average rating, visit days and hours used this 年度, available days, hours,
    then the held items as bit masks (_mask_columns)."""
    postgres = connection.vendor == "postgresql"
    skill_table = ProfileCapability._meta.db_table
    profile_table = TalentProfile._meta.db_table
    served_table = TalentProfile.prefectures_served.through._meta.db_table
    request_table, visit_table = TalentRequest._meta.db_table, Visit._meta.db_table
    place = request.municipality.prefecture_id
    neighbours = sorted(neighbouring_prefectures(place))
    approved, done = [str(s) for s in APPROVED_STATES], [str(s) for s in _DONE]
    greatest = "GREATEST" if postgres else "MAX"
    # Which history and served rows to aggregate. SQLite: only the pool's, found by probing the talent index per
    # pooled profile; for the served prefectures "+" keeps it on the prefecture index (the few rows of the
    # request's prefecture and its neighbours) and then checks the pool (≈ 7 % less CPU for the statement on the
    # bench data). PostgreSQL: every dispatched talent's history, this 年度's visits and the served rows of those
    # prefectures, hashed and joined to the pool afterwards — de-duplicating the pool for three semi-joins cost
    # more than these rows (≈ 19 % of the statement on the bench data); they grow with the dispatches, not the
    # roster. The left joins below keep the pool's rows only, so both give the same rows.
    if postgres:
        hist_rows, used_rows, served_rows = "talent_id IS NOT NULL", "r.talent_id IS NOT NULL", "1 = 1"
    else:
        hist_rows, used_rows, served_rows = ("talent_id IN (SELECT pid FROM cov)",
                                             "r.talent_id IN (SELECT pid FROM cov)",
                                             "+talentprofile_id IN (SELECT pid FROM cov)")
    real = "DOUBLE PRECISION"
    # The profile lists the request's sector: a JSON array of codes (jsonb on PostgreSQL, text on SQLite).
    listed, listed_param = (("p.sectors @> %s::jsonb", json.dumps([request.sector_id])) if postgres else
                            ("instr(p.sectors, %s) > 0", f'"{request.sector_id}"'))
    des_sum = f"SUM(CASE WHEN {_in('capability_id', des_ids)} THEN 1 ELSE 0 END)"
    req_sum = f"SUM(CASE WHEN {_in('capability_id', req_ids)} THEN 1 ELSE 0 END)"
    distance_points = " ".join(f"WHEN '{name}' THEN {points}" for name, points in _DISTANCE_POINTS.items())
    # Days and hours have one decimal place, so "> 0" and the share are those of FORMULA's integer tenths; the
    # float quotient differs from Python's by far less than the 0.01 of _MARGIN kept for that.
    share = (f"CASE WHEN b.days > 0 THEN CAST({greatest}(b.days - b.used_days, 0) AS {real}) / CAST(b.days AS {real})"
             f" WHEN b.hours > 0 THEN CAST({greatest}(b.hours - COALESCE(b.used_hours, 0), 0) AS {real})"
             f" / CAST(b.hours AS {real}) ELSE 0 END")
    approx = (f"CAST(50 * b.req_n AS {real}) / {len(req_ids)}"
              + (f" + CAST(15 * b.des_n AS {real}) / {len(des_ids)}" if des_ids else "")
              + f" + b.sector_points + CASE b.distance {distance_points} END + 10 * ({share})"
              f" + CASE WHEN b.average IS NULL THEN 2.5 ELSE 5 * (CAST(b.average AS {real}) - 1) / 4 END")
    masks, mask_params = _mask_columns(_item_order(req_ids, des_ids))
    mask_names = [f"m{i}" for i in range(len(masks))]
    columns = ("b.id, b.display_name, b.kind, b.req_n, b.des_n, b.sector_points, b.distance, b.dispatches, b.average,"
               " b.used_days, b.used_hours, b.days, b.hours" + "".join(f", b.{name}" for name in mask_names))
    if limit is None:
        tail, tail_params = f"SELECT {columns} FROM base b", []
    else:
        # The limit-th best score of each list by a top-N scan of one narrow column (a window over the wide rows
        # sorts every pooled row with all its columns: several times slower on SQLite).
        kth = (f"(SELECT approx FROM scored WHERE full_ = {{}} ORDER BY approx DESC LIMIT 1 OFFSET {max(int(limit), 1) - 1})")
        # With one required item every pooled profile covers it: no partial list, so no second scan for its cut.
        partial_cut = kth.format(0) if len(req_ids) > 1 else f"CAST(NULL AS {real})"
        tail = (f", scored AS MATERIALIZED (SELECT {columns}, {approx} AS approx,"
                f" CASE WHEN b.req_n = {len(req_ids)} THEN 1 ELSE 0 END AS full_ FROM base b),"
                f" cut AS (SELECT {kth.format(1)} AS k1, {partial_cut} AS k0)"
                f" SELECT {columns.replace('b.', '')} FROM scored CROSS JOIN cut"
                f" WHERE approx >= COALESCE(CASE WHEN full_ = 1 THEN cut.k1 ELSE cut.k0 END, -1000) - %s")
        tail_params = [_MARGIN]
    sql = (
        f"WITH cov AS (SELECT profile_id AS pid, {req_sum} AS req_n, {des_sum} AS des_n"
        + "".join(f", {mask} AS {name}" for mask, name in zip(masks, mask_names, strict=True)) +
        f" FROM {skill_table}"
        f" WHERE {_in('capability_id', req_ids + des_ids)} GROUP BY profile_id HAVING {req_sum} > 0),"
        f" hist AS (SELECT talent_id AS pid,"
        f" SUM(CASE WHEN fiscal_year = %s AND {_in('status', approved)} AND id <> %s THEN 1 ELSE 0 END) AS n,"
        f" AVG(rating) AS average,"
        f" MAX(CASE WHEN sector_id = %s AND {_in('status', done)} THEN 1 ELSE 0 END) AS in_sector"
        f" FROM {request_table} WHERE {hist_rows} GROUP BY talent_id),"
        f" used AS (SELECT r.talent_id AS pid, COUNT(DISTINCT v.date) AS days, SUM(v.hours) AS hours"
        f" FROM {visit_table} v INNER JOIN {request_table} r ON r.id = v.request_id"
        f" WHERE r.fiscal_year = %s AND {used_rows} GROUP BY r.talent_id),"
        # Served prefectures that matter: the request's own (2) and its neighbours (1).
        f" served AS (SELECT talentprofile_id AS pid, MAX(CASE WHEN prefecture_id = %s THEN 2 ELSE 1 END) AS near"
        f" FROM {served_table} WHERE {_in('prefecture_id', [place, *neighbours])}"
        f" AND {served_rows} GROUP BY talentprofile_id),"
        # base is read once (by scored): NOT MATERIALIZED lets SQLite score while joining instead of writing the
        # joined rows to a temporary table first (PostgreSQL inlines a CTE read once anyway).
        f" base AS NOT MATERIALIZED (SELECT p.id, p.display_name, p.kind, cov.req_n, cov.des_n,"
        f" CASE WHEN hist.in_sector = 1 THEN 10 WHEN {listed} THEN 5 ELSE 0 END AS sector_points,"
        f" CASE WHEN p.home_prefecture_id = %s OR served.near = 2 THEN 'same'"
        f" WHEN {_in('p.home_prefecture_id', neighbours)} OR served.near = 1 THEN 'neighbour'"
        f" WHEN %s AND p.online_available THEN 'online' ELSE 'none' END AS distance,"
        f" COALESCE(hist.n, 0) AS dispatches, hist.average, COALESCE(used.days, 0) AS used_days,"
        f" used.hours AS used_hours, p.available_days AS days, p.available_hours AS hours"
        + "".join(f", cov.{name}" for name in mask_names) +
        f" FROM cov INNER JOIN {profile_table} p ON p.id = cov.pid LEFT JOIN hist ON hist.pid = cov.pid"
        f" LEFT JOIN used ON used.pid = cov.pid LEFT JOIN served ON served.pid = cov.pid)"
        + tail)
    params = [*req_ids, *des_ids, *mask_params, *req_ids + des_ids, *req_ids,
              request.fiscal_year, *approved, request.pk, request.sector_id, *done,
              request.fiscal_year, place, place, *neighbours,
              listed_param, place, *neighbours,
              request.format in (Format.ONLINE, Format.MIXED), *tail_params]
    return sql, params


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
