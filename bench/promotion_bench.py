"""推進体制 (issue 13 §6, make bench-promotion): package advice for one municipality and diffusion for all model
regions, computed from 10 年度 × 1,741 × 8 progress records (the 139,280-record history of
bench/progress_cold.py), on SQLite and PostgreSQL.

For each API — `GET /api/v1/municipalities/{code}/packages` and `GET /api/v1/model-regions/diffusion` (every
model region, pooled, which reads what each region's diffusion reads) — p95 through Django's test client with
the production settings (DEBUG=false):
- warm, anonymous: the same request again (the public page cache answers, as for most visitors);
- warm, signed in: a signed-in user never gets the page cache; the computed result is cached per data version;
- cold: the first request after a write that changes the answer, made through chiiki.progress.actions (it bumps
  the progress data version, so the page cache misses). Packages: a similar municipality's sector moves between
  each round flips a cell of the group no round flipped before, alternately to 実装済 and back to 実証中
  (package advice is kept per digest of its group's implemented cells, so a write outside the group would not
  make it cold); the bench asserts that every cold answer is one not seen before in the run.
  Diffusion: one save in 札幌市 (every computed diffusion result is kept per progress version).
Each is compared in the same run with a bare SQL aggregate over the same progress rows (p95 of the same number of
runs): packages — the implemented cells of the 年度 of the municipality and of those similar to it, selected by the
similarity criteria in SQL, per sector (exactly the rows package advice reads: the bench checks the count);
diffusion — implemented records per 年度 × sector over the whole history. Target: API p95 ≤ 3 × the aggregate's
p95. For reference (not judged), a note gives the wider aggregate judged until 2026-12-01 (every municipality of
the same kind).

The register comes from `load_reference`. Neighbours come from boundaries, which the bench does not load: a
deterministic stand-in links each municipality to the next two of its prefecture (by code), so a region has
about four neighbours, as on the real map. Model regions: --regions municipalities (≤ 300,000 people, one in
every few prefectures) designated in 2019–2024 for 2–3 sectors through chiiki.promotion.actions.

    .venv/bin/python bench/promotion_bench.py [--years 10] [--regions 40] [--repeat 40] [--no-write]

Smoke: --years 1 --regions 10 --repeat 10 (≈ 14,000 records). Each engine runs in its own child process on
database_url(engine, "promotion") (var/bench/promotion.sqlite3; BENCH_DATABASE_URL + _promotion).
"""

import argparse
import math
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
import progress_cold  # noqa: E402
from progress_common import ROOT, VAR, machine, run_per_engine  # noqa: E402

SECTION = "## 推進体制（パッケージ提案・波及効果）"
GOAL_RATIO = 3.0
SEED = 20261201
PACKAGES, DIFFUSION = "packages", "diffusion"


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


# ---- child: one engine ----------------------------------------------------------------------------------------

def link_neighbours() -> int:
    """Stand-in for the boundaries' adjacency: each municipality ↔ the next two of its prefecture (by code)."""
    from chiiki.regions.models import Municipality

    through = Municipality.neighbours.through
    through.objects.all().delete()
    by_prefecture: dict[str, list[str]] = {}
    for code, prefecture in Municipality.objects.order_by("code").values_list("code", "prefecture_id"):
        by_prefecture.setdefault(prefecture, []).append(code)
    pairs = set()
    for codes in by_prefecture.values():
        for i, code in enumerate(codes):
            for other in codes[i + 1:i + 3]:
                pairs |= {(code, other), (other, code)}
    through.objects.bulk_create([through(from_municipality_id=a, to_municipality_id=b) for a, b in sorted(pairs)],
                                batch_size=5000)
    return len(pairs) // 2


