"""オープンデータ benchmarks (make bench-opendata), on SQLite and PostgreSQL, one child process per engine.

Goals (issue 15):
- CKAN `package_search` with 20,000 datasets (q + two fq + facets) p95 ≤ 50 ms warm, through the real CKAN
  endpoint (GET /api/3/action/package_search with Django's test client, DEBUG=false), compared in the same run
  with the existing support-program search (GET /api/v1/programs) on 10,000 programs (bench/programs_bench.py's
  expansion). The anonymous page cache is cleared before every request (it would answer repeats without
  searching); "warm" = the search snapshot of the current data version is built (the first requests build it).
- The 自治体標準オープンデータセット validator: a file of 100,000 rows (AED設置箇所一覧, valid; and one with an error
  in every 10th row) validates in ≤ 10 s.

Databases: var/bench/opendata.sqlite3 and BENCH_DATABASE_URL + "_opendata" (default
postgres://postgres@127.0.0.1:55432/chiiki_bench_opendata), both emptied first. Data are generated
deterministically (fixed seeds) with bulk_create. Size options: --datasets, --programs, --requests, --rows
(smoke-run at ≤ 10 % of the issue's sizes with --no-write). Writes the "## オープンデータ" section of
bench/README.md unless --no-write.
"""

import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
from progress_common import machine, run_per_engine  # noqa: E402

SECTION = "## オープンデータ"
GOAL_SEARCH_P95_MS = 50
GOAL_VALIDATE_S = 10
WORDS = ["避難所", "AED", "観光", "トイレ", "公共施設", "子育て", "保育", "防災", "Wi-Fi", "人口", "予算", "施設"]
# q + two fq + facets, as a harvester or a portal's search page asks it.
FACETS = '["organization","groups","res_format","license_id","tags"]'
CKAN_VARIANTS = [
    {"q": word, "fq": f"groups:{group} AND res_format:{fmt}", "facet.field": FACETS, "rows": "20"}
    for word, group, fmt in (("避難所", "disaster", "CSV"), ("観光", "tourism", "CSV"), ("AED", "health", "XLSX"),
                             ("公共施設", "public_private", "JSON"), ("子育て", "education", "CSV"),
                             ("トイレ", "tourism", "PDF"))]
PROGRAM_VARIANTS = [{"q": "防災", "sector": "disaster"}, {"q": "補助", "kind": "subsidy"},
                    {"q": "観光", "sector": "tourism"}, {"q": "テレワーク"}, {"q": "専門家", "status": "open"},
                    {"q": "教育", "sector": "education"}]


def production_settings() -> None:
    """The documented production settings (DEBUG off), inherited by the child processes."""
    os.environ.update({"DEBUG": "false", "SECRET_KEY": "bench-only-secret-key-0123456789abcdef",
                       "ALLOWED_HOSTS": "testserver", "SECURE_SSL_REDIRECT": "false"})
    for tuned in ("DB_CONN_MAX_AGE", "CACHE_URL", "LOG_LEVEL"):
        os.environ.pop(tuned, None)


