"""Every import checks its time budget while it checks rows, not only while the file is read: a file within the
size limits whose rows are slow to check (lookups per row) is stopped like one slow to read."""

import inspect

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chiiki.core import budget
from chiiki.core.tabular import csv_bytes

pytestmark = pytest.mark.django_db


def _spent_in(module_name: str):
    """budget.check that says the budget is spent when called from `module_name`'s row loop."""
    real = budget.check

    def check():
        if inspect.currentframe().f_back.f_globals["__name__"] == module_name:
            raise budget.OverBudget(1)
        real()

    return check


@pytest.mark.parametrize("module,url,data", [
    ("chiiki.cases.actions", "/cases/import/",
     "団体コード,事例名,概要,分野\r\n132012,防災アプリ,避難情報を配信,防災\r\n".encode("utf-8-sig")),
    ("chiiki.funding.importing", "/funding/lines/import/",
     csv_bytes(["計画ID", "年度", "財源の種類", "金額（円）"], [["1", "2026", "一般財源", "100"]])),
])
def test_an_import_past_its_budget_while_checking_rows_stops(client_for, users, register, monkeypatch, module, url,
                                                             data):
    monkeypatch.setattr(budget, "check", _spent_in(module))
    admin = client_for(users["admin"])
    uploaded = admin.post(url, {"file": SimpleUploadedFile("rows.csv", data)})
    preview = admin.get(uploaded["Location"]) if uploaded.status_code == 302 else uploaded
    assert "処理時間の上限" in preview.content.decode()
