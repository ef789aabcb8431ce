"""Benchmark: resident memory of the gunicorn workers after 1,000 distinct URLs (pages, APIs and CSV/XLSX
exports), in the documented production settings, on SQLite and PostgreSQL.

`python bench/worker_memory.py` writes the figures into bench/README.md. Goal (issue 10): each worker ≤ 200 MB RSS
after 1,000 distinct URLs. The URLs are fetched one at a time by 4 client threads, so both workers serve them;
each worker's VmRSS (now) and VmHWM (its peak) are read from /proc after every 250 URLs.
"""

import html
import random
import re
import sys
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
from import_memory import gunicorn_master, vm_hwm_mb, worker_pids  # noqa: E402
from load import build_paths, url  # noqa: E402
from progress_common import machine, run_per_engine, write_subsection  # noqa: E402

GOAL_MB = 200
DISTINCT = 1000
SEED = 20261201
YEARS = (2022, 2023, 2024, 2025, 2026)


def vm_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("VmRSS missing")


def export_paths() -> list[str]:
    from chiiki.regions.models import Prefecture
    from chiiki.roadmap.models import Sector

    prefectures = list(Prefecture.objects.order_by("code").values_list("code", flat=True))
    sectors = list(Sector.objects.order_by("code").values_list("code", flat=True))
    paths = []
    for fmt in ("csv", "xlsx"):
        paths += [url("/progress/records/", fiscal_year=y, format=fmt) for y in YEARS]  # the whole country
        paths += [url("/progress/records/", fiscal_year=2026, prefecture=p, format=fmt) for p in prefectures]
        paths += [url("/progress/prefectures/", fiscal_year=y, sector=s, format=fmt) for y in YEARS for s in sectors]
        paths += [url("/regions/", prefecture=p, format=fmt) for p in prefectures[:10]]
    return paths


# The capability apps built after the progress pages: their public pages, exports and APIs, found by following the
# links of the demo data's pages (so the URLs are the ones a visitor can reach, not a hand-kept list), an equal
# share per app.
APP_SEEDS = {
    "funding": ["/funding/plans/", "/funding/lines/", "/funding/flows/", "/funding/cliffs/", "/funding/campaigns/",
                "/funding/projects/"],
    "talent": ["/talent/", "/talent/capabilities/", "/talent/analytics/"],
    "promotion": ["/promotion/", "/promotion/organisations/", "/promotion/councils/", "/promotion/challenges/",
                  "/promotion/events/", "/promotion/commitments/", "/api/v1/model-regions", "/api/v1/commitments"],
    "pdca": ["/pdca/", "/pdca/reviews/", "/pdca/proposals/"],
    "cases": ["/cases/"],
    "opendata": ["/opendata/", "/opendata/standards/", "/opendata/uses/", "/opendata/catalog.ttl",
                 "/api/3/action/package_list", "/api/3/action/organization_list", "/api/3/action/group_list"],
}
APP_PREFIXES = ("/funding/", "/talent/", "/promotion/", "/pdca/", "/cases/", "/opendata/", "/api/3/", "/api/v1/model",
                "/api/v1/commitments")
SKIPPED = re.compile(r"/(new|edit|import|delete|manage|account|register|apply|answer|commit)\b|/accounts/|logout")
APP_URLS = 300


def app_urls(limit: int = APP_URLS) -> list[str]:
    """Up to `limit` distinct anonymous GET URLs of the newer apps: breadth first from each app's seeds, an equal
    share per app (links into another app are left to that app's own share)."""
    from django.test import Client

    client, seen, found = Client(), set(), []
    share = limit // len(APP_SEEDS)
    for app, seeds in APP_SEEDS.items():
        own = tuple({seed.split("?")[0].rsplit("/", 1)[0] + "/" for seed in seeds} | {f"/{app}/"})
        queue, taken = deque(s for s in seeds if s not in seen), 0
        seen.update(seeds)
        while queue and taken < share:
            path = queue.popleft()
            response = client.get(path)
            if response.status_code != 200:
                continue
            found.append(path)
            taken += 1
            if "html" not in response.get("Content-Type", ""):
                continue
            for link in re.findall(r'href="([^"#]+)"', response.content.decode()):
                link = html.unescape(link)
                if link.startswith("?"):
                    link = path.split("?")[0] + link
                if link.startswith(own) and not SKIPPED.search(link) and link not in seen:
                    seen.add(link)
                    queue.append(link)
    return found


