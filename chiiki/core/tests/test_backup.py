"""`manage.py backup` / `restore` on the configured engine (SQLite files here; PostgreSQL when DATABASE_URL is
postgres://, with a second database created for the restore target and dropped afterwards)."""

import json
import sqlite3
import threading
from contextlib import contextmanager

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from chiiki.access import SYSTEM
from chiiki.progress.imports import PROGRESS

pytestmark = pytest.mark.django_db(transaction=True)

SEARCHES = ["/api/v1/programs?q=防災&page_size=100", "/api/v1/programs?q=補助&page_size=100"]


@pytest.fixture
def site_data(transactional_db):
    """Reference data (1,741 municipalities, sectors, 25 programs) plus rows in the other apps' tables."""
    from chiiki.accounts.models import ApiToken, Role, User
    from chiiki.programs import actions as program_actions

    call_command("load_reference", no_progress=True, stdout=_Null())
    admin = User.objects.create_user("backup-admin", password=None, role=Role.NATIONAL_ADMIN,
                                     email="admin@example.jp")
    ApiToken.issue(admin, "nightly")
    report = PROGRESS.run(SYSTEM, "\r\n".join([
        "団体コード,分野,年度,段階,備考,根拠URL", "132012,disaster,2025,planned,防災無線,",
        "011002,education,2026,implemented,,https://example.jp/gakko"]).encode(), "seed.csv")
    assert report.committed
    program_actions.save_search(admin, name="防災の補助", params="q=防災", alerts=True)
    return admin


class _Null:
    def write(self, *args, **kwargs):
        pass

    def flush(self):
        pass


def table_rows() -> dict[str, list]:
    """Every model table's rows (sorted), for comparing two databases."""
    from chiiki.core.backup import model_tables

    out = {}
    with connection.cursor() as cursor:
        for table in model_tables():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            out[table] = sorted((tuple(row) for row in cursor.fetchall()), key=repr)
    return out


def search_ids(client) -> list[list[str]]:
    """The ids each search returns, in order (empty lists: the search finds nothing)."""
    out = []
    for url in SEARCHES:
        response = client.get(url)
        assert response.status_code == 200, response.content
        out.append([item["id"] for item in response.json()["items"]])
    return out


@pytest.fixture
def fresh_database(tmp_path):
    """fresh_database(): a context in which the configured database is a new, empty one (SQLite: a file that does
    not exist yet; PostgreSQL: a database created for it and dropped afterwards)."""
    created = []

    @contextmanager
    def use():
        original = connection.settings_dict["NAME"]
        if connection.vendor == "postgresql":
            name = f"{original}_restore"[:63]
            with connection.cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(name)} WITH (FORCE)")
                cursor.execute(f"CREATE DATABASE {connection.ops.quote_name(name)}")
            created.append(name)
        else:
            name = str(tmp_path / f"restored-{len(created)}.sqlite3")
            created.append(name)
        connection.close()
        connection.settings_dict["NAME"] = name
        try:
            yield name
        finally:
            connection.close()
            connection.settings_dict["NAME"] = original

    yield use
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for name in created:
                cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(name)} WITH (FORCE)")


def _run(command, *args, **options) -> str:
    import io

    out = io.StringIO()
    call_command(command, *args, stdout=out, **options)
    return out.getvalue()


def test_backup_restored_into_a_fresh_database_has_every_row_and_the_same_search(
        site_data, fresh_database, tmp_path, client):
    from chiiki.core.models import DataVersion

    before, found = table_rows(), search_ids(client)
    versions = dict(DataVersion.objects.values_list("name", "version"))
    assert len(found[0]) >= 1 and len(found[1]) >= 5
    assert before["regions_municipality"] and before["programs_savedsearch"] and before["accounts_apitoken"]
    path = tmp_path / "chiiki.backup"

    output = _run("backup", str(path))
    assert path.is_file() and "バックアップを作成しました" in output
    assert "1,741" in output and "合計" in output
    with pytest.raises(CommandError, match="既にあります"):
        _run("backup", str(path))

    with fresh_database():
        output = _run("restore", str(path))
        assert "一致しました" in output and "検索索引を作り直しました（25件）" in output
        after, found_after = table_rows(), search_ids(client)
        restored_versions = dict(DataVersion.objects.values_list("name", "version"))

    # Every table comes back row for row; data versions move on so no cached page of the old data is served.
    assert {t: rows for t, rows in after.items() if t != "core_dataversion"} == \
        {t: rows for t, rows in before.items() if t != "core_dataversion"}
    assert set(restored_versions) == set(versions)
    assert all(restored_versions[name] > versions[name] for name in versions)
    assert found_after == found


def test_restore_rebuilds_a_search_index_the_backup_did_not_carry(site_data, fresh_database, tmp_path, client):
    """The index is not a model table: after dumpdata/loaddata (or any copy of the rows alone) it is empty and
    every search finds nothing. A restore rebuilds it from the programs."""
    from django.core.cache import cache

    from chiiki.programs.indexing import PROGRAM_INDEX
    from chiiki.programs.search import invalidate

    found = search_ids(client)
    PROGRAM_INDEX.clear()
    invalidate()
    cache.clear()  # the anonymous page cache holds the answers from before the index was emptied
    assert search_ids(client) == [[], []]
    path = tmp_path / "stale-index.backup"
    _run("backup", str(path))
    with fresh_database():
        _run("restore", str(path))
        assert search_ids(client) == found


