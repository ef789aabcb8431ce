"""Benchmark: peak memory of a national progress import (10 年度 × 1,741 団体 × 8 分野 = 139,280 rows) through the
command, the web upload (upload → preview → commit) and the API, in the documented production settings.

`python bench/import_memory.py` runs SQLite and PostgreSQL in separate processes and writes the figures into
bench/README.md. Goal (issue 10): ≤ 200 MB peak RSS on every path. The command's peak is its process's maximum
resident set (wait4); the web and API peaks are the gunicorn workers' VmHWM (/proc), which includes everything
the worker did since it started.
"""

import csv
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
from progress_common import machine, run_per_engine, write_subsection  # noqa: E402

ROOT = common.ROOT
GOAL_MB = 200
YEARS = range(2018, 2028)
USER, PASSWORD = "bench_import", "bench-import-password-0123"
NOTE = "住民説明会を実施し、次年度の本格導入に向けて調整中"


def survey_csv(path: Path, codes: list[str], sectors: list[str], labels: list[str], shift: int = 0) -> int:
    """The survey file every path imports: one row per 年度 × 団体 × 分野, a fifth with a 備考."""
    rng = random.Random(20261201)
    rows = 0
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["団体コード", "分野", "年度", "段階", "備考", "根拠URL"])
        for year in YEARS:
            for code in codes:
                for sector in sectors:
                    stage = labels[(rng.randrange(len(labels)) + shift) % len(labels)]
                    note = NOTE if rng.random() < 0.2 else ""
                    url = "https://www.example.lg.jp/iot/plan.html" if rng.random() < 0.1 else ""
                    writer.writerow([code, sector, year, stage, note, url])
                    rows += 1
    return rows


def clear_progress() -> None:
    from django.db import transaction

    from chiiki.core.models import ChangeRecord
    from chiiki.progress import cells
    from chiiki.progress.models import ProgressRecord

    with transaction.atomic():
        ProgressRecord.objects.all().delete()
        ChangeRecord.objects.filter(model="progress.progressrecord").delete()
        cells.rebuild()


def stored_records() -> int:
    from chiiki.progress.models import ProgressRecord

    return ProgressRecord.objects.count()


# Runs manage.py in this process and prints its VmHWM last. Not wait4's ru_maxrss: Linux carries the high-water
# mark of the memory before exec over, so a child started from this (larger) bench process would report ours.
MANAGE_WITH_PEAK = """
import re, sys
from django.core.management import execute_from_command_line
try:
    execute_from_command_line(["manage.py", *sys.argv[1:]])
finally:
    status = open("/proc/self/status").read()
    print("VMHWM_KB=" + re.search(r"^VmHWM:\\s+(\\d+) kB", status, re.M).group(1))
"""


def run_command(env: dict, path: Path) -> dict:
    """manage.py import_progress in its own process; its peak RSS (VmHWM) as it ends."""
    started = time.perf_counter()
    completed = subprocess.run([sys.executable, "-c", MANAGE_WITH_PEAK, "import_progress", str(path)], cwd=ROOT,
                               env={**env, "DJANGO_SETTINGS_MODULE": "chiiki.settings"}, capture_output=True,
                               text=True)
    elapsed = time.perf_counter() - started
    if completed.returncode != 0:
        raise RuntimeError(f"import_progress failed: {(completed.stdout + completed.stderr)[-500:]}")
    lines = completed.stdout.strip().splitlines()
    peak_kb = int(lines[-1].removeprefix("VMHWM_KB="))
    return {"peak_mb": peak_kb / 1024, "seconds": elapsed, "output": lines[-2]}


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


def vm_hwm_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^VmHWM:\s+(\d+) kB", status, re.M).group(1)) / 1024


def gunicorn_master(port: int) -> int:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if any(part.endswith(b"gunicorn") for part in cmdline) and f"127.0.0.1:{port}".encode() in cmdline:
                parent = int(re.search(r"^PPid:\s+(\d+)", (entry / "status").read_text(), re.M).group(1))
                if parent == os.getpid():
                    return int(entry.name)
    raise RuntimeError("gunicorn master not found")


class _Browser:
    """A signed-in browser on the bench's plain-HTTP loopback: it sends the production settings' Secure cookies
    back itself (requests would not, over http) and follows redirects by hand so each hop carries them."""

    def __init__(self, base: str):
        import requests

        self.base, self.session, self.cookies = base, requests.Session(), {}

    def request(self, method: str, path: str, **options):
        url = path if path.startswith("http") else self.base + path
        while True:
            header = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
            response = self.session.request(method, url, headers={"Cookie": header, "Referer": url},
                                            allow_redirects=False, timeout=600, **options)
            self.cookies.update(response.cookies.get_dict())
            if response.status_code not in (301, 302, 303):
                return response
            method, url, options = "GET", self.base + response.headers["Location"].removeprefix(self.base), {}

    def post(self, path: str, data: dict | None = None, **options):
        return self.request("POST", path, data={**(data or {}), "csrfmiddlewaretoken": self.cookies["csrftoken"]},
                            **options)