def distinct_urls(rng: random.Random) -> list[str]:
    """1,000 distinct URLs: every export above, up to APP_URLS pages/exports/APIs of the newer apps, the rest shared
    out over the load bench's page and API kinds."""
    exports = export_paths() + app_urls()
    built = build_paths(rng)
    kinds = {**built["pages"], **built["api"]}
    others, index = [], 0
    while len(exports) + len(others) < DISTINCT:
        kind_paths = list(kinds.values())[index % len(kinds)]
        position = index // len(kinds)
        if position < len(kind_paths) and kind_paths[position] not in others:
            others.append(kind_paths[position])
        index += 1
        if index > DISTINCT * len(kinds):
            break
    chosen = exports + others
    rng.shuffle(chosen)
    return chosen[:DISTINCT]


def measure(engine: str, _args) -> dict:
    from django.core.management import call_command

    from chiiki.progress import demo
    from chiiki.progress.models import ProgressRecord

    if not ProgressRecord.objects.filter(source="demo").exists():
        demo.load()
    call_command("load_demo", verbosity=0)  # every app's demo rows, so their pages have something to show
    records = ProgressRecord.objects.count()
    paths = distinct_urls(random.Random(SEED))
    assert len(set(paths)) == len(paths) == DISTINCT, len(set(paths))
    env = common.production_env(common.VAR / "worker-static")
    common.collectstatic(env)
    port = common.free_port()
    samples, failures, exports = [], [], sum("format=" in p for p in paths)
    newer = sum(p.startswith(APP_PREFIXES) for p in paths)
    with common.gunicorn(env, port) as base:
        master = gunicorn_master(port)
        workers = worker_pids(master)

        def snapshot(done: int) -> None:
            samples.append({"urls": done, "workers": [
                {"pid": pid, "rss": vm_rss_mb(pid), "hwm": vm_hwm_mb(pid)} for pid in workers]})

        snapshot(0)
        started = time.perf_counter()

        def get(path: str):
            try:
                common.fetch(base + path)
            except Exception as exc:  # counted and reported, not hidden
                failures.append(f"{path}: {exc}")

        with ThreadPoolExecutor(max_workers=4) as pool:
            for start in range(0, DISTINCT, 250):
                list(pool.map(get, paths[start:start + 250]))
                snapshot(start + 250)
        elapsed = time.perf_counter() - started
        if worker_pids(master) != workers:
            failures.append("a worker was replaced during the run")
    return {"records": records, "samples": samples, "failures": failures[:5], "failed": len(failures),
            "exports": exports, "newer": newer, "seconds": elapsed}


def report(results: dict) -> str:
    lines = [f"計測環境: {machine()}。{common.GUNICORN_LABEL} に、異なるURL {DISTINCT:,}件（ページ・API・CSV/XLSX出力）を"
             "4スレッドで1件ずつ要求し、250件ごとに各ワーカーの RSS（VmRSS）とピーク（VmHWM）を /proc から読みました。"
             f"目標: 各ワーカー ≤ {GOAL_MB} MB。", ""]
    lines += ["| DB | 進捗レコード | うち出力URL | うち資金循環・人材・推進体制・PDCA・事例・オープンデータ | 要求後 | ワーカー1 RSS / ピーク | ワーカー2 RSS / ピーク | 失敗 | 目標 |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for engine, result in results.items():
        if "error" in result:
            lines.append(f"| {engine} | 計測できませんでした: {result['error']} | | | | | | | |")
            continue
        for sample in result["samples"]:
            cells = [f"{w['rss']:.0f} MB / {w['hwm']:.0f} MB" for w in sample["workers"]]
            worst = max(w["hwm"] for w in sample["workers"])
            met = ("達成" if worst <= GOAL_MB else "**未達**") if sample["urls"] == DISTINCT else ""
            failed = str(result["failed"]) if sample["urls"] == DISTINCT else ""
            lines.append(f"| {engine} | {result['records']:,} | {result['exports']} | {result['newer']} | {sample['urls']:,}件 | "
                         + " | ".join(cells) + f" | {failed} | {met} |")
        if result["failures"]:
            lines.append(f"| {engine} | 失敗の例: {'; '.join(result['failures'])} | | | | | | | |")
    return "\n".join(lines)


def main():
    results = run_per_engine(Path(__file__), measure, database="worker_memory", fresh=True)
    if results is None:
        return
    write_subsection("1,000件のURLの後のワーカーのメモリ", report(results))
    print(report(results))


if __name__ == "__main__":
    main()
