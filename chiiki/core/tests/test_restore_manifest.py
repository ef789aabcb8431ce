"""restore refuses a SQLite backup whose manifest is not JSON with a CommandError, not a traceback."""

import sqlite3

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from chiiki.core.backup import MANIFEST_TABLE


def test_restore_refuses_a_garbled_manifest(transactional_db, tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("the manifest is inside the backup file only on SQLite")
    path = tmp_path / "x.backup"
    db = sqlite3.connect(path)
    db.execute(f"CREATE TABLE {MANIFEST_TABLE} (manifest TEXT)")
    db.execute(f"INSERT INTO {MANIFEST_TABLE} VALUES ('{{broken')")
    db.commit()
    db.close()
    with pytest.raises(CommandError, match="マニフェスト"):
        call_command("restore", str(path))


@pytest.mark.parametrize("path", ["", "  "])
def test_backup_without_a_file_name_asks_for_one(transactional_db, path):
    with pytest.raises(CommandError, match="保存先のファイル名を指定してください"):
        call_command("backup", path)
