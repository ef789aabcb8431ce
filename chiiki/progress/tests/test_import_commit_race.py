"""A web import's commit writes only over the stored state its preview showed (ADR 0004): a cell saved between
the preview and the commit is not written over without a word."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chiiki.progress.models import ProgressRecord
from chiiki.testing import import_commit_form

from .conftest import csv_file
from .test_api import bearer, put, seed

pytestmark = pytest.mark.django_db

STALE = "確認の後に、このファイルの行の進捗が更新されました（1件）。内容を確認し直してから取り込んでください"


def _previewed(web, lines):
    """Upload lines and look at the preview: (token, the preview's html, what its 取り込む form sends)."""
    upload = web.post("/progress/import/", {"file": SimpleUploadedFile("survey.csv", csv_file(lines))})
    assert upload.status_code == 302, upload.content.decode()
    html = web.get(upload["Location"]).content.decode()
    token = upload["Location"].rstrip("/").split("/")[-1]
    return token, html, import_commit_form(html)


def _stored(code, sector, year):
    record = ProgressRecord.objects.filter(municipality_id=code, sector_id=sector, fiscal_year=year).first()
    return (record.stage, record.version) if record else None


def previewed_then_saved(client, client_for, users):
    """The prefecture previews planned → piloting for 八王子市's 防災 cell; then the municipality saves implemented.
    (the prefecture's client, the upload's token, what the preview's 取り込む form sends)"""
    seed([("132012", "disaster", 2026, "planned")])
    web = client_for(users["tokyo"])
    token, html, sha = _previewed(web, ["132012,disaster,2026,piloting,,"])
    assert "更新 <strong>1</strong>件" in html
    saved = put(client, "132012", "disaster", 2026, {"stage": "implemented", "version": 1},
                **bearer(users["hachioji"]))
    assert saved.status_code == 200, saved.content
    return web, token, sha


def test_a_cell_saved_between_the_preview_and_the_commit_is_not_overwritten_silently(client, client_for, users):
    web, token, sha = previewed_then_saved(client, client_for, users)
    refused = web.post(f"/progress/import/{token}/commit", sha, follow=True)
    assert _stored("132012", "disaster", 2026) == ("implemented", 2), \
        "the commit overwrote a cell saved after the preview, without a word"
    page = refused.content.decode()
    assert STALE in page
    assert "更新 <strong>1</strong>件" in page  # the fresh preview: implemented → piloting is still an update

    # Looked at again, the file is what the user means: the second commit imports it.
    assert f'action="/progress/import/{token}/commit"' in page
    done = web.post(f"/progress/import/{token}/commit", import_commit_form(page), follow=True)
    assert "新規 0件・更新 1件を取り込みました" in done.content.decode()
    assert _stored("132012", "disaster", 2026) == ("piloting", 3)


def test_a_commit_with_nothing_changed_since_the_preview_imports(client_for, users):
    seed([("132012", "disaster", 2026, "planned"), ("131016", "disaster", 2025, "planned")])
    web = client_for(users["tokyo"])
    # Another cell of the same municipalities, saved after the preview, is no row of this file.
    token, _html, sha = _previewed(web, ["132012,disaster,2026,piloting,,", "131016,disaster,2026,planned,,"])
    seed([("132012", "education", 2026, "implemented")])
    done = web.post(f"/progress/import/{token}/commit", sha, follow=True)
    assert "新規 0件・更新 1件を取り込みました（変更なし 1件）" in done.content.decode()
    assert _stored("132012", "disaster", 2026) == ("piloting", 2)


@pytest.mark.parametrize("seeded, saved", [
    # The row's own record, which the preview called 変更なし.
    ([("132012", "disaster", 2026, "planned")], {"stage": "implemented", "version": 1}),
    # No record of the row's 年度: the preview compared it with the carried-over 2025 record (変更なし).
    ([("132012", "disaster", 2025, "planned")], {"stage": "implemented", "version": 0}),
])
def test_a_row_the_preview_called_unchanged_whose_cell_changed_is_refused_too(client, client_for, users, seeded,
                                                                             saved):
    seed([*seeded, ("131016", "disaster", 2026, "planned")])
    web = client_for(users["tokyo"])
    token, html, sha = _previewed(web, ["132012,disaster,2026,planned,,", "131016,disaster,2026,piloting,,"])
    assert "更新 <strong>1</strong>件・変更なし 1件" in html
    response = put(client, "132012", "disaster", 2026, saved, **bearer(users["hachioji"]))
    assert response.status_code == 200, response.content
    refused = web.post(f"/progress/import/{token}/commit", sha, follow=True)
    assert STALE in refused.content.decode()
    assert _stored("132012", "disaster", 2026)[0] == "implemented"
    assert _stored("131016", "disaster", 2026) == ("planned", 1)  # nothing of the file was written


def test_the_api_import_has_no_preview_and_plans_against_what_is_stored(client, users):
    """The API and the command take a file at once: no fingerprint, as before."""
    seed([("132012", "disaster", 2026, "planned")])
    response = client.post("/api/v1/progress/import", {"file": SimpleUploadedFile(
        "survey.csv", csv_file(["132012,disaster,2026,piloting,,"]))}, **bearer(users["tokyo"]))
    assert response.status_code == 200, response.content
    assert response.json()["committed"] and _stored("132012", "disaster", 2026) == ("piloting", 2)
