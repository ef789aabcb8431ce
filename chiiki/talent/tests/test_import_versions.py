"""The roster import's 版 column: a row that changes a profile saved on its page since its last import carries the
version it was read at, so an old file never silently reverts what was saved there meanwhile (preview and commit
alike); the official roster, which has no 版, still updates what only roster imports have changed."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chiiki.core.models import ChangeRecord
from chiiki.core.tabular import csv_bytes
from chiiki.talent.imports import ROSTER
from chiiki.talent.models import TalentProfile
from chiiki.talent.tests.test_import import GOOD, HEADER

PAGE_EDIT = {"display_name": "デモ 太郎（ページで修正）", "kind": "regional_it_advisor", "capabilities": ["CAP-HLT-07"],
             "level": 3, "available_days": "5", "available_hours": "10", "email": "taro@example.jp"}
NEW_ROW = ["R-003", "デモ 三郎", "起業家・スタートアップ", "", "島根県", "", "可", "", "CAP-EDU-02", "1", "0", "", "", ""]
VERSIONED = [HEADER[0], "版", *HEADER[1:]]


@pytest.fixture
def taro(users, client_for, vocabulary):
    """R-001 and R-002 imported (version 1), then R-001 saved on its page by the admin (version 2)."""
    assert ROSTER.run(users["admin"], csv_bytes(HEADER, GOOD), "roster.csv").ok
    profile = TalentProfile.objects.get(external_id="R-001")
    page = client_for(users["admin"])
    assert page.post(f"/talent/profiles/{profile.pk}/edit", PAGE_EDIT | {"version": 1}).status_code == 302
    profile.refresh_from_db()
    assert profile.version == 2
    return profile


def _upload(client, header, rows):
    """The file uploaded on the import page: its preview's URL and sha256 (the commit form's)."""
    location = client.post("/talent/import/", {"file": SimpleUploadedFile("roster.csv", csv_bytes(header, rows))})[
        "Location"]
    return location, _preview(client, location)[1]


def _preview(client, location):
    """The problems the preview page shows (as 「n行目 列「…」: …」) and the upload's sha256."""
    response = client.get(location)
    assert response.status_code == 200
    return [str(p) for p in response.context["result"].problems], response.context["upload"].sha256


def _versioned(row, version=""):
    return [row[0], str(version), *row[1:]]


@pytest.mark.parametrize(("header", "rows", "message"), [
    # The official roster (no 版 column): it knows nothing of the page edit made since the last import.
    (HEADER, [GOOD[0], GOOD[1], NEW_ROW],
     "2行目 列「版」: この人材は前回の名簿の取込の後に、人材のページなどで更新されています"
     "（上書きするには、名簿の出力で得た版を版の列に入れてください）"),
    # Read at version 1, before the page edit.
    (VERSIONED, [_versioned(GOOD[0], 1), _versioned(GOOD[1], 1), _versioned(NEW_ROW)],
     "2行目 列「版」: 人材の登録がほかで更新されています（最新の内容と版を読み込み直してください）"),
])
def test_an_old_roster_after_a_page_edit_is_refused_naming_the_row(users, client_for, taro, header, rows, message):
    admin = client_for(users["admin"])
    location, _ = _upload(admin, header, rows)
    assert _preview(admin, location)[0] == [message]
    result = ROSTER.run(users["admin"], csv_bytes(header, rows), "roster.csv")
    assert not result.committed and [str(p) for p in result.problems] == [message]
    taro.refresh_from_db()
    assert (taro.display_name, taro.version) == ("デモ 太郎（ページで修正）", 2)
    assert not TalentProfile.objects.filter(external_id="R-003").exists()


def test_the_version_read_after_the_page_edit_updates_and_history_keeps_both(users, client_for, taro):
    admin = client_for(users["admin"])
    version = admin.get(f"/api/v1/talent/profiles/{taro.pk}").json()["version"]
    row = _versioned(GOOD[0], version)
    row[2] = "デモ 太郎（名簿で修正）"
    location, sha256 = _upload(admin, VERSIONED, [row])
    assert admin.post(location + "commit", {"sha256": sha256}).status_code == 302
    taro.refresh_from_db()
    assert (taro.display_name, taro.version) == ("デモ 太郎（名簿で修正）", 3)
    updates = ChangeRecord.objects.filter(model="talent.talentprofile", object_id=str(taro.pk), action="update")
    assert [(r.source, r.before["version"], r.after["version"]) for r in updates.order_by("id")] == [
        ("web", 1, 2), ("web-import", 2, 3)]


