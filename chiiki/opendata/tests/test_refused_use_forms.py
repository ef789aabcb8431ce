"""The use-case form and the moderation buttons on a dataset page answer a refusal with the same page (422): the
reason beside the field, what was typed kept, nothing written and no history. (They used to redirect with a flash
message, which dropped what was typed.)"""

import pytest

from chiiki.core.models import ChangeRecord
from chiiki.opendata import actions
from chiiki.opendata.models import UseCase

pytestmark = pytest.mark.django_db


def test_a_refused_use_case_keeps_what_was_typed(client_for, users, catalog):
    dataset = catalog["aed"]
    records = ChangeRecord.objects.count()
    response = client_for(users["company"]).post(f"/opendata/dataset/{dataset.name}/uses", {
        "title": "", "url": "https://example.jp/aed-map", "description": "救急隊の到着前にAEDを探す地図アプリ"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "救急隊の到着前にAEDを探す地図アプリ</textarea>" in html and 'value="https://example.jp/aed-map"' in html
    assert 'id="id_title_error"><li>名称を入力してください' in html and "<details class=\"card\" open>" in html
    assert not UseCase.objects.exists() and ChangeRecord.objects.count() == records


def test_a_refused_moderation_answers_422_and_changes_nothing(client_for, users, catalog):
    dataset = catalog["aed"]
    use = actions.register_use_case(users["company"], dataset, title="AEDマップ", url="https://example.jp/")
    records = ChangeRecord.objects.count()
    response = client_for(users["hachioji"]).post(f"/opendata/dataset/{dataset.name}/uses/{use.pk}",
                                                  {"status": "published", "version": use.version})
    assert response.status_code == 422
    html = response.content.decode()
    assert "状態を選択肢から選んでください" in html and "AEDマップ" in html
    use.refresh_from_db()
    assert use.status == "pending" and ChangeRecord.objects.count() == records
