"""Load test: the public pages, the public API and the progress write API at the same time, for 60 s, on the
production configuration the README documents, on SQLite and on PostgreSQL.

`python bench/load.py [--duration SECONDS] [--rate WRITES_PER_SECOND] [--no-write]` (`make bench-load`):

- the server: gunicorn 2 workers × 4 gthread threads, DEBUG=false, whitenoise, every other setting at its
  README defaults (DB_CONN_MAX_AGE unset: persistent connections, 600 s), on a fresh database per engine
  (var/bench/load.sqlite3; BENCH_DATABASE_URL's database + `_load` on PostgreSQL) with the reference data and
  the demo progress data (1,741 municipalities × 8 sectors, FY2022–2026);
- anonymous GETs of the public pages and of the public API, each group from its own wrk (Lua: a list of many
  distinct URLs, round robin; every response's status counted), closed loop on a fixed number of connections;
- at the same time PUT /api/v1/progress/{code}/{sector}/{fiscal_year} with a national-admin bearer token
  (`manage.py create_api_token`), open loop at a fixed rate from a bounded thread pool, each with the version
  read from GET /api/v1/progress (then tracked from the answers), a share of them with a stale version on
  purpose (409 expected, reported apart from everything else);
- before the mixed run, on the same server and for the same duration: the same two wrk loads on static files
  of the same sizes (what the server does when the application costs nothing), then the same reads without
  the writes (what the page cache gives); and before those, each kind of URL timed alone right after a
  version bump (the cost of a page when nothing is cached, which is what a steady stream of writes leaves).

All traffic goes to 127.0.0.1; every part stops by itself (wrk -d, a fixed number of writes). Writes the
`## 負荷試験（公開ページと書き込みAPI）` section of bench/README.md (--no-write to only print it).
"""

import argparse
import http.client
import json
import math
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote, unquote, urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    GUNICORN_LABEL,
    collectstatic,
    ensure_wrk,
    fetch,
    free_port,
    gunicorn,
    production_env,
    write_section,
    wrk_finish,
    wrk_start,
)
from progress_common import ROOT, VAR, load_average, machine, run_per_engine  # noqa: E402

TITLE = "## 負荷試験（公開ページと書き込みAPI）"
SEED = 20261201
YEARS = range(2022, 2027)  # the demo data's fiscal years
WRITE_YEARS = (2025, 2026)
PAGE_CONNECTIONS = 8  # wrk connections for the pages
API_CONNECTIONS = 4  # wrk connections for the public API
WRITERS = 8  # threads sending the writes (at most this many in flight)
WRITE_CELLS = 200  # distinct municipality × sector × 年度 cells the writes go to
STALE_SHARE = 0.1  # writes sent with a stale version on purpose
VARIANTS = 300  # at most this many distinct URLs per kind of page
TOKEN_USER = "bench-load-admin"
COLD_SAMPLES = 5  # URLs per kind timed one at a time right after a version bump
CACHE_AREAS = ("progress", "regions", "roadmap", "programs", "boundaries")  # every declared page-cache dependency

GROUPS = {"pages": "公開ページ", "api": "公開API", "writes": "書き込みAPI"}

# One wrk per group: request() walks the URL list (each thread from its own offset), response() counts statuses
# (globals, so done() can collect every thread's table), done() prints one JSON line.
LUA = """
local paths = {%(paths)s}
local threads = {}
local counter = 0
statuses = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

function init(args)
  counter = (id - 1) * math.floor(#paths / %(threads)d)
end

function request()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests)
  local merged = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      merged[status] = (merged[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(merged) do
    table.insert(parts, string.format("\\"%%s\\": %%d", status, count))
  end
  local e = summary.errors
  io.write(string.format("JSON{\\"requests\\": %%d, \\"duration_us\\": %%d, \\"errors\\": %%d, "
    .. "\\"socket\\": {\\"connect\\": %%d, \\"read\\": %%d, \\"write\\": %%d, \\"timeout\\": %%d}, "
    .. "\\"p50_ms\\": %%.3f, \\"p99_ms\\": %%.3f, \\"statuses\\": {%%s}}\\n",
    summary.requests, summary.duration, e.status + e.connect + e.read + e.write + e.timeout,
    e.connect, e.read, e.write, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, table.concat(parts, ", ")))
end
"""


