import pytest

from chiiki.core.text import control_character_problem, fold, fold_kana, hira_to_kata, nfkc, normalize_digits


@pytest.mark.parametrize("raw", ["サッポロシ", "さっぽろし", "ｻｯﾎﾟﾛｼ", " サッポロシ　"])
def test_fold_makes_every_way_of_writing_a_reading_equal(raw):
    assert fold(raw) == "サッポロシ"


def test_fold_kana_also_folds_small_kana():
    # The official list writes some readings without small kana (ショウナイマチ is シヨウナイマチ there).
    assert fold_kana("しょうないまち") == fold_kana("シヨウナイマチ") == "シヨウナイマチ"
    assert fold_kana("ヵヶ") == "カケ"
    assert fold_kana("ゔぃ") == "ヴイ"


def test_fold_lowercases_and_folds_full_width_latin():
    assert fold("ＩｏＴ　ＡＩ") == "iot ai"


def test_normalize_digits_touches_only_digits_and_ideographic_space():
    assert normalize_digits("令和８年度　Ｒ８") == "令和8年度 Ｒ8"


def test_nfkc_accepts_none():
    assert nfkc(None) == ""


def test_hira_to_kata_leaves_other_characters():
    assert hira_to_kata("ちよだ区1") == "チヨダ区1"


@pytest.mark.parametrize(("value", "problem"), [
    ("前\x00後", "制御文字（U+0000 NUL）が含まれています。取り除いてから保存してください"),
    ("\x1b[31m赤", "制御文字（U+001B ESC）が含まれています。取り除いてから保存してください"),
    ("a\x0bb", "制御文字（U+000B VT）が含まれています。取り除いてから保存してください"),
    ("末尾\x1f", "制御文字（U+001F）が含まれています。取り除いてから保存してください"),
])
def test_control_character_problem_names_the_character(value, problem):
    assert control_character_problem(value) == problem


@pytest.mark.parametrize("value", ["", "普通の文", "一行目\r\n二行目\tタブ", "\x7f削除文字はC0ではない", None])
def test_control_character_problem_allows_text_tabs_and_line_breaks(value):
    assert control_character_problem(value) is None
