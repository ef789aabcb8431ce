"""資金循環 benchmark (issue 11 §5, `make bench-funding`).

Data: --plans implementation plans (default 20,000; 2 % wide-area plans of a prefecture with 2–3 participants)
× 3–5 年度 × 2–4 funding lines, generated deterministically with bulk_create over the real register and the
support-program catalog (load_reference). Each engine (SQLite and PostgreSQL) runs in its own child process with
the documented production settings (DEBUG=false), on var/bench/funding.sqlite3 or BENCH_DATABASE_URL's database
+ `_funding` (recreated each run).

Measured through the real interface (Django's test client), each compared in the same process with a bare SQL
aggregate of the same figures (one GROUP BY over the lines of public plans by 財源の種類 × 分野 × 年度: planned,
確定, 受領, count):
- the national fund-flow API `GET /api/v1/funding/flows` and page `GET /funding/flows/`, warm p95 (repeated
  requests: anonymous, as served with the page cache; and signed in, which never gets the cache) → ≤ 1.5× the
  bare aggregate's p95;
- cold p95: the first request after a write (`actions.update_line` on one line, which bumps the data version so
  every cached page is stale) → ≤ 3× the bare aggregate's p95;
- risk flags for every plan (`flags.for_plans` over all plans, with every reason and row) in ≤ 2 s (median of 3);
  for reference the codes-only pass the lists and the flag filter use.
For reference (no goal): the national plan list `/funding/plans/` (flags for every public plan, first page) and the
national 財源の崖 list `/funding/cliffs/`, first request after a write.

Prints the table and writes the `## 資金循環` section of bench/README.md (--no-write: print only).
"""

import argparse
import math
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
from progress_common import ROOT, VAR, load_average, machine, run_per_engine  # noqa: E402

SECTION = "## 資金循環"
GOAL_WARM, GOAL_COLD, GOAL_FLAGS_S = 1.5, 3.0, 2.0
START_YEARS = (2024, 2025, 2026, 2027)
PHASES = ("people_knowhow", "implementation", "operation")
# Source kinds weighted roughly as plans use them; national programs carry a catalog program.
KINDS = ("general",) * 4 + ("national_program",) * 4 + ("local_finance", "corporate_donation", "crowdfunding",
                                                          "private_investment", "other")
STATES = ("planned", "applied", "confirmed", "confirmed", "received", "rejected")
BARE_SQL = """
SELECT l.source_kind, p.sector_id, y.fiscal_year,
       SUM(l.amount),
       SUM(CASE WHEN l.state IN ('confirmed', 'received') THEN l.amount ELSE 0 END),
       SUM(CASE WHEN l.state = 'received' THEN l.amount ELSE 0 END),
       COUNT(*)
FROM funding_fundingline l
JOIN funding_planyear y ON y.id = l.plan_year_id
JOIN funding_implementationplan p ON p.id = y.plan_id
WHERE l.state <> 'rejected' AND p.status <> 'draft'
GROUP BY l.source_kind, p.sector_id, y.fiscal_year
ORDER BY l.source_kind, p.sector_id, y.fiscal_year
"""


def production_env() -> None:
    """The README's production settings for the children (they inherit os.environ), and the static manifest that
    DEBUG=false needs, as after a deployment's collectstatic."""
    os.environ.update({"DEBUG": "false", "SECRET_KEY": "bench-only-secret-key-0123456789abcdef",
                       "ALLOWED_HOSTS": "testserver", "SECURE_SSL_REDIRECT": "false",
                       "STATIC_ROOT": str(VAR / "static")})
    for name in ("DB_CONN_MAX_AGE", "CACHE_URL", "LOG_LEVEL"):  # documented defaults, not the caller's tuning
        os.environ.pop(name, None)
    VAR.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, check=True,
                   env={**os.environ, "DATABASE_URL": "sqlite:///" + str(VAR / "collectstatic.sqlite3")})


# ---- child: data ---------------------------------------------------------------------------------------------

