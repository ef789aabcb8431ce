"""Every file-taking command turns an OS refusal of its path (here ENAMETOOLONG) into a Japanese CommandError."""

import re

import pytest
from django.core.management import CommandError, call_command

JAPANESE = re.compile("[\u3040-\u30ff\u4e00-\u9fff]")


@pytest.mark.parametrize("command, before, after", [
    ("import_population", [], ["--year", "2020"]),
    ("import_area", [], []),
    ("import_fiscal_indices", [], ["--fiscal-year", "2022"]),
    ("import_funding_lines", [], []),
    ("import_non_grant", [], []),
    ("import_progress", [], []),
    ("load_boundaries", [], []),
    ("load_reference", ["--data-dir"], ["--no-progress"]),
    ("backup", [], []),
    ("restore", [], []),
])
def test_an_unopenable_path_is_a_japanese_command_error(register, tmp_path, command, before, after):
    path = tmp_path / ("長い名前" * 70 + ".csv")  # over NAME_MAX: the OS refuses it (ENAMETOOLONG)
    with pytest.raises(CommandError) as failure:
        call_command(command, *before, str(path), *after)
    assert JAPANESE.search(str(failure.value))


@pytest.mark.parametrize("command, arguments, said", [
    ("import_progress", [], "必須の引数がありません: file"),
    ("import_population", [], "必須の引数がありません: file"),
    ("backup", [], "必須の引数がありません: path"),
    ("restore", [], "必須の引数がありません: path"),
    ("import_population", ["x.csv", "--year", "abc"], "引数 --year の値が正しくありません: 'abc'"),
    ("import_progress", ["x.csv", "--no-such-option"], "知らない引数です: --no-such-option"),
])
def test_a_usage_error_is_explained_in_japanese(db, command, arguments, said):
    with pytest.raises(CommandError) as failure:
        call_command(command, *arguments)
    assert said in str(failure.value), str(failure.value)
