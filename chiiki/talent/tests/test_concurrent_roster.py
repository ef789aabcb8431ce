"""Two national admins commit the same roster file at the same moment: one import creates the profiles, the other
finds them and reports them unchanged — never a 500 from the unique 名簿ID (PostgreSQL)."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chiiki.accounts.models import Role, User
from chiiki.core.tabular import csv_bytes
from chiiki.talent import actions
from chiiki.talent.models import TalentProfile
from chiiki.talent.tests.test_import import GOOD, HEADER
from chiiki.testing import each_in_its_thread, meet_before_writing

pytestmark = pytest.mark.django_db(transaction=True)


def test_one_roster_committed_by_two_admins_at_once_answers_without_a_500(client_for, users, vocabulary,
                                                                           monkeypatch):
    admins = [users["admin"], User.objects.create(username="admin2", role=Role.NATIONAL_ADMIN)]
    commits = []
    for admin in admins:
        client = client_for(admin)
        client.raise_request_exception = False
        location = client.post("/talent/import/", {"file": SimpleUploadedFile("roster.csv", csv_bytes(HEADER, GOOD))})[
            "Location"]
        sha256 = re.search(r'name="sha256" value="([0-9a-f]{64})"', client.get(location).content.decode()).group(1)
        commits.append((client, location + "commit", sha256))
    meet_before_writing(monkeypatch, actions)

    def send(commit):
        client, url, sha256 = commit
        return client.post(url, {"sha256": sha256}).status_code

    assert each_in_its_thread(commits, send) == [302, 302]
    assert sorted(TalentProfile.objects.values_list("external_id", flat=True)) == ["R-001", "R-002"]