def generate(count: int, seed: int = 20261201) -> dict:
    """`count` plans with their years and lines (explicit ids, chunks of 1,000 plans); returns row counts."""
    from django.core.management.color import no_style
    from django.db import connection, transaction

    from chiiki.funding.models import FundingLine, ImplementationPlan, PlanYear
    from chiiki.programs.models import SupportProgram
    from chiiki.regions.models import Municipality
    from chiiki.roadmap.models import Sector

    rng = random.Random(seed)
    places = list(Municipality.objects.order_by("code").values_list("code", "prefecture_id"))
    by_prefecture: dict[str, list[str]] = {}
    for code, pref in places:
        by_prefecture.setdefault(pref, []).append(code)
    prefectures = sorted(by_prefecture)
    sectors = list(Sector.objects.order_by("code").values_list("code", flat=True))
    programs = list(SupportProgram.objects.order_by("pk").values_list("pk", flat=True))
    Through = ImplementationPlan.participants.through
    plan_id = year_id = line_id = 0
    counts = {"plans": 0, "years": 0, "lines": 0, "wide": 0}
    for chunk_start in range(0, count, 1000):
        plans, years, lines, members = [], [], [], []
        for i in range(chunk_start, min(count, chunk_start + 1000)):
            plan_id += 1
            wide = rng.random() < 0.02
            status = rng.choices(("published", "draft", "completed"), (90, 5, 5))[0]
            start = rng.choice(START_YEARS)
            if wide:
                pref = rng.choice(prefectures)
                plans.append(ImplementationPlan(
                    id=plan_id, municipality_id=None, prefecture_id=pref, title=f"ベンチ広域計画 {i}",
                    sector_id=rng.choice(sectors), start_year=start, status=status,
                    operator_kind=rng.choice(("direct", "third_sector", "undecided"))))
                for code in rng.sample(by_prefecture[pref], min(len(by_prefecture[pref]), rng.choice((2, 3)))):
                    members.append(Through(implementationplan_id=plan_id, municipality_id=code))
                counts["wide"] += 1
            else:
                code, pref = places[i % len(places)]
                plans.append(ImplementationPlan(
                    id=plan_id, municipality_id=code, prefecture_id=pref, title=f"ベンチ計画 {i}",
                    sector_id=rng.choice(sectors), start_year=start, status=status,
                    operator_kind=rng.choice(("direct", "third_sector", "private", "npo", "undecided"))))
            n_years = rng.choice((3, 4, 5))
            for k in range(n_years):
                year_id += 1
                cost = rng.randrange(1, 60) * 500_000
                years.append(PlanYear(id=year_id, plan_id=plan_id, fiscal_year=start + k,
                                      phase=PHASES[min(k, 2)], total_cost=cost))
                for _ in range(rng.choice((2, 3, 4))):
                    line_id += 1
                    kind = rng.choice(KINDS)
                    lines.append(FundingLine(
                        id=line_id, plan_year_id=year_id, source_kind=kind,
                        program_id=rng.choice(programs) if kind == "national_program" and programs else None,
                        amount=rng.randrange(1, 40) * 250_000, state=rng.choice(STATES)))
        with transaction.atomic():
            ImplementationPlan.objects.bulk_create(plans, batch_size=1000)
            Through.objects.bulk_create(members, batch_size=1000)
            PlanYear.objects.bulk_create(years, batch_size=2000)
            FundingLine.objects.bulk_create(lines, batch_size=2000)
        counts["plans"] += len(plans)
        counts["years"] += len(years)
        counts["lines"] += len(lines)
    with connection.cursor() as cursor:  # explicit ids: move the sequences past them (PostgreSQL)
        for sql in connection.ops.sequence_reset_sql(no_style(), [ImplementationPlan, PlanYear, FundingLine]):
            cursor.execute(sql)
        if connection.vendor == "postgresql":  # what autovacuum does soon after a bulk load, done now
            cursor.execute("VACUUM ANALYZE funding_implementationplan, funding_planyear, funding_fundingline, "
                           "funding_implementationplan_participants")
        else:
            cursor.execute("ANALYZE")
    from chiiki.core import history

    history.bump("funding")
    return counts


# ---- child: measurements -------------------------------------------------------------------------------------

def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def summary(values: list[float]) -> dict:
    return {"p95": p95(values), "median": statistics.median(values), "n": len(values)}


def bare_aggregate(repeat: int) -> tuple[dict, list]:
    from django.db import connection

    times, rows = [], []
    with connection.cursor() as cursor:
        cursor.execute(BARE_SQL)  # once to warm the engine's caches, as the warm requests are
        cursor.fetchall()
        for _ in range(repeat):
            started = time.perf_counter()
            cursor.execute(BARE_SQL)
            rows = cursor.fetchall()
            times.append((time.perf_counter() - started) * 1000)
    return summary(times), rows


