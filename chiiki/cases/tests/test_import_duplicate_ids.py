"""The cases import: a case named twice in one file is named in the preview (it could only ever fail at commit,
blamed on another user), and an ID a prefecture cannot see reads as no case at all."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chiiki.access import SYSTEM

from .. import actions
from ..models import Case

pytestmark = pytest.mark.django_db

HEADER = "ID,版,団体コード,事例名,概要,分野,公開状況"


def make(code="132012", status="published"):
    data = {"municipality": code, "title": "防災アプリ", "summary": "避難情報を配信", "sectors": ["disaster"],
            "status": status}
    case, _ = actions.save_case(SYSTEM, None, data, version=0)
    return case


def preview(client, *lines):
    file = ("\r\n".join([HEADER, *lines]) + "\r\n").encode("utf-8-sig")
    location = client.post("/cases/import/", {"file": SimpleUploadedFile("cases.csv", file)})["Location"]
    return location, client.get(location)


def test_the_same_case_twice_is_named_in_the_preview(client_for, users, register):
    case = make()
    admin = client_for(users["admin"])
    exported = admin.get("/cases/?format=csv").content.decode("utf-8-sig")
    header, row = exported.strip().split("\r\n")
    edited = row.replace("避難情報を配信", "取込で直した概要")
    # The edited row pasted twice (a copy left below the original when sorting in Excel).
    file = (header + "\r\n" + edited + "\r\n" + edited + "\r\n").encode("utf-8-sig")
    location = admin.post("/cases/import/", {"file": SimpleUploadedFile("cases.csv", file)})["Location"]
    page = admin.get(location)
    result = page.context["result"]
    assert [(p.row, p.column, p.reason) for p in result.problems] == [
        (3, "ID", f"ID {case.pk} が重複しています（2行目）")]
    html = page.content.decode()
    assert f"ID {case.pk} が重複しています（2行目）" in html and "取り込む</button>" not in html
    case.refresh_from_db()
    assert (case.summary, case.version) == ("避難情報を配信", 1)


def test_an_id_written_two_ways_is_the_same_case(client_for, users, register):
    case = make()
    _location, page = preview(client_for(users["admin"]), f"{case.pk},1,132012,防災アプリ,一つ目,防災,公開",
                              f"０{case.pk},1,132012,防災アプリ,二つ目,防災,公開")
    assert [(p.row, p.column) for p in page.context["result"].problems] == [(3, "ID")]


def test_a_draft_outside_the_prefecture_reads_as_no_case(client_for, users, register):
    draft = make("011002", status="draft")  # 札幌市's draft: not Tokyo's to see
    published = make("011002")
    missing = published.pk + 100
    _location, page = preview(client_for(users["tokyo"]), f"{draft.pk},1,132012,事例,概要,防災,公開",
                              f"{missing},1,132012,事例,概要,防災,公開", f"{published.pk},1,132012,事例,概要,防災,公開")
    reasons = {p.row: p.reason for p in page.context["result"].problems}
    # The draft answers exactly as an ID no case has; the published case is on the public pages anyway.
    assert reasons == {2: "この ID の事例はありません", 3: "この ID の事例はありません", 4: "この事例を更新する権限がありません"}
    assert not Case.objects.filter(municipality__code="132012").exists()
