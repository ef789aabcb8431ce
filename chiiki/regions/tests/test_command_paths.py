"""File-taking region commands refuse a path the OS cannot open (not only a missing one) with a CommandError."""

import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from chiiki.core.models import ChangeRecord
from chiiki.regions.models import Municipality, Prefecture


@pytest.mark.parametrize("command, options", [
    ("import_population", ["--year", "2020"]),
    ("import_area", []),
    ("import_fiscal_indices", ["--fiscal-year", "2022"]),
])
def test_a_path_below_a_file_is_refused_clearly(register, tmp_path, command, options):
    existing = tmp_path / "pop.csv"
    existing.write_text("団体コード,人口\n131016,100\n", encoding="utf-8")
    with pytest.raises(CommandError, match="ファイル"):
        call_command(command, str(existing / "pop.csv"), *options)
    assert ChangeRecord.objects.count() == 0


@pytest.mark.parametrize("name", ["municipalities.csv", "sectors.csv", "support_programs.csv"])
def test_load_reference_with_a_folder_where_a_file_should_be_is_refused_clearly(db, tmp_path, name):
    data = tmp_path / "data"
    shutil.copytree(Path(settings.BASE_DIR) / "data", data)
    (data / name).unlink()
    (data / name).mkdir()
    with pytest.raises(CommandError, match="参照データの読み込みに失敗しました"):
        call_command("load_reference", "--data-dir", str(data), "--no-progress")
    assert not Prefecture.objects.exists() and not Municipality.objects.exists()