def timed_get(client, path: str) -> float:
    started = time.perf_counter()
    response = client.get(path)
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, (path, response.status_code, response.content[:300])
    return elapsed


def warm(client, path: str, repeat: int) -> dict:
    timed_get(client, path)  # first request: code paths, templates, the page cache entry
    return summary([timed_get(client, path) for _ in range(repeat)])


class Writer:
    """One write per round through the action the pages use: a published plan's line amount moves by 1 円."""

    def __init__(self):
        from chiiki.funding.models import FundingLine

        self.ids = list(FundingLine.objects.filter(plan_year__plan__status="published").exclude(state="rejected")
                        .order_by("id").values_list("id", flat=True)[:200])
        self.round = 0

    def write(self):
        from chiiki.access import SYSTEM
        from chiiki.funding import actions
        from chiiki.funding.models import FundingLine

        line = FundingLine.objects.select_related("plan_year__plan__municipality", "plan_year__plan__prefecture").get(
            pk=self.ids[self.round % len(self.ids)])
        self.round += 1
        actions.update_line(SYSTEM, line, version=line.version, amount=line.amount + 1)


def cold(client, path: str, repeat: int, writer: Writer) -> dict:
    timed_get(client, path)
    times = []
    for _ in range(repeat):
        writer.write()
        times.append(timed_get(client, path))
    return summary(times)


def measure(engine: str, args) -> dict:
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from chiiki.accounts.models import Role, User
    from chiiki.funding import flags, queries
    from chiiki.funding.models import ImplementationPlan

    assert not settings.DEBUG, "the bench runs with DEBUG=false"
    started = time.perf_counter()
    counts = generate(args.plans)
    load_seconds = time.perf_counter() - started

    bare, bare_rows = bare_aggregate(args.requests)
    api_total = queries.flows(group_by=("source_kind", "sector", "fiscal_year"))
    same = [(r["source_kind"], r["sector"], r["fiscal_year"], r["planned"], r["secured"], r["received"], r["lines"])
            for r in api_total] == [tuple(v if isinstance(v, str) else int(v or 0) for v in row) for row in bare_rows]

    anonymous = Client()
    signed_in = Client()
    viewer, _ = User.objects.get_or_create(username="bench-viewer", defaults={"role": Role.COMPANY})
    signed_in.force_login(viewer)
    surfaces = {"api": "/api/v1/funding/flows", "page": "/funding/flows/"}
    writer = Writer()
    results = {}
    for name, path in surfaces.items():
        results[name] = {"warm_anonymous": warm(anonymous, path, args.requests),
                         "warm_signed_in": warm(signed_in, path, args.requests),
                         "cold": cold(anonymous, path, args.cold, writer)}

    flag_times, code_times, flagged = [], [], 0
    for _ in range(3):
        t0 = time.perf_counter()
        computed = flags.for_plans(ImplementationPlan.objects.all())  # reasons and rows: the goal's figure
        flag_times.append(time.perf_counter() - t0)
        flagged = sum(1 for found in computed.values() if found)
        t0 = time.perf_counter()
        flags.for_plans(ImplementationPlan.objects.all(), detail=False)  # codes only, as the lists use them
        code_times.append(time.perf_counter() - t0)
    reference = {"plans_page": cold(anonymous, "/funding/plans/", 3, writer),
                 "cliffs_page": cold(anonymous, "/funding/cliffs/", 3, writer)}
    return {"engine": engine, "vendor": connection.vendor, "counts": counts, "load_seconds": load_seconds,
            "bare": bare, "same_figures": same, "surfaces": results,
            "flags": {"median": statistics.median(flag_times), "max": max(flag_times), "plans": len(computed),
                      "flagged": flagged, "codes_median": statistics.median(code_times)}, "reference": reference}


# ---- parent: the report --------------------------------------------------------------------------------------

def verdict(ok: bool) -> str:
    return "達成" if ok else "**未達**"


