"""Benchmark: resident memory of the gunicorn workers after 1,000 distinct URLs (pages, APIs and CSV/XLSX
exports), in the documented production settings, on SQLite and PostgreSQL.

`python bench/worker_memory.py` writes the figures into bench/README.md. Goal (issue 10): each worker ≤ 200 MB RSS
after 1,000 distinct URLs. The URLs are fetched one at a time by 4 client threads, so both workers serve them;
each worker's VmRSS (now) and VmHWM (its peak) are read from /proc after every 250 URLs.
"""

import random
import sys
import time
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


def distinct_urls(rng: random.Random) -> list[str]:
    """1,000 distinct URLs: every export above, the rest shared out over the load bench's page and API kinds."""
    exports = export_paths()
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
    from chiiki.progress import demo
    from chiiki.progress.models import ProgressRecord

    if not ProgressRecord.objects.filter(source="demo").exists():
        demo.load()
    records = ProgressRecord.objects.count()
    paths = distinct_urls(random.Random(SEED))
    assert len(set(paths)) == len(paths) == DISTINCT, len(set(paths))
    env = common.production_env(common.VAR / "worker-static")
    common.collectstatic(env)
    port = common.free_port()
    samples, failures, exports = [], [], sum("format=" in p for p in paths)
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
            "exports": exports, "seconds": elapsed}


def report(results: dict) -> str:
    lines = [f"計測環境: {machine()}。{common.GUNICORN_LABEL} に、異なるURL {DISTINCT:,}件（ページ・API・CSV/XLSX出力）を"
             "4スレッドで1件ずつ要求し、250件ごとに各ワーカーの RSS（VmRSS）とピーク（VmHWM）を /proc から読みました。"
             f"目標: 各ワーカー ≤ {GOAL_MB} MB。", ""]
    lines += ["| DB | 進捗レコード | うち出力URL | 要求後 | ワーカー1 RSS / ピーク | ワーカー2 RSS / ピーク | 失敗 | 目標 |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for engine, result in results.items():
        if "error" in result:
            lines.append(f"| {engine} | 計測できませんでした: {result['error']} | | | | | | |")
            continue
        for sample in result["samples"]:
            cells = [f"{w['rss']:.0f} MB / {w['hwm']:.0f} MB" for w in sample["workers"]]
            worst = max(w["hwm"] for w in sample["workers"])
            met = ("達成" if worst <= GOAL_MB else "**未達**") if sample["urls"] == DISTINCT else ""
            failed = str(result["failed"]) if sample["urls"] == DISTINCT else ""
            lines.append(f"| {engine} | {result['records']:,} | {result['exports']} | {sample['urls']:,}件 | "
                         + " | ".join(cells) + f" | {failed} | {met} |")
        if result["failures"]:
            lines.append(f"| {engine} | 失敗の例: {'; '.join(result['failures'])} | | | | | | |")
    return "\n".join(lines)


def main():
    results = run_per_engine(Path(__file__), measure, database="worker_memory", fresh=True)
    if results is None:
        return
    write_subsection("1,000件のURLの後のワーカーのメモリ", report(results))
    print(report(results))


if __name__ == "__main__":
    main()
