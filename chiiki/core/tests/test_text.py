import pytest

from chiiki.core.text import fold, fold_kana, hira_to_kata, nfkc, normalize_digits


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