def make_catalog(count: int, seed: int = 20261201) -> float:
    """`count` synthetic datasets over the real register, each with one or two resources; returns seconds."""
    from chiiki.core.history import bump
    from chiiki.opendata import search, standard
    from chiiki.opendata.indexing import DATASET_INDEX, document_of, sector_names
    from chiiki.opendata.models import Dataset, License, Resource
    from chiiki.regions.models import Municipality

    rng = random.Random(seed)
    places = list(Municipality.objects.select_related("prefecture"))
    sectors = list(sector_names())
    kinds = [key for key, _t in standard.choices()]
    licenses = [License.CC_BY, License.CC_BY, License.PDL, License.CC0]
    started = time.perf_counter()
    datasets = []
    for i in range(count):
        place = places[i % len(places)]
        kind = rng.choice(kinds + [""] * 4)
        title = f"{place.name} {standard.title_of(kind) if kind else rng.choice(WORDS) + 'データ'} {i}"
        datasets.append(Dataset(
            name=f"bench-{i:05d}", title=title, notes=f"{place.full_name}が公開する{rng.choice(WORDS)}の一覧です。",
            municipality=place, prefecture_id=place.prefecture_id, license=rng.choice(licenses),
            tags=rng.sample(WORDS, 2), sectors=rng.sample(sectors, rng.choice((1, 2))), standard_type=kind,
            conformance="conforming" if kind and rng.random() < 0.6 else ("needs_fix" if kind else ""),
            visibility="internal" if i % 50 == 0 else "public"))
    Dataset.objects.bulk_create(datasets, batch_size=1000)
    created = list(Dataset.objects.filter(name__startswith="bench-"))
    resources = []
    for d in created:
        for fmt in rng.sample(["CSV", "XLSX", "JSON", "PDF"], rng.choice((1, 2))):
            resources.append(Resource(dataset=d, name=f"{d.title}（{fmt}）", format=fmt,
                                      url=f"https://example.jp/{d.name}.{fmt.lower()}"))
    Resource.objects.bulk_create(resources, batch_size=2000)
    names = sector_names()
    by_dataset = {}
    for r in resources:
        by_dataset.setdefault(r.dataset_id, []).append(r)
    DATASET_INDEX.replace_many((d.pk, document_of(d, names, by_dataset.get(d.pk, []))) for d in
                               Dataset.objects.select_related("municipality__prefecture", "prefecture"))
    bump("opendata")
    search.invalidate()
    return time.perf_counter() - started


