"""import_progress through the management command: formats, all-or-nothing, every bad row named, idempotency."""

import pytest
from django.core.management import CommandError, call_command

from .conftest import csv_file, run_import_command, xlsx_file

pytestmark = pytest.mark.django_db


run = run_import_command


def test_utf8_bom_file_with_every_accepted_spelling(tmp_path, register, records, history_count):
    data = csv_file([
        "131016,disaster,2026,implemented,防災アプリ,https://example.jp/bousai",
        "13101,防災,令和7年度,実証中,,",  # 5-digit code, sector name, 和暦, Japanese stage
        "１３２０１２,教育,R8,計画策定,,",  # full-width digits
        "011002,health,２０２５,自走,,",
    ])
    ok, out, err = run(tmp_path, data)
    assert ok, err
    assert records() == {
        ("131016", "disaster", 2026): ("implemented", 1),
        ("131016", "disaster", 2025): ("piloting", 1),
        ("132012", "education", 2026): ("planned", 1),
        ("011002", "health", 2025): ("self_sustaining", 1),
    }
    assert "新規 4件" in out
    assert history_count() == 4


def test_cp932_without_bom_and_xlsx(tmp_path, register, records):
    ok, _out, err = run(tmp_path, csv_file(["322016,観光,2026,検討中,松江の観光,"], encoding="cp932"))
    assert ok, err
    ok, _out, err = run(tmp_path, xlsx_file([["325252", "農林水産業", "令和8年度", "実装済", "", ""],
                                             [13315, "agriculture", 2026, "planned", "", ""]]), "p.xlsx")
    assert ok, err
    assert records()[("322016", "tourism", 2026)] == ("considering", 1)
    assert records()[("325252", "agriculture", 2026)] == ("implemented", 1)
    assert records()[("013315", "agriculture", 2026)] == ("planned", 1)  # Excel dropped the leading zero


def test_fiscal_year_option_fills_missing_year(tmp_path, register, records):
    data = csv_file(["131016,disaster,implemented", "132012,education,planned"], header="団体コード,分野,段階")
    ok, _out, err = run(tmp_path, data, "p.csv")
    assert not ok and "年度" in err
    ok, _out, err = run(tmp_path, data, "p.csv", "--fiscal-year", "令和8年度")
    assert ok, err
    assert set(records()) == {("131016", "disaster", 2026), ("132012", "education", 2026)}


def test_every_bad_row_is_named_and_nothing_is_written(tmp_path, register, records, history_count):
    data = csv_file([
        "131016,disaster,2026,implemented,,",      # 2: fine
        "131017,disaster,2026,implemented,,",      # 3: wrong check digit
        "999999,disaster,2026,implemented,,",      # 4: check digit ok? (unknown or invalid either way)
        "131016,宇宙,2026,implemented,,",          # 5: unknown sector
        "131016,education,令和99年度,planned,,",   # 6: out of range year
        "131016,education,2026,完了,,",            # 7: unknown stage
        "131016,disaster,2026,planned,,",          # 8: duplicate of row 2 with another stage
        "131016,disaster,2026,implemented,,",      # 9: same value again: fine
        "132012,work,2026,planned,,not a url",     # 10: bad URL
        "13201X,work,2026,planned,,",              # 11: not digits
        "130001,work,2026,planned,,",              # 12: a prefecture's code, not a municipality
    ])
    ok, _out, err = run(tmp_path, data)
    assert not ok
    named = {int(line.split("行目")[0]) for line in err.splitlines() if "行目" in line.split("「")[0]}
    assert named == {3, 4, 5, 6, 7, 8, 10, 11, 12}, err
    assert "チェックディジット" in err
    assert "2行目にもあり" in err
    assert records() == {}
    assert history_count() == 0
    assert "何も取り込みませんでした" in err


def test_dry_run_writes_nothing(tmp_path, register, records):
    ok, out, _err = run(tmp_path, csv_file(["131016,disaster,2026,implemented,,"]), "p.csv", "--dry-run")
    assert ok and "書き込みなし" in out and "新規 1件" in out
    assert records() == {}


def test_reimport_is_idempotent_and_updates_bump_version(tmp_path, register, records, history_count):
    data = csv_file(["131016,disaster,2026,implemented,,", "131016,education,2025,planned,,"])
    assert run(tmp_path, data)[0]
    first = records()
    histories = history_count()
    ok, out, _ = run(tmp_path, data)
    assert ok and "新規 0件・更新 0件・変更なし 2件" in out
    assert records() == first and history_count() == histories
    ok, out, _ = run(tmp_path, csv_file(["131016,disaster,2026,self_sustaining,,"]))
    assert ok and "更新 1件" in out
    assert records()[("131016", "disaster", 2026)] == ("self_sustaining", 2)
    assert history_count() == histories + 1


