"""Benchmark: the national overview page and the summary API under gunicorn (2 workers) with wrk on loopback,
against a static file of the same size served by the same server in the same run. Target ≥ 0.5×.

`python bench/progress_http.py` runs SQLite and PostgreSQL in turn (demo data for all 1,741 municipalities)
and writes the figures into bench/README.md. Installs wrk with apt when missing (root only).
"""

import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    GUNICORN_LABEL,
    WRK_REPORT_LUA,
    collectstatic,
    ensure_wrk,
    fetch,
    free_port,
    gunicorn,
    production_env,
)
from common import wrk as run_wrk  # noqa: E402
from progress_common import VAR, machine, run_per_engine, write_subsection  # noqa: E402

DURATION = os.environ.get("BENCH_WRK_DURATION", "10s")
CONNECTIONS = 16
THREADS = 2


def wrk(url: str, lua: Path) -> dict:
    return run_wrk(url, lua, threads=THREADS, connections=CONNECTIONS, duration=DURATION)


def measure(engine: str, _args) -> dict:
    from chiiki.progress import demo
    from chiiki.progress.models import ProgressRecord

    if not ProgressRecord.objects.filter(source="demo").exists():
        demo.load()
    records = ProgressRecord.objects.count()
    static_root = VAR / "static"
    # The documented production settings and nothing more (production_env drops tuning from the caller).
    env = production_env(static_root)
    collectstatic(env)
    port = free_port()
    overview_path = "/progress/?fiscal_year=2026"
    summary_path = "/api/v1/progress/summary?fiscal_year=2026&group_by=prefecture"
    with tempfile.TemporaryDirectory() as tmp:
        lua = Path(tmp) / "report.lua"
        lua.write_text(WRK_REPORT_LUA)
        with gunicorn(env, port) as base:
            overview = fetch(base + overview_path)
            summary = fetch(base + summary_path)
        # Static files of the same sizes, served by the same gunicorn (whitenoise, which lists its files when it
        # starts: hence the restart), made after collectstatic.
        bench_dir = static_root / "bench"
        bench_dir.mkdir(parents=True, exist_ok=True)
        (bench_dir / "overview-size.html").write_bytes(b"x" * len(overview))
        (bench_dir / "summary-size.json").write_bytes(b"x" * len(summary))
        with gunicorn(env, port) as base:
            assert len(fetch(base + "/static/bench/overview-size.html")) == len(overview)
            for _ in range(4):  # warm both workers' caches
                fetch(base + overview_path)
                fetch(base + summary_path)
            results = {
                "overview": wrk(base + overview_path, lua),
                "overview_static": wrk(base + "/static/bench/overview-size.html", lua),
                "summary": wrk(base + summary_path, lua),
                "summary_static": wrk(base + "/static/bench/summary-size.json", lua),
            }
            # A write must show on the very next request (cache keyed on the data version).
            from chiiki.access import SYSTEM
            from chiiki.progress.imports import PROGRESS
            from chiiki.progress.models import STAGE_ORDER

            cell_url = base + "/api/v1/progress?fiscal_year=2026&municipality=011002&sector=health"
            current = json.loads(fetch(cell_url))["items"][0]["stage"]
            new_stage = STAGE_ORDER[(STAGE_ORDER.index(current) + 1) % len(STAGE_ORDER)]
            summary_url = base + "/api/v1/progress/summary?fiscal_year=2026&sector=health"
            before = json.loads(fetch(summary_url))["total"]["stages"][new_stage]
            report = PROGRESS.run(SYSTEM, f"団体コード,分野,年度,段階\r\n011002,health,2026,{new_stage}\r\n".encode(),
                                  "write.csv")
            after = json.loads(fetch(summary_url))["total"]["stages"][new_stage]
            fresh = report.committed and after == before + 1 \
                and json.loads(fetch(cell_url))["items"][0]["stage"] == new_stage
    return {"engine": engine, "records": records, "overview_bytes": len(overview), "summary_bytes": len(summary),
            "fresh_after_write": fresh, **results}


def main():
    started = machine()  # the load average when the measurement begins, not when it ends
    results = run_per_engine(Path(__file__).resolve(), measure, before_children=ensure_wrk)
    if results is None:
        return
    lines = [
        f"計測環境: {started}。{GUNICORN_LABEL}に loopback で wrk "
        f"（{THREADS}スレッド・{CONNECTIONS}接続・{DURATION}）。デモデータ（1,741団体 × 8分野、2022–2026年度）で、",
        "全国の概要ページ（匿名、`/progress/?fiscal_year=2026`）と集計API（`/api/v1/progress/summary?fiscal_year=2026&group_by=prefecture`）を、",
        "同じサーバーが配信する同じ大きさの静的ファイルと比べました（同じ実行）。目標 ≥ 0.5×。",
        "匿名の応答はデータ版数（`progress`・`regions`・`roadmap`）をキーにしたキャッシュ（`chiiki.core.cache`）から返すため、書き込みの直後の要求で新しい数字になります（下表「書込後」）。",
        "",
        "| DB | 対象 | サイズ | req/s | p95 | 静的ファイル req/s | 静的 p95 | 比 | 書込後に即反映 |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for engine in ("sqlite", "postgresql"):
        r = results.get(engine, {})
        if "error" in r:
            lines.append(f"| {engine} | 未計測: {r['error']} | | | | | | | |")
            continue
        for name, label, size in (("overview", "全国の概要ページ", r["overview_bytes"]),
                                  ("summary", "集計API", r["summary_bytes"])):
            page, static = r[name], r[name + "_static"]
            lines.append(f"| {engine} | {label} | {size:,} B | {page['rps']:,.0f} | {page['p95_ms']:.1f} ms | "
                         f"{static['rps']:,.0f} | {static['p95_ms']:.1f} ms | **{page['rps'] / static['rps']:.2f}×** | "
                         f"{'はい' if r['fresh_after_write'] else 'いいえ'} |")
    write_subsection("全国の概要ページと集計API（HTTP）", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
