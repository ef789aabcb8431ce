"""Cold render of the progress dashboards: the first request after a write (make bench-progress).

Goal (issue 10): the overview (/progress/), the summary API (/api/v1/progress/summary) and the rankings
(/progress/rankings/) render in ≤ 150 ms at 140,000 progress records (10 年度 × 1,741 × 8) on SQLite and
PostgreSQL, and in no more than 1.5 × their time at ~22,000 records (the demo history): the cost follows
municipalities × sectors, not the length of the history (ADR 0013).

Each engine runs in its own child process against a throwaway database (a temporary SQLite file; a database
created and dropped on the PostgreSQL server of PROGRESS_BENCH_PG_URL, default 127.0.0.1:55432), with the
documented production settings (DEBUG=false; nothing else tuned). Each measurement: one progress save through
chiiki.progress.actions (which bumps the data version, so every cached table and page is stale), then one
anonymous GET through Django's test client, timed; the median of REPEAT such rounds per page.

Writes the "## 見える化のコールド描画" section of bench/README.md (--no-write only prints).
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from programs_bench import throwaway_postgres  # noqa: E402
from progress_common import ROOT, VAR, machine  # noqa: E402

README = ROOT / "bench" / "README.md"
SECTION = "## 見える化のコールド描画"
REPEAT = 15
GOAL_MS, GOAL_RATIO = 150, 1.5
PAGES = [("overview", "全国の概要 `/progress/`", "/progress/"),
         ("summary", "集計API `/api/v1/progress/summary`", "/api/v1/progress/summary"),
         ("rankings", "ランキング `/progress/rankings/`", "/progress/rankings/")]
FIRST_YEAR, LAST_YEAR = 2017, 2026  # the 140,000-record history: every cell in every 年度


def production_env(database_url: str) -> dict:
    return {**os.environ, "DATABASE_URL": database_url, "DEBUG": "false",
            "SECRET_KEY": "bench-only-secret-key-0123456789abcdef", "ALLOWED_HOSTS": "testserver",
            "SECURE_SSL_REDIRECT": "false", "STATIC_ROOT": str(VAR / "static")}


# ---- child: one engine ----------------------------------------------------------------------------------

def full_history_rows(codes, sectors):
    """Every municipality × sector × 年度, stages moving forward now and then (deterministic)."""
    from chiiki.progress.models import STAGE_ORDER

    rng = random.Random(20261201)
    for code in codes:
        for sector in sectors:
            rank = rng.choice((0, 0, 1, 1, 2))
            for year in range(FIRST_YEAR, LAST_YEAR + 1):
                if rng.random() < 0.3:
                    rank = min(rank + 1, len(STAGE_ORDER) - 1)
                yield code, sector, year, STAGE_ORDER[rank]


def load_full_history(limit: int | None = None) -> int:
    """Every cell in every 年度 (for the first `limit` municipalities by code when given); the current-state tables
    rebuilt as the import's write path does. Returns the number of records."""
    from django.db import transaction
    from django.utils import timezone

    from chiiki.core import bulk
    from chiiki.progress import cells
    from chiiki.progress.models import ProgressCell, ProgressImplementedCount, ProgressRecord
    from chiiki.regions.models import Municipality
    from chiiki.roadmap.models import Sector

    codes = list(Municipality.objects.order_by("code").values_list("code", flat=True))[:limit]
    sectors = list(Sector.objects.order_by("order").values_list("code", flat=True))
    now = timezone.now()
    with transaction.atomic():
        ProgressCell.objects.all().delete()
        ProgressImplementedCount.objects.all().delete()
        ProgressRecord.objects.all().delete()
        bulk.insert_rows(ProgressRecord, ["municipality", "sector", "fiscal_year", "stage", "note", "evidence_url",
                                          "source", "version", "updated_at"],
                         [(code, sector, year, stage, "", "", "survey_import", 1, now)
                          for code, sector, year, stage in full_history_rows(codes, sectors)])
        cells.rebuild()  # what the import's write path does for the municipalities it touched
    return ProgressRecord.objects.count()