def web_upload(base: str, path: Path) -> str:
    browser = _Browser(base)
    browser.request("GET", "/accounts/login/")
    response = browser.post("/accounts/login/", {"username": USER, "password": PASSWORD})
    assert 'action="/accounts/logout/"' in response.text, "login failed"
    browser.request("GET", "/progress/import/")
    with path.open("rb") as handle:
        response = browser.post("/progress/import/", files={"file": (path.name, handle, "text/csv")})
    assert response.status_code == 200 and "/progress/import/" in response.url, (response.status_code, response.url)
    sha256 = re.search(r'name="sha256" value="([0-9a-f]{64})"', response.text).group(1)
    response = browser.post(response.url.rstrip("/") + "/commit", {"sha256": sha256})
    assert response.status_code == 200, response.status_code
    found = re.search(r"新規 [\d,]+件・更新 [\d,]+件を取り込みました", response.text)
    assert found, "commit message missing"
    return found.group(0)


def api_upload(base: str, token: str, path: Path) -> str:
    import requests

    with path.open("rb") as handle:
        response = requests.post(base + "/api/v1/progress/import", files={"file": (path.name, handle, "text/csv")},
                                 headers={"Authorization": f"Bearer {token}"}, timeout=600)
    assert response.status_code == 200, (response.status_code, response.text[:300])
    body = response.json()
    return f"新規 {body['created']}件・更新 {body['updated']}件"


def through_server(env: dict, action) -> dict:
    """Run action(base) against a fresh production server; the workers' VmHWM before and after."""
    port = common.free_port()
    with common.gunicorn(env, port) as base:
        master = gunicorn_master(port)
        for _ in range(4):  # warm every worker up on the pages around the import
            common.fetch(base + "/progress/?fiscal_year=2026")
        before = max(vm_hwm_mb(pid) for pid in worker_pids(master))
        started = time.perf_counter()
        output = action(base)
        elapsed = time.perf_counter() - started
        after = max(vm_hwm_mb(pid) for pid in worker_pids(master))
    return {"peak_mb": after, "idle_mb": before, "seconds": elapsed, "output": output}


def measure(engine: str, _args) -> dict:
    from chiiki.accounts.models import Role, User
    from chiiki.progress.models import Stage
    from chiiki.regions.models import Municipality
    from chiiki.roadmap.models import Sector

    codes = list(Municipality.objects.exclude(kind="prefecture").order_by("code").values_list("code", flat=True))
    sectors = list(Sector.objects.order_by("order").values_list("code", flat=True))
    labels = [str(s.label) for s in Stage if s != Stage.NOT_STARTED]
    common.VAR.mkdir(parents=True, exist_ok=True)
    path, changed = common.VAR / "survey_139280.csv", common.VAR / "survey_139280_changed.csv"
    rows = survey_csv(path, codes, sectors, labels)
    survey_csv(changed, codes, sectors, labels, shift=1)
    static_root = common.VAR / "static"
    env = common.production_env(static_root, DATABASE_URL=os.environ["DATABASE_URL"])
    common.collectstatic(env)
    User.objects.filter(username=USER).delete()
    user = User.objects.create_user(USER, password=PASSWORD, role=Role.NATIONAL_ADMIN)
    completed = subprocess.run([sys.executable, "manage.py", "create_api_token", USER, "--name", "取込ベンチ"],
                               cwd=ROOT, capture_output=True, text=True, check=True, env=env)
    token = completed.stdout.strip().splitlines()[-1].strip()
    results = {"rows": rows, "bytes": path.stat().st_size, "paths": {}}

    clear_progress()
    results["paths"]["command"] = run_command(env, path)
    assert stored_records() == rows, stored_records()
    results["paths"]["command_update"] = run_command(env, changed)
    clear_progress()
    results["paths"]["web"] = through_server(env, lambda base: web_upload(base, path))
    assert stored_records() == rows, stored_records()
    clear_progress()
    results["paths"]["api"] = through_server(env, lambda base: api_upload(base, token, path))
    assert stored_records() == rows, stored_records()
    user.delete()
    return results


LABELS = {"command": "コマンド（`import_progress`、新規）", "command_update": "コマンド（再取込、段階を1つずらしたファイル）",
          "web": "画面（アップロード → 確認 → 取込）", "api": "API（`POST /api/v1/progress/import`）"}


def report(results: dict) -> str:
    lines = [f"計測環境: {machine()}。目標: どの経路でもピーク RSS ≤ {GOAL_MB} MB。", ""]
    lines += ["| DB | 経路 | 行数 | ファイル | ピーク RSS | 取込前（ワーカー） | 時間 | 結果 | 目標 |",
              "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | --- |"]
    for engine, result in results.items():
        if "error" in result:
            lines.append(f"| {engine} | 計測できませんでした: {result['error']} | | | | | | | |")
            continue
        for key, figures in result["paths"].items():
            idle = f"{figures['idle_mb']:.0f} MB" if "idle_mb" in figures else "—"
            met = "達成" if figures["peak_mb"] <= GOAL_MB else "**未達**"
            lines.append(f"| {engine} | {LABELS[key]} | {result['rows']:,} | {result['bytes'] / 1e6:.1f} MB | "
                         f"**{figures['peak_mb']:.0f} MB** | {idle} | {figures['seconds']:.1f} 秒 | "
                         f"{figures['output']} | {met} |")
    lines += ["", "画面とAPIのピークは gunicorn ワーカーの VmHWM（起動からの最大）で、取込前の値はページを数回表示した後の値です。"
              "画面の経路は確認（検査のみの実行）と取込（もう一度検査してから書込）の両方を含みます。"]
    return "\n".join(lines)


def main():
    results = run_per_engine(Path(__file__), measure, database="import_memory", fresh=True)
    if results is None:
        return
    write_subsection("14万行の取込のメモリ", report(results))
    print(report(results))


if __name__ == "__main__":
    main()
