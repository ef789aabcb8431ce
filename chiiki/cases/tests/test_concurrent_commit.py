"""One previewed upload committed twice at the same moment (a double click on 取り込む, two tabs): the file is
imported once — never every new case twice — and neither answer is a 500."""

import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from chiiki.cases.models import Case
from chiiki.core import imports
from chiiki.core.models import ImportUpload
from chiiki.testing import released_together

pytestmark = pytest.mark.django_db(transaction=True)

FILE = "団体コード,事例名,概要,分野\r\n132012,防災アプリ,避難情報を配信,防災\r\n".encode("utf-8-sig")


def test_one_upload_committed_twice_at_once_imports_its_rows_once(client_for, users, monkeypatch):
    admin = client_for(users["admin"])
    location = admin.post("/cases/import/", {"file": SimpleUploadedFile("cases.csv", FILE)})["Location"]
    sha = admin.get(location).context["upload"].sha256
    # Both requests have read the upload before either writes (the moment of a double click).
    barrier = threading.Barrier(2, timeout=60)
    real = imports._content
    monkeypatch.setattr(imports, "_content", lambda upload: (barrier.wait(), real(upload))[1])
    tabs = [client_for(users["admin"]), client_for(users["admin"])]
    for tab in tabs:
        tab.raise_request_exception = False

    def send(tab):
        try:
            return tab.post(location + "commit", {"sha256": sha})
        finally:
            connection.close()

    answers = released_together(tabs, send)
    assert [a.status_code for a in answers] == [302, 302]
    assert Case.objects.count() == 1, list(Case.objects.values_list("pk", "title"))
    assert not ImportUpload.objects.exists()


def test_a_commit_refused_after_the_check_keeps_the_upload_for_its_preview(client_for, users, monkeypatch):
    admin = client_for(users["admin"])
    location = admin.post("/cases/import/", {"file": SimpleUploadedFile("cases.csv", FILE)})["Location"]
    sha = admin.get(location).context["upload"].sha256
    refused = imports.ImportResult(problems=[imports.RowProblem(2, "事例名", "テスト", "")])
    monkeypatch.setattr(imports.Importer, "run", lambda *args, **kwargs: refused)
    answer = admin.post(location + "commit", {"sha256": sha})
    assert answer.status_code == 302 and answer["Location"] == location
    assert ImportUpload.objects.count() == 1 and not Case.objects.exists()
    monkeypatch.undo()
    preview = admin.get(location)  # its preview reads the file again
    assert preview.status_code == 200 and "cases.csv" in preview.content.decode()
