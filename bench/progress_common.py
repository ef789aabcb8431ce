"""Shared set-up for the progress benchmarks: one database per engine, Django bootstrapped against it,
and writing the figures into the `## 進捗インポート / 見える化` section of bench/README.md."""

import os
import platform
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench"
README = ROOT / "bench" / "README.md"
SECTION = "## 進捗インポート / 見える化"
DEFAULT_PG = "postgres://postgres@127.0.0.1:55432/chiiki_bench"


def database_url(engine: str) -> str:
    if engine == "sqlite":
        VAR.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{VAR / 'progress.sqlite3'}"
    return os.environ.get("BENCH_DATABASE_URL") or DEFAULT_PG


def ensure_postgres_database(url: str) -> str | None:
    """Create the bench database if missing; returns an error message when PostgreSQL is unreachable."""
    import psycopg

    match = re.match(r"postgres(?:ql)?://([^/]+)/(\w+)", url)
    if not match:
        return f"BENCH_DATABASE_URL を解釈できません: {url}"
    server, name = match.groups()
    try:
        with psycopg.connect(f"postgresql://{server}/postgres", autocommit=True, connect_timeout=5) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{name}"')
    except Exception as exc:  # report, the caller records "not measured"
        return f"PostgreSQL に接続できません（{server}）: {exc}"
    return None


def setup_django(url: str):
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chiiki.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from chiiki.regions.models import Municipality

    if Municipality.objects.count() < 1741:
        call_command("load_reference", verbosity=0)


def machine() -> str:
    cores = os.cpu_count()
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return (f"{platform.machine()}（`uname -m`）、{cores}コア、{datetime.now(UTC):%Y-%m-%d %H:%M} UTC（`date -u`）、"
            f"計測開始時の load average {load}")


def run_engine_subprocesses(script: Path, engines=("sqlite", "postgresql")) -> dict:
    """Run script --engine E for each engine in a fresh process (settings are read once per process)."""
    import json

    results = {}
    for engine in engines:
        url = database_url(engine)
        if engine == "postgresql":
            problem = ensure_postgres_database(url)
            if problem:
                print(problem, file=sys.stderr)
                results[engine] = {"error": problem}
                continue
        completed = subprocess.run([sys.executable, str(script), "--engine", engine], capture_output=True, text=True,
                                   cwd=ROOT, env={**os.environ, "DATABASE_URL": url})
        sys.stderr.write(completed.stderr)
        if completed.returncode != 0:
            results[engine] = {"error": completed.stderr.strip().splitlines()[-1:] or ["失敗"]}
            continue
        results[engine] = json.loads(completed.stdout.strip().splitlines()[-1])
    return results


def run_per_engine(script: Path, measure, before_children=None) -> dict | None:
    """The shared entry point of the progress benchmarks.

    With --engine E (a child process): measure E on $DATABASE_URL, print its JSON and return None.
    Without: run one child per engine and return their results.
    """
    import argparse
    import json

    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    if args.engine:
        setup_django(os.environ["DATABASE_URL"])
        print(json.dumps(measure(args.engine)))
        return None
    if before_children is not None:
        before_children()
    return run_engine_subprocesses(script)


def write_subsection(title: str, body: str) -> None:
    """Replace (or add) `### title` inside the progress section of bench/README.md, leaving other sections alone."""
    text = README.read_text(encoding="utf-8") if README.exists() else "# ベンチマーク\n"
    if SECTION not in text:
        text = text.rstrip("\n") + f"\n\n{SECTION}\n\n`make bench-progress` で計測し、この節を書き換えます。\n"
    start = text.index(SECTION)
    next_section = text.find("\n## ", start + len(SECTION))
    end = len(text) if next_section == -1 else next_section + 1
    section = text[start:end]
    block = f"### {title}\n\n{body.strip()}\n\n"
    pattern = re.compile(rf"### {re.escape(title)}\n.*?(?=\n### |\Z)", re.S)
    if pattern.search(section):
        section = pattern.sub(lambda _m: block.rstrip("\n") + "\n", section)
    else:
        section = section.rstrip("\n") + "\n\n" + block
    if not section.endswith("\n\n") and next_section != -1:
        section = section.rstrip("\n") + "\n\n"
    README.write_text(text[:start] + section + text[end:], encoding="utf-8")
