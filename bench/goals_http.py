"""Benchmark: the HTTP goals of issue 10, each page against a static file of the same size from the same server in
the same run, in the README's production settings, on SQLite and PostgreSQL, with the embedded cache and with
Redis (`CACHE_URL`, when redis-server is installed).

`python bench/goals_http.py [--duration 5] [--churn 30] [--repeat 3] [--groups anonymous,signed_in,uncached,churn]`
(`make bench-goals`) writes bench/README.md; page and static file are measured alternately --repeat times and the
medians compared. Per
configuration:
- anonymous: the public pages and APIs (overview, map, rankings, prefecture, municipality pages under /progress/
  and /regions/, programs search page and API, summary API). Goal ≥ 0.5× static.
- signed in as municipal staff (a session cookie, so the page cache never answers): the same pages, the entry
  page and マイページ; and anonymous URLs that are new to the cache (a distinct query string per request).
  Goal ≥ 0.2× static.
- write churn: the overview for `--churn` seconds quiet, then again with one progress save per second from the API
  (10 % of them with a stale version on purpose: 409). Goal: throughput ≥ 0.5× quiet and p99 ≤ 300 ms.
Every response's status is counted; a kind whose responses are not all 200 is reported as such.
"""

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
from import_memory import _Browser  # noqa: E402
from load import Writes, create_token, lua_script, read_versions, url  # noqa: E402
from progress_common import load_average, machine, run_per_engine  # noqa: E402

TITLE = "## 速さの目標（issue 10）"
PARTIAL_TITLE = "## 速さの目標（issue 10）— 一部の区分だけの再計測"
ALL_GROUPS = ("anonymous", "signed_in", "uncached", "churn")
THREADS, CONNECTIONS = 2, 8
STAFF, STAFF_PASSWORD = "bench-goals-staff", "bench-goals-password-0123"
PLACE, PREFECTURE, YEAR = "131016", "13", 2026
UNCACHED_VARIANTS = 20_000

ANONYMOUS = {
    "overview": ("全国の概要", url("/progress/", fiscal_year=YEAR)),
    "map": ("地図", url("/progress/map/", fiscal_year=YEAR)),
    "rankings": ("ランキング", url("/progress/rankings/", fiscal_year=YEAR)),
    "prefecture": ("都道府県", url(f"/progress/prefectures/{PREFECTURE}/", fiscal_year=YEAR)),
    "progress_municipality": ("団体の進捗", url(f"/progress/municipalities/{PLACE}/", fiscal_year=YEAR)),
    "regions_municipality": ("団体のページ", f"/regions/municipalities/{PLACE}/"),
    "programs_search": ("支援メニュー検索", url("/programs/", q="防災")),
    "programs_api": ("検索API", url("/api/v1/programs", q="防災")),
    "summary_api": ("集計API", url("/api/v1/progress/summary", fiscal_year=YEAR, group_by="prefecture")),
}
SIGNED_IN_ONLY = {
    # Reads no data of its own: how fast a signed-in page can be at all (session, user, base template).
    "home": ("ホーム（データを読まないページ、参考）", "/"),
    "entry": ("入力ページ", f"/progress/entry/{PLACE}/"),
    "mypage": ("マイページ", "/accounts/mypage/"),
}
REFERENCE_ONLY = {"home"}  # shown for comparison, not one of the pages: not counted in the summary
UNCACHED = {  # anonymous, but every request a URL the cache has not seen
    "overview_new_url": ("全国の概要（初めてのURL）", url("/progress/", fiscal_year=YEAR)),
    "municipality_new_url": ("団体の進捗（初めてのURL）", url(f"/progress/municipalities/{PLACE}/", fiscal_year=YEAR)),
}