def test_row_equal_to_carried_over_state_changes_nothing(tmp_path, register, records):
    assert run(tmp_path, csv_file(["131016,disaster,2024,piloting,,"]))[0]
    ok, out, _ = run(tmp_path, csv_file(["131016,disaster,2026,piloting,,", "131016,health,2026,not_started,,"]))
    assert ok and "変更なし 2件" in out
    assert set(records()) == {("131016", "disaster", 2024)}


def test_empty_and_headerless_files(tmp_path, register):
    ok, _out, err = run(tmp_path, b"")
    assert not ok and "空" in err
    ok, _out, err = run(tmp_path, "コード,名前\n1,2\n".encode())
    assert not ok and "必須の列" in err


def test_import_history_rows_are_complete(tmp_path, register):
    from chiiki.core.models import ChangeRecord

    assert run(tmp_path, csv_file(["131016,disaster,2026,planned,最初,"]))[0]
    assert run(tmp_path, csv_file(["131016,disaster,2026,piloting,実証開始,https://example.jp/p"]))[0]
    created, updated = ChangeRecord.objects.filter(model="progress.progressrecord").order_by("id")
    assert created.action == "create" and created.before is None and created.after["stage"] == "planned"
    assert updated.action == "update" and updated.before["stage"] == "planned" and updated.before["note"] == "最初"
    assert updated.after == {"stage": "piloting", "note": "実証開始", "evidence_url": "https://example.jp/p",
                             "source": "survey_import", "version": 2, "fiscal_year": 2026, "sector": "disaster"}
    assert updated.municipality_id == "131016" and updated.prefecture_id == "13"
    assert updated.actor_label == "システム" and updated.source == "command"
    assert updated.at is not None and updated.at >= created.at
    assert updated.object_repr == "千代田区 防災 2026年度"
    assert ChangeRecord.objects.filter(municipality_id="131016").count() == 2


def test_import_without_an_actor_is_refused(register):
    from django.core.exceptions import PermissionDenied

    from chiiki.progress.imports import PROGRESS
    from chiiki.progress.models import ProgressRecord

    with pytest.raises(PermissionDenied):
        PROGRESS.run(None, "団体コード,分野,年度,段階\r\n132012,disaster,2026,planned\r\n".encode(), "x.csv")
    with pytest.raises(PermissionDenied):  # a file that cannot even be read is refused the same way
        PROGRESS.run(None, b"", "x.csv")
    assert not ProgressRecord.objects.exists()


def test_import_checks_cells_like_a_single_edit(client_for, users, register, records):
    """One validator per cell: an evidence URL over 500 characters is refused by the import as by the PUT."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    long_url = "https://example.jp/" + "a" * 490
    data = csv_file([f"132012,disaster,2026,planned,,{long_url}", "132012,education,2026,planned," + "x" * 2001 + ","])
    response = client_for(users["admin"]).post("/api/v1/progress/import",
                                               {"file": SimpleUploadedFile("u.csv", data)})
    body = response.json()
    assert response.status_code == 422 and not body["committed"]
    assert [(e["row"], e["column"], e["message"]) for e in body["errors"]] == [
        (2, "根拠URL", "根拠URLは500文字以内で入力してください"), (3, "備考", "備考は2000文字以内で入力してください")]
    put = client_for(users["admin"]).put("/api/v1/progress/132012/disaster/2026",
                                         {"stage": "planned", "evidence_url": long_url, "version": 0},
                                         content_type="application/json")
    assert put.status_code == 422 and put.json()["detail"]["evidence_url"] == "根拠URLは500文字以内で入力してください"
    assert records() == {}


def test_import_command_as_a_user_applies_that_users_rights(tmp_path, users, records):
    path = tmp_path / "p.csv"
    path.write_bytes(csv_file(["132012,disaster,2026,planned,,", "011002,disaster,2026,planned,,"]))
    from io import StringIO

    errors = StringIO()
    with pytest.raises(CommandError, match="1件の誤り"):
        call_command("import_progress", str(path), "--user", "tokyo-pref", stderr=errors)
    assert "3行目 列「団体コード」: この団体（011002）の進捗を取り込む権限がありません" in errors.getvalue()
    assert records() == {}
    with pytest.raises(CommandError, match="権限"):
        call_command("import_progress", str(path), "--user", "hachioji")  # municipal staff cannot import
    with pytest.raises(CommandError, match="見つかりません"):
        call_command("import_progress", str(path), "--user", "nobody")
    path.write_bytes(csv_file(["132012,disaster,2026,planned,,"]))
    call_command("import_progress", str(path), "--user", "tokyo-pref")
    from chiiki.core.models import ChangeRecord

    entry = ChangeRecord.objects.get(model="progress.progressrecord")
    assert entry.actor == users["tokyo"] and entry.source == "command"
