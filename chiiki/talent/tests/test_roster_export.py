"""名簿の出力: the roster in the import's format with each profile's 版, for the national admin only; what it gives
re-imports unchanged, and edited it updates (the 版 lets it change a profile saved on its page)."""

import pytest

from chiiki.core.models import ChangeRecord
from chiiki.core.tabular import read_table
from chiiki.talent import actions
from chiiki.talent.models import TalentProfile
from chiiki.talent.tests.conftest import profile_data
from chiiki.talent.tests.test_import import GOOD, HEADER
from chiiki.talent.tests.test_import_versions import PAGE_EDIT, _commit

EXPORT = "/talent/manage/roster"


@pytest.fixture
def roster(users, client_for, vocabulary):
    """R-001 (linked to the advisor's account) and R-002 imported on the import page, R-001 then saved on its page
    with an evidence the roster has no column for (version 2); besides, a profile the company created for itself
    (no 名簿ID)."""
    admin = client_for(users["admin"])
    assert _commit(admin, [*HEADER, "アカウント"], [[*GOOD[0], "advisor"], [*GOOD[1], ""]]) == []
    taro = TalentProfile.objects.get(external_id="R-001")
    assert admin.post(f"/talent/profiles/{taro.pk}/edit", PAGE_EDIT | {
        "version": 1, "level_CAP-HLT-07": 3, "evidence_CAP-HLT-07": "3市で導入"}).status_code == 302
    assert taro.skills.get().evidence == "3市で導入"
    actions.create_profile(users["company"], profile_data(display_name="企業 一郎"))
    return admin


def _exported(client, fmt="csv"):
    response = client.get(EXPORT, {"format": fmt})
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content, read_table(content, f"roster.{fmt}")


def test_the_export_carries_each_profiles_version_in_the_import_columns(users, roster):
    _, table = _exported(roster)
    assert table.header == actions.ROSTER_COLUMNS
    versions = dict(TalentProfile.objects.filter(external_id__isnull=False).values_list("external_id", "version"))
    assert {row.get("名簿ID"): row.get("版") for row in table.rows} == {"R-001": "2", "R-002": "1"} == {
        k: str(v) for k, v in versions.items()}
    taro, hanako = table.rows
    assert (taro.get("種別"), taro.get("できること"), taro.get("オンライン"), taro.get("アカウント")) == (
        "地域情報化アドバイザー", "CAP-HLT-07:3", "不可", "advisor")
    assert (hanako.get("分野"), hanako.get("活動拠点"), hanako.get("I・Uターン希望先"), hanako.get("対応日数")) == (
        "教育", "北海道", "島根県", "3")


def _file(content, fmt):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(f"roster.{fmt}", content)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_export_re_imported_unchanged_changes_nothing(users, roster, fmt):
    content, _ = _exported(roster, fmt)
    upload = roster.post("/talent/import/", {"file": _file(content, fmt)})
    preview = roster.get(upload["Location"])
    result = preview.context["result"]
    assert result.ok and (result.created, result.updated, result.unchanged) == (0, 0, 2)


def test_the_export_edited_and_re_imported_updates_the_profile_saved_on_its_page(users, roster):
    _, table = _exported(roster)
    rows = [[row.get(c) for c in table.header] for row in table.rows]
    rows[0][table.header.index("表示名")] = "デモ 太郎（名簿で修正）"
    rows[1][table.header.index("対応日数")] = "4"
    assert _commit(roster, table.header, rows) == []
    taro, hanako = TalentProfile.objects.filter(external_id__isnull=False).order_by("external_id")
    assert (taro.display_name, taro.version, hanako.available_days, hanako.version) == (
        "デモ 太郎（名簿で修正）", 3, 4, 2)
    last = ChangeRecord.objects.filter(model="talent.talentprofile", object_id=str(taro.pk)).first()
    assert (last.action, last.source, last.before["version"], last.after["version"]) == ("update", "web-import", 2, 3)
    assert last.after["user_id"] == users["advisor"].pk
    assert taro.skills.get().evidence == "3市で導入"


def test_only_the_national_admin_exports_the_roster(users, client_for, roster):
    assert client_for(users["hachioji"]).get(EXPORT).status_code == 403
    anonymous = client_for(None).get(EXPORT)
    assert anonymous.status_code == 302 and "/login" in anonymous["Location"]
    assert client_for(users["advisor"]).get(EXPORT, {"format": "xlsx"}).status_code == 403


def test_a_long_roster_is_streamed_whole(users, roster, monkeypatch):
    from chiiki.core import tabular

    monkeypatch.setattr(tabular, "STREAM_AFTER_ROWS", 1)
    response = roster.get(EXPORT, {"format": "csv"})
    assert response.streaming
    table = read_table(b"".join(response.streaming_content), "roster.csv")
    assert [row.get("名簿ID") for row in table.rows] == ["R-001", "R-002"]


def test_the_import_page_links_the_export(users, roster):
    page = roster.get("/talent/import/").content.decode()
    assert f'href="{EXPORT}?format=csv"' in page and f'href="{EXPORT}?format=xlsx"' in page

