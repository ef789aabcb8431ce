"""Resource files in an S3-compatible bucket (OPENDATA_STORAGE = django-storages' S3Storage), through the real
upload and download views, with the bucket mocked in-process by moto: files land in the bucket, downloads return
the same bytes (sha256 checked), 庁内限定 files stay 404 for others, and deleting a resource deletes its object."""

import hashlib

import boto3
import pytest
from moto import mock_aws

from chiiki.opendata import actions
from chiiki.opendata.models import Resource

from .samples import VALID_AED, upload

BUCKET = "chiiki-opendata-test"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64)"


@pytest.fixture
def bucket(settings, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        # What chiiki/settings.py builds from OPENDATA_S3_BUCKET / OPENDATA_S3_ENDPOINT_URL.
        settings.OPENDATA_STORAGE = {"BACKEND": "storages.backends.s3.S3Storage",
                                     "OPTIONS": {"bucket_name": BUCKET, "endpoint_url": None}}
        yield s3


def _objects(s3) -> dict[str, bytes]:
    listed = s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    return {o["Key"]: s3.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read() for o in listed}


def test_uploads_go_to_the_bucket_and_download_through_the_view(users, catalog, client_for, bucket, files_dir,
                                                                django_capture_on_commit_callbacks):
    before = set(_objects(bucket))
    staff = client_for(users["hachioji"])
    response = staff.post("/opendata/dataset/hachioji-aed/resources",
                          {"name": "AED（S3）", "file": upload("aed-s3.csv", VALID_AED)})
    assert response.status_code == 302
    resource = Resource.objects.get(name="AED（S3）")
    stored = _objects(bucket)
    assert set(stored) - before == {resource.file.name}
    assert stored[resource.file.name] == VALID_AED.encode()
    assert not (files_dir / resource.file.name).exists()  # not on the local disk
    assert resource.sha256 == hashlib.sha256(VALID_AED.encode()).hexdigest() and resource.validation["ok"]

    download = client_for(None).get(f"/opendata/dataset/hachioji-aed/resource/{resource.uid}/download",
                                    HTTP_USER_AGENT=BROWSER)
    assert download.status_code == 200
    body = b"".join(download.streaming_content)
    assert hashlib.sha256(body).hexdigest() == resource.sha256
    assert download["Content-Disposition"].startswith("attachment")

    with django_capture_on_commit_callbacks(execute=True):
        staff.post("/opendata/dataset/hachioji-aed/resources", {"delete": str(resource.uid)})
    assert resource.file.name not in _objects(bucket)


@pytest.mark.parametrize("role,status", [("public", 404), ("sapporo", 404), ("company", 404), ("hachioji", 200),
                                         ("tokyo", 200), ("admin", 200)])
def test_internal_files_in_the_bucket_are_404_for_others(users, register, client_for, bucket, role, status):
    internal = actions.create_dataset(users["hachioji"], register["municipalities"]["132012"], {
        "name": "hachioji-s3-internal", "title": "庁内限定（S3）", "visibility": "internal"})
    resource = actions.add_resource(users["hachioji"], internal, name="明細",
                                    upload=upload("secret.csv", "科目,金額\n防災,100\n"))
    assert resource.file.name in _objects(bucket)
    client = client_for(None if role == "public" else users[role])
    response = client.get(f"/opendata/dataset/hachioji-s3-internal/resource/{resource.uid}/download",
                          HTTP_USER_AGENT=BROWSER)
    assert response.status_code == status
    if status == 200:
        assert b"".join(response.streaming_content) == "科目,金額\n防災,100\n".encode()