def wrk(base: str, paths: list[str], duration: str, tmp: Path, headers: tuple[str, ...] = ()) -> dict:
    script = tmp / f"run-{random.random():.12f}.lua"
    script.write_text(lua_script(paths, THREADS))
    command = [common.ensure_wrk(), f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{duration}", "--timeout", "10s",
               "-s", str(script)]
    for header in headers:
        command += ["-H", header]
    process = subprocess.Popen([*command, base + paths[0]], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return common.wrk_finish(process)


def median_run(runs: list[dict]) -> dict:
    """The run with the median req/s of repeated measurements (its own p99 and statuses), and every req/s seen."""
    ordered = sorted(runs, key=lambda run: run["rps"])
    middle = dict(ordered[len(ordered) // 2])
    middle["all_rps"] = [round(run["rps"]) for run in runs]
    statuses: dict[str, int] = {}
    for run in runs:
        for status, count in run.get("statuses", {}).items():
            statuses[status] = statuses.get(status, 0) + count
    middle["statuses"] = statuses
    middle["errors"] = sum(run.get("errors", 0) for run in runs)
    return middle


def paired(base: str, page_paths: list[str], static_path: str, duration: str, tmp: Path, repeat: int,
           headers: tuple[str, ...] = ()) -> tuple[dict, dict]:
    """Page and static file measured alternately `repeat` times; the median of each (the static baseline of one
    5 s run was bimodal, ~1,500 or ~5,500 req/s, depending on how connections spread over the workers)."""
    pages, statics = [], []
    for _ in range(repeat):
        pages.append(wrk(base, page_paths, duration, tmp, headers))
        statics.append(wrk(base, [static_path], duration, tmp))
    return median_run(pages), median_run(statics)


def all_ok(run: dict) -> bool:
    return set(run.get("statuses", {})) == {"200"} and not run.get("errors")


def start_redis() -> tuple[subprocess.Popen | None, str]:
    if not shutil.which("redis-server"):
        return None, ""
    port = common.free_port()
    server = subprocess.Popen(["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "",
                               "--appendonly", "no", "--maxmemory", "256mb", "--maxmemory-policy", "allkeys-lru"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    return server, f"redis://127.0.0.1:{port}/0"


def staff_user():
    from chiiki.accounts.models import Role, User
    from chiiki.regions.models import Municipality

    municipality = Municipality.objects.get(code=PLACE)
    User.objects.filter(username=STAFF).delete()
    return User.objects.create_user(STAFF, password=STAFF_PASSWORD, role=Role.MUNICIPAL_STAFF,
                                    municipality=municipality, prefecture=municipality.prefecture)


def session_cookie(base: str) -> str:
    browser = _Browser(base)
    browser.request("GET", "/accounts/login/")
    response = browser.post("/accounts/login/", {"username": STAFF, "password": STAFF_PASSWORD})
    assert 'action="/accounts/logout/"' in response.text, "login failed"
    return "; ".join(f"{name}={value}" for name, value in browser.cookies.items())


def measure_configuration(env: dict, static_root: Path, args, token: str) -> dict:
    from chiiki.regions.models import Municipality
    from chiiki.roadmap.models import Sector

    duration = f"{args.duration}s"
    port = common.free_port()
    sizes = {}
    with common.gunicorn(env, port) as base:  # sizes first: whitenoise lists static files when it starts
        cookie = session_cookie(base)
        browser_headers = {"Cookie": cookie}
        import requests

        for kind, (_label, path) in ANONYMOUS.items():
            sizes[kind] = len(common.fetch(base + path))
        for kind, (_label, path) in {**ANONYMOUS, **SIGNED_IN_ONLY}.items():
            response = requests.get(base + path, headers=browser_headers, allow_redirects=False, timeout=30)
            assert response.status_code == 200, (path, response.status_code)
            sizes["signed_in:" + kind] = len(response.content)
    bench_dir = static_root / "bench-goals"
    shutil.rmtree(bench_dir, ignore_errors=True)
    bench_dir.mkdir(parents=True)
    for kind, size in sizes.items():
        (bench_dir / f"{kind.replace(':', '-')}.txt").write_bytes(b"x" * size)

    def static(kind: str) -> str:
        return f"/static/bench-goals/{kind.replace(':', '-')}.txt"

    rows = []
    with tempfile.TemporaryDirectory() as tmp_name, common.gunicorn(env, port) as base:
        tmp = Path(tmp_name)
        cookie = session_cookie(base)  # a new server: a new session (sessions live in the database)
        if "anonymous" in args.groups:
            for kind, (label, path) in ANONYMOUS.items():
                common.fetch(base + path)  # the first request stores it
                page, static_run = paired(base, [path], static(kind), duration, tmp, args.repeat)
                rows.append({"group": "anonymous", "kind": kind, "label": label, "size": sizes[kind],
                             "page": page, "static": static_run})
        if "signed_in" in args.groups:
            for kind, (label, path) in {**ANONYMOUS, **SIGNED_IN_ONLY}.items():
                page, static_run = paired(base, [path], static("signed_in:" + kind), duration, tmp, args.repeat,
                                          (f"Cookie: {cookie}",))
                rows.append({"group": "signed_in", "kind": kind, "label": label, "size": sizes["signed_in:" + kind],
                             "page": page, "static": static_run, "reference": kind in REFERENCE_ONLY})
        if "uncached" in args.groups:
            for kind, (label, path) in UNCACHED.items():
                size_kind = "overview" if kind.startswith("overview") else "progress_municipality"
                variants = [f"{path}&v={n}" for n in range(UNCACHED_VARIANTS)]
                page, static_run = paired(base, variants, static(size_kind), duration, tmp, args.repeat)
                rows.append({"group": "uncached", "kind": kind, "label": label, "size": sizes[size_kind],
                             "page": page, "static": static_run})
        if "churn" not in args.groups:
            return {"rows": rows}
        # Write churn on the overview.
        churn = f"{args.churn}s"
        overview = ANONYMOUS["overview"][1]
        quiet = wrk(base, [overview], churn, tmp)
        rng = random.Random(20261201)
        codes = rng.sample(list(Municipality.objects.values_list("code", flat=True)), 60)
        sectors = list(Sector.objects.values_list("code", flat=True))
        cells = read_versions(base, [(code, rng.choice(sectors), YEAR) for code in codes])
        writes = Writes(port, token, cells, rng)
        reader = subprocess.Popen  # keep wrk and the writes running side by side
        script = tmp / "churn.lua"
        script.write_text(lua_script([overview], THREADS))
        process = reader([common.ensure_wrk(), f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{churn}", "--timeout", "10s",
                          "-s", str(script), base + overview], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        writes.run(args.churn - 1, 1.0)
        churning = common.wrk_finish(process)
    statuses = {}
    for result in writes.results:
        statuses[str(result["status"])] = statuses.get(str(result["status"]), 0) + 1
    return {"rows": rows, "churn": {"quiet": quiet, "writes": churning, "write_statuses": statuses,
                                    "stale": sum(r["stale"] for r in writes.results)}}


def measure(engine: str, args) -> dict:
    from chiiki.progress import demo
    from chiiki.progress.models import ProgressRecord

    if not ProgressRecord.objects.filter(source="demo").exists():
        demo.load()
    staff_user()
    token = create_token()
    static_root = common.VAR / "goals-static"
    results = {"records": ProgressRecord.objects.count(), "load": load_average(), "configurations": {}}
    redis, redis_url = start_redis()
    try:
        configurations = [("locmem", {})] + ([("redis", {"CACHE_URL": redis_url})] if redis else [])
        for name, extra in configurations:
            env = common.production_env(static_root, **extra)
            common.collectstatic(env)
            print(f"[{engine}/{name}]", file=sys.stderr)
            results["configurations"][name] = measure_configuration(env, static_root, args, token)
    finally:
        if redis:
            redis.terminate()
            redis.wait(timeout=10)
    if not redis:
        results["redis_missing"] = True
    return results


GOALS = {"anonymous": 0.5, "signed_in": 0.2, "uncached": 0.2}
GROUP_LABELS = {"anonymous": "匿名", "signed_in": "ログイン（市区町村職員）", "uncached": "匿名・キャッシュにないURL"}
CACHE_LABELS = {"locmem": "各ワーカーのメモリ（既定）", "redis": "Redis（`CACHE_URL`）"}


def _each(run: dict) -> str:
    seen = run.get("all_rps") or []
    return f"（{'・'.join(f'{rps:,}' for rps in seen)}）" if len(seen) > 1 else ""


def report(results: dict, args, started: str) -> str:
    lines = [f"計測環境: {started}（終了は {time.strftime('%H:%M', time.gmtime())} UTC）。{common.GUNICORN_LABEL}、README の本番設定のまま（`DB_CONN_MAX_AGE` など既定値）。"
             f"wrk {THREADS}スレッド・{CONNECTIONS}接続・各{args.duration}秒、ページと同じ大きさの静的ファイルを同じサーバー・"
             f"同じ実行で交互に{args.repeat}回ずつ計測し、それぞれの中央値を使う（括弧内は各回の req/s）。"
             "比 = ページの req/s ÷ 静的ファイルの req/s。", "",
             "| DB | キャッシュ | 区分 | ページ | サイズ | req/s | p99 | 静的 req/s | 比 | 目標 | 判定 |",
             "| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    churn_lines = ["", f"書き込みが続くとき（全国の概要ページ、{args.churn}秒、API から毎秒1件保存、うち約1割は古い版で409）。"
                   "目標: 静かなときの 0.5 倍以上、p99 ≤ 300 ms。", "",
                   "| DB | キャッシュ | 静かなとき req/s | p99 | 書き込み中 req/s | p99 | 比 | 書き込みの応答 | 判定 |",
                   "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | --- |"]
    summary = {}
    for engine, result in results.items():
        if "error" in result:
            lines.append(f"| {engine} | 計測できませんでした: {result['error']} | | | | | | | | | |")
            continue
        for cache_name, configuration in result["configurations"].items():
            for row in configuration["rows"]:
                page, static = row["page"], row["static"]
                ratio = page["rps"] / static["rps"] if static["rps"] else 0.0
                goal = GOALS[row["group"]]
                ok = all_ok(page) and ratio >= goal
                verdict = "達成" if ok else ("**未達**" if all_ok(page) else f"**200以外あり** {page.get('statuses')}")
                if row.get("reference"):
                    verdict = f"参考（目標の対象外）: {verdict}"
                else:
                    summary.setdefault((row["group"], engine, cache_name), []).append(ok)
                lines.append(f"| {engine} | {CACHE_LABELS[cache_name]} | {GROUP_LABELS[row['group']]} | {row['label']} | "
                             f"{row['size']:,} B | {page['rps']:,.0f}{_each(page)} | {page['p99_ms']:.0f} ms | "
                             f"{static['rps']:,.0f}{_each(static)} | "
                             f"**{ratio:.2f}×** | ≥ {goal}× | {verdict} |")
            churn = configuration.get("churn")
            if churn is None:
                continue
            quiet, busy = churn["quiet"], churn["writes"]
            ratio = busy["rps"] / quiet["rps"] if quiet["rps"] else 0.0
            ok = all_ok(busy) and ratio >= 0.5 and busy["p99_ms"] <= 300
            summary.setdefault(("churn", engine, cache_name), []).append(ok)
            statuses = "、".join(f"{status}: {count}" for status, count in sorted(churn["write_statuses"].items()))
            churn_lines.append(f"| {engine} | {CACHE_LABELS[cache_name]} | {quiet['rps']:,.0f} | {quiet['p99_ms']:.0f} ms | "
                               f"{busy['rps']:,.0f} | {busy['p99_ms']:.0f} ms | **{ratio:.2f}×** | {statuses}"
                               f"（古い版 {churn['stale']}件） | {'達成' if ok else '**未達**'} |")
        if result.get("redis_missing"):
            churn_lines.append(f"| {engine} | Redis | redis-server がないため計測していません | | | | | | |")
    totals = ["", "まとめ（各区分のすべてのページが目標を満たしたか）:", ""]
    for (group, engine, cache_name), oks in sorted(summary.items()):
        label = "書き込みが続くとき" if group == "churn" else GROUP_LABELS[group]
        totals.append(f"- {engine}・{CACHE_LABELS[cache_name]}・{label}: {sum(oks)}/{len(oks)} 達成")
    # A partial run (--groups without churn) measured no writes: leave the empty table out.
    if len(churn_lines) == 5:
        churn_lines = []
    return "\n".join(lines + churn_lines + totals)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=int(os.environ.get("BENCH_GOALS_SECONDS", "5")))
    parser.add_argument("--churn", type=int, default=30)
    parser.add_argument("--no-write", action="store_true", help="bench/README.md を書き換えずに表示だけ")
    parser.add_argument("--repeat", type=int, default=int(os.environ.get("BENCH_GOALS_REPEAT", "3")),
                        help="ページと静的ファイルを交互に計測する回数（中央値を使う）")
    parser.add_argument("--groups", type=lambda raw: tuple(raw.split(",")), default=ALL_GROUPS,
                        help="anonymous,signed_in,uncached,churn のうち計測するもの（一部だけなら別の節に書く）")
    started = machine()  # the load average before the run, not the one the run itself causes
    results = run_per_engine(Path(__file__), measure, database="goals", fresh=True, parser=parser)
    if results is None:
        return
    args = parser.parse_args()
    text = report(results, args, started)
    print(text)
    if not args.no_write:
        complete = set(args.groups) == set(ALL_GROUPS)
        title = TITLE if complete else PARTIAL_TITLE
        how = ("`make bench-goals` で計測し、この節を書き換えます。" if complete else
               f"`python bench/goals_http.py --groups {','.join(args.groups)}` で計測し、この節を書き換えます。")
        common.write_section(f"{title}\n\n{how}\n\n{text}\n", title)


if __name__ == "__main__":
    main()
