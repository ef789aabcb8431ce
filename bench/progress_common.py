"""Shared set-up for the benchmarks that run on both engines: one database per engine (and per bench when it
asks for its own), Django bootstrapped against it, one child process per engine, and writing the figures into
the `## 進捗インポート / 見える化` section of bench/README.md."""

import os
import platform
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import common

ROOT = common.ROOT
VAR = common.VAR
README = common.README
SECTION = "## 進捗インポート / 見える化"
DEFAULT_PG = "postgres://postgres@127.0.0.1:55432/chiiki_bench"


def database_url(engine: str, name: str = "progress") -> str:
    """The bench database of engine: var/bench/<name>.sqlite3, or BENCH_DATABASE_URL (its database name + _<name>
    for any bench but the progress ones, so a bench that writes does not disturb the others' data)."""
    if engine == "sqlite":
        VAR.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{VAR / f'{name}.sqlite3'}"
    url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_PG
    return url if name == "progress" else f"{url}_{name}"


def fresh_sqlite_database(url: str) -> None:
    path = Path(url.removeprefix("sqlite:///"))
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)


def ensure_postgres_database(url: str, *, fresh: bool = False) -> str | None:
    """Create the bench database if missing (drop it first when fresh); returns an error message when PostgreSQL
    is unreachable."""
    import psycopg

    match = re.match(r"postgres(?:ql)?://([^/]+)/(\w+)", url)
    if not match:
        return f"BENCH_DATABASE_URL を解釈できません: {url}"
    server, name = match.groups()
    try:
        with psycopg.connect(f"postgresql://{server}/postgres", autocommit=True, connect_timeout=5) as conn:
            if fresh:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
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


def load_average() -> str:
    return ", ".join(f"{value:.1f}" for value in os.getloadavg())


def machine(load: str | None = None) -> str:
    """uname -m, cores, date (UTC) and the load average (now, or the one given, taken when the measurement began)."""
    cores = os.cpu_count()
    load = load or load_average()
    return (f"{platform.machine()}（`uname -m`）、{cores}コア、{datetime.now(UTC):%Y-%m-%d %H:%M} UTC（`date -u`）、"
            f"計測開始時の load average {load}")


def run_engine_subprocesses(script: Path, engines=("sqlite", "postgresql"), *, database: str = "progress",
                            fresh: bool = False, argv=()) -> dict:
    """Run script [argv] --engine E for each engine in a fresh process (settings are read once per process),
    on database_url(E, database), emptied first when fresh."""
    import json

    results = {}
    for engine in engines:
        url = database_url(engine, database)
        if engine == "postgresql":
            problem = ensure_postgres_database(url, fresh=fresh)
            if problem:
                print(problem, file=sys.stderr)
                results[engine] = {"error": problem}
                continue
        elif fresh:
            fresh_sqlite_database(url)
        completed = subprocess.run([sys.executable, str(script), *argv, "--engine", engine], capture_output=True,
                                   text=True, cwd=ROOT, env={**os.environ, "DATABASE_URL": url})
        sys.stderr.write(completed.stderr)
        if completed.returncode != 0:
            results[engine] = {"error": completed.stderr.strip().splitlines()[-1:] or ["失敗"]}
            continue
        results[engine] = json.loads(completed.stdout.strip().splitlines()[-1])
    return results


def run_per_engine(script: Path, measure, before_children=None, *, database: str = "progress", fresh: bool = False,
                   parser=None) -> dict | None:
    """The shared entry point of the benchmarks that run on both engines.

    With --engine E (a child process): measure(E, args) on $DATABASE_URL, print its JSON and return None.
    Without: run one child per engine (with the same command-line options) and return their results.
    parser: an argparse.ArgumentParser with the bench's own options (--engine is added here).
    """
    import argparse
    import json

    parser = parser or argparse.ArgumentParser()
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.engine:
        setup_django(os.environ["DATABASE_URL"])
        print(json.dumps(measure(args.engine, args)))
        return None
    if before_children is not None:
        before_children()
    return run_engine_subprocesses(script, database=database, fresh=fresh, argv=sys.argv[1:])


def write_subsection(title: str, body: str) -> None:
    """Replace (or add) `### title` inside the progress section of bench/README.md, leaving other sections alone."""
    common.write_subsection(SECTION, "`make bench-progress` で計測し、この節を書き換えます。", title, body)
