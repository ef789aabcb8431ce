"""オープンデータ benchmarks (make bench-opendata):

- CKAN `package_search` warm p50/p95 over 20,000 synthetic datasets (q + two fq + facets, through Django's test
  client, the page cache cleared before each request), compared in the same run with GET /api/v1/programs on the
  support-program catalog grown to 10,000 programs (bench/programs_bench.py's expansion).
- Validator throughput: a 100,000-row AED設置箇所一覧 CSV (valid, and one with an error every 10th row).

A temporary SQLite database by default; --database-url postgres://…/NAME uses that (throwaway) database.
Writes the "## オープンデータ" section of bench/README.md unless --no-write.
"""

import argparse
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
SECTION = "## オープンデータ"

WORDS = ["避難所", "AED", "観光", "トイレ", "公共施設", "子育て", "保育", "防災", "Wi-Fi", "人口", "予算", "施設"]


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


def timed(client, path: str, variants: list[dict], requests: int) -> tuple[float, float]:
    from django.core.cache import cache

    for params in variants:  # warm-up: snapshots and postings
        client.get(path, params)
    timings = []
    for i in range(requests):
        cache.clear()  # the anonymous page cache would answer repeats without searching
        t0 = time.perf_counter()
        response = client.get(path, variants[i % len(variants)])
        timings.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, response.content[:300]
    timings.sort()
    return timings[len(timings) // 2], timings[max(0, int(len(timings) * 0.95) - 1)]


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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--datasets", type=int, default=20_000)
    parser.add_argument("--programs", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    import programs_bench  # bench/programs_bench.py: the same setup and catalog expansion as make bench-programs

    database_url, tmp = programs_bench.setup_django(args.database_url or None)
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    call_command("load_reference", "--no-progress", stdout=open("/dev/null", "w"))  # noqa: SIM115
    programs_seconds = programs_bench.expand_catalog(args.programs)
    catalog_seconds = make_catalog(args.datasets)
    client = Client(HTTP_USER_AGENT="chiiki-bench")
    facets = '["organization","groups","res_format","license_id","tags"]'
    ckan_variants = [
        {"q": word, "fq": f"groups:{group} AND res_format:{fmt}", "facet.field": facets, "rows": "20"}
        for word, group, fmt in (("避難所", "disaster", "CSV"), ("観光", "tourism", "CSV"), ("AED", "health", "XLSX"),
                                 ("公共施設", "public_private", "JSON"), ("子育て", "education", "CSV"),
                                 ("トイレ", "tourism", "PDF"))]
    program_variants = [{"q": "防災", "sector": "disaster"}, {"q": "補助", "kind": "subsidy"},
                        {"q": "観光", "sector": "tourism"}, {"q": "テレワーク"}, {"q": "専門家", "status": "open"},
                        {"q": "教育", "sector": "education"}]
    ckan = timed(client, "/api/3/action/package_search", ckan_variants, args.requests)
    programs = timed(client, "/api/v1/programs", program_variants, args.requests)
    result = {"engine": connection.vendor, "datasets": args.datasets, "programs": args.programs,
              "requests": args.requests, "catalog_seconds": catalog_seconds, "programs_seconds": programs_seconds,
              "package_search_ms": ckan, "programs_search_ms": programs,
              "validator": validator_throughput(args.rows)}
    print(json.dumps(result, ensure_ascii=False, indent=1))
    if not args.no_write:
        import common

        v = result["validator"]
        common.write_section("\n".join([
            SECTION, "",
            f"`make bench-opendata`（{result['engine']}、Django のテストクライアント、ページキャッシュは毎回消去、"
            f"{args.requests}リクエスト、ウォーム）。", "",
            "| 検索 | 件数 | p50 (ms) | p95 (ms) |", "| --- | ---: | ---: | ---: |",
            f"| CKAN package_search（q + fq 2条件 + facet 5項目） | {args.datasets:,} データセット | {ckan[0]:.1f} | {ckan[1]:.1f} |",
            f"| /api/v1/programs（q + 絞り込み） | {args.programs:,} 支援メニュー | {programs[0]:.1f} | {programs[1]:.1f} |",
            "",
            f"検証（AED設置箇所一覧、{args.rows:,}行）: 誤りなし {v['valid']['seconds']:.2f} 秒、"
            f"10行に1行の誤り {v['errors']['seconds']:.2f} 秒（誤り {v['errors']['errors']:,}件、一覧は"
            f"{v['errors']['listed']}件まで）。", ""]), SECTION)
    if tmp:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
