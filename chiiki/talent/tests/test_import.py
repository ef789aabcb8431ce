"""The national admin's roster import: web flow and command-free action, all or nothing, every bad row named."""

import pytest
from django.core.exceptions import PermissionDenied

from chiiki.core.models import ChangeRecord
from chiiki.core.tabular import csv_bytes
from chiiki.talent.imports import ROSTER
from chiiki.talent.models import Kind, TalentProfile

HEADER = ["名簿ID", "表示名", "種別", "分野", "活動拠点", "対応都道府県", "オンライン", "I・Uターン希望先", "できること",
          "対応日数", "対応時間", "メール", "電話", "公開プロフィール"]
GOOD = [
    ["R-001", "デモ 太郎", "地域情報化アドバイザー", "医療・介護・健康;防災", "東京都", "東京都;島根県", "可", "",
     "CAP-HLT-07:3;CAP-DIS-03", "5", "10", "taro@example.jp", "090-0000-0000", "見守りと防災の専門家"],
    ["R-002", "デモ 花子", "プログラミング教育の外部講師", "教育", "北海道", "", "不可", "島根県", "CAP-EDU-02", "3", "0", "",
     "", ""],
]


def _file(rows):
    return csv_bytes(HEADER, rows)


def test_roster_imports_all_rows_and_updates_by_id(users, vocabulary):
    result = ROSTER.run(users["admin"], _file(GOOD), "roster.csv")
    assert result.ok and (result.created, result.updated) == (2, 0)
    taro = TalentProfile.objects.get(external_id="R-001")
    assert taro.kind == Kind.REGIONAL_IT_ADVISOR and taro.sectors == ["health", "disaster"]
    assert set(taro.prefectures_served.values_list("pk", flat=True)) == {"13", "32"}
    assert {(s.capability_id, s.level) for s in taro.skills.all()} == {("CAP-HLT-07", 3), ("CAP-DIS-03", 2)}
    hanako = TalentProfile.objects.get(external_id="R-002")
    assert hanako.uturn_intention and not hanako.online_available
    again = ROSTER.run(users["admin"], _file(GOOD), "roster.csv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    # A row that changes a profile carries the 版 it was read at; an unchanged row needs none.
    changed = [GOOD[0][:1] + [str(taro.version), "デモ 太郎（改）"] + GOOD[0][2:], GOOD[1][:1] + [""] + GOOD[1][1:]]
    third = ROSTER.run(users["admin"], csv_bytes(HEADER[:1] + ["版"] + HEADER[1:], changed), "roster.csv")
    assert (third.created, third.updated, third.unchanged) == (0, 1, 1)
    taro.refresh_from_db()
    assert (taro.display_name, taro.version) == ("デモ 太郎（改）", 2)
    assert ChangeRecord.objects.filter(model="talent.talentprofile").count() == 3


def test_every_bad_row_is_named_and_nothing_is_written(users, vocabulary):
    rows = [
        GOOD[0],
        ["R-002", "", "宇宙飛行士", "", "", "", "たぶん", "", "CAP-XXX-99", "-1", "", "not-an-email", "", ""],
        ["R-001", "重複", "地域情報化アドバイザー", "", "", "", "可", "", "CAP-HLT-07", "", "", "", "", ""],
        ["R-004", "県名違い", "地域情報化アドバイザー", "", "東京府", "", "可", "", "CAP-HLT-07", "", "", "", "", ""],
    ]
    result = ROSTER.run(users["admin"], _file(rows), "roster.csv")
    assert not result.ok and not TalentProfile.objects.exists()
    problems = {(p.row, p.column) for p in result.problems}
    assert {(3, "オンライン"), (3, "表示名"), (3, "種別"), (3, "できること"), (3, "対応日数"), (3, "メール"),
            (4, "名簿ID"), (5, "活動拠点")} <= problems
    messages = {str(p) for p in result.problems}
    assert "4行目 列「名簿ID」: 名簿ID R-001 が重複しています（2行目）" in messages
    assert "5行目 列「活動拠点」: 都道府県が正しくありません: 東京府" in messages


def test_missing_columns_are_a_file_problem(users, vocabulary):
    result = ROSTER.run(users["admin"], csv_bytes(["名簿ID", "表示名"], [["R-1", "x"]]), "roster.csv")
    assert [str(p) for p in result.problems] == ["ファイル: 必須の列がありません: 種別, できること"]


@pytest.mark.parametrize("role", ["tokyo", "hachioji", "advisor", "company"])
def test_only_the_admin_imports(users, vocabulary, role):
    with pytest.raises(PermissionDenied):
        ROSTER.run(users[role], _file(GOOD), "roster.csv")


def test_web_flow_preview_then_commit(users, client_for, vocabulary):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(users["admin"])
    response = client.post("/talent/import/", {"file": SimpleUploadedFile("roster.csv", _file(GOOD))})
    assert response.status_code == 302
    preview = client.get(response["Location"])
    assert preview.status_code == 200 and not TalentProfile.objects.exists()
    sha = preview.context["upload"].sha256
    commit = client.post(response["Location"] + "commit", {"sha256": sha})
    assert commit.status_code == 302 and TalentProfile.objects.count() == 2
    assert client_for(users["hachioji"]).get("/talent/import/").status_code == 403
    assert client_for(None).get("/talent/import/").status_code == 404


def test_the_account_column_links_a_profile_to_its_person(users, client_for, vocabulary):
    header = HEADER + ["アカウント"]
    rows = [GOOD[0] + ["advisor"], GOOD[1] + [""]]
    result = ROSTER.run(users["admin"], csv_bytes(header, rows), "roster.csv")
    assert result.ok, result.problems
    taro = TalentProfile.objects.get(external_id="R-001")
    assert taro.user == users["advisor"]
    assert client_for(users["advisor"]).get("/talent/me").url == f"/talent/profiles/{taro.pk}/"
    bad = [GOOD[0] + ["hachioji"], GOOD[1] + ["advisor"], ["R-003"] + GOOD[1][1:] + ["nobody"]]
    rejected = ROSTER.run(users["admin"], csv_bytes(header, bad), "roster.csv")
    assert {str(p) for p in rejected.problems} == {
        "2行目 列「アカウント」: 結び付けられるのはアドバイザーまたは企業のアカウントです",
        "3行目 列「アカウント」: アカウント advisor は別の人材（名簿ID R-001）に結び付いています",
        "4行目 列「アカウント」: アカウント nobody がありません"}
    taro.refresh_from_db()
    assert taro.user == users["advisor"]
