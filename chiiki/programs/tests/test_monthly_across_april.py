"""募集期間 「毎月 1月〜4月」 (monthly:1-4) crosses the start of a 年度 (April). It used to be accepted and then
gave no deadline ever (受付終了 all year round, an empty deadline calendar) with nothing said to the editor: it is
refused, on the edit form beside 募集期間 and in a catalog import naming the row, with the way to write it."""

import csv
import io
import re

import pytest

from chiiki.core.models import ChangeRecord
from chiiki.programs.catalog import HEADER
from chiiki.programs.models import SupportProgram

from .test_admin import export_csv, form_data, problems_of, upload

ACROSS = "毎月締切の月は年度の順（4月→翌3月）で指定してください: {}。4月をまたぐ場合は2つに分けてください（{}）"


def test_the_edit_form_refuses_a_monthly_window_across_april(client_for, catalog, users):
    program = catalog["MIC-ICT-ADVISOR"]
    response = client_for(users["admin"]).post(f"/programs/p/{program.public_id}/edit",
                                               form_data(program, windows="毎月 1月〜4月"))
    assert response.status_code == 422
    beside = re.search(r'id="id_windows_error"><li>(.*?)</li>', response.content.decode())
    assert beside and beside.group(1).startswith("募集期間を読み取れません: 「毎月 1月〜4月」")
    assert "4月をまたぐ場合は2つに分けてください" in beside.group(1)  # the reason, not only that it failed
    stored = SupportProgram.objects.get(pk=program.pk)
    assert (stored.windows, stored.version) == ("monthly:4-12", program.version)


@pytest.mark.parametrize("window, split", [("monthly:1-4", "monthly:1-3;monthly:4-4"),
                                           ("monthly:2-5:20", "monthly:2-3:20;monthly:4-5:20")])
def test_a_catalog_import_refuses_a_monthly_window_across_april_naming_the_row(client_for, catalog, users, window,
                                                                               split):
    admin = client_for(users["admin"])
    rows = list(csv.DictReader(io.StringIO(export_csv(admin).decode("utf-8-sig"))))
    line = next(i for i, row in enumerate(rows) if row["id"] == "MIC-ICT-ADVISOR") + 2  # header = line 1
    rows[line - 2]["windows"] = window
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, HEADER)
    writer.writeheader()
    writer.writerows(rows)
    records = ChangeRecord.objects.count()

    response = upload(admin, buffer.getvalue().encode("utf-8"))
    assert "1件の誤り" in response.content.decode()
    problems = problems_of(admin, response)
    assert [p.split(",")[:3] for p in problems] == [[str(line), "windows", window]]
    assert ACROSS.format(window, split) in problems[0]
    assert SupportProgram.objects.get(public_id="MIC-ICT-ADVISOR").windows == "monthly:4-12"
    assert ChangeRecord.objects.count() == records

