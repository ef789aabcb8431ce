"""Could the database rank the support program search? (make bench-programs-engines)

Compares, on the 50 judged queries of bench/queries_programs.csv and the 25 real programs, the top 5 of the
adopted in-process BM25F (what /api/v1/programs returns) with each engine's own ranking function over the same
bigram tokens, ties broken by public id:

- SQLite FTS5 ``bm25()`` over the index table as it is (one ``body`` column), and over a per-field table
  (name / summary / other columns weighted 3 / 1.5 / 1, the BM25F field weights);
- PostgreSQL ``ts_rank_cd()`` over the index's ``body`` tsvector, and over a tsvector whose fields carry the
  weights A / B / C ({C, B, A} = {1/3, 1/2, 1}, the same ratios).

Each term of the parsed query (the user's words and the concept expansions) becomes an exact phrase of its
bigram tokens (a 1-character word: its unigram token), OR-ed together; the engines have no per-term weight, so
expansions count as much as the user's words.

Then, with the catalog expanded to --programs synthetic programs (as bench/programs_bench.py does), it times
the ranking itself per judged query: the in-process path (the engine's match, term frequencies from the
in-memory corpus, BM25F; postings cache cleared before each query, as for a first-time word) against one
engine query that matches, ranks and returns the top 5.

Writes the "## 支援メニュー検索: DBの順位関数との比較" section of bench/README.md (--no-write to only print).
"""

import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from programs_bench import (  # noqa: E402  (bench scripts run from the checkout, not as a package)
    engine_arguments,
    evaluate,
    expand_catalog,
    load_queries,
    load_reference_catalog,
    on_both_engines,
    run_script_child,
    setup_django,
)

SECTION = "## 支援メニュー検索: DBの順位関数との比較"
CURRENT = "bigram BM25F + 概念展開（採用、アプリ内で計算）"
FIELD_WEIGHTS = {"name": 3.0, "summary": 1.5, "other": 1.0, "sector": 0.5}
COMPARE_TABLE = "bench_rank_fields"


def _phrase(term: str, sqlite: bool) -> str:
    from chiiki.core.search import _bigram_token, _hex

    if len(term) == 1:
        return f"u{_hex(term)}"
    grams = [_bigram_token(a, b) for a, b in zip(term, term[1:], strict=False)]
    if sqlite:
        return '"' + " ".join(grams) + '"'
    return "(" + " <-> ".join(grams) + ")"


def engine_query(raw: str, sqlite: bool) -> str:
    from chiiki.core.search import parse_query
    from chiiki.programs.search import snapshot

    terms = parse_query(raw, snapshot().concepts).terms
    return (" OR " if sqlite else " | ").join(_phrase(t.text, sqlite) for t in terms)


def build_field_table(vendor: str) -> None:
    """A copy of the index with one indexed column (SQLite) or one weight label (PostgreSQL) per field."""
    from django.db import connection

    from chiiki.core.search import _tsvector_literal, tokens
    from chiiki.programs.indexing import PROGRAM_INDEX

    texts = PROGRAM_INDEX.texts()
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {COMPARE_TABLE}")
        if vendor == "sqlite":
            cursor.execute(f"CREATE VIRTUAL TABLE {COMPARE_TABLE} USING fts5(name, summary, other, sector, tokenize='ascii')")
            cursor.executemany(f"INSERT INTO {COMPARE_TABLE} (rowid, name, summary, other, sector) VALUES (%s, %s, %s, %s, %s)",
                               [(doc_id, *(" ".join(tokens(t)) for t in fields)) for doc_id, fields in texts.items()])
        else:
            cursor.execute(f"CREATE TABLE {COMPARE_TABLE} (doc_id bigint PRIMARY KEY, body tsvector NOT NULL)")
            cursor.execute(f"CREATE INDEX {COMPARE_TABLE}_gin ON {COMPARE_TABLE} USING gin (body)")
            cursor.executemany(
                f"INSERT INTO {COMPARE_TABLE} (doc_id, body) VALUES (%s, setweight(%s::tsvector, 'A') "
                "|| setweight(%s::tsvector, 'B') || setweight(%s::tsvector, 'C') || setweight(%s::tsvector, 'D'))",
                [(doc_id, *(_tsvector_literal(tokens(t)) for t in fields)) for doc_id, fields in texts.items()])


