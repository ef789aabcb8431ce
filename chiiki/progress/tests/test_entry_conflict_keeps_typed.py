"""A row that met a newer save keeps what was typed in its fields (with the newer values in its message) and still
counts as not saved, so nothing typed is lost and saving again is a deliberate overwrite."""

import re

import pytest

pytestmark = pytest.mark.django_db


def test_a_row_that_met_a_newer_save_keeps_what_was_typed(client_for, users, register):
    mine, theirs = client_for(users["hachioji"]), client_for(users["tokyo"])
    saved = mine.post("/progress/entry/132012/tourism/", {"fiscal_year": "2026", "version": "0", "stage": "piloting",
                                                          "note": "観光Wi-Fi"}, HTTP_HX_REQUEST="true")
    assert "保存しました" in saved.content.decode()
    theirs.post("/progress/entry/132012/tourism/", {"fiscal_year": "2026", "version": "1", "stage": "implemented",
                                                    "note": "県が確認"})

    row = mine.post("/progress/entry/132012/tourism/", {
        "fiscal_year": "2026", "version": "1", "stage": "considering", "note": "私のメモ",
        "evidence_url": "https://example.jp/mine"}, HTTP_HX_REQUEST="true").content.decode()

    assert "最新の段階は「実装済」です（備考: 「県が確認」）。あなたの入力は消さずに残しています" in row
    assert re.search(r'<option value="considering" selected>', row)
    assert ">私のメモ</textarea>" in row and 'value="https://example.jp/mine"' in row
    assert 'data-refused="true"' in row  # progress-entry.js keeps it counted as not saved
    assert 'name="version" value="2"' in row  # saving again overwrites the newer save, knowingly

    again = mine.post("/progress/entry/132012/tourism/", {
        "fiscal_year": "2026", "version": "2", "stage": "considering", "note": "私のメモ",
        "evidence_url": "https://example.jp/mine"}, HTTP_HX_REQUEST="true").content.decode()
    assert "保存しました" in again and 'data-refused' not in again
