"""The same file imported twice at the same moment (ADR 0010): one import writes it, the other finds it already
there and reports it as unchanged — both answer normally, never a 500, and nothing is written twice.

Each request runs in its own thread with its own database connection (transactional test database). A barrier
in front of the import's write transaction releases the two together, so both have checked the file against the
stored rows before either writes: the moment a plan made outside the lock would insert a row the other import has
just inserted. On SQLite BEGIN IMMEDIATE makes the second wait for the first; the answers must be the same.
"""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from chiiki.accounts.models import Role, User
from chiiki.funding import importing
from chiiki.funding.models import NonGrantStatus, Receipt
from chiiki.testing import each_in_its_thread, meet_before_writing

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 3
TIMEOUT = 60  # seconds a thread may wait at the barrier or take to answer (a hang is a failure, not a wait)


def test_two_admins_committing_one_non_grant_file_at_once_both_succeed(client_for, users, monkeypatch):
    admins = [users["admin"], User.objects.create(username="admin2", role=Role.NATIONAL_ADMIN)]
    for round_ in range(ROUNDS):
        year = 2027 + round_
        content = f"団体コード,年度,不交付団体,三大都市圏\r\n132012,{year},はい,はい\r\n130001,{year},1,0\r\n"
        commits = []
        for admin in admins:
            client = client_for(admin)
            client.raise_request_exception = False  # a 500 is an answer to count, not an error of the test
            upload = io.BytesIO(content.encode("cp932"))
            upload.name = "non_grant.csv"
            location = client.post("/funding/non-grant/import/", {"file": upload})["Location"]
            preview = client.get(location).content.decode()
            sha256 = re.search(r'name="sha256" value="([0-9a-f]{64})"', preview).group(1)
            commits.append((client, location + "commit", sha256))
        meet_before_writing(monkeypatch, importing, len(commits), timeout=TIMEOUT)

        answers = each_in_its_thread(commits, lambda commit: commit[0].post(commit[1], {"sha256": commit[2]}))

        assert [answer.status_code for answer in answers] == [302, 302], (round_, answers)
        said = sorted(" ".join(str(m) for m in client.get(answer["Location"]).context["messages"])
                      for (client, _url, _sha), answer in zip(commits, answers, strict=True))
        assert "新規 0件・更新 0件を取り込みました（変更なし 2件）" in said[0], (round_, said)
        assert "新規 2件・更新 0件を取り込みました（変更なし 0件）" in said[1], (round_, said)
        stored = set(NonGrantStatus.objects.filter(fiscal_year=year).values_list("code", "non_grant", "metropolitan"))
        assert stored == {("132012", True, True), ("130001", True, False)}, round_


def test_one_receipts_file_imported_twice_at_once_through_the_api_counts_once(receiving_campaign, monkeypatch):
    today = timezone.localdate()
    campaign, keys = receiving_campaign
    for round_ in range(ROUNDS):
        content = f"受付番号,受付日,金額\r\nR{round_}-1,{today},1000\r\nR{round_}-2,{today},2000\r\n".encode()
        meet_before_writing(monkeypatch, importing, len(keys), timeout=TIMEOUT)

        def post(key, content=content):
            client = Client(raise_request_exception=False)
            return client.post("/api/v1/campaigns/receipts/import",
                               {"file": SimpleUploadedFile("receipts.csv", content, "text/csv"),
                                "campaign": str(campaign.pk)}, HTTP_AUTHORIZATION=f"Bearer {key}")

        answers = each_in_its_thread(keys, post)

        assert [answer.status_code for answer in answers] == [200, 200], (round_, [a.content for a in answers])
        counts = sorted((a.json()["created"], a.json()["unchanged"], a.json()["committed"]) for a in answers)
        assert counts == [(0, 2, False), (2, 0, True)], (round_, counts)
        receipts = Receipt.objects.filter(campaign=campaign, external_id__startswith=f"R{round_}-")
        assert sorted(receipts.values_list("amount", flat=True)) == [1000, 2000], round_