def program_queries() -> list[str]:
    import csv

    with open(ROOT / "bench" / "queries_programs.csv", encoding="utf-8") as handle:
        queries = [row["query"] for row in csv.DictReader(handle)]
    return ["防災"] + [q for q in queries if q != "防災"]


def url(path: str, **params) -> str:
    return path + ("?" + urlencode(params, quote_via=quote) if params else "")


def build_paths(rng: random.Random) -> dict[str, dict[str, list[str]]]:
    """group → kind → distinct URLs (each kind's list shuffled, at most VARIANTS)."""
    from chiiki.regions.models import Municipality, Prefecture
    from chiiki.roadmap.models import Sector

    codes = list(Municipality.objects.order_by("code").values_list("code", flat=True))
    prefectures = list(Prefecture.objects.order_by("code").values_list("code", flat=True))
    sectors = list(Sector.objects.order_by("code").values_list("code", flat=True))
    queries = program_queries()
    list_pages = -(-len(codes) // 50)

    def sample(items):
        items = list(items)
        rng.shuffle(items)
        return items[:VARIANTS]

    pages = {
        "progress_overview": [url("/progress/", fiscal_year=y) for y in YEARS],
        "progress_map": [url("/progress/map/", fiscal_year=y, sector=s) for y in YEARS for s in sectors],
        "progress_rankings": [url("/progress/rankings/", fiscal_year=y, prefecture=p) for y in YEARS
                              for p in prefectures],
        "progress_prefectures": [url("/progress/prefectures/", fiscal_year=y, **({"sector": s} if s else {}))
                                 for y in YEARS for s in ["", *sectors]],
        "progress_municipality": [url(f"/progress/municipalities/{c}/", fiscal_year=y) for c in codes for y in YEARS],
        "regions_list": [url("/regions/", prefecture=p) for p in prefectures]
                        + [url("/regions/", page=n) for n in range(1, list_pages + 1)],
        "regions_municipality": [f"/regions/municipalities/{c}/" for c in codes],
        "programs_search": [url("/programs/", q=q) for q in queries],
    }
    api = {
        "progress_summary": [url("/api/v1/progress/summary", group_by="prefecture", fiscal_year=y,
                                 **({"sector": s} if s else {})) for y in YEARS for s in ["", *sectors]],
        "programs_api": [url("/api/v1/programs", q=q) for q in queries],
    }
    result = {}
    for group, kinds in (("pages", pages), ("api", api)):
        result[group] = {}
        for kind, paths in kinds.items():
            first, rest = paths[0], sample(paths[1:])  # the first stays first: /progress/… 2022, /programs/?q=防災
            result[group][kind] = [first, *rest][:VARIANTS]
    return result


def sequence(kinds: dict[str, list[str]], rng: random.Random, length_per_kind: int) -> list[tuple[str, str]]:
    """(kind, path) in a shuffled order, each kind the same share, each cycling through its own distinct URLs."""
    items = [(kind, paths[i % len(paths)]) for kind, paths in kinds.items() for i in range(length_per_kind)]
    rng.shuffle(items)
    return items


def lua_script(paths: list[str], threads: int) -> str:
    for path in paths:  # the paths go into a Lua string literal as they are
        assert path.isascii() and '"' not in path and "\\" not in path, path
    return LUA % {"paths": ", ".join(f'"{p}"' for p in paths), "threads": threads}


def create_token() -> str:
    import subprocess

    from chiiki.accounts.models import Role, User

    User.objects.filter(username=TOKEN_USER).delete()
    User.objects.create_user(TOKEN_USER, role=Role.NATIONAL_ADMIN)
    completed = subprocess.run([sys.executable, "manage.py", "create_api_token", TOKEN_USER, "--name", "負荷試験"],
                               cwd=ROOT, capture_output=True, text=True, check=True)
    return completed.stdout.strip().splitlines()[-1].strip()


class Writes:
    """PUT /api/v1/progress/… at a fixed rate (open loop) from WRITERS threads, each write on its own connection
    (an idle keep-alive connection closed by the server would be a client artefact, not a server error)."""

    def __init__(self, port: int, token: str, cells: dict, rng: random.Random):
        from chiiki.progress.models import STAGE_ORDER

        self.port, self.token, self.rng, self.stages = port, token, rng, list(STAGE_ORDER)
        self.cells = cells  # (code, sector, year) → {"version", "stage"}
        self.free = list(cells)
        self.lock = threading.Lock()
        self.results = []  # dicts: stale, status (or None for a socket error), ms, late_ms, detail
        self.elapsed = 0.0  # from the first write's due time to the last answer
        self.version_mismatches = 0

    def run(self, duration: float, rate: float) -> None:
        count = int(duration * rate)
        start = time.monotonic()
        with ThreadPoolExecutor(max_workers=WRITERS) as pool:
            for number in range(count):
                due = start + number / rate
                time.sleep(max(0.0, due - time.monotonic()))
                with self.lock:
                    cell = self.free.pop(self.rng.randrange(len(self.free)))  # never the cell of a write in flight
                stale = self.rng.random() < STALE_SHARE
                pool.submit(self.one, number, cell, stale, due)
        self.elapsed = time.monotonic() - start

    def one(self, number: int, cell: tuple, stale: bool, due: float) -> None:
        code, sector, year = cell
        state = self.cells[cell]
        version = state["version"]
        if stale:
            version = version - 1 if version > 0 else version + 1
        stage = self.stages[(self.stages.index(state["stage"]) + 1) % len(self.stages)]
        body = json.dumps({"stage": stage, "note": f"負荷試験 {number}", "evidence_url": "", "version": version})
        sent = time.monotonic()
        result = {"stale": stale, "late_ms": (sent - due) * 1000, "status": None, "detail": ""}
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request("PUT", f"/api/v1/progress/{code}/{sector}/{year}", body=body.encode(),
                               headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
            response = connection.getresponse()
            payload = response.read()
            result["ms"] = (time.monotonic() - sent) * 1000
            result["status"] = response.status
            try:
                data = json.loads(payload) if payload else {}
            except ValueError:
                data = {}
            current = data if response.status == 200 else data.get("current") if isinstance(data, dict) else None
            if response.status == 409 and isinstance(current, dict) and not stale \
                    and current.get("version") != state["version"]:
                self.version_mismatches += 1  # our tracking was wrong (should not happen: cells are never shared)
            if isinstance(current, dict) and "version" in current:
                state["version"], state["stage"] = current["version"], current["stage"]
            if response.status not in (200, 409) or (response.status == 409 and not stale):
                detail = data.get("detail") if isinstance(data, dict) else None
                result["detail"] = str(detail) if detail else payload[:300].decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as exc:
            result["ms"] = (time.monotonic() - sent) * 1000
            result["detail"] = f"{type(exc).__name__}: {exc}"
        finally:
            connection.close()
            with self.lock:
                self.results.append(result)
                self.free.append(cell)


def read_versions(base: str, cells: list[tuple]) -> dict:
    """The version and stage of each cell as the API shows them (0 for a year without its own record)."""
    state = {}
    for code, sector, year in cells:
        data = json.loads(fetch(base + url("/api/v1/progress", municipality=code, sector=sector, fiscal_year=year)))
        item = data["items"][0]
        state[(code, sector, year)] = {"version": item["version"], "stage": item["stage"]}
    return state


def cold_costs(base: str, paths: dict) -> dict:
    """Per kind: the time of one request right after a write (every area's data version bumped, so no cached page
    or cached figure is left), one at a time on the idle server, for the first COLD_SAMPLES URLs of the kind."""
    from chiiki.core import history

    costs = {}
    for group in paths.values():
        for kind, kind_paths in group.items():
            times = []
            for path in kind_paths[:COLD_SAMPLES]:
                for area in CACHE_AREAS:
                    history.bump(area)
                started = time.monotonic()
                fetch(base + path)
                times.append((time.monotonic() - started) * 1000)
            costs[kind] = {"median_ms": statistics.median(times), "max_ms": max(times), "samples": len(times)}
    return costs


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile: the smallest sample with at least share of the samples at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def write_summary(writes: Writes) -> dict:
    results = writes.results
    answered = [r for r in results if r["status"] is not None]
    statuses = {}
    for r in answered:
        statuses[str(r["status"])] = statuses.get(str(r["status"]), 0) + 1
    latencies = [r["ms"] for r in answered]
    return {
        # Over the time the writes really took: when the server falls behind, the last ones end after the reads.
        "requests": len(results), "rps": len(results) / writes.elapsed, "elapsed_s": writes.elapsed,
        "p50_ms": statistics.median(latencies) if latencies else None,
        "p99_ms": percentile(latencies, 0.99) if latencies else None,
        "statuses": statuses,
        "socket_errors": sum(1 for r in results if r["status"] is None),
        "stale": sum(1 for r in results if r["stale"]),
        "stale_409": sum(1 for r in results if r["stale"] and r["status"] == 409),
        "stale_accepted": sum(1 for r in results if r["stale"] and r["status"] == 200),
        "fresh": sum(1 for r in results if not r["stale"]),
        "fresh_200": sum(1 for r in results if not r["stale"] and r["status"] == 200),
        "fresh_409": sum(1 for r in results if not r["stale"] and r["status"] == 409),
        "late_over_100ms": sum(1 for r in results if r["late_ms"] > 100),
        "max_late_ms": max((r["late_ms"] for r in results), default=0.0),
        "version_mismatches": writes.version_mismatches,
        "problems": sorted({f"{r['status']} {r['detail']}" for r in results if r["detail"]})[:5],
    }


def server_log_findings(log: Path) -> dict:
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    errors = re.findall(r"^(?:Internal Server Error: .*|API error \S+ on .*)$", text, re.M)
    exceptions = re.findall(r"^(?:[\w.]+\.)?\w*(?:Error|Exception|Timeout)\b(?::.*)?$", text, re.M)
    gunicorn_errors = re.findall(r"^\[.*\] \[\d+\] \[(?:CRITICAL|ERROR)\] .*$", text, re.M)
    return {"server_errors": len(errors), "server_error_examples": sorted(set(errors))[:5],
            "exception_examples": sorted(set(exceptions))[:5], "gunicorn_errors": len(gunicorn_errors),
            "gunicorn_error_examples": sorted(set(gunicorn_errors))[:5]}


def database_settings(engine: str) -> str:
    """The server-side settings that change what a commit costs (the dev PostgreSQL may run without fsync)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if engine == "postgresql":
            cursor.execute("SELECT current_setting('server_version'), current_setting('fsync'), "
                           "current_setting('synchronous_commit'), current_setting('max_connections')")
            version, fsync, synchronous_commit, max_connections = cursor.fetchone()
            return (f"PostgreSQL {version}（fsync={fsync}、synchronous_commit={synchronous_commit}、"
                    f"max_connections={max_connections}）")
        cursor.execute("SELECT sqlite_version()")
        return f"SQLite {cursor.fetchone()[0]}（WAL、synchronous=NORMAL、BEGIN IMMEDIATE、busy timeout 20秒: settings.py）"


def measure(engine: str, args) -> dict:
    from chiiki.core.models import ChangeRecord
    from chiiki.progress import demo
    from chiiki.progress.models import ProgressRecord
    from chiiki.regions.models import Municipality
    from chiiki.roadmap.models import Sector

    print(f"[{engine}] デモデータと API トークン", file=sys.stderr)
    if not ProgressRecord.objects.filter(source="demo").exists():
        demo.load()
    records = ProgressRecord.objects.count()
    token = create_token()
    rng = random.Random(SEED)
    paths = build_paths(rng)
    codes = rng.sample(list(Municipality.objects.values_list("code", flat=True)), WRITE_CELLS)
    sectors = list(Sector.objects.order_by("code").values_list("code", flat=True))
    cells = [(code, rng.choice(sectors), rng.choice(WRITE_YEARS)) for code in codes]

    static_root = VAR / "load-static"
    env = production_env(static_root)  # nothing beyond the README's production settings
    collectstatic(env)
    port = free_port()
    log = VAR / f"load-{engine}-server.log"
    log.unlink(missing_ok=True)
    duration = f"{args.duration}s"

    # One representative response per kind, for static files of the same size (whitenoise lists the files when
    # it starts, hence a second server).
    sizes = {}
    with gunicorn(env, port) as base:
        for group in paths.values():
            for kind, kind_paths in group.items():
                sizes[kind] = len(fetch(base + kind_paths[0]))
    bench_dir = static_root / "bench-load"
    bench_dir.mkdir(parents=True, exist_ok=True)
    for kind, size in sizes.items():
        (bench_dir / f"{kind}.txt").write_bytes(b"x" * size)

    page_sequence = sequence(paths["pages"], rng, 400)
    api_sequence = sequence(paths["api"], rng, 400)
    plans = {  # group → (connections, dynamic paths, static paths of the same sizes in the same order)
        "pages": (PAGE_CONNECTIONS, [p for _, p in page_sequence], [f"/static/bench-load/{k}.txt" for k, _ in page_sequence]),
        "api": (API_CONNECTIONS, [p for _, p in api_sequence], [f"/static/bench-load/{k}.txt" for k, _ in api_sequence]),
    }
    results = {"engine": engine, "records": records, "sizes": sizes, "database": database_settings(engine),
               "distinct": {g: sum(len(v) for v in paths[g].values()) for g in ("pages", "api")},
               "kinds": {g: {k: v[0] for k, v in paths[g].items()} for g in ("pages", "api")},
               "writes_planned": int(args.duration * args.rate), "write_cells": len(cells)}
    with tempfile.TemporaryDirectory() as tmp, gunicorn(env, port, log) as base:
        scripts = {}
        for group, (_connections, dynamic, static) in plans.items():
            for variant, group_paths in (("dynamic", dynamic), ("static", static)):
                scripts[group, variant] = Path(tmp) / f"{group}-{variant}.lua"
                scripts[group, variant].write_text(lua_script(group_paths, 1))
        print(f"[{engine}] 1要求の費用（キャッシュなし）", file=sys.stderr)
        results["cold"] = cold_costs(base, paths)  # also: every kind answers 200 before anything is measured

        def reads(variant: str, writes: Writes | None = None) -> dict:
            """Both wrk groups at once for the duration (and the writes alongside, when given)."""
            running = {group: wrk_start(base + "/", scripts[group, variant], threads=1, connections=connections,
                                        duration=duration) for group, (connections, _d, _s) in plans.items()}
            if writes is not None:
                writes.run(args.duration, args.rate)
            return {group: wrk_finish(process, timeout=args.duration + 60) for group, process in running.items()}

        print(f"[{engine}] 静的ファイルの基準 {duration}", file=sys.stderr)
        results["static"] = reads("static")
        print(f"[{engine}] 書き込みなしの読み取り {duration}", file=sys.stderr)
        results["reads_only"] = reads("dynamic")
        state = read_versions(base, cells)
        results["load_at_start"] = load_average()
        print(f"[{engine}] 混合負荷 {duration}（load average {results['load_at_start']}）", file=sys.stderr)
        writes = Writes(port, token, state, rng)
        results["mixed"] = reads("dynamic", writes)
        results["mixed"]["writes"] = write_summary(writes)
        results["load_at_end"] = load_average()
    # Every accepted write left exactly one history row and the cell's version where the answers said it is.
    results["history_rows"] = ChangeRecord.objects.filter(actor__username=TOKEN_USER,
                                                          model=ProgressRecord._meta.label_lower).count()
    final = {(r.municipality_id, r.sector_id, r.fiscal_year): r.version
             for r in ProgressRecord.objects.filter(municipality_id__in=[c[0] for c in cells])}
    results["versions_off"] = sum(1 for cell, s in state.items() if final.get(cell, 0) != s["version"])
    results.update(server_log_findings(log))
    return results


# ---- report -------------------------------------------------------------------------------------------------------


def _status_split(statuses: dict) -> dict:
    split = {"2xx": 0, "409": 0, "other": 0, "5xx": 0}
    for status, count in statuses.items():
        code = int(status)
        key = "2xx" if 200 <= code < 300 else "409" if code == 409 else "5xx" if code >= 500 else "other"
        split[key] += count
    return split


def _errors(run: dict) -> int:
    """5xx and socket errors of a wrk run."""
    return _status_split(run["statuses"])["5xx"] + sum(run["socket"].values())


def _ms(value) -> str:
    return "—" if value is None else f"{value:,.1f} ms"


def _statuses(statuses: dict) -> str:
    return "、".join(f"{status}: {count:,}" for status, count in sorted(statuses.items())) or "—"


def report(results: dict, args, started: str) -> str:
    rate, duration = args.rate, args.duration
    lines = [
        TITLE, "",
        "`make bench-load`（`bench/load.py`）で計測し、この節を書き換えます。"
        f"計測コマンド: `.venv/bin/python bench/load.py --duration {duration} --rate {rate:g}`。",
        "",
        f"- 計測環境: {started}（他の作業と共用の機械です。エンジンごとの load average は「詳細」）。",
        f"- サーバー: {GUNICORN_LABEL}。README の本番設定（`DEBUG=false`、`SECRET_KEY`・`ALLOWED_HOSTS` を設定、loopback の "
        "http のため `SECURE_SSL_REDIRECT=false`、`STATIC_ROOT` に collectstatic）で、それ以外はすべて既定値"
        "（`DB_CONN_MAX_AGE` は未設定 = 既定の600秒で接続を再利用、`LOG_LEVEL` は WARNING、キャッシュは各ワーカーのメモリ（`CACHE_URL` 未設定））。",
        "- データ: エンジンごとに毎回作り直したDB（SQLite: `var/bench/load.sqlite3`、PostgreSQL: `BENCH_DATABASE_URL` の"
        "DB名 + `_load`、既定 127.0.0.1:55432 の `chiiki_bench_load`）に参照データとデモの進捗"
        "（1,741団体 × 8分野、2022–2026年度）。",
        f"- 混合負荷（{duration}秒、3つを同時に）: 公開ページ = wrk 1スレッド・{PAGE_CONNECTIONS}接続、公開API = wrk "
        f"1スレッド・{API_CONNECTIONS}接続（どちらも匿名、応答を待って次を送る閉ループ、URL の一覧を順に、各種類に同じ割合）。"
        f"書き込みAPI = `PUT /api/v1/progress/{{code}}/{{sector}}/{{fiscal_year}}` を毎秒 {rate:g} 件の一定間隔"
        f"（開ループ、最大 {WRITERS} 件が同時、1件ごとに新しい接続）、事務局（national_admin）の Bearer トークン"
        f"（`manage.py create_api_token`）で、{WRITE_CELLS} のセル（団体 × 分野 × 2025・2026年度）へ。版は"
        "`GET /api/v1/progress?municipality=…&sector=…&fiscal_year=…` で読み、以後は応答の版を追跡。"
        f"約 {STALE_SHARE:.0%} はわざと古い版で送ります（409 が正しい応答）。どれも段階と備考が変わる実際の更新です。",
        "- 公開ページ: `/progress/`（年度）、`/progress/map/`（年度 × 分野）、`/progress/rankings/`（年度 × 都道府県）、"
        "`/progress/prefectures/`（年度 × 分野）、`/progress/municipalities/<code>/`（団体 × 年度）、`/regions/`"
        "（都道府県・ページ）、`/regions/municipalities/<code>/`、`/programs/?q=…`（`防災` ほか bench/queries_programs.csv の語）。"
        "公開API: `/api/v1/progress/summary?group_by=prefecture`（年度 × 分野）、`/api/v1/programs?q=…`（同じ語）。",
        "- 受け付けた進捗の書き込みはそのたびに `progress` のデータ版を上げるので、進捗のページ・API と `/programs/` の"
        "匿名キャッシュ（と進捗の集計のキャッシュ）は混合負荷の間、毎秒数回無効になります。`/regions/` と `/api/v1/programs` "
        "は進捗の版に依存しないのでキャッシュが効きます。",
        "- 誤り: 5xx とソケットの誤り（接続・読み書き・10秒のタイムアウト）。409 は古い版の書き込みでは想定どおりで、"
        "新しい版での 409（SQLite のロック待ち打ち切りなど）は想定外として別に数えます。p50/p99 は読み取りが wrk の計測、"
        "書き込みは送信から応答の読み終わりまで。",
        "",
        "| DB | 群 | 異なるURL | 要求数 | req/s | p50 | p99 | 2xx | 409 | その他の3xx・4xx | 5xx | ソケットの誤り |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    notes = []
    for engine in ("sqlite", "postgresql"):
        r = results.get(engine, {})
        if "error" in r:
            lines.append(f"| {engine} | 未計測: {r['error']} | | | | | | | | | | |")
            continue
        for group in ("pages", "api", "writes"):
            m = r["mixed"][group]
            split = _status_split(m["statuses"])
            if group == "writes":
                distinct = f"{r['write_cells']} セル"
                socket = m["socket_errors"]
                conflict = f"{split['409']:,}（古い版 {m['stale_409']:,} / 新しい版 {m['fresh_409']:,}）"
            else:
                distinct = f"{r['distinct'][group]:,}"
                socket = sum(m["socket"].values())
                conflict = f"{split['409']:,}"
            lines.append(f"| {engine} | {GROUPS[group]} | {distinct} | {m['requests']:,} | {m['rps']:,.1f} | "
                         f"{_ms(m['p50_ms'])} | {_ms(m['p99_ms'])} | {split['2xx']:,} | {conflict} | "
                         f"{split['other']:,} | **{split['5xx']:,}** | **{socket:,}** |")
        w = r["mixed"]["writes"]
        notes.append(
            f"- {engine}: {r['database']}、進捗の記録 {r['records']:,} 件。混合負荷の開始時の load average {r['load_at_start']}（終了時 {r['load_at_end']}）。"
            f"混合負荷の状態コード — 公開ページ {_statuses(r['mixed']['pages']['statuses'])}; "
            f"公開API {_statuses(r['mixed']['api']['statuses'])}; 書き込み {_statuses(w['statuses'])}。"
            f"書き込みなしの状態コード — 公開ページ {_statuses(r['reads_only']['pages']['statuses'])}; "
            f"公開API {_statuses(r['reads_only']['api']['statuses'])}。"
            f"書き込み {w['requests']} / 予定 {r['writes_planned']} 件（古い版 {w['stale']} 件、うち受け付けられた {w['stale_accepted']} 件）、"
            f"予定時刻から 100 ms 以上遅れて送った書き込み {w['late_over_100ms']} 件（最大 {w['max_late_ms']:,.0f} ms。"
            f"{WRITERS} 件すべてが応答待ちのとき次の書き込みは待たされます）、最初の予定時刻から最後の応答まで "
            f"{w['elapsed_s']:.1f} 秒（表の req/s はこの時間で割った値）。"
            f"受け付けた書き込み {w['fresh_200']} 件に対し、変更履歴 {r['history_rows']} 行"
            f"{'（一致）' if r['history_rows'] == w['fresh_200'] else '（**不一致**）'}、"
            f"応答から追跡した版と DB の版が違うセル {r['versions_off']}。"
            f"サーバーのログ: 500 {r['server_errors']} 件、gunicorn の ERROR/CRITICAL {r['gunicorn_errors']} 件。")
        for label, key in (("500 の例", "server_error_examples"), ("例外", "exception_examples"),
                           ("gunicorn", "gunicorn_error_examples"), ("書き込みの想定外の応答", None)):
            examples = w["problems"] if key is None else r[key]
            if examples:
                notes.append(f"  - {label}: " + " / ".join(f"`{e.strip()[:200]}`" for e in examples))
    lines += [
        "",
        "比較（同じ実行・同じサーバー、同じ接続数・同じ時間、混合負荷の前に順に）: 静的ファイル = 各種類の代表の応答と"
        "同じ大きさのファイルを同じ順番・同じ割合で whitenoise から配信。書き込みなし = 混合負荷と同じ読み取りだけ"
        "（ページのキャッシュが効く状態。この間に温まります）。誤り = 5xx とソケットの誤り。",
        "",
        "| DB | 群 | 平均の大きさ | 静的 req/s | 静的 p50 | 静的 p99 | 静的の誤り | 書き込みなし req/s | p50 | p99 | 誤り "
        "| 混合 ÷ 静的 | 混合 ÷ 書き込みなし |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for engine in ("sqlite", "postgresql"):
        r = results.get(engine, {})
        if "error" in r:
            continue
        for group in ("pages", "api"):
            s, o, m = r["static"][group], r["reads_only"][group], r["mixed"][group]
            sizes = [r["sizes"][kind] for kind in r["kinds"][group]]
            lines.append(f"| {engine} | {GROUPS[group]} | {statistics.mean(sizes):,.0f} B | {s['rps']:,.0f} | "
                         f"{_ms(s['p50_ms'])} | {_ms(s['p99_ms'])} | {_errors(s):,} | {o['rps']:,.0f} | "
                         f"{_ms(o['p50_ms'])} | {_ms(o['p99_ms'])} | {_errors(o):,} | "
                         f"**{m['rps'] / s['rps']:.3f}×** | **{m['rps'] / o['rps']:.3f}×** |")
    lines += [
        "",
        "各種類の1要求の費用（同じサーバー、負荷をかける前に1件ずつ。直前にすべてのデータ版を上げ、キャッシュされたページも"
        f"集計もない状態。各種類の最初の {COLD_SAMPLES} URL の中央値と最大）。書き込みが続く間の進捗のページはこの状態です。",
        "",
        "| 種類 | 例 | 大きさ | " + " | ".join(f"{e} 中央値 | {e} 最大" for e in ("sqlite", "postgresql")) + " |",
        "| --- | --- | ---: | " + " | ".join("---: | ---:" for _ in ("sqlite", "postgresql")) + " |",
    ]
    measured = [results[e] for e in ("sqlite", "postgresql") if "error" not in results.get(e, {"error": 1})]
    if measured:
        first = measured[0]
        for group in ("pages", "api"):
            for kind, example in first["kinds"][group].items():
                cells = []
                for engine in ("sqlite", "postgresql"):
                    cost = results.get(engine, {}).get("cold", {}).get(kind)
                    cells += [_ms(cost["median_ms"]), _ms(cost["max_ms"])] if cost else ["—", "—"]
                lines.append(f"| {GROUPS[group]} | `{unquote(example)}` | {first['sizes'][kind]:,} B | "
                             + " | ".join(cells) + " |")
    lines += ["", "詳細:", "", *notes]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=60, help="各負荷の秒数（既定 60）")
    parser.add_argument("--rate", type=float, default=5.0, help="書き込みの毎秒件数（既定 5）")
    parser.add_argument("--no-write", action="store_true", help="bench/README.md を書き換えずに表示だけする")
    started = machine()  # the load average when the measurement begins, not when it ends
    results = run_per_engine(Path(__file__).resolve(), measure, before_children=ensure_wrk, database="load",
                             fresh=True, parser=parser)
    if results is None:
        return
    args = parser.parse_args()
    section = report(results, args, started)
    if not args.no_write:
        write_section(section, TITLE)
    print(section)


if __name__ == "__main__":
    main()