def engine_rankers(vendor: str) -> dict:
    """name → function(raw query, limit) → public ids, best first, ties by public id."""
    from django.db import connection

    from chiiki.programs.indexing import PROGRAM_INDEX
    from chiiki.programs.models import SupportProgram

    programs = SupportProgram._meta.db_table
    index = PROGRAM_INDEX.table
    sqlite = vendor == "sqlite"
    if sqlite:
        weights = ", ".join(str(w) for w in FIELD_WEIGHTS.values())
        statements = {
            "SQLite FTS5 bm25()（body 1列）": (
                f"SELECT p.public_id FROM {index} s JOIN {programs} p ON p.id = s.rowid "
                f"WHERE {index} MATCH %s ORDER BY bm25({index}), p.public_id LIMIT %s", "body : ({q})"),
            "SQLite FTS5 bm25()（フィールド別の列、重み 3 / 1.5 / 1 / 0.5）": (
                f"SELECT p.public_id FROM {COMPARE_TABLE} s JOIN {programs} p ON p.id = s.rowid "
                f"WHERE {COMPARE_TABLE} MATCH %s ORDER BY bm25({COMPARE_TABLE}, {weights}), p.public_id LIMIT %s",
                "{q}"),
        }
    else:
        statements = {
            "PostgreSQL ts_rank_cd()（body）": (
                f"SELECT p.public_id FROM {index} s JOIN {programs} p ON p.id = s.doc_id "
                "WHERE s.body @@ %s::tsquery ORDER BY ts_rank_cd(s.body, %s::tsquery) DESC, p.public_id LIMIT %s",
                "{q}"),
            "PostgreSQL ts_rank_cd()（フィールド別の重み A / B / C / D）": (
                f"SELECT p.public_id FROM {COMPARE_TABLE} s JOIN {programs} p ON p.id = s.doc_id "
                "WHERE s.body @@ %s::tsquery "
                "ORDER BY ts_rank_cd('{0.1, 0.3333, 0.5, 1.0}', s.body, %s::tsquery) DESC, p.public_id LIMIT %s",
                "{q}"),
        }

    def make(sql: str, template: str):
        def rank(raw: str, limit: int = 5) -> list[str]:
            expression = engine_query(raw, sqlite)
            if not expression:
                return []
            match = template.format(q=expression)
            params = [match, limit] if sqlite else [match, match, limit]
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return [row[0] for row in cursor.fetchall()]
        return rank

    return {name: make(sql, template) for name, (sql, template) in statements.items()}


def current_top(raw: str, limit: int = 5) -> list[str]:
    from chiiki.programs.search import SearchRequest, run_search

    return [h.public_id for h in run_search(SearchRequest.from_params({"q": raw}), page_size=limit).items]


