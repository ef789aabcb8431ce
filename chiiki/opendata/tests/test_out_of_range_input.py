"""The dataset editor answers like every other editor: 422 with the reason for refused values (what was typed
kept), 409 when someone else saved first; a refused save used to answer 200, and a stale one 200 too."""

import pytest

from chiiki.opendata.models import Dataset

pytestmark = pytest.mark.django_db


def _form(dataset, **changes):
    return {"name": dataset.name, "title": dataset.title, "notes": dataset.notes, "license": dataset.license,
            "frequency": dataset.frequency, "visibility": dataset.visibility, "standard_type": dataset.standard_type,
            "tags": ", ".join(dataset.tags), "sectors": dataset.sectors, "version": dataset.version, **changes}


@pytest.mark.parametrize("field,value", [("title", "AED\x00一覧"), ("license", "no-such-licence"),
                                         ("title", "長" * 10_000), ("version", "")])
def test_a_refused_edit_answers_422_with_the_typed_values(client_for, users, catalog, field, value):
    dataset = Dataset.objects.get(pk=catalog["aed"].pk)  # adding its resource moved the version on
    page = client_for(users["hachioji"]).post(f"/opendata/dataset/{dataset.name}/edit",
                                              _form(dataset, notes="書きかけの説明", **{field: value}))
    assert page.status_code == 422
    assert "書きかけの説明" in page.content.decode()
    assert Dataset.objects.get(pk=dataset.pk).version == dataset.version


def test_a_stale_edit_answers_409(client_for, users, catalog):
    dataset = Dataset.objects.get(pk=catalog["aed"].pk)  # adding its resource moved the version on
    c = client_for(users["hachioji"])
    assert c.post(f"/opendata/dataset/{dataset.name}/edit", _form(dataset, title="先に保存")).status_code == 302
    stale = c.post(f"/opendata/dataset/{dataset.name}/edit", _form(dataset, title="古い画面から"))
    assert stale.status_code == 409
    assert "古い画面から" in stale.content.decode()
    assert Dataset.objects.get(pk=dataset.pk).title == "先に保存"


def test_a_refused_resource_answers_422_with_the_typed_values(client_for, users, catalog):
    page = client_for(users["hachioji"]).post(f"/opendata/dataset/{catalog['aed'].name}/resources", {
        "name": "設置箇所\x00", "url": "https://example.jp/aed.csv", "description": "毎月更新"})
    assert page.status_code == 422
    assert "毎月更新" in page.content.decode()
    assert catalog["aed"].resources.count() == 1
