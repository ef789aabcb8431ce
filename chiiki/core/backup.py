"""Backing up and restoring the whole database (operator commands `backup` and `restore`).

A backup is a consistent copy taken while the site runs, plus a manifest: the row count of every model table
as of that copy. SQLite: the online backup API copies the database file page by page (a read snapshot, so
writers keep working) into a self-contained file (rollback journal, not WAL); the manifest is a table inside
the copy. PostgreSQL: `pg_dump --format=custom` of a snapshot exported by the transaction that counted the
rows (`--snapshot`), so the counts describe exactly what was dumped; the manifest is `PATH.manifest.json`.

A restore refuses a database that holds data unless forced, copies the backup in (SQLite: the backup API;
PostgreSQL: `pg_restore --clean --if-exists --no-owner` in one transaction), checks every table's row count
against the manifest, applies pending migrations (a backup from an older release), rebuilds derived data
(each app's `rebuild_derived_data()`, e.g. the programs' search index), moves every data version past both the
old and the restored value so no cached page of either survives, and clears the cache.
"""

import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection, transaction

from chiiki import access

from .models import DataVersion

FORMAT = "chiiki-backup/1"
MANIFEST_TABLE = "chiiki_backup_manifest"
MANIFEST_SUFFIX = ".manifest.json"
# Tables `migrate` fills by itself: a freshly migrated database with only these rows counts as empty.
FILLED_BY_MIGRATE = {"django_content_type", "auth_permission"}
PG_BIN_DIRS = [Path("/usr/lib/postgresql/15/bin")]
ENGINE_LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


class BackupError(Exception):
    """The backup or restore cannot be done or did not check out; the message says why (Japanese)."""


@dataclass
class Result:
    path: Path
    engine: str
    size: int
    tables: dict[str, int]
    manifest_path: Path | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


# ---- shared helpers ------------------------------------------------------------------------------------------


def model_tables() -> list[str]:
    """Every existing table of an installed model (auto-created many-to-many tables included), sorted."""
    return sorted(connection.introspection.django_table_names(only_existing=True, include_views=False))


def _count(cursor, tables) -> dict[str, int]:
    counts = {}
    for table in tables:
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
        counts[table] = int(cursor.fetchone()[0])
    return counts


def _manifest(engine: str, counts: dict[str, int]) -> dict:
    from django.db.migrations.recorder import MigrationRecorder

    applied = MigrationRecorder(connection).applied_migrations()
    latest: dict[str, str] = {}
    for app_label, name in sorted(applied):
        latest[app_label] = max(latest.get(app_label, name), name)
    return {"format": FORMAT, "engine": engine, "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "tables": counts, "migrations": latest}


def _check_manifest(manifest, engine: str, where) -> dict:
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or not isinstance(manifest.get("tables"), dict):
        raise BackupError(f"{where}: Chiiki のバックアップのマニフェストではありません")
    if manifest.get("engine") != engine:
        made_by = ENGINE_LABELS.get(manifest.get("engine"), manifest.get("engine"))
        raise BackupError(f"{where}: {made_by} のバックアップは {ENGINE_LABELS[engine]} のデータベースには復元できません"
                          "（エンジンをまたぐ移行には dumpdata / loaddata を使ってください）")
    return manifest


def _is_empty() -> bool:
    with connection.cursor() as cursor:
        for table in model_tables():
            if table in FILLED_BY_MIGRATE:
                continue
            cursor.execute(f"SELECT 1 FROM {connection.ops.quote_name(table)} LIMIT 1")
            if cursor.fetchone():
                return False
    return True


def _data_versions() -> dict[str, int]:
    if DataVersion._meta.db_table not in model_tables():
        return {}
    return dict(DataVersion.objects.values_list("name", "version"))


def _output_path(path) -> Path:
    if not str(path).strip():  # Path("") is "." (the current directory), which "exists"
        raise BackupError("保存先のファイル名を指定してください")
    path = Path(path)
    try:
        exists, parent_is_dir = path.exists(), path.parent.is_dir()
    except OSError as exc:  # exists() raises, rather than answers False, for a name the OS refuses
        raise BackupError(f"保存先を確かめられません: {path}（{exc.strerror}）") from None
    if exists:
        raise BackupError(f"{path} は既にあります（上書きしません。別のファイル名を指定してください）")
    if not parent_is_dir:
        raise BackupError(f"保存先のディレクトリがありません: {path.parent}")
    return path


# ---- backup --------------------------------------------------------------------------------------------------


def backup(actor, path) -> Result:
    """Write a consistent copy of the configured database to path (which must not exist yet)."""
    access.require(actor, "database.backup")
    path = _output_path(path)
    if connection.vendor == "sqlite":
        return _backup_sqlite(path)
    if connection.vendor == "postgresql":
        return _backup_postgresql(path)
    raise BackupError(f"{connection.vendor} のバックアップには対応していません")


def _backup_sqlite(path: Path) -> Result:
    tables = model_tables()
    manifest_base = _manifest("sqlite", {})
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    connection.ensure_connection()
    target = sqlite3.connect(partial)
    try:
        # One step (pages=-1): the whole file as of one read snapshot; in WAL mode writers are not blocked.
        connection.connection.backup(target)
        target.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file, no -wal/-shm beside it
        counts = {}
        for table in tables:
            counts[table] = target.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
        manifest = {**manifest_base, "tables": counts}
        target.execute(f"CREATE TABLE {MANIFEST_TABLE} (manifest TEXT NOT NULL)")
        target.execute(f"INSERT INTO {MANIFEST_TABLE} (manifest) VALUES (?)", [json.dumps(manifest, ensure_ascii=False)])
        target.commit()
        check = target.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"作成したバックアップの検査に失敗しました: {check}")
    except BaseException:
        target.close()
        partial.unlink(missing_ok=True)
        raise
    target.close()
    partial.replace(path)
    return Result(path=path, engine="sqlite", size=path.stat().st_size, tables=counts)