def designate_regions(count: int) -> int:
    from chiiki.access import SYSTEM
    from chiiki.promotion import actions
    from chiiki.promotion.models import ModelRegion
    from chiiki.regions.models import Municipality
    from chiiki.roadmap.models import Sector

    ModelRegion.objects.all().delete()
    rng = random.Random(SEED)
    sectors = list(Sector.objects.order_by("order").values_list("code", flat=True))
    places = list(Municipality.objects.filter(population__isnull=False, population__lte=300_000)
                  .order_by("code").defer("boundary"))
    step = max(1, len(places) // max(1, count))
    for place in places[::step][:count]:
        actions.designate(SYSTEM, place, fiscal_year=rng.randint(2019, 2024), sectors=rng.sample(sectors, rng.choice((2, 3))),
                          story=f"{place.name}の取組（ベンチマーク用）")
    return ModelRegion.objects.count()


def package_place():
    """The municipality with the largest group of similar municipalities (the heaviest package advice)."""
    from chiiki.promotion.queries import similarity_key
    from chiiki.regions.models import Municipality

    groups: dict[tuple, list] = {}
    for place in Municipality.objects.order_by("code").defer("boundary"):
        groups.setdefault(similarity_key(place), []).append(place)
    return max(groups.values(), key=len)[0], max(len(g) for g in groups.values()) - 1


def settle():
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # regions_municipality too: the package aggregate joins it, and whether autovacuum had analysed it
            # since load_reference decided that aggregate's plan (a nested loop or a hash join) from run to run.
            cursor.execute("VACUUM ANALYZE progress_progresscell, progress_progressrecord, regions_municipality, "
                           "regions_municipality_neighbours, promotion_modelregion")


def load_history(years: int) -> None:
    """progress_cold's 2017–2026 history (its loader, its generator), keeping its last `years` 年度: a smaller run
    has the same stages in those 年度 as the full one."""
    full_rows = progress_cold.full_history_rows
    first = progress_cold.LAST_YEAR - years + 1
    progress_cold.full_history_rows = lambda codes, sectors: (
        row for row in full_rows(codes, sectors) if row[2] >= first)
    try:
        progress_cold.load_full_history()
    finally:
        progress_cold.full_history_rows = full_rows


def baseline_sql(kind: str, year: int):
    """The bare aggregates over the same progress records, as (sql, params) per API."""
    from chiiki.progress.models import IMPLEMENTED_STAGES

    stages = list(IMPLEMENTED_STAGES)
    marks = ", ".join(["%s"] * len(stages))
    return {
        PACKAGES: ("SELECT r.sector_id, COUNT(*) FROM progress_progressrecord r "
                   "JOIN regions_municipality m ON m.code = r.municipality_id "
                   f"WHERE r.fiscal_year = %s AND m.kind = %s AND r.stage IN ({marks}) GROUP BY r.sector_id",
                   [year, kind, *stages]),
        DIFFUSION: ("SELECT fiscal_year, sector_id, COUNT(*) FROM progress_progressrecord "
                    f"WHERE stage IN ({marks}) GROUP BY fiscal_year, sector_id", stages),
    }


def similar_sql(place, year: int):
    """The judged baseline of package advice: the aggregate over exactly the rows it reads — the implemented cells
    of the 年度 of the municipality and of those similar to it (kind, population class, 過疎/離島/中山間, 地方区分),
    selected by those criteria in SQL — as (sql, params)."""
    from chiiki.progress.models import IMPLEMENTED_STAGES
    from chiiki.promotion.queries import PREFECTURE_REGIONS, prefecture_region
    from chiiki.regions.queries import POPULATION_CLASSES, population_class

    low, high = next((lo, hi) for code, _, lo, hi in POPULATION_CLASSES if code == population_class(place.population))
    region = prefecture_region(place.prefecture_id)[0]
    prefectures = [f"{n:02d}" for key, _, numbers in PREFECTURE_REGIONS if key == region for n in numbers]
    stages = list(IMPLEMENTED_STAGES)
    sql = ("SELECT c.sector_id, COUNT(*) FROM progress_progresscell c JOIN regions_municipality m ON m.code = "
           f"c.municipality_id WHERE c.fiscal_year = %s AND c.stage IN ({', '.join(['%s'] * len(stages))}) "
           "AND m.kind = %s AND m.population >= %s" + (" AND m.population < %s" if high else "") +
           " AND COALESCE(m.depopulated, FALSE) = %s AND COALESCE(m.remote_island, FALSE) = %s"
           " AND COALESCE(m.mountainous, FALSE) = %s"
           f" AND m.prefecture_id IN ({', '.join(['%s'] * len(prefectures))}) GROUP BY c.sector_id")
    return sql, [year, *stages, place.kind, low, *([high] if high else []), bool(place.depopulated),
                 bool(place.remote_island), bool(place.mountainous), *prefectures]


def time_sql(sql: str, params, repeat: int) -> list[float]:
    from django.db import connection

    times = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        cursor.fetchall()  # warm-up
        for _ in range(repeat):
            started = time.perf_counter()
            cursor.execute(sql, params)
            cursor.fetchall()
            times.append((time.perf_counter() - started) * 1000)
    return times


def time_get(client, path: str, repeat: int, before=None, changes: bool = False) -> list[float]:
    """changes: each answer must be one not seen before in this run (the write before it changed the answer)."""
    times, seen = [], {client.get(path).content} if changes else set()
    for round_ in range(repeat):
        if before is not None:
            before(round_)
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code, response.content[:300])
        if changes:
            assert response.content not in seen, f"{path}: round {round_} answered as before"
            seen.add(response.content)
    return times