def timed(client, path: str, variants: list[dict], requests: int) -> dict:
    from django.core.cache import cache

    for params in variants:  # warm-up: the search snapshot of this data version and the postings
        cache.clear()
        assert client.get(path, params).status_code == 200
    timings = []
    for i in range(requests):
        cache.clear()  # the anonymous page cache would answer repeats without searching
        t0 = time.perf_counter()
        response = client.get(path, variants[i % len(variants)])
        timings.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, response.content[:300]
    timings.sort()
    return {"p50": timings[len(timings) // 2], "p95": timings[max(0, int(len(timings) * 0.95) - 1)],
            "max": timings[-1]}


def settle() -> None:
    """PostgreSQL: what autovacuum does soon after a bulk load (statistics, visibility map), done now."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def validator_throughput(rows: int) -> dict:
    from chiiki.opendata import standard
    from chiiki.opendata.tests.samples import VALID_AED

    header, row = VALID_AED.splitlines()[:2]
    bad = row.replace("08:30", "8時")
    body = "\n".join([header] + [bad if i % 10 == 9 else row for i in range(rows)]) + "\n"
    out = {}
    for label, text in (("valid", "\n".join([header] + [row] * rows) + "\n"), ("errors", body)):
        data = text.encode("utf-8")
        t0 = time.perf_counter()
        report = standard.validate(data, "aed.csv", "aed", standard.Owner(municipality="132012", prefecture="13"))
        out[label] = {"seconds": time.perf_counter() - t0, "rows": report.rows, "errors": report.errors,
                      "listed": len(report.problems), "bytes": len(data)}
    return out


def measure(engine: str, args) -> dict:
    import programs_bench  # bench/programs_bench.py: the catalog expansion of make bench-programs
    from django.test import Client

    from chiiki.opendata.models import Dataset

    programs_bench.load_reference_catalog()
    programs_seconds = programs_bench.expand_catalog(args.programs)
    catalog_seconds = make_catalog(args.datasets)
    settle()
    client = Client(HTTP_USER_AGENT="chiiki-bench")
    count = client.get("/api/3/action/package_search", {"rows": "0"}).json()["result"]["count"]
    return {"engine": engine, "datasets": Dataset.objects.count(), "public": count, "programs": args.programs,
            "requests": args.requests, "catalog_seconds": catalog_seconds, "programs_seconds": programs_seconds,
            "package_search": timed(client, "/api/3/action/package_search", CKAN_VARIANTS, args.requests),
            "programs_search": timed(client, "/api/v1/programs", PROGRAM_VARIANTS, args.requests),
            "validator": validator_throughput(args.rows)}


def verdict(ok: bool) -> str:
    return "達成" if ok else "**未達**"


def report(results: dict, args, started: str) -> str:
    lines = [
        SECTION, "",
        f"`make bench-opendata`（`bench/opendata_bench.py`）。計測環境: {started}。本番の設定（`DEBUG=false`）で、"
        "Django のテストクライアントから実際のURLを呼び、匿名のページキャッシュは毎回消去（検索そのものを計測）。"
        f"各{args.requests}リクエスト、6通りの条件を順に。ウォーム = そのデータ版の検索スナップショットを作った後。",
        f"データ: {args.datasets:,}件のデータセット（1,741団体に割り振り、1〜2個のリソース、50件に1件は庁内限定）と、"
        f"支援メニュー {args.programs:,}件（`make bench-programs` と同じ合成）。乱数の種は固定。",
        "CKAN: `package_search?q=<語>&fq=groups:<分野> AND res_format:<形式>&facet.field=[organization, groups, "
        "res_format, license_id, tags]&rows=20`。比較: `/api/v1/programs?q=<語>&<絞り込み>`。",
        "",
        "| DB | 目標 | 結果 | 判定 |", "| --- | --- | --- | --- |",
    ]
    notes = []
    for engine in ("sqlite", "postgresql"):
        r = results.get(engine) or {"error": "未実行"}
        if "error" in r:
            error = " ".join(str(r["error"]).split()).replace("|", "／")
            lines.append(f"| {engine} | すべて | 未計測: {error} | **未達** |")
            continue
        ckan, programs, v = r["package_search"], r["programs_search"], r["validator"]
        lines.append(f"| {engine} | package_search（{r['datasets']:,}件、q + fq 2条件 + facet 5項目）p95 ≤ "
                     f"{GOAL_SEARCH_P95_MS} ms | p50 {ckan['p50']:.1f} ms / **p95 {ckan['p95']:.1f} ms**"
                     f"（最大 {ckan['max']:.1f}） | {verdict(ckan['p95'] <= GOAL_SEARCH_P95_MS)} |")
        lines.append(f"| {engine} | 比較: /api/v1/programs（{r['programs']:,}件）| p50 {programs['p50']:.1f} ms / "
                     f"p95 {programs['p95']:.1f} ms（package_search の p95 は {ckan['p95'] / programs['p95']:.2f}×）"
                     " | — |")
        for label, key in (("誤りなし", "valid"), ("10行に1行の誤り", "errors")):
            run = v[key]
            lines.append(f"| {engine} | 検証 {run['rows']:,}行（{label}、{run['bytes'] / 1e6:.1f} MB）≤ "
                         f"{GOAL_VALIDATE_S} 秒 | {run['seconds']:.2f} 秒（{run['rows'] / run['seconds']:,.0f} 行/秒、"
                         f"誤り {run['errors']:,}件、一覧は{run['listed']}件まで） | "
                         f"{verdict(run['seconds'] <= GOAL_VALIDATE_S and run['rows'] == args.rows)} |")
        notes.append(f"{engine}: データセット {r['datasets']:,}件（公開 {r['public']:,}件）の投入と索引 "
                     f"{r['catalog_seconds']:.1f} 秒、支援メニューの合成と索引 {r['programs_seconds']:.1f} 秒。")
    return "\n".join(lines + [""] + notes) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=20_000)
    parser.add_argument("--programs", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--no-write", action="store_true")
    started = machine()  # the load average when the measurement begins
    production_settings()
    results = run_per_engine(Path(__file__).resolve(), measure, database="opendata", fresh=True, parser=parser)
    if results is None:  # a child: measure() printed its JSON
        return
    args = parser.parse_args()
    text = report(results, args, started)
    print(text)
    if not args.no_write:
        common.write_section(text, SECTION)


if __name__ == "__main__":
    main()
