"""A dataset edit saved over by someone else keeps what was typed beside what they saved, and saving again is a
deliberate overwrite (core.forms.save_or_refuse with `stored`, editing.keep_typed); a refused create answers 422
like every other refused form."""

import re

import pytest

from chiiki.opendata.models import Dataset

pytestmark = pytest.mark.django_db


def _form(dataset, **changes):
    return {"name": dataset.name, "title": dataset.title, "notes": dataset.notes, "license": dataset.license,
            "frequency": dataset.frequency, "visibility": dataset.visibility, "standard_type": dataset.standard_type,
            "tags": ", ".join(dataset.tags), "sectors": dataset.sectors, "version": dataset.version, **changes}


def test_a_stale_dataset_edit_shows_the_stored_values_and_can_be_saved_over(client_for, users, catalog):
    dataset = Dataset.objects.get(pk=catalog["aed"].pk)  # adding its resource moved the version on
    edit = f"/opendata/dataset/{dataset.name}/edit"
    c = client_for(users["hachioji"])
    assert c.post(edit, _form(dataset, title="他の人のタイトル", notes="他の人の説明")).status_code == 302
    stale = c.post(edit, _form(dataset, title="わたしのタイトル", notes="わたしの説明"))
    assert stale.status_code == 409
    page = stale.content.decode()
    assert 'value="わたしのタイトル"' in page and "わたしの説明" in page
    assert "ほかの人が先に保存しました" in page
    assert "ほかの人が保存した内容:</span> 他の人のタイトル" in page
    assert "ほかの人が保存した内容:</span> 他の人の説明" in page
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    assert version == str(dataset.version + 1)
    assert Dataset.objects.get(pk=dataset.pk).title == "他の人のタイトル"
    again = c.post(edit, _form(dataset, title="わたしのタイトル", notes="わたしの説明", version=version))
    assert again.status_code == 302
    saved = Dataset.objects.get(pk=dataset.pk)
    assert (saved.title, saved.notes) == ("わたしのタイトル", "わたしの説明")


def test_a_refused_dataset_create_answers_422_with_the_typed_values(client_for, users, catalog):
    response = client_for(users["hachioji"]).post("/opendata/manage/new", {
        "owner": "132012", "name": "hachioji-shelters", "title": "", "notes": "書きかけの説明",
        "license": "cc-by-4.0", "frequency": "annual", "visibility": "public"})
    assert response.status_code == 422
    assert "書きかけの説明" in response.content.decode()
    assert not Dataset.objects.filter(name="hachioji-shelters").exists()
