"""The funding-line import: export → edit → import through the web flow and the API, all or nothing."""

import csv
import io
import re

from chiiki.core.models import ChangeRecord
from chiiki.funding.models import FundingLine

from .conftest import CONFIRMED, GENERAL, PLANNED, make_program


def _export(client, plan):
    text = client.get(f"/funding/lines/?plan={plan.pk}&format=csv").content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def _csv(rows, encoding="utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding)


class _named:  # noqa: N801 - BytesIO | _named(name) gives the upload its file name
    def __init__(self, name):
        self.name = name

    def __ror__(self, buffer):
        buffer.name = self.name
        return buffer


def test_export_reimports_unchanged_and_edits_apply(client_for, users, plan_factory):
    plan = plan_factory([(2026, "implementation", 100, [(GENERAL, 100, PLANNED, None)]),
                         (2027, "operation", 50, [])], status="published")
    c = client_for(users["hachioji"])
    rows = _export(c, plan)
    response = c.post("/api/v1/funding/lines/import", {"file": io.BytesIO(_csv(rows)) | _named("x.csv")})
    assert response.status_code == 200
    assert response.json() | {"errors": []} == response.json()
    assert (response.json()["unchanged"], response.json()["committed"]) == (1, False)

    header = rows[0]
    rows[1][header.index("状態")] = "採択・確定"
    program = make_program("IMPORTED", name="取込補助金")
    new = [""] * len(header)
    new[header.index("計画ID")], new[header.index("年度")] = str(plan.pk), "令和9年度"
    new[header.index("財源の種類")], new[header.index("支援メニューID")] = "国の支援メニュー", program.public_id
    new[header.index("金額（円）")] = "５０"
    rows.append(new)
    # CP932 through the web flow: upload, preview (nothing written yet), commit.
    response = c.post("/funding/lines/import/", {"file": io.BytesIO(_csv(rows, "cp932")) | _named("財源.csv")})
    assert response.status_code == 302
    preview = c.get(response["Location"])
    assert "新規" in preview.content.decode() and FundingLine.objects.count() == 1
    sha256 = re.search(r'name="sha256" value="([0-9a-f]+)"', preview.content.decode()).group(1)
    commit = c.post(response["Location"] + "commit", {"sha256": sha256})
    assert commit.status_code == 302
    line = FundingLine.objects.get(plan_year__fiscal_year=2026)
    assert (line.state, line.version) == (CONFIRMED, 2)
    added = FundingLine.objects.get(plan_year__fiscal_year=2027)
    assert (added.program, added.amount) == (program, 50)
    assert ChangeRecord.objects.filter(model="funding.fundingline", source="web-import").count() == 2


def test_one_bad_row_writes_nothing(client_for, users, plan_factory):
    plan = plan_factory([(2026, "implementation", 100, [(GENERAL, 100, PLANNED, None)])], status="published")
    other = plan_factory([(2026, "implementation", 100, [])], municipality="011002", status="published")
    c = client_for(users["hachioji"])
    rows = _export(c, plan)
    header = rows[0]
    rows[1][header.index("金額（円）")] = "200"
    bad = [[""] * len(header) for _ in range(4)]
    for row, (plan_id, year, kind, amount) in zip(bad, [(plan.pk, "2030", "一般財源", "1"),
                                                        (plan.pk, "2026", "寄付", "1"),
                                                        (plan.pk, "2026", "一般財源", "-1"),
                                                        (other.pk, "2026", "一般財源", "1")], strict=True):
        row[header.index("計画ID")], row[header.index("年度")] = str(plan_id), year
        row[header.index("財源の種類")], row[header.index("金額（円）")] = kind, amount
    response = c.post("/api/v1/funding/lines/import", {"file": io.BytesIO(_csv(rows + bad)) | _named("x.csv")})
    assert response.status_code == 422
    errors = {(e["row"], e["message"]) for e in response.json()["errors"]}
    assert (3, "計画に2030年度がありません（先に年度を追加してください）") in errors
    assert any(row == 4 and message.startswith("財源の種類が正しくありません") for row, message in errors)
    assert (5, "金額は0円以上で入力してください") in errors
    assert (6, "この計画の財源を変更する権限がありません") in errors
    assert FundingLine.objects.get(plan_year__plan=plan).amount == 100  # the good row was not written either


def test_stale_version_in_the_file_is_refused(client_for, users, plan_factory):
    plan = plan_factory([(2026, "implementation", 100, [(GENERAL, 100, PLANNED, None)])], status="published")
    c = client_for(users["tokyo"])
    rows = _export(c, plan)
    line = FundingLine.objects.get()
    c.put(f"/api/v1/plans/{plan.pk}/lines/{line.pk}", data={"version": 1, "amount": 7},
          content_type="application/json")
    rows[1][rows[0].index("金額（円）")] = "999"
    response = c.post("/api/v1/funding/lines/import", {"file": io.BytesIO(_csv(rows)) | _named("x.csv")})
    assert response.status_code == 422
    assert response.json()["errors"][0]["message"] == "ほかの利用者が先に更新しました（現在の版は2）"
    assert FundingLine.objects.get().amount == 7


def test_import_refused_to_roles_without_plans(client_for, users):
    assert client_for(users["company"]).get("/funding/lines/import/").status_code == 403
    assert client_for(None).get("/funding/lines/import/").status_code == 404


def test_a_line_changed_while_importing_writes_nothing(client_for, users, plan_factory, monkeypatch):
    """The version in the file is checked while parsing and again under the row lock when writing: a line saved by
    someone else in between refuses the whole file (nothing written), as editing.lock does for the pages."""
    from django.db.models import F

    from chiiki.funding import importing

    plan = plan_factory([(2026, "implementation", 100, [(GENERAL, 100, PLANNED, None), (GENERAL, 5, PLANNED, None)])],
                        status="published")
    c = client_for(users["hachioji"])
    rows = _export(c, plan)
    header = rows[0]
    for row in rows[1:]:
        row[header.index("状態")] = "採択・確定"
    first, second = FundingLine.objects.order_by("pk")
    parse = importing._parse

    def parse_then_someone_saves(*args, **kwargs):
        parsed = parse(*args, **kwargs)
        if parsed is not None and parsed.line is not None and parsed.line.pk == second.pk:
            FundingLine.objects.filter(pk=second.pk).update(amount=7, version=F("version") + 1)
        return parsed

    monkeypatch.setattr(importing, "_parse", parse_then_someone_saves)
    response = c.post("/api/v1/funding/lines/import", {"file": io.BytesIO(_csv(rows)) | _named("x.csv")})
    assert response.status_code == 422
    assert response.json()["committed"] is False
    assert "取り込み中にほかの利用者が財源を更新しました" in response.json()["errors"][0]["message"]
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, first.version) == (PLANNED, 1)  # rolled back with the rest
    assert (second.amount, second.state, second.version) == (7, PLANNED, 2)
    assert not ChangeRecord.objects.filter(model="funding.fundingline", action="update").exists()
