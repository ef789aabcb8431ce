"""Deleting a record from its confirm page when someone else changed the record after the page was opened: 409 and
the confirm page again, saying so and showing the record as it is now, nothing deleted (it used to redirect with a
message). A version that is no number is 422 with the page again."""

import pytest

from chiiki import access
from chiiki.core.errors import Conflict
from chiiki.core.models import ChangeRecord
from chiiki.progress import actions
from chiiki.regions.models import Municipality
from chiiki.roadmap.models import Sector

pytestmark = pytest.mark.django_db

URL = "/progress/records/132012/health/2026/delete"
KEY = ("132012", "health", 2026)


def _deletions():
    return ChangeRecord.objects.filter(model="progress.progressrecord", action="delete").count()


@pytest.fixture
def record(users):
    made, _ = actions.save_progress(
        users["hachioji"],
        Municipality.objects.get(code="132012"),
        Sector.objects.get(code="health"),
        2026,
        stage="planned",
        version=0,
    )
    return made


def test_a_record_changed_after_the_page_was_opened_is_not_deleted(client_for, users, records, record):
    admin = client_for(users["admin"])
    opened = admin.get(URL).content.decode()
    assert 'name="version" value="1"' in opened
    # The officer moves the stage on while the admin reads the confirm page.
    actions.save_progress(
        users["hachioji"],
        record.municipality,
        record.sector,
        2026,
        stage="piloting",
        note="実証を開始",
        version=1,
    )
    response = admin.post(URL, {"version": "1"})
    assert response.status_code == 409
    html = response.content.decode()
    assert Conflict.BEFORE_DELETE in html and 'role="alert" data-error-summary' in html
    assert "実証中" in html and "実証を開始" in html and "<dt>版</dt><dd>2</dd>" in html  # as it is now
    assert 'name="version" value="2"' in html
    assert records() == {KEY: ("piloting", 2)} and _deletions() == 0
    # Deleting what is there now is the admin's deliberate second click.
    assert admin.post(URL, {"version": "2"}).status_code == 302
    assert records() == {} and _deletions() == 1


def test_a_record_removed_meanwhile_says_so_without_a_delete_button(
    client_for, users, records, record, monkeypatch
):
    original = actions.delete_progress

    def someone_else_first(actor, seen, **kwargs):
        # Another admin's delete lands between this request's lookup and its own delete.
        original(access.SYSTEM, seen, version=seen.version)
        return original(actor, seen, **kwargs)

    monkeypatch.setattr(actions, "delete_progress", someone_else_first)
    response = client_for(users["admin"]).post(URL, {"version": "1"})
    assert response.status_code == 409
    html = response.content.decode()
    assert Conflict.GONE in html and "削除する</button>" not in html
    assert 'href="/progress/records/?fiscal_year=2026&amp;municipality=132012">記録の一覧へ戻る' in html
    assert records() == {} and _deletions() == 1


@pytest.mark.parametrize("version", ["", "abc", "a\x00b"])
def test_a_version_that_is_no_number_shows_the_page_again(client_for, users, records, record, version):
    response = client_for(users["admin"]).post(URL, {"version": version})
    assert response.status_code == 422
    html = response.content.decode()
    assert "版（version）" in html and "削除していません" in html and "計画策定" in html
    assert records() == {KEY: ("planned", 1)} and _deletions() == 0