def test_a_page_edit_between_the_preview_and_the_commit_refuses_the_whole_file(users, client_for, vocabulary):
    assert ROSTER.run(users["admin"], csv_bytes(HEADER, GOOD), "roster.csv").ok
    profile = TalentProfile.objects.get(external_id="R-001")
    admin = client_for(users["admin"])
    row = _versioned(GOOD[0], 1)
    row[2] = "デモ 太郎（名簿で修正）"
    location, sha256 = _upload(admin, VERSIONED, [row, _versioned(NEW_ROW)])
    assert _preview(admin, location)[0] == []  # the preview found nothing wrong
    assert admin.post(f"/talent/profiles/{profile.pk}/edit", PAGE_EDIT | {"version": 1}).status_code == 302
    commit = admin.post(location + "commit", {"sha256": sha256})
    assert commit.status_code == 302 and commit["Location"] == location
    assert _preview(admin, location)[0] == [
        "2行目 列「版」: 人材の登録がほかで更新されています（最新の内容と版を読み込み直してください）"]
    profile.refresh_from_db()
    assert (profile.display_name, profile.version) == ("デモ 太郎（ページで修正）", 2)
    assert not TalentProfile.objects.filter(external_id="R-003").exists()  # nothing of the file was written


def _commit(client, header, rows):
    """Upload, preview and commit on the import page; the preview's problems (none when committed)."""
    location, sha256 = _upload(client, header, rows)
    problems = _preview(client, location)[0]
    if not problems:
        assert client.post(location + "commit", {"sha256": sha256}).status_code == 302
    return problems


def _sources(profile):
    return [(r.action, r.source) for r in ChangeRecord.objects.filter(
        model="talent.talentprofile", object_id=str(profile.pk)).order_by("id")]


def test_next_years_official_roster_without_versions_updates_what_only_roster_imports_changed(users, client_for,
                                                                                              vocabulary):
    admin = client_for(users["admin"])
    assert _commit(admin, HEADER, GOOD) == []
    # The next year's roster as the ministry publishes it: no 版, one person renamed, one new.
    renamed = [GOOD[0][0], "デモ 太郎（翌年度）", *GOOD[0][2:]]
    assert _commit(admin, HEADER, [renamed, GOOD[1], NEW_ROW]) == []
    taro = TalentProfile.objects.get(external_id="R-001")
    assert (taro.display_name, taro.version) == ("デモ 太郎（翌年度）", 2)
    assert TalentProfile.objects.filter(external_id="R-003").exists()
    # And the year after: the last change was again a roster import.
    moved = [*renamed[:4], "島根県", *renamed[5:]]
    assert _commit(admin, HEADER, [moved]) == []
    taro.refresh_from_db()
    assert (taro.home_prefecture_id, taro.version) == ("32", 3)
    assert _sources(taro) == [("create", "web-import"), ("update", "web-import"), ("update", "web-import")]


def test_an_account_linked_on_its_page_since_the_last_import_refuses_a_row_without_version(users, client_for,
                                                                                         vocabulary):
    admin = client_for(users["admin"])
    assert _commit(admin, HEADER, GOOD) == []
    taro = TalentProfile.objects.get(external_id="R-001")
    assert admin.post(f"/talent/profiles/{taro.pk}/account", {"username": "advisor", "version": 1}
                      ).status_code == 302
    renamed = [GOOD[0][0], "デモ 太郎（翌年度）", *GOOD[0][2:]]
    assert _commit(admin, HEADER, [renamed]) == [
        "2行目 列「版」: この人材は前回の名簿の取込の後に、人材のページなどで更新されています"
        "（上書きするには、名簿の出力で得た版を版の列に入れてください）"]
    taro.refresh_from_db()
    assert taro.display_name == "デモ 太郎"


def test_a_profile_never_imported_is_changed_by_a_row_only_with_its_version(users, client_for, vocabulary):
    from chiiki.talent import actions

    admin = client_for(users["admin"])
    data = {"display_name": "デモ 太郎", "kind": "regional_it_advisor", "skills": [{"capability": "CAP-HLT-07"}]}
    taro = actions.create_profile(users["admin"], data, external_id="R-001")
    assert _commit(admin, HEADER, [GOOD[0]]) == [
        "2行目 列「版」: この人材は名簿の取込ではなく、人材のページなどで登録されています"
        "（上書きするには、名簿の出力で得た版を版の列に入れてください）"]
    assert _commit(admin, VERSIONED, [_versioned(GOOD[0], 1)]) == []
    taro.refresh_from_db()
    assert (taro.email, taro.version) == ("taro@example.jp", 2)


@pytest.mark.parametrize(("version", "message"), [
    ("二", "2行目 列「版」: 版（version）は0以上の整数です: 二"),
    ("-1", "2行目 列「版」: 版（version）は0以上の整数です: -1"),
    ("2", "2行目 列「版」: 名簿ID R-009 の人材はほかで削除されています（新しく登録するときは版を空欄にしてください）"),
])
def test_a_bad_version_names_its_row(users, vocabulary, version, message):
    row = _versioned(["R-009", *GOOD[0][1:]], version)
    result = ROSTER.run(users["admin"], csv_bytes(VERSIONED, [row]), "roster.csv")
    assert [str(p) for p in result.problems] == [message]
    assert not TalentProfile.objects.exists()
