"""PDCA benchmarks (make bench-pdca, issue 14 §5):

- All KPI values for 10 年度 in one request: GET /api/v1/kpis (and the KPI list page /pdca/) with the
  140,000-record progress history of bench/progress_cold.py (2017–2026 × 1,741 × 8; `--municipalities` shrinks
  it), every progress KPI of the platform (the two national KPIs of data/kpis.csv plus a KPI per progress
  measure: by sectors, share, a prefecture's own count and share). Warm: a signed-in client (logged-in users never
  get the page cache), data unchanged between requests. Cold: the first request after a write (one
  `progress.actions.save_progress`, which bumps the data version: every cached table and page is stale).
  Compared in the same run with the bare SQL aggregate of the same figures over the progress rows
  (`COUNT(DISTINCT municipality) … GROUP BY fiscal_year`, one statement per KPI, run back to back); the figures of
  both are checked equal first. Goal: request p95 ≤ 3 × the bare SQL's p95.
- PDF generation time per report (median, p95) for `--reports` municipalities (default 50): GET
  /progress/municipalities/<code>/report.pdf, the report cache emptied before each; the process's first report
  (WeasyPrint and font set-up) is timed separately. The issue sets no goal for it.

Each engine runs in its own child process (bench/progress_common.run_per_engine) on its own emptied database
(var/bench/pdca.sqlite3; BENCH_DATABASE_URL + "_pdca" on PostgreSQL, default 127.0.0.1:55432/chiiki_bench_pdca),
with the production settings (DEBUG=false, the static manifest of collectstatic). Writes the "## PDCA（KPI・議会向け報告）"
section of bench/README.md unless --no-write. Smoke run: --municipalities 174 --reports 5 --requests 5 --cold 3.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
from progress_cold import FIRST_YEAR, LAST_YEAR, load_full_history, settle  # noqa: E402
from progress_common import VAR, machine, run_per_engine  # noqa: E402

SECTION = "## PDCA（KPI・議会向け報告）"
GOAL_RATIO = 3.0
IMPLEMENTED = ("implemented", "self_sustaining")
# The bench's own KPIs, one per progress measure and scope (the national two come from data/kpis.csv).
BENCH_KPIS = [
    ("B-SECTORS", "progress_implemented_sectors", ["disaster", "health"], None, "団体", "600"),
    ("B-ONE-SECTOR", "progress_implemented_sectors", ["education"], None, "団体", "500"),
    ("B-SHARE", "progress_implemented_share", [], None, "%", "80"),
    ("B-SHARE-TOURISM", "progress_implemented_share", ["tourism"], None, "%", "50"),
    ("B-TOKYO", "progress_implemented_any", [], "13", "団体", "50"),
    ("B-OSAKA-SHARE", "progress_implemented_share", [], "27", "%", "70"),
]
PAGES = [("api", "`GET /api/v1/kpis`"), ("page", "KPI一覧 `/pdca/`")]
PATHS = {"api": "/api/v1/kpis", "page": "/pdca/"}


def percentile(values, q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def stats(values) -> dict:
    return {"p50": statistics.median(values), "p95": percentile(values, 0.95), "n": len(values)}


# ---- child: one engine ----------------------------------------------------------------------------------------

def load_history(limit: int | None) -> int:
    """progress_cold's 140,000-record history (its loader and deterministic generator), for the first `limit`
    municipalities by code when given."""
    return load_full_history(limit)


def make_kpis() -> list:
    from chiiki.access import SYSTEM
    from chiiki.core.fiscal import current_fiscal_year
    from chiiki.pdca import actions
    from chiiki.pdca.models import KPI

    for code, measure, sectors, prefecture, unit, target in BENCH_KPIS:
        if not KPI.objects.filter(pk=code).exists():
            actions.save_kpi(SYSTEM, None, {
                "code": code, "name": f"ベンチ {code}", "unit": unit, "target_value": target,
                "target_fiscal_year": current_fiscal_year() + 3, "measure": measure, "sectors": sectors,
                "prefecture": prefecture}, version=0)
    return list(KPI.objects.filter(measure__startswith="progress_").order_by("order", "code"))


def bare_sql(kpis, years) -> dict:
    """The same figures as one plain aggregate per KPI over the progress rows (no ORM, no carry-over: the bench
    history has a row for every cell in every 年度). Returns {code: {年度: value}}."""
    from decimal import ROUND_HALF_UP, Decimal

    from django.db import connection

    result = {}
    with connection.cursor() as cursor:
        for kpi in kpis:
            sql = ["SELECT r.fiscal_year, COUNT(DISTINCT r.municipality_id) FROM progress_progressrecord r"]
            where, params = ["r.fiscal_year BETWEEN %s AND %s", "r.stage IN (%s, %s)"], [min(years), max(years),
                                                                                         *IMPLEMENTED]
            if kpi.prefecture_id:
                sql.append("JOIN regions_municipality m ON m.code = r.municipality_id")
                where.append("m.prefecture_id = %s")
                params.append(kpi.prefecture_id)
            if kpi.sectors:
                where.append("r.sector_id IN (" + ", ".join(["%s"] * len(kpi.sectors)) + ")")
                params += kpi.sectors
            cursor.execute(" ".join(sql) + " WHERE " + " AND ".join(where) + " GROUP BY r.fiscal_year", params)
            found = dict(cursor.fetchall())
            values = {year: Decimal(found.get(year, 0)) for year in years}
            if kpi.measure == "progress_implemented_share":
                if kpi.prefecture_id:
                    cursor.execute("SELECT COUNT(*) FROM regions_municipality WHERE prefecture_id = %s",
                                   [kpi.prefecture_id])
                else:
                    cursor.execute("SELECT COUNT(*) FROM regions_municipality")
                total = Decimal(cursor.fetchone()[0])
                values = {year: (n * 100 / total).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP) if total
                          else Decimal("0.0") for year, n in values.items()}
            result[kpi.code] = values
    return result


def timed_get(client, path: str) -> float:
    started = time.perf_counter()
    response = client.get(path)
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, (path, response.status_code, response.content[:300])
    return elapsed


def write_progress(round_: int) -> None:
    """One real progress save (011002 × health, current 年度): bumps the data version like any edit."""
    from chiiki.access import SYSTEM
    from chiiki.progress import actions, queries
    from chiiki.progress.models import STAGE_ORDER
    from chiiki.regions.models import Municipality
    from chiiki.roadmap.models import Sector

    year = queries.default_fiscal_year()
    cell = queries.cells(year, sector="health", municipality="011002")[("011002", "health")]
    stage = STAGE_ORDER[(STAGE_ORDER.index(cell.stage) + 1 + round_) % len(STAGE_ORDER)]
    if stage == cell.stage:
        stage = STAGE_ORDER[(STAGE_ORDER.index(stage) + 1) % len(STAGE_ORDER)]
    _record, changed = actions.save_progress(SYSTEM, Municipality.objects.get(pk="011002"),
                                             Sector.objects.get(pk="health"), year, stage=stage, version=cell.version)
    assert changed


def kpi_times(client, kpis, years, args) -> dict:
    from chiiki.pdca import queries

    # The figures first: the request's values must be the bare aggregate's, or the comparison means nothing.
    body = client.get(PATHS["api"]).json()
    served = {item["code"]: {v["fiscal_year"]: v["value"] for v in item["values"]} for item in body["items"]}
    expected = bare_sql(kpis, years)
    for kpi in kpis:
        assert {y: float(v) for y, v in expected[kpi.code].items()} == served[kpi.code], kpi.code
    assert sorted(served[kpis[0].code]) == years, (sorted(served[kpis[0].code]), years)
    for name in PATHS:
        timed_get(client, PATHS[name])  # code paths and templates loaded
    warm = {name: [timed_get(client, PATHS[name]) for _ in range(args.requests)] for name in PATHS}
    cold = {name: [] for name in PATHS}
    for round_ in range(args.cold):
        for name in PATHS:
            write_progress(round_ * len(PATHS) + len(cold[name]))
            cold[name].append(timed_get(client, PATHS[name]))
    sql = []
    for _ in range(args.requests):
        started = time.perf_counter()
        bare_sql(kpis, years)
        sql.append((time.perf_counter() - started) * 1000)
    return {"warm": {n: stats(v) for n, v in warm.items()}, "cold": {n: stats(v) for n, v in cold.items()},
            "sql": stats(sql), "kpis": len(kpis), "all_kpis": queries.kpis().count()}


def report_times(client, count: int) -> dict:
    from django.core.cache import cache

    from chiiki.progress import queries
    from chiiki.regions.models import Municipality

    year = queries.default_fiscal_year()
    codes = list(Municipality.objects.order_by("code").values_list("code", flat=True))
    step = max(1, len(codes) // max(count, 1))
    chosen = codes[::step][:count]
    spare = next(code for code in reversed(codes) if code not in chosen)

    def one(code) -> tuple[float, float, int]:
        cache.clear()  # the report caches itself on the data versions: each report here is generated
        started, cpu = time.perf_counter(), time.process_time()
        response = client.get(f"/progress/municipalities/{code}/report.pdf?fiscal_year={year}")
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200 and response.content.startswith(b"%PDF"), code
        return elapsed, (time.process_time() - cpu) * 1000, len(response.content)

    first, _cpu, _size = one(spare)
    timings, cpu_times, sizes = zip(*(one(code) for code in chosen), strict=True)
    # CPU time of this process (WeasyPrint renders in it): on a shared machine wall time also counts waiting.
    return {"first_ms": first, **stats(timings), "cpu_p50": statistics.median(cpu_times),
            "cpu_p95": percentile(cpu_times, 0.95), "size_kb": statistics.median(sizes) / 1024}


def measure(engine: str, args) -> dict:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from chiiki.pdca import queries

    started = time.perf_counter()
    records = load_history(args.municipalities or None)
    load_seconds = time.perf_counter() - started
    kpis = make_kpis()
    settle()
    years = queries.measured_years()
    viewer, _ = get_user_model().objects.get_or_create(username="bench-viewer")
    client = Client()
    client.force_login(viewer)  # signed in: never the anonymous page cache
    result = {"engine": engine, "records": records, "load_seconds": load_seconds, "years": [min(years), max(years)],
              "kpi": kpi_times(client, kpis, years, args)}
    if args.reports:
        result["pdf"] = report_times(client, args.reports)
    return result


# ---- parent: both engines, the report ------------------------------------------------------------------------

def production_settings() -> None:
    """The README's production settings for the children (DEBUG off; the test client's host allowed) and the
    static manifest DEBUG=false needs, as after a deployment's collectstatic."""
    static_root = VAR / "static"
    env = common.production_env(static_root, ALLOWED_HOSTS="testserver")
    os.environ.update({k: env[k] for k in ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "SECURE_SSL_REDIRECT",
                                           "STATIC_ROOT")})
    for name in ("DB_CONN_MAX_AGE", "CACHE_URL", "LOG_LEVEL"):
        os.environ.pop(name, None)
    common.collectstatic({**env, "DATABASE_URL": "sqlite:///" + str(VAR / "collectstatic.sqlite3")})