def pg_tool(name: str, search_dirs=None) -> str:
    """The path of a PostgreSQL client program (pg_dump, pg_restore): PostgreSQL 15's own, else PATH."""
    for directory in (PG_BIN_DIRS if search_dirs is None else search_dirs):
        candidate = Path(directory) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    raise BackupError(f"{name} が見つかりません。PostgreSQL 15 のクライアント（Debian: apt-get install "
                      f"postgresql-client-15）を入れるか、{name} のあるディレクトリを PATH に加えてください。")


def _pg_env() -> dict[str, str]:
    """Connection settings for the client programs, through the environment (no password on a command line)."""
    settings = connection.settings_dict
    env = dict(os.environ)
    for key, variable in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD"),
                          ("NAME", "PGDATABASE")):
        if settings.get(key):
            env[variable] = str(settings[key])
    return env


def _run(args: list[str], what: str) -> None:
    result = subprocess.run(args, env=_pg_env(), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{what}に失敗しました（{Path(args[0]).name} 終了コード {result.returncode}）:\n"
                          f"{result.stderr.strip()}")


def _backup_postgresql(path: Path) -> Result:
    pg_dump = pg_tool("pg_dump")
    manifest_path = path.with_name(path.name + MANIFEST_SUFFIX)
    if manifest_path.exists():
        raise BackupError(f"{manifest_path} は既にあります（上書きしません）")
    tables = model_tables()
    manifest_base = _manifest("postgresql", {})
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    snapshot_connection = connection.copy()
    try:
        snapshot_connection.ensure_connection()
        snapshot_connection.set_autocommit(False)
        with snapshot_connection.cursor() as cursor:
            # The counts and pg_dump read the same snapshot, exported by this transaction while it stays open.
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            counts = _count(cursor, tables)
            _run([pg_dump, "--format=custom", "--no-password", f"--snapshot={snapshot}", f"--file={partial}"],
                 "pg_dump によるバックアップ")
        snapshot_connection.rollback()
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        snapshot_connection.close()
    manifest = {**manifest_base, "tables": counts}
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    partial.replace(path)
    return Result(path=path, engine="postgresql", size=path.stat().st_size, tables=counts,
                  manifest_path=manifest_path)


# ---- restore -------------------------------------------------------------------------------------------------