def save_stage(year: int, code: str, sector_code: str, next_stage) -> None:
    """One progress save through chiiki.progress.actions (it bumps the progress data version, so the page cache
    misses): the cell (code, sector_code) of `year` moves to next_stage(its current stage)."""
    from chiiki.access import SYSTEM
    from chiiki.progress import actions, queries
    from chiiki.progress.models import STAGE_ORDER
    from chiiki.regions.models import Municipality
    from chiiki.roadmap.models import Sector

    cell = queries.cells(year, sector=sector_code, municipality=code).get((code, sector_code))
    stage = next_stage(cell.stage if cell else STAGE_ORDER[0])
    _, changed = actions.save_progress(SYSTEM, Municipality.objects.get(pk=code), Sector.objects.get(pk=sector_code),
                                       year, stage=stage, version=cell.version if cell else 0)
    assert changed


def progress_writer(year: int):
    """Diffusion's write: 札幌市's 医療 cell moves to the next stage (every computed diffusion result is kept per
    progress version, so any progress write makes it cold)."""
    from chiiki.progress.models import STAGE_ORDER

    def write(round_: int):
        save_stage(year, "011002", "health", lambda now: STAGE_ORDER[(STAGE_ORDER.index(now) + 1) % len(STAGE_ORDER)])

    return write


def package_writer(year: int, place):
    """Package advice's write: each round flips one more cell of the group that no round flipped before, so the
    support and members of that sector's combinations change and no round returns to a state seen before
    (package advice is kept per digest of the group's implemented cells: a write outside the group, or one undone
    later, would find it warm). Rounds alternate between a sector becoming 実装済 in a similar municipality that
    has implemented another one and an implemented sector going back to 実証中 in one that keeps another, so the
    group's implemented cells stay within one of the count the bare aggregate was timed on."""
    from chiiki.progress.models import Stage
    from chiiki.promotion import queries as promotion_queries
    from chiiki.roadmap.models import Sector

    sectors = list(Sector.objects.order_by("order").values_list("code", flat=True))
    held = promotion_queries.implemented_by(promotion_queries.similar_names(place), year)
    adds = [(code, sector) for code, have in sorted(held.items()) if have for sector in sectors if sector not in have]
    # One implemented sector from each municipality with at least two: it keeps another (adds never take one away).
    removes = [(code, sorted(have)[0]) for code, have in sorted(held.items(), reverse=True) if len(have) >= 2]

    def write(round_: int):
        if round_ % 2 == 0:
            code, sector = adds.pop(0)
            save_stage(year, code, sector, lambda now: Stage.IMPLEMENTED.value)
        else:
            code, sector = removes.pop(0)
            save_stage(year, code, sector, lambda now: Stage.PILOTING.value)

    return write