def verdict(ok: bool) -> str:
    return "達成" if ok else "**未達**"


def report(results: dict, when: str, args) -> str:
    size = (f"{args.municipalities:,}団体" if args.municipalities else "1,741団体") + f" × 8分野 × {LAST_YEAR - FIRST_YEAR + 1}年度"
    lines = [
        f"計測環境: {when}。`make bench-pdca`（`bench/pdca_bench.py`）。本番の設定（`DEBUG=false`）、Django のテストクライアント。",
        f"進捗の記録 {size}（`bench/progress_cold.py` の生成規則、{FIRST_YEAR}–{LAST_YEAR}年度）。",
        "KPI: 進捗から計算するKPIすべて（data/kpis.csv の全国KPI 2件と、分野指定・割合・都道府県のKPI）を10年度分、1回の要求で計算。",
        "ウォーム = ログイン済み（ページキャッシュを使わない）でデータ変更なしの繰り返し、"
        "コールド = 進捗の保存（`save_progress`、データ版数が上がり表・ページのキャッシュはすべて無効）直後の1回目。",
        "比較の基準（同じ実行内）: 同じ値を進捗の記録表への素の集計SQL（KPIごとに `COUNT(DISTINCT municipality) … GROUP BY "
        "fiscal_year` 1文）で続けて求めた時間。値が一致することを先に確認しています。",
        f"目標: 要求の p95 ≤ 素の集計SQLの p95 × {GOAL_RATIO:g}。",
        "",
        "| DB | 対象 | KPI数 | p50 (ms) | p95 (ms) | 素の集計SQL p95 (ms) | 比（p95） | 目標 ≤ 3× |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    pdf_lines = ["", "議会向け1ページ報告（PDF、`/progress/municipalities/<code>/report.pdf`、報告のキャッシュを毎回消去）。"
                 "CPU時間はこのプロセス（WeasyPrint が描画する）の `time.process_time()`（PostgreSQL サーバー側は含まない）:", "",
                 "| DB | 報告数 | プロセス初回 (ms) | 中央値 (ms) | p95 (ms) | CPU時間 中央値 / p95 (ms) | サイズ中央値 (KB) | 目標 |",
                 "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    notes = []
    for engine, run in results.items():
        if "error" in run:
            error = " ".join(str(run["error"]).split()).replace("|", "／")
            lines.append(f"| {engine} | 未計測: {error} | | | | | | |")
            continue
        k = run["kpi"]
        sql = k["sql"]["p95"]
        for kind, label in (("warm", "ウォーム"), ("cold", "コールド")):
            for name, page in PAGES:
                t = k[kind][name]
                ratio = t["p95"] / sql if sql else float("inf")
                lines.append(f"| {engine} | {page} {label} | {k['kpis']} | {t['p50']:.1f} | {t['p95']:.1f} | {sql:.1f} | "
                             f"{ratio:.2f}× | {verdict(ratio <= GOAL_RATIO)} |")
        if "pdf" in run:
            p = run["pdf"]
            pdf_lines.append(f"| {engine} | {p['n']} | {p['first_ms']:.0f} | {p['p50']:.0f} | {p['p95']:.0f} | "
                             f"{p['cpu_p50']:.0f} / {p['cpu_p95']:.0f} | {p['size_kb']:.0f} | 目標なし（参考値） |")
        notes.append(f"{engine}: 記録 {run['records']:,}件（投入と実効値の再構築 {run['load_seconds']:.1f} 秒）、"
                     f"計測年度 {run['years'][0]}–{run['years'][1]}、KPI {k['all_kpis']}件（うち進捗のKPI {k['kpis']}件）、"
                     f"ウォーム {k['warm']['api']['n']}回・コールド {k['cold']['api']['n']}回。")
    return "\n".join(lines + pdf_lines + [""] + notes)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--municipalities", type=int, default=0, help="first N municipalities only (0 = all 1,741)")
    parser.add_argument("--requests", type=int, default=40, help="warm requests per page (and bare SQL rounds)")
    parser.add_argument("--cold", type=int, default=15, help="write-then-request rounds per page")
    parser.add_argument("--reports", type=int, default=50, help="PDF reports (0 = skip)")
    parser.add_argument("--no-write", action="store_true")
    when = machine()
    results = run_per_engine(Path(__file__), measure, production_settings, database="pdca", fresh=True,
                             parser=parser)
    if results is None:  # a child: it printed its JSON
        return
    args = parser.parse_args()
    body = report(results, when, args)
    print(body)
    if not args.no_write:
        common.write_section(f"{SECTION}\n\n{body}\n", SECTION)


if __name__ == "__main__":
    main()