def settle():
    """PostgreSQL: what autovacuum does within a minute of a bulk load (statistics, visibility map for index-only
    scans), done now so the measurement does not depend on when the daemon wakes. SQLite: nothing."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE progress_progresscell, progress_progressrecord, "
                           "progress_progressimplementedcount")


def cold_times(client) -> dict:
    """Median / max ms of REPEAT (write, then first GET) rounds per page."""
    from chiiki.access import SYSTEM
    from chiiki.progress import actions, queries
    from chiiki.progress.models import STAGE_ORDER
    from chiiki.regions.models import Municipality
    from chiiki.roadmap.models import Sector

    place, sector = Municipality.objects.get(pk="011002"), Sector.objects.get(pk="health")
    year = queries.default_fiscal_year()
    for path in (p for _, _, p in PAGES):  # load code paths and templates once
        assert client.get(path).status_code == 200
    times = {name: [] for name, _, _ in PAGES}
    for round_ in range(REPEAT):
        for name, _, path in PAGES:
            cell = queries.cells(year, sector="health", municipality="011002")[("011002", "health")]
            stage = STAGE_ORDER[(STAGE_ORDER.index(cell.stage) + 1 + round_) % len(STAGE_ORDER)]
            if stage == cell.stage:
                stage = STAGE_ORDER[(STAGE_ORDER.index(stage) + 1) % len(STAGE_ORDER)]
            _, changed = actions.save_progress(SYSTEM, place, sector, year, stage=stage, version=cell.version)
            assert changed
            started = time.perf_counter()
            response = client.get(path)
            times[name].append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
    return {name: {"median": statistics.median(values), "min": min(values), "max": max(values)}
            for name, values in times.items()}


def measure(engine: str) -> dict:
    import django

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chiiki.settings")
    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from chiiki.progress import demo
    from chiiki.progress.models import ProgressCell, ProgressRecord

    call_command("migrate", verbosity=0)
    call_command("load_reference", verbosity=0)
    client = Client()
    sizes = {}
    demo.load()
    settle()
    sizes["demo"] = {"records": ProgressRecord.objects.count(), "cells": ProgressCell.objects.count(),
                     "times": cold_times(client)}
    started = time.perf_counter()
    load_full_history()
    load_seconds = time.perf_counter() - started
    settle()
    sizes["full"] = {"records": ProgressRecord.objects.count(), "cells": ProgressCell.objects.count(),
                     "times": cold_times(client), "load_seconds": load_seconds}
    return {"engine": engine, **sizes}


# ---- parent: both engines, the report -----------------------------------------------------------------------

def run_child(engine: str, database_url: str) -> dict:
    completed = subprocess.run([sys.executable, __file__, "--child", engine], capture_output=True, text=True,
                               cwd=ROOT, env=production_env(database_url))
    if completed.returncode != 0:
        sys.stderr.write("\n".join(completed.stderr.splitlines()[-30:]) + "\n")
        return {"engine": engine, "error": (completed.stderr.strip().splitlines() or ["失敗"])[-1]}
    return json.loads(completed.stdout.strip().splitlines()[-1])


def report(runs: list[dict], when: str) -> str:
    lines = [
        f"計測環境: {when}。`make bench-progress`（`bench/progress_cold.py`）。本番の設定（`DEBUG=false`、ほかは既定値のまま）で、",
        "書き込み（`actions.save_progress` で1セル、データ版数が上がりキャッシュはすべて無効）の直後の匿名の1回目の要求を",
        f"Django のテストクライアントで計測し、{REPEAT}回の中央値（括弧内は最小–最大、目標の判定は中央値）。データはデモ（約22,000件、2022–2026年度）と、",
        f"全セル・全年度の記録（{FIRST_YEAR}–{LAST_YEAR}年度 × 1,741団体 × 8分野 = 139,280件）。",
        f"目標: 140,000件で ≤ {GOAL_MS} ms、かつ 22,000件の ≤ {GOAL_RATIO}×（費用が履歴の長さでなく団体 × 分野に比例）。",
        "PostgreSQL は各データの投入後に `VACUUM ANALYZE`（autovacuum が投入後まもなく行うことを先に済ませる）。"
        "実効値の表（`ProgressCell`、ADR 0013）の行数も示します。",
        "",
        "| DB | ページ | 約22,000件 | 140,000件 | 比 | ≤ 150 ms | ≤ 1.5× |",
        "| --- | --- | ---: | ---: | ---: | --- | --- |",
    ]
    notes = []
    for run in runs:
        engine = run["engine"]
        if "error" in run:
            lines.append(f"| {engine} | 未計測: {run['error']} | | | | | |")
            continue
        small, full = run["demo"], run["full"]
        for name, label, _ in PAGES:
            a, b = small["times"][name], full["times"][name]
            ratio = b["median"] / a["median"]
            lines.append(f"| {engine} | {label} | {a['median']:.1f} ms（{a['min']:.0f}–{a['max']:.0f}） | "
                         f"{b['median']:.1f} ms（{b['min']:.0f}–{b['max']:.0f}） | **{ratio:.2f}×** | "
                         f"{'達成' if b['median'] <= GOAL_MS else '未達'} | {'達成' if ratio <= GOAL_RATIO else '未達'} |")
        notes.append(f"{engine}: 記録 {small['records']:,}件 → 実効値 {small['cells']:,}行、"
                     f"記録 {full['records']:,}件 → 実効値 {full['cells']:,}行"
                     f"（139,280件の投入と実効値の再構築 {full['load_seconds']:.1f} 秒）。")
    return "\n".join(lines + [""] + notes)


def write_section(body: str) -> None:
    text = README.read_text(encoding="utf-8")
    block = f"{SECTION}\n\n{body.strip()}\n"
    start = text.find(SECTION)
    if start == -1:
        text = text.rstrip("\n") + "\n\n" + block
    else:
        following = text.find("\n## ", start + len(SECTION))
        text = text[:start] + block + ("" if following == -1 else "\n" + text[following + 1:])
    README.write_text(text, encoding="utf-8")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--postgres", default=os.environ.get("PROGRESS_BENCH_PG_URL",
                                                             "postgres://postgres@127.0.0.1:55432/postgres"),
                        help="PostgreSQL server for a throwaway database ('' to skip)")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child)))
        return
    # DEBUG=false serves hashed static names: the manifest must exist, as after a deployment's collectstatic.
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, check=True,
                   env=production_env("sqlite:///" + str(VAR / "collectstatic.sqlite3")))
    when = machine()
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        runs.append(run_child("sqlite", f"sqlite:///{Path(tmp) / 'cold.sqlite3'}"))
    if args.postgres:
        url, drop = throwaway_postgres(args.postgres, prefix="chiiki_bench_cold")
        if url is None:
            runs.append({"engine": "postgresql", "error": drop})
        else:
            try:
                runs.append(run_child("postgresql", url))
            finally:
                drop()
    body = report(runs, when)
    print(body)
    if not args.no_write:
        write_section(body)


if __name__ == "__main__":
    main()