def report(runs: dict, args, when: str) -> str:
    lines = [
        f"計測環境: {when}。`make bench-funding`（`bench/funding_bench.py --plans {args.plans}`）。本番の設定"
        "（`DEBUG=false`、ほかは既定値）で、Django のテストクライアントから計測。",
        f"データ: 実装計画 {args.plans:,}件（2%は都道府県の広域計画）× 3–5年度 × 財源 2–4件を乱数（固定シード）で生成。"
        "比較の基準は同じプロセスで実行する素のSQL集計（公開計画の財源を 財源の種類 × 分野 × 年度 で GROUP BY、"
        "計画・確定・受領・件数）の p95。",
        f"ウォーム: 同じ要求の繰り返し {args.requests}回（匿名 = ページキャッシュあり、ログイン = キャッシュなし）。"
        f"コールド: 財源1件の書き込み（`actions.update_line`、データ版数が上がる）直後の1回目の要求 × {args.cold}回。",
        "",
        "| DB | 対象 | 測定 | p95 (ms) | 中央値 (ms) | 素のSQL比（p95） | 目標 | 判定 |",
        "| --- | --- | --- | ---: | ---: | ---: | --- | --- |",
    ]
    notes = []
    labels = {"api": "API `/api/v1/funding/flows`", "page": "ページ `/funding/flows/`"}
    for engine, run in runs.items():
        if "error" in run:
            lines.append(f"| {engine} | 未計測: {run['error']} | | | | | | |")
            continue
        bare = run["bare"]
        lines.append(f"| {engine} | 素のSQL集計 | 基準 | {bare['p95']:.1f} | {bare['median']:.1f} | 1.00× | | |")
        for surface, label in labels.items():
            for key, kind, goal in (("warm_anonymous", "ウォーム（匿名）", GOAL_WARM),
                                    ("warm_signed_in", "ウォーム（ログイン）", GOAL_WARM),
                                    ("cold", "コールド（書き込み直後）", GOAL_COLD)):
                figure = run["surfaces"][surface][key]
                ratio = figure["p95"] / bare["p95"] if bare["p95"] else float("inf")
                lines.append(f"| {engine} | {label} | {kind} | {figure['p95']:.1f} | {figure['median']:.1f} | "
                             f"{ratio:.2f}× | ≤ {goal}× | {verdict(ratio <= goal)} |")
        f = run["flags"]
        lines.append(f"| {engine} | リスク判定（全{f['plans']:,}計画、`flags.for_plans`） | 3回の中央値 | "
                     f"{f['median'] * 1000:.0f} | | | ≤ {GOAL_FLAGS_S:.0f} 秒 | {verdict(f['median'] <= GOAL_FLAGS_S)} |")
        lines.append(f"| {engine} | 参考: リスクの種類だけ（一覧・絞り込み用、`detail=False`） | 3回の中央値 | "
                     f"{f['codes_median'] * 1000:.0f} | | | | |")
        for key, label in (("plans_page", "参考: 全国の計画一覧 `/funding/plans/`（全公開計画のリスク判定を含む）"),
                           ("cliffs_page", "参考: 全国の財源の崖 `/funding/cliffs/`")):
            ref = run["reference"][key]
            lines.append(f"| {engine} | {label} | コールド 3回 | {ref['p95']:.1f} | {ref['median']:.1f} | | | |")
        c = run["counts"]
        notes.append(f"{engine}: 計画 {c['plans']:,}件（広域 {c['wide']:,}件）、年度 {c['years']:,}件、"
                     f"財源 {c['lines']:,}件、生成と投入 {run['load_seconds']:.1f} 秒。リスクのある計画 "
                     f"{f['flagged']:,}件。APIの集計と素のSQL集計の数字の一致: {'一致' if run['same_figures'] else '**不一致**'}。")
    return "\n".join(lines + [""] + notes)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plans", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=30, help="warm requests and bare aggregates per surface")
    parser.add_argument("--cold", type=int, default=20, help="write + first request rounds per surface")
    parser.add_argument("--no-write", action="store_true")
    load = load_average()  # before the children load the machine
    runs = run_per_engine(Path(__file__), measure, production_env, database="funding", fresh=True, parser=parser)
    if runs is None:  # a child: its JSON is printed
        return
    args = parser.parse_args()
    body = report(runs, args, machine(load))
    print(body)
    if not args.no_write:
        common.write_section(f"{SECTION}\n\n{body}\n", SECTION)


if __name__ == "__main__":
    main()