def measure(engine: str, args) -> dict:
    from django.test import Client

    from chiiki.accounts.models import Role, User
    from chiiki.progress.models import ProgressCell, ProgressRecord
    from chiiki.progress.queries import default_fiscal_year

    started = time.perf_counter()
    load_history(args.years)
    pairs = link_neighbours()
    regions = designate_regions(args.regions)
    settle()
    load_seconds = time.perf_counter() - started
    # As a gunicorn worker does at start (chiiki/wsgi.py): what is loaded so far is frozen out of the collector's
    # full scans, so a collection during a request scans what requests allocate, not this process's set-up.
    from chiiki.core.memory import freeze_startup

    freeze_startup()
    year = default_fiscal_year()
    place, similar = package_place()
    paths = {PACKAGES: f"/api/v1/municipalities/{place.code}/packages?fiscal_year={year}",
             DIFFUSION: "/api/v1/model-regions/diffusion"}
    # Judged against the aggregate over exactly the rows package advice reads (the issue: "a bare SQL aggregate over
    # the same rows"); the wider aggregate over every municipality of the same kind is kept for reference only.
    sql = {**baseline_sql(place.kind, year), PACKAGES: similar_sql(place, year)}
    anonymous = Client()
    signed_in = Client()
    user, _ = User.objects.get_or_create(username="bench-promotion", defaults={"role": Role.ADVISOR})
    signed_in.force_login(user)
    writers = {PACKAGES: package_writer(year, place), DIFFUSION: progress_writer(year)}
    from chiiki.promotion import queries as promotion_queries

    assert "011002" not in [place.code, *promotion_queries.similar_names(place)], "diffusion's write is in the group"
    results = {}
    for name, path in paths.items():
        anonymous.get(path)  # code paths loaded, caches filled
        signed_in.get(path)
        samples = {"sql": time_sql(*sql[name], args.repeat),
                   "warm_anonymous": time_get(anonymous, path, args.repeat),
                   "warm_signed_in": time_get(signed_in, path, args.repeat),
                   "cold": time_get(anonymous, path, args.repeat, before=writers[name], changes=name == PACKAGES)}
        results[name] = {key: p95(values) for key, values in samples.items()}
        results[name]["median"] = {key: statistics.median(values) for key, values in samples.items()}
    # Not judged: the package request after a write outside its group (the usual write in real use): the page cache
    # misses, the group's cells are read again, and the advice kept per digest of them answers.
    outside = time_get(anonymous, paths[PACKAGES], args.repeat, before=writers[DIFFUSION])
    reference = time_sql(*baseline_sql(place.kind, year)[PACKAGES], args.repeat)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(*similar_sql(place, year))
        reference_rows = sum(count for _, count in cursor.fetchall())
    read = promotion_queries.implemented_by([place.code, *promotion_queries.similar_names(place)], year)
    assert reference_rows == sum(len(sectors) for sectors in read.values()), "not the rows package advice reads"
    combos = anonymous.get(paths[PACKAGES]).json()["combinations"]
    return {"engine": engine, "records": ProgressRecord.objects.count(), "cells": ProgressCell.objects.count(),
            "years": args.years, "regions": regions, "neighbour_pairs": pairs, "place": place.code,
            "place_name": place.name, "similar": similar, "combinations": len(combos), "fiscal_year": year,
            "load_seconds": load_seconds, "repeat": args.repeat, "results": results,
            "similar_rows": reference_rows, "wider_sql": p95(reference), "wider_sql_median": statistics.median(reference),
            "outside": p95(outside), "outside_median": statistics.median(outside)}


# ---- parent: both engines, the report ------------------------------------------------------------------------

def production_settings() -> None:
    """What the children inherit: the README's production settings (DEBUG off), nothing else tuned."""
    os.environ.update({"DEBUG": "false", "SECRET_KEY": "bench-only-secret-key-0123456789abcdef",
                       "ALLOWED_HOSTS": "testserver", "SECURE_SSL_REDIRECT": "false",
                       "STATIC_ROOT": str(VAR / "static")})
    for name in ("DB_CONN_MAX_AGE", "CACHE_URL", "LOG_LEVEL"):
        os.environ.pop(name, None)


ROWS = [("warm_anonymous", "ウォーム（匿名、ページキャッシュ）"), ("warm_signed_in", "ウォーム（ログイン、計算結果のキャッシュ）"),
        ("cold", "コールド（書き込みの直後の1回目）")]
LABELS = {PACKAGES: "パッケージ提案 `/api/v1/municipalities/{code}/packages`",
          DIFFUSION: "波及効果（全地域） `/api/v1/model-regions/diffusion`"}


