"""名簿の出力 → 取込: an exported roster imported back unchanged changes nothing, whatever the profile's page saved
(a name written with a full-width space, full-width digits in the public profile)."""

from django.core.files.uploadedfile import SimpleUploadedFile

from chiiki.core.tabular import csv_bytes
from chiiki.talent.imports import ROSTER
from chiiki.talent.models import TalentProfile
from chiiki.talent.tests.test_import import GOOD, HEADER

PAGE_EDIT = {"display_name": "山田　太郎", "kind": "regional_it_advisor", "capabilities": ["CAP-HLT-07"],
             "level": 3, "available_days": "5", "available_hours": "10", "email": "taro@example.jp",
             "public_profile": "自治体での実績１０年"}


def test_an_exported_roster_re_imported_unchanged_changes_nothing(users, client_for, vocabulary):
    admin = client_for(users["admin"])
    assert ROSTER.run(users["admin"], csv_bytes(HEADER, GOOD), "roster.csv").ok
    taro = TalentProfile.objects.get(external_id="R-001")
    assert admin.post(f"/talent/profiles/{taro.pk}/edit", PAGE_EDIT | {"version": 1}).status_code == 302
    taro.refresh_from_db()
    assert (taro.display_name, taro.public_profile, taro.version) == ("山田　太郎", "自治体での実績１０年", 2)

    exported = admin.get("/talent/manage/roster", {"format": "csv"})
    assert exported.status_code == 200
    upload = admin.post("/talent/import/", {"file": SimpleUploadedFile("roster.csv", exported.content)})
    preview = admin.get(upload["Location"])
    result = preview.context["result"]
    # The file is what the platform wrote a moment ago: nothing to change.
    assert result.ok and (result.created, result.updated, result.unchanged) == (0, 0, 2)
    assert admin.post(upload["Location"] + "commit", {"sha256": preview.context["upload"].sha256}).status_code == 302
    taro.refresh_from_db()
    assert (taro.display_name, taro.public_profile, taro.version) == ("山田　太郎", "自治体での実績１０年", 2)
