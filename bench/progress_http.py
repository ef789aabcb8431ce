"""Benchmark: the national overview page and the summary API under gunicorn (2 workers) with wrk on loopback,
against a static file of the same size served by the same server in the same run. Target ≥ 0.5×.

`python bench/progress_http.py` runs SQLite and PostgreSQL in turn (demo data for all 1,741 municipalities)
and writes the figures into bench/README.md. Installs wrk with apt when missing (root only).
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from progress_common import ROOT, VAR, machine, run_per_engine, write_subsection  # noqa: E402

DURATION = os.environ.get("BENCH_WRK_DURATION", "10s")
# 2 workers, each with 4 threads (gthread), the same for the pages and the static files.
GUNICORN = ["-w", "2", "-k", "gthread", "--threads", "4"]
CONNECTIONS = 16
THREADS = 2
LUA = """
done = function(summary, latency, requests)
  io.write(string.format("JSON{\\"requests\\": %d, \\"duration_us\\": %d, \\"errors\\": %d, \\"p50_ms\\": %.3f, \\"p95_ms\\": %.3f, \\"p99_ms\\": %.3f}\\n",
    summary.requests, summary.duration, summary.errors.status + summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, stdout=subprocess.DEVNULL)
        found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk が見つかりません（Debian: apt-get install wrk）")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.status == 200, (url, response.status)
        return response.read()


def wrk(url: str, lua: Path) -> dict:
    completed = subprocess.run([ensure_wrk(), f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{DURATION}", "--timeout", "10s",
                                "-s", str(lua), url], capture_output=True, text=True, check=True)
    line = next(line for line in completed.stdout.splitlines() if line.startswith("JSON"))
    data = json.loads(line[4:])
    data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
    return data


def measure(engine: str) -> dict:
    from chiiki.progress import demo
    from chiiki.progress.models import ProgressRecord

    if not ProgressRecord.objects.filter(source="demo").exists():
        demo.load()
    records = ProgressRecord.objects.count()
    static_root = VAR / "static"
    # The documented production settings and nothing more: connection reuse and the cache are the README's
    # defaults (a DB_CONN_MAX_AGE in the caller's environment is not passed on).
    env = {**{k: v for k, v in os.environ.items() if k != "DB_CONN_MAX_AGE"}, "DEBUG": "false",
           "SECRET_KEY": "bench-only-secret-key-0123456789abcdef", "ALLOWED_HOSTS": "127.0.0.1,localhost",
           "SECURE_SSL_REDIRECT": "false", "STATIC_ROOT": str(static_root)}
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    overview_path = "/progress/?fiscal_year=2026"
    summary_path = "/api/v1/progress/summary?fiscal_year=2026&group_by=prefecture"
    with tempfile.TemporaryDirectory() as tmp:
        lua = Path(tmp) / "report.lua"
        lua.write_text(LUA)
        server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "chiiki.wsgi:application", *GUNICORN,
                                   "-b", f"127.0.0.1:{port}", "--log-level", "warning"], cwd=ROOT, env=env)
        try:
            for _ in range(100):
                try:
                    fetch(base + "/healthz")
                    break
                except Exception:
                    time.sleep(0.2)
            overview = fetch(base + overview_path)
            summary = fetch(base + summary_path)
            # Static files of the same sizes, served by the same gunicorn (whitenoise), made after collectstatic.
            bench_dir = static_root / "bench"
            bench_dir.mkdir(parents=True, exist_ok=True)
            (bench_dir / "overview-size.html").write_bytes(b"x" * len(overview))
            (bench_dir / "summary-size.json").write_bytes(b"x" * len(summary))
            server.terminate()
            server.wait(timeout=30)
            server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "chiiki.wsgi:application",
                                       *GUNICORN, "-b", f"127.0.0.1:{port}", "--log-level", "warning"], cwd=ROOT, env=env)
            for _ in range(100):
                try:
                    fetch(base + "/healthz")
                    break
                except Exception:
                    time.sleep(0.2)
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
        finally:
            server.terminate()
            server.wait(timeout=30)
    return {"engine": engine, "records": records, "overview_bytes": len(overview), "summary_bytes": len(summary),
            "fresh_after_write": fresh, **results}


def main():
    results = run_per_engine(Path(__file__).resolve(), measure, before_children=ensure_wrk)
    if results is None:
        return
    lines = [
        f"計測環境: {machine()}。gunicorn（2ワーカー × 4スレッド gthread、DEBUG=false、whitenoise）に loopback で wrk "
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
