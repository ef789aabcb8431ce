"""The fingerprint a commit checks is that of the page the user pressed 取り込む on: downloading the check
report, or reloading the preview in another tab, after an officer's save must not move it."""

import pytest

from chiiki.progress.models import ProgressRecord

from .test_api import seed
from .test_import_commit_race import STALE, _previewed, previewed_then_saved

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("rerun", ["report", "preview"])
def test_a_later_dry_run_does_not_let_the_commit_overwrite_a_save_made_after_the_preview(client, client_for, users,
                                                                                          rerun):
    web, token, form = previewed_then_saved(client, client_for, users)
    url = f"/progress/import/{token}/report" if rerun == "report" else f"/progress/import/{token}/"
    assert web.get(url).status_code == 200  # the 誤りの一覧 link, or the preview in another tab

    refused = web.post(f"/progress/import/{token}/commit", form, follow=True)

    record = ProgressRecord.objects.get(municipality_id="132012", sector_id="disaster", fiscal_year=2026)
    assert record.stage == "implemented", "the officer's save made after the preview was overwritten"
    assert STALE in refused.content.decode()


def test_a_commit_without_the_pages_state_is_refused_not_written(client, client_for, users):
    seed([("132012", "disaster", 2026, "planned")])
    web = client_for(users["tokyo"])
    token, _html, form = _previewed(web, ["132012,disaster,2026,piloting,,"])

    web.post(f"/progress/import/{token}/commit", {"sha256": form["sha256"]}, follow=True)

    assert ProgressRecord.objects.get(municipality_id="132012", sector_id="disaster", fiscal_year=2026).stage == \
        "planned"