def percentiles(timings: list[float]) -> tuple[float, float]:
    timings = sorted(timings)
    return timings[len(timings) // 2], timings[int(len(timings) * 0.95) - 1]


def measure(args) -> dict:
    """Child process: one engine. Prints a JSON result."""
    _url, tmp = setup_django(args.database_url)
    from django.db import connection

    from chiiki.core.search import parse_query
    from chiiki.programs.indexing import PROGRAM_INDEX
    from chiiki.programs.search import snapshot

    vendor = connection.vendor
    load_reference_catalog()
    judged = load_queries()
    build_field_table(vendor)
    rankers = engine_rankers(vendor)

    current = {q: current_top(q, 100) for q, _, _ in judged}
    relevance = {CURRENT: list(evaluate(current.get, judged))}
    differing = {}
    for name, rank in rankers.items():
        ranked = {q: rank(q, 100) for q, _, _ in judged}
        relevance[name] = list(evaluate(ranked.get, judged))
        differing[name] = {
            "order": sum(ranked[q][:5] != current[q][:5] for q in current),
            "set": sum(set(ranked[q][:5]) != set(current[q][:5]) for q in current),
            "first": sum(ranked[q][:1] != current[q][:1] for q in current),
            "queries": [q for q in current if ranked[q][:5] != current[q][:5]],
        }

    # Ranking cost at scale: the in-process path against one engine query, per judged query.
    expand_catalog(args.programs)
    build_field_table(vendor)
    snap = snapshot()  # also computes the concept expansions' postings, as the app does per catalog version
    timings = {"アプリ内 BM25F（照合＋頻度＋順位、初回の語）": []}
    timings.update({name: [] for name in rankers})
    for _ in range(args.rounds):
        for query, _, _ in judged:
            parsed = parse_query(query, snap.concepts)
            PROGRAM_INDEX.clear_cache()  # the user's words are searched for the first time; expansions stay pinned
            t0 = time.perf_counter()
            PROGRAM_INDEX.search_arrays(parsed, stats_key=snap.key, texts=snap.texts)
            timings["アプリ内 BM25F（照合＋頻度＋順位、初回の語）"].append((time.perf_counter() - t0) * 1000)
            for name, rank in rankers.items():
                t0 = time.perf_counter()
                rank(query)
                timings[name].append((time.perf_counter() - t0) * 1000)
    result = {
        "engine": vendor,
        "judged": len(judged),
        "relevance": relevance,
        "differing": differing,
        "programs": args.programs,
        "rounds": args.rounds,
        "timings": {name: percentiles(values) for name, values in timings.items()},
    }
    if tmp:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    return result


def run_child(database_url: str | None, args) -> dict:
    return run_script_child(__file__, database_url, ["--programs", str(args.programs), "--rounds", str(args.rounds)])


def report(runs: list[dict], pg_note: str) -> str:
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    first = runs[0]
    lines = [SECTION, "",
             f"`make bench-programs-engines`（bench/programs_rank_engines.py）で計測し、この節を書き換えます。"
             f"計測: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}、{platform.node()}（{platform.machine()}、"
             f"{os.cpu_count()} CPU、Python {platform.python_version()}、計測終了時のロードアベレージ {load}）。", "",
             f"判定付きクエリ {first['judged']} 件・実在の支援メニュー25件で、採用中のアプリ内 BM25F の上位5件と、"
             "同じ bigram トークンに対する各DBの順位関数（同点は公開IDの順）の上位5件を比べました。"
             "クエリの各語（利用者の語と概念展開の語）は bigram の完全一致フレーズにして OR で結び、"
             "DBの順位関数には語ごとの重みがないため、概念展開の語も利用者の語と同じ重みになります。", "",
             "| 方式 | nDCG@5 | MRR | 上位5件（順序も）が異なるクエリ | 上位5件の集合が異なる | 1位が異なる |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    current = first["relevance"][CURRENT]
    lines.append(f"| {CURRENT} | {current[0]:.3f} | {current[1]:.3f} | — | — | — |")
    for run in runs:
        for name, (ndcg, mrr, _) in run["relevance"].items():
            if name == CURRENT:
                continue
            d = run["differing"][name]
            lines.append(f"| {name} | {ndcg:.3f} | {mrr:.3f} | {d['order']} / {run['judged']} | "
                         f"{d['set']} / {run['judged']} | {d['first']} / {run['judged']} |")
    lines += ["", f"順位づけの費用: カタログを合成で {first['programs']:,} 件に拡張し、判定クエリ {first['judged']} 種 × "
              f"{first['rounds']} 回。アプリ内 BM25F は語のポスティングのキャッシュを毎回消去（初めて検索される語）。"
              "DBの順位関数は照合・順位づけ・上位5件の取得までの1クエリ。", "",
              "| DB | 方式 | p50 | p95 |", "| --- | --- | ---: | ---: |"]
    for run in runs:
        for name, (p50, p95) in run["timings"].items():
            lines.append(f"| {run['engine']} | {name} | {p50:.1f} ms | {p95:.1f} ms |")
    if pg_note:
        lines += ["", pg_note]
    return "\n".join(lines) + "\n"


def main():
    parser = engine_arguments()
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args), ensure_ascii=False))
        return
    on_both_engines(args, run_child, report, SECTION)


if __name__ == "__main__":
    main()
