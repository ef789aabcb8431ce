"""Free text of the catalog has a length limit (web and API), as every other free text; the descriptions of
resources and use cases refuse control characters as the other fields do."""

import json

import pytest

from chiiki.opendata.models import Dataset, Resource, UseCase
from chiiki.pdca.tests.conftest import bearer

pytestmark = pytest.mark.django_db


def _create(client_for, users, name, notes):
    return client_for(None).post("/api/v1/opendata/datasets", json.dumps({
        "owner": "132012", "name": name, "title": "長い説明", "notes": notes}),
        content_type="application/json", **bearer(users["hachioji"]))


def test_a_dataset_description_of_a_hundred_thousand_characters_is_refused(users, catalog, client_for):
    response = _create(client_for, users, "hachioji-long", "説" * 100_000)
    assert response.status_code == 422, response.status_code
    assert response.json()["detail"]["notes"] == "説明は4000文字以内にしてください"
    assert not Dataset.objects.filter(name="hachioji-long").exists()


def test_a_dataset_description_at_the_limit_is_kept_and_one_more_is_refused_on_the_edit_page(
        users, catalog, client_for):
    response = _create(client_for, users, "hachioji-long", "説" * 4000)
    assert response.status_code == 201, response.content
    dataset = Dataset.objects.get(name="hachioji-long")
    assert dataset.notes == "説" * 4000
    page = client_for(users["hachioji"]).post(f"/opendata/dataset/{dataset.name}/edit", {
        "name": dataset.name, "title": dataset.title, "notes": "説" * 4001, "license": dataset.license,
        "frequency": dataset.frequency, "visibility": dataset.visibility, "version": dataset.version})
    assert page.status_code == 422, page.status_code
    assert "説明は4000文字以内にしてください" in page.content.decode()
    dataset.refresh_from_db()
    assert dataset.notes == "説" * 4000


@pytest.mark.parametrize(("description", "reason"), [("説" * 4001, "説明は4000文字以内にしてください"),
                                                      ("AEDの一覧\x1b[31m", "制御文字は使えません")])
def test_a_resource_description_too_long_or_with_control_characters_is_refused(
        users, catalog, client_for, description, reason):
    before = Resource.objects.count()
    page = client_for(users["hachioji"]).post("/opendata/dataset/hachioji-aed/resources", {
        "name": "外部の一覧", "url": "https://example.jp/aed.csv", "description": description})
    assert page.status_code == 422, page.status_code
    assert reason in page.content.decode()
    assert Resource.objects.count() == before


def test_a_resource_description_at_the_limit_is_kept(users, catalog, client_for):
    page = client_for(users["hachioji"]).post("/opendata/dataset/hachioji-aed/resources", {
        "name": "外部の一覧", "url": "https://example.jp/aed.csv", "description": "説" * 4000})
    assert page.status_code == 302, page.status_code
    assert Resource.objects.get(name="外部の一覧").description == "説" * 4000


def test_a_use_case_description_of_a_hundred_thousand_characters_is_refused(users, catalog, client_for):
    page = client_for(users["company"]).post("/opendata/dataset/hachioji-aed/uses", {
        "title": "AEDマップアプリ", "url": "https://example.jp/app", "description": "説" * 100_000})
    assert page.status_code == 422, page.status_code
    assert "説明は2000文字以内にしてください" in page.content.decode()
    assert not UseCase.objects.exists()


def test_a_use_case_description_with_control_characters_is_refused(users, catalog, client_for):
    page = client_for(users["company"]).post("/opendata/dataset/hachioji-aed/uses", {
        "title": "AEDマップアプリ", "url": "https://example.jp/app", "description": "地図\x07アプリ"})
    assert page.status_code == 422, page.status_code
    assert "制御文字は使えません" in page.content.decode()
    assert not UseCase.objects.exists()


def test_a_use_case_description_at_the_limit_is_kept(users, catalog, client_for):
    page = client_for(users["company"]).post("/opendata/dataset/hachioji-aed/uses", {
        "title": "AEDマップアプリ", "url": "https://example.jp/app", "description": "説" * 2000})
    assert page.status_code == 302, page.status_code
    assert UseCase.objects.get().description == "説" * 2000
