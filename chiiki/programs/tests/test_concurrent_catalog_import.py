"""Two admins committing the same new program at once: one creates it, the other finds it (never a 500)."""

import csv
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chiiki.accounts.models import Role, User
from chiiki.programs import actions
from chiiki.programs.catalog import HEADER
from chiiki.programs.models import SupportProgram
from chiiki.testing import each_in_its_thread, meet_before_writing

pytestmark = pytest.mark.django_db(transaction=True)


def test_one_new_program_committed_by_two_admins_at_once_answers_without_a_500(client_for, catalog, users,
                                                                                monkeypatch):
    admins = [users["admin"], User.objects.create(username="admin2", role=Role.NATIONAL_ADMIN)]
    exported = client_for(admins[0]).get("/programs/manage/export", {"format": "csv"}).content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(exported)))
    new = dict(rows[1], id="PREF-NAGANO-DX", name="長野県DX推進補助金", provider="長野県",
               provider_type="public_private")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, HEADER)
    writer.writeheader()
    writer.writerows([new])
    content = buffer.getvalue().encode("utf-8-sig")
    commits = []
    for admin in admins:
        client = client_for(admin)
        client.raise_request_exception = False
        location = client.post("/programs/manage/import/", {"file": SimpleUploadedFile("c.csv", content)})["Location"]
        sha = re.search(r'name="sha256" value="([0-9a-f]+)"', client.get(location).content.decode()).group(1)
        commits.append((client, location + "commit", sha))
    # Both commits have read the catalog (no PREF-NAGANO-DX yet) before either opens its write transaction.
    meet_before_writing(monkeypatch, actions)

    def send(commit):
        client, url, sha = commit
        return client.post(url, {"sha256": sha}).status_code

    statuses = each_in_its_thread(commits, send)
    assert 500 not in statuses, statuses
    assert SupportProgram.objects.filter(public_id="PREF-NAGANO-DX").count() == 1
