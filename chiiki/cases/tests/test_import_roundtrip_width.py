"""Cases exported and imported back change nothing, whatever width the page saved their text in."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chiiki.access import SYSTEM

from .. import actions
from ..models import Case

pytestmark = pytest.mark.django_db


def test_an_export_imported_back_keeps_full_width_text(client_for, users, register):
    data = {"municipality": "132012", "title": "防災アプリ　第２版", "summary": "避難情報を１日３回配信",
            "sectors": ["disaster"], "status": "published"}
    case, _ = actions.save_case(SYSTEM, None, data, version=0)
    admin = client_for(users["admin"])
    exported = admin.get("/cases/?format=csv").content
    location = admin.post("/cases/import/", {"file": SimpleUploadedFile("cases.csv", exported)})["Location"]
    result = admin.get(location).context["result"]
    assert result.ok and (result.created, result.updated) == (0, 1)  # the preview counts every row with an ID
    page = admin.get(location)
    assert admin.post(location + "commit", {"sha256": page.context["upload"].sha256}).status_code == 302
    stored = Case.objects.get(pk=case.pk)
    assert (stored.title, stored.summary, stored.version) == ("防災アプリ　第２版", "避難情報を１日３回配信", case.version)