def report(runs: dict, when: str, args) -> str:
    lines = [
        f"計測環境: {when}。`make bench-promotion`（`bench/promotion_bench.py --years {args.years} --regions {args.regions} "
        f"--repeat {args.repeat}`）。本番の設定（`DEBUG=false`、ほかは既定値）で Django のテストクライアントから。",
        f"進捗の記録は {progress_cold.LAST_YEAR - args.years + 1}–{progress_cold.LAST_YEAR}年度 × 1,741団体 × 8分野"
        "（`bench/progress_cold.py` の履歴）。隣接は境界データの代わりに「同じ都道府県でコード順の次の2団体」。",
        f"各 {args.repeat}回の p95（括弧内は中央値、判定は p95 の比）。素のSQL: パッケージは提案が読む行そのもの（この団体と類似団体の年度の実装済・自走、類似の条件で SQL が選ぶ）を分野ごとに数える集計、"
        "波及効果は全年度の実装済・自走の記録を年度 × 分野ごとに数える集計（同じ実行で計測）。"
        "コールドは答えを変える書き込みの直後: パッケージは毎回、類似団体のまだ変えていない1セルを交互に実装済へ・実証中へ（各回の答えがそれまでのどれとも異なることを確認）、"
        "波及効果は札幌市の1件の保存。"
        f"目標: APIの p95 ≤ 素のSQLの p95 × {GOAL_RATIO:g}。",
        "",
        "| DB | API | 計測 | API p95 | 素のSQL p95 | 比 | ≤ 3× |",
        "| --- | --- | --- | ---: | ---: | ---: | --- |",
    ]
    notes = []
    for engine, run in runs.items():
        if "error" in run:
            error = " ".join(str(run["error"]).split())
            lines.append(f"| {engine} | 未計測: {error} | | | | | |")
            continue
        for name in (PACKAGES, DIFFUSION):
            result = run["results"][name]
            for key, label in ROWS:
                ratio = result[key] / result["sql"] if result["sql"] else float("inf")
                median = result["median"]
                lines.append(f"| {engine} | {LABELS[name]} | {label} | {result[key]:.1f} ms（{median[key]:.1f}） | "
                             f"{result['sql']:.2f} ms（{median['sql']:.2f}） | {ratio:.2f}× | "
                             f"{'達成' if ratio <= GOAL_RATIO else '未達'} |")
        notes.append(f"{engine}: 記録 {run['records']:,}件（実効値 {run['cells']:,}行）、見本となる地域 {run['regions']}、"
                     f"隣接 {run['neighbour_pairs']:,}組、パッケージは {run['place_name']}（{run['place']}、類似団体 "
                     f"{run['similar']}、{run['fiscal_year']}年度、組合せ {run['combinations']}件）。投入 {run['load_seconds']:.1f} 秒。")
        cold = run["results"][PACKAGES]["cold"]
        notes.append(f"{engine}: パッケージの素のSQLが数える行は {run['similar_rows']:,}行（提案が読む行と同数であることを確認）。"
                     f"参考（判定外）: 同じ種別の全団体の{run['fiscal_year']}年度の実装済・自走の記録を分野ごとに数える、"
                     f"より広い集計（2026-12-01 までの判定の基準）は p95 {run['wider_sql']:.2f} ms"
                     f"（中央値 {run['wider_sql_median']:.2f}）で、コールドのパッケージ提案はその {cold / run['wider_sql']:.1f}倍。"
                     f"参考（判定外）: 類似団体の外への書き込み（札幌市）の直後のパッケージ提案は p95 {run['outside']:.1f} ms"
                     f"（中央値 {run['outside_median']:.1f}、素のSQLの p95 の {run['outside'] / run['results'][PACKAGES]['sql']:.2f}倍）:"
                     "ページキャッシュは外れ、組の実装済セルを読み直し、その要約で保存した提案が答える。")
    return "\n".join(lines + [""] + notes)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=10, choices=range(1, 11), metavar="1-10",
                        help="年度の数（既定 10: 139,280件）")
    parser.add_argument("--regions", type=int, default=40, help="見本となる地域の数（既定 40）")
    parser.add_argument("--repeat", type=int, default=40, help="各計測の回数（既定 40）")
    parser.add_argument("--no-write", action="store_true", help="bench/README.md に書き込まない")
    production_settings()
    when = machine()
    runs = run_per_engine(Path(__file__), measure, database="promotion", parser=parser)
    if runs is None:  # a child
        return
    args = parser.parse_args()
    body = report(runs, when, args)
    print(body)
    if not args.no_write:
        common.write_section(f"{SECTION}\n\n{body}\n", SECTION)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
