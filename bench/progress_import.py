"""Benchmark: importing a 20,000-row progress CSV vs a bare bulk_create of the same rows (same run, same DB).

`python bench/progress_import.py` runs SQLite and PostgreSQL (BENCH_DATABASE_URL or the dev server's
chiiki_bench database) in separate processes and writes the figures into bench/README.md.
Target: import ≤ 3 × bare bulk insert.
"""

import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from progress_common import machine, run_per_engine, write_subsection  # noqa: E402

ROWS = 20_000
REPEAT = 3


def build_rows(places, sectors, stages, shift=0):
    rng = random.Random(20260401)
    rows = []
    for year in (2025, 2026):
        for code in places:
            for sector in sectors:
                rows.append((code, sector, year, stages[(rng.randrange(len(stages)) + shift) % len(stages)]))
                if len(rows) == ROWS:
                    return rows
    return rows


def csv_bytes(rows, labels):
    lines = ["団体コード,分野,年度,段階,備考,根拠URL"]
    lines += [f"{code},{sector},{year},{labels[stage]},," for code, sector, year, stage in rows]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def clear():
    from chiiki.core.models import ChangeRecord
    from chiiki.progress.models import ProgressRecord

    ProgressRecord.objects.all().delete()
    ChangeRecord.objects.filter(model="progress.progressrecord").delete()


def measure(engine: str, _args) -> dict:
    from django.db import connection, transaction

    from chiiki.access import SYSTEM
    from chiiki.progress.imports import PROGRESS
    from chiiki.progress.models import ProgressRecord, Stage
    from chiiki.regions.models import Municipality
    from chiiki.roadmap.models import Sector

    places = list(Municipality.objects.order_by("code").values_list("code", flat=True))
    sectors = list(Sector.objects.order_by("order").values_list("code", flat=True))
    stages = [s.value for s in Stage if s != Stage.NOT_STARTED]  # every row is a real change
    labels = {s.value: str(s.label) for s in Stage}
    rows = build_rows(places, sectors, stages)
    data = csv_bytes(rows, labels)
    changed = csv_bytes(build_rows(places, sectors, stages, shift=1), labels)
    bare, imports, noops, updates = [], [], [], []
    for _ in range(REPEAT):
        clear()
        objects = [ProgressRecord(municipality_id=c, sector_id=s, fiscal_year=y, stage=st, source="survey_import")
                   for c, s, y, st in rows]
        started = time.perf_counter()
        with transaction.atomic():
            ProgressRecord.objects.bulk_create(objects, batch_size=1000)
        bare.append(time.perf_counter() - started)
        clear()
        started = time.perf_counter()
        report = PROGRESS.run(SYSTEM, data, "bench.csv")
        imports.append(time.perf_counter() - started)
        assert report.committed and report.created == ROWS, (report.created, report.errors[:3])
        started = time.perf_counter()
        report = PROGRESS.run(SYSTEM, data, "bench.csv")
        noops.append(time.perf_counter() - started)
        assert not report.committed and report.unchanged == ROWS
        started = time.perf_counter()
        report = PROGRESS.run(SYSTEM, changed, "bench.csv")
        updates.append(time.perf_counter() - started)
        assert report.committed and report.updated > ROWS * 0.7
    clear()
    bare_s, import_s = statistics.median(bare), statistics.median(imports)
    return {"engine": engine, "vendor": connection.vendor, "rows": ROWS, "bytes": len(data),
            "bare_s": bare_s, "import_s": import_s, "ratio": import_s / bare_s, "rows_per_s": ROWS / import_s,
            "noop_s": statistics.median(noops), "update_s": statistics.median(updates), "repeat": REPEAT}


def main():
    started = machine()  # the load average when the measurement begins, not when it ends
    results = run_per_engine(Path(__file__).resolve(), measure)
    if results is None:
        return
    lines = [
        f"計測環境: {started}。{ROWS:,}行のCSV（UTF-8 BOM付き、2025・2026年度 × 1,741団体 × 8分野、段階はすべて未着手以外）を",
        "`import_progress` の処理（読込・全行検証・権限・既存記録の照合・記録と変更履歴の一括書込（PostgreSQL は COPY、SQLite は複数行 INSERT）・版の更新）で取り込んだ時間と、",
        f"同じ行の `ProgressRecord` を `bulk_create` だけで入れた時間（同じ実行・同じDB、{REPEAT}回の中央値）の比。目標 ≤ 3×。",
        "",
        "| DB | 素の bulk_create | 取込（新規 20,000行） | 行/秒 | 比 | 再取込（変更なし） | 取込（更新） |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    ok = True
    for engine in ("sqlite", "postgresql"):
        r = results.get(engine, {})
        if "error" in r:
            lines.append(f"| {engine} | 未計測: {r['error']} | | | | | |")
            ok = False
            continue
        lines.append(f"| {engine} | {r['bare_s']:.2f} 秒 | {r['import_s']:.2f} 秒 | {r['rows_per_s']:,.0f} | "
                     f"**{r['ratio']:.2f}×** | {r['noop_s']:.2f} 秒 | {r['update_s']:.2f} 秒 |")
        ok = ok and r["ratio"] <= 3
    lines.append("")
    lines.append("再取込は1件も書き込まず（履歴も版も変わらない）、更新は変わった行だけ版を上げて履歴を残します。")
    write_subsection("20,000行の取込", "\n".join(lines))
    print("\n".join(lines))
    if not ok:
        print("目標（≤ 3×）を満たさないか未計測のDBがあります", file=sys.stderr)


if __name__ == "__main__":
    main()
