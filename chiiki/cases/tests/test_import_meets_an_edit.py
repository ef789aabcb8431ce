"""A case edited on its page after the import was checked but before it writes: the commit refuses the file naming
the row — never a 500 — and the other person's edit is kept."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from chiiki.cases import actions
from chiiki.cases.models import Case

pytestmark = pytest.mark.django_db


def test_an_edit_landing_between_the_check_and_the_write_refuses_the_file(client_for, users, register, monkeypatch):
    data = {"municipality": "132012", "title": "防災アプリ", "summary": "避難情報を配信", "sectors": ["disaster"],
            "status": "published"}
    case, _ = actions.save_case(users["hachioji"], None, data, version=0)
    admin = client_for(users["admin"])
    admin.raise_request_exception = False
    exported = admin.get("/cases/?format=csv").content.decode("utf-8-sig")
    edited = exported.replace("避難情報を配信", "取込で直した概要").encode("utf-8-sig")
    location = admin.post("/cases/import/", {"file": SimpleUploadedFile("cases.csv", edited)})["Location"]
    sha = admin.get(location).context["upload"].sha256
    real = transaction.atomic
    state = {"done": False}

    def atomic(*args, **kwargs):
        if not state["done"]:  # the import has checked every row's 版; 八王子市 saves the case on its page now
            state["done"] = True
            actions.save_case(users["hachioji"], Case.objects.get(pk=case.pk), {**data, "title": "八王子市の修正"},
                              version=1)
        return real(*args, **kwargs)

    monkeypatch.setattr(actions, "transaction", type("T", (), {"atomic": staticmethod(atomic)}))
    answer = admin.post(location + "commit", {"sha256": sha})
    assert answer.status_code == 302 and answer["Location"] == location
    stored = Case.objects.get(pk=case.pk)
    assert (stored.title, stored.summary) == ("八王子市の修正", "避難情報を配信")
    preview = admin.get(location).content.decode()
    assert "事例がほかで更新されています" in preview