def test_restore_refuses_a_database_with_data_unless_forced(site_data, tmp_path, client):
    from chiiki.core.models import DataVersion
    from chiiki.progress.models import ProgressRecord

    path = tmp_path / "before-survey.backup"
    _run("backup", str(path))
    progress = ProgressRecord.objects.count()
    report = PROGRESS.run(
        SYSTEM, "団体コード,分野,年度,段階\r\n131016,tourism,2026,piloting\r\n".encode(), "later.csv")
    assert report.committed
    versions = dict(DataVersion.objects.values_list("name", "version"))

    with pytest.raises(CommandError, match="--force"):
        _run("restore", str(path))
    assert ProgressRecord.objects.count() == progress + 1

    _run("restore", str(path), force=True)
    assert ProgressRecord.objects.count() == progress
    restored = dict(DataVersion.objects.values_list("name", "version"))
    # Past both the versions the running site has seen and the backup's own.
    assert all(restored[name] > versions[name] for name in versions)
    assert all(search_ids(client))


def test_restore_reports_tables_that_do_not_match_the_manifest(site_data, fresh_database, tmp_path):
    path = tmp_path / "tampered.backup"
    _run("backup", str(path))
    if connection.vendor == "sqlite":
        backup_file = sqlite3.connect(path)
        (raw,) = backup_file.execute("SELECT manifest FROM chiiki_backup_manifest").fetchone()
        manifest = json.loads(raw)
        manifest["tables"]["regions_prefecture"] = 48
        backup_file.execute("UPDATE chiiki_backup_manifest SET manifest = ?", [json.dumps(manifest)])
        backup_file.commit()
        backup_file.close()
    else:
        sidecar = path.with_name(path.name + ".manifest.json")
        manifest = json.loads(sidecar.read_text(encoding="utf-8"))
        manifest["tables"]["regions_prefecture"] = 48
        sidecar.write_text(json.dumps(manifest), encoding="utf-8")
    with fresh_database(), pytest.raises(CommandError) as failure:
        _run("restore", str(path))
    message = str(failure.value)
    assert "一致しません" in message and "regions_prefecture: バックアップ 48 行 / 復元後 47" in message


def test_backup_while_another_connection_writes_is_a_consistent_copy(site_data, fresh_database, tmp_path):
    """The site keeps running: a writer's open transaction neither blocks the backup nor leaks into it."""
    from chiiki.core.backup import read_manifest
    from chiiki.progress.models import ProgressRecord

    committed = ProgressRecord.objects.count()
    other = connection.copy()
    table = connection.ops.quote_name(ProgressRecord._meta.db_table)
    path = tmp_path / "online.backup"
    try:
        with other.cursor() as cursor:
            cursor.execute("BEGIN IMMEDIATE" if other.vendor == "sqlite" else "BEGIN")
            cursor.execute(f"DELETE FROM {table}")
        done = threading.Event()

        def run_backup():
            try:
                _run("backup", str(path))
            finally:
                from django.db import connections

                connections.close_all()
                done.set()

        thread = threading.Thread(target=run_backup)
        thread.start()
        thread.join(120)
        assert done.is_set() and path.is_file(), "the backup waited for the writer"
    finally:
        with other.cursor() as cursor:
            cursor.execute("COMMIT")  # the writer's delete lands after the backup
        other.close()
    assert ProgressRecord.objects.count() == 0
    assert read_manifest(path)["tables"]["progress_progressrecord"] == committed
    with fresh_database():
        _run("restore", str(path))
        assert ProgressRecord.objects.count() == committed


def test_restore_refuses_files_that_are_not_backups(transactional_db, tmp_path):
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("これはバックアップではありません", encoding="utf-8")
    with pytest.raises(CommandError, match="バックアップ|マニフェスト"):
        _run("restore", str(not_a_backup))
    with pytest.raises(CommandError, match="ファイルがありません"):
        _run("restore", str(tmp_path / "missing.backup"))
    # A backup of the other engine is named as such.
    other_engine = tmp_path / "other-engine.backup"
    if connection.vendor == "sqlite":
        other_engine.write_bytes(b"PGDMP\x01\x0e\x00" + b"\x00" * 64)
        expected = "PostgreSQL のバックアップは SQLite のデータベースには復元できません"
    else:
        sqlite3.connect(other_engine).execute("CREATE TABLE t (x)").connection.close()
        expected = "SQLite のバックアップは PostgreSQL のデータベースには復元できません"
    with pytest.raises(CommandError, match=expected):
        _run("restore", str(other_engine))


def test_missing_postgresql_client_is_named_in_japanese(tmp_path, monkeypatch):
    from chiiki.core.backup import BackupError, pg_tool

    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BackupError, match="pg_dump が見つかりません。PostgreSQL 15 のクライアント"):
        pg_tool("pg_dump", search_dirs=[tmp_path / "postgresql" / "15" / "bin"])
    fake = tmp_path / "pg_restore"
    fake.write_text("#!/bin/sh\n", encoding="utf-8")
    fake.chmod(0o755)
    assert pg_tool("pg_restore", search_dirs=[tmp_path / "none"]) == str(fake)


def test_only_operators_back_up_and_restore(site_data, tmp_path):
    from django.core.exceptions import PermissionDenied

    from chiiki.core import backup

    with pytest.raises(PermissionDenied):
        backup.backup(site_data, tmp_path / "by-admin.backup")
    with pytest.raises(PermissionDenied):
        backup.restore(site_data, tmp_path / "by-admin.backup")
    assert not (tmp_path / "by-admin.backup").exists()
