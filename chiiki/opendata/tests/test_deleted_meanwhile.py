"""A dataset (or one of its files) deleted by another request after this request read it but before it wrote:
the write is refused with a Japanese message (404/409/422), never a foreign-key 500, and leaves no orphan."""

import pytest

from chiiki.opendata import actions
from chiiki.opendata.models import Dataset, Resource, UseCase
from chiiki.testing import meanwhile

from .samples import VALID_AED, upload

pytestmark = pytest.mark.django_db(transaction=True)


def _deleted_meanwhile(client_for, owner, monkeypatch):
    """The owner's dataset, which the owner deletes (on its edit page) just before the next write opens its
    transaction."""
    dataset = actions.create_dataset(owner, owner.municipality, {"name": "aed-list", "title": "AED設置場所一覧"})
    meanwhile(monkeypatch, actions, lambda: client_for(owner).post("/opendata/dataset/aed-list/edit",
                                                                    {"delete": "1", "version": str(dataset.version)}))
    return dataset


def test_use_case_registered_while_the_dataset_is_deleted_is_refused_not_500(client_for, users, monkeypatch):
    owner = users["hachioji"]
    dataset = _deleted_meanwhile(client_for, owner, monkeypatch)
    client = client_for(users["company"])
    client.raise_request_exception = False
    response = client.post("/opendata/dataset/aed-list/uses", {"title": "AEDマップ", "url": "https://example.jp/"})
    assert not Dataset.objects.filter(pk=dataset.pk).exists()  # the other request's delete went through
    assert response.status_code in (404, 409, 422), response.status_code
    assert not UseCase.objects.exists()


def test_resource_added_while_the_dataset_is_deleted_is_refused_not_500(client_for, users, monkeypatch):
    owner = users["hachioji"]
    dataset = _deleted_meanwhile(client_for, owner, monkeypatch)
    client = client_for(owner)
    client.raise_request_exception = False
    response = client.post("/opendata/dataset/aed-list/resources",
                           {"name": "AED", "url": "https://example.jp/aed.csv", "format": "CSV"})
    assert not Dataset.objects.filter(pk=dataset.pk).exists()
    assert response.status_code in (404, 409, 422), response.status_code
    assert not Resource.objects.exists()


def test_download_while_the_resource_is_deleted_is_not_500(client_for, users, monkeypatch):
    owner = users["hachioji"]
    dataset = actions.create_dataset(owner, owner.municipality, {"name": "aed-list", "title": "AED設置場所一覧"})
    resource = actions.add_resource(owner, dataset, name="AED", url="https://example.jp/aed.csv", format="CSV")
    meanwhile(monkeypatch, actions, lambda: client_for(owner).post("/opendata/dataset/aed-list/resources",
                                                                    {"delete": str(resource.uid)}))
    client = client_for(None)
    client.raise_request_exception = False
    response = client.get(f"/opendata/dataset/aed-list/resource/{resource.uid}/download",
                          HTTP_USER_AGENT="Mozilla/5.0 (citizen)")
    assert not Resource.objects.filter(pk=resource.pk).exists()
    assert response.status_code in (302, 404), response.status_code


def test_a_file_added_while_the_dataset_is_deleted_is_refused_and_not_stored(client_for, users, monkeypatch,
                                                                              files_dir):
    owner = users["hachioji"]
    dataset = _deleted_meanwhile(client_for, owner, monkeypatch)
    client = client_for(owner)
    client.raise_request_exception = False
    response = client.post("/opendata/dataset/aed-list/resources",
                           {"name": "AED", "file": upload("aed.csv", VALID_AED), "format": "CSV"})
    assert not Dataset.objects.filter(pk=dataset.pk).exists()
    assert response.status_code == 404, response.status_code
    assert not Resource.objects.exists()
    assert not [path for path in files_dir.rglob("*") if path.is_file()]  # no file left without its row


def test_a_file_deleted_while_its_dataset_is_deleted_is_not_found_not_500(client_for, users, monkeypatch):
    owner = users["hachioji"]
    dataset = actions.create_dataset(owner, owner.municipality, {"name": "aed-list", "title": "AED設置場所一覧"})
    resource = actions.add_resource(owner, dataset, name="AED", url="https://example.jp/aed.csv", format="CSV")
    dataset.refresh_from_db()
    meanwhile(monkeypatch, actions, lambda: client_for(owner).post("/opendata/dataset/aed-list/edit",
                                                                    {"delete": "1", "version": str(dataset.version)}))
    client = client_for(owner)
    client.raise_request_exception = False
    response = client.post("/opendata/dataset/aed-list/resources", {"delete": str(resource.uid)})
    assert not Dataset.objects.filter(pk=dataset.pk).exists()
    assert response.status_code == 404, response.status_code