def read_manifest(path) -> dict:
    """The manifest of a backup made by `backup` for the configured engine."""
    path = Path(path)
    try:
        if not path.is_file():
            raise BackupError(f"バックアップのファイルがありません: {path}")
        with path.open("rb") as handle:
            head = handle.read(16)
    except OSError as exc:  # a name the OS refuses, no permission
        raise BackupError(f"バックアップのファイルを読めません: {path}（{exc.strerror}）") from None
    made_by = "sqlite" if head.startswith(b"SQLite format 3\x00") else "postgresql" if head.startswith(b"PGDMP") else None
    if made_by is not None and made_by != connection.vendor:
        raise BackupError(f"{path}: {ENGINE_LABELS[made_by]} のバックアップは {ENGINE_LABELS[connection.vendor]} "
                          "のデータベースには復元できません"
                          "（エンジンをまたぐ移行には dumpdata / loaddata を使ってください）")
    if connection.vendor == "sqlite":
        try:
            source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
            try:
                row = source.execute(f"SELECT manifest FROM {MANIFEST_TABLE}").fetchone()
            finally:
                source.close()
        except sqlite3.DatabaseError:
            raise BackupError(f"{path}: Chiiki の SQLite バックアップではありません（マニフェストの表がありません）") from None
        try:
            manifest = json.loads(row[0]) if row else None
        except (TypeError, ValueError):  # TypeError: a NULL or BLOB manifest
            raise BackupError(f"{path}: マニフェストが JSON として読めません") from None
        return _check_manifest(manifest, "sqlite", path)
    manifest_path = path.with_name(path.name + MANIFEST_SUFFIX)
    if not manifest_path.is_file():
        raise BackupError(f"マニフェスト {manifest_path} がありません（backup が書いたものをバックアップと同じ場所に置いてください）")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except ValueError:
        raise BackupError(f"{manifest_path}: JSON として読めません") from None
    except OSError as exc:
        raise BackupError(f"マニフェスト {manifest_path} を読めません（{exc.strerror}）") from None
    return _check_manifest(manifest, connection.vendor, manifest_path)


def restore(actor, path, *, force: bool = False) -> Result:
    """Replace the configured database's contents with the backup at path; see the module docstring."""
    access.require(actor, "database.restore")
    path = Path(path)
    manifest = read_manifest(path)
    old_versions = _data_versions()
    if not force and not _is_empty():
        raise BackupError("復元先のデータベースにはデータがあります。置き換えてよい場合は --force を付けてください"
                          "（いまの内容はすべて失われます。先に backup を取ってください）")
    if connection.vendor == "sqlite":
        _restore_sqlite(path)
    else:
        _restore_postgresql(path)
    mismatches = verify(manifest["tables"])
    if mismatches:
        raise BackupError("復元後の行数がバックアップのマニフェストと一致しません:\n" + "\n".join(
            f"  {table}: バックアップ {expected:,} 行 / 復元後 {actual if actual is not None else '表がありません'}"
            for table, expected, actual in mismatches))
    notes = _after_restore(old_versions)
    return Result(path=path, engine=connection.vendor, size=path.stat().st_size, tables=manifest["tables"],
                  notes=notes)


def _restore_sqlite(path: Path) -> None:
    source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        check = source.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"{path}: バックアップのファイルが壊れています（{check}）")
        target_name = connection.settings_dict["NAME"]
        connection.close()

        target = sqlite3.connect(target_name, timeout=getattr(settings, "SQLITE_BUSY_TIMEOUT", 20))
        try:
            source.backup(target)
            target.execute(f"DROP TABLE IF EXISTS {MANIFEST_TABLE}")
            target.commit()
            target.execute("PRAGMA journal_mode=WAL")
        finally:
            target.close()
    finally:
        source.close()


def _restore_postgresql(path: Path) -> None:
    pg_restore = pg_tool("pg_restore")
    connection.close()
    # One transaction: a restore that fails half-way leaves the database as it was.
    _run([pg_restore, "--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error",
          "--no-password", f"--dbname={connection.settings_dict['NAME']}", str(path)], "pg_restore による復元")


def verify(expected: dict[str, int]) -> list[tuple[str, int, int | None]]:
    """(table, rows in the backup, rows now or None if the table is missing) for every table that differs."""
    existing = set(model_tables())
    with connection.cursor() as cursor:
        actual = _count(cursor, [t for t in expected if t in existing])
    return [(table, count, actual.get(table)) for table, count in sorted(expected.items())
            if actual.get(table) != count]


def _after_restore(old_versions: dict[str, int]) -> list[str]:
    from django.db.migrations.executor import MigrationExecutor


    notes = []
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        call_command("migrate", interactive=False, verbosity=0)
        notes.append(f"未適用のマイグレーション {len(pending)} 件を適用しました")
    with transaction.atomic():
        for config in apps.get_app_configs():
            rebuild = getattr(config, "rebuild_derived_data", None)
            if rebuild is not None:
                notes.append(rebuild())
        # Page caches are keyed on data versions; the restored values may equal versions the running site
        # already cached other data under, so every version moves past both.
        restored = dict(DataVersion.objects.values_list("name", "version"))
        for name in sorted(set(old_versions) | set(restored)):
            version = max(old_versions.get(name, 0), restored.get(name, 0)) + 1
            DataVersion.objects.update_or_create(name=name, defaults={"version": version})
    cache.clear()
    notes.append("データのバージョンを進め、キャッシュを消去しました")
    return notes
