"""The 1-or-blank columns of a standard (災害種別_… of 指定緊急避難場所) are ◎: the column must be there, and a blank
cell is its value (the site is not designated for that hazard), not a missing one. Numbers are plain digits."""

from .test_standard_full_width_types import EVACUATION, _problems, _validate

FLAGS = ",1,1,1,1,1,1,1,1,1,"


def test_a_blank_hazard_flag_is_a_value_not_a_missing_required_cell(db, client):
    # 第一小学校 is not designated for 火山現象 or 高潮: those cells are blank, as the standard says to write it.
    text = EVACUATION.replace(FLAGS, ",1,1,,1,1,1,1,,1,")
    body = _validate(client, "evacuation_sites", "evac.csv", text)
    assert body["ok"] is True and _problems(body) == [], body


def test_a_missing_hazard_column_is_still_required(db, client):
    header, row, _ = EVACUATION.split("\n")
    index = header.split(",").index("災害種別_高潮")
    drop = lambda line: ",".join(v for i, v in enumerate(line.split(",")) if i != index)  # noqa: E731
    body = _validate(client, "evacuation_sites", "evac.csv", f"{drop(header)}\n{drop(row)}\n")
    assert body["ok"] is False and any(p["column"] == "災害種別_高潮" for p in body["problems"]), body


def test_a_number_with_an_underscore_is_not_a_number(db, client):
    body = _validate(client, "evacuation_sites", "evac.csv", EVACUATION.replace(",120.5,", ",1_20.5,"))
    assert [(p[1], p[3]) for p in _problems(body)] == [("標高", "1_20.5")], body
