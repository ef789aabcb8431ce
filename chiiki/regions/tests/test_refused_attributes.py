"""A refused 団体情報の編集 answers 422 like every other editor, keeps what was typed and says why, including a
problem with the hidden version (which has no place of its own on the page)."""

import pytest

from chiiki.core import editing
from chiiki.core.models import ChangeRecord
from chiiki.regions.models import Municipality

pytestmark = pytest.mark.django_db

URL = "/regions/municipalities/132012/edit/"


def _post(client, **values):
    return client.post(URL, {"fiscal_strength_index": "0.45", "depopulated": "true", "remote_island": "",
                             "mountainous": "", "version": "1", **values})


def test_a_refused_attribute_edit_answers_422_with_the_typed_values(client_for, users):
    response = _post(client_for(users["hachioji"]), fiscal_strength_index="12.5")
    page = response.content.decode()
    assert response.status_code == 422
    assert 'value="12.5"' in page and "入力内容を確認してください" in page and "9.99" in page
    assert Municipality.objects.get(code="132012").fiscal_strength_index is None


@pytest.mark.parametrize(("version", "message"), [
    ("", editing.VERSION_REQUIRED), ("abc", "版（version）は0以上の整数です: abc"),
    ("-1", "版（version）は0以上の整数です: -1")])
def test_a_missing_or_garbled_version_is_said_on_the_attribute_form(client_for, users, version, message):
    response = _post(client_for(users["hachioji"]), version=version)
    page = response.content.decode()
    assert response.status_code == 422
    assert 'value="0.45"' in page
    assert message in page  # said on the page, not a page that looks unchanged
    assert Municipality.objects.get(code="132012").fiscal_strength_index is None
    assert not ChangeRecord.objects.exists()


def test_a_good_version_still_saves(client_for, users):
    assert _post(client_for(users["hachioji"])).status_code == 302
    assert str(Municipality.objects.get(code="132012").fiscal_strength_index) == "0.45"
