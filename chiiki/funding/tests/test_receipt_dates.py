"""Receipts as a portal's file reaches the municipality after Excel has opened and saved it: 2026/6/2 in its CSV,
a date-time cell in its XLSX."""

import csv
import datetime as dt
import io

import openpyxl

from chiiki.funding.models import Receipt

from .test_campaigns import _campaign


def _named(data: bytes, name: str) -> io.BytesIO:
    buffer = io.BytesIO(data)
    buffer.name = name
    return buffer


def _import(client, campaign, data: bytes, name: str, **extra):
    return client.post("/api/v1/campaigns/receipts/import", {"file": _named(data, name), "campaign": campaign.pk,
                                                            **extra})


def _cp932(rows) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("cp932")


def test_excel_saved_csv_dates_import(client_for, users, register):
    campaign = _campaign(register)
    # Japanese Excel writes a date cell to CSV as 2026/6/2 (no leading zeros), in CP932.
    data = _cp932([["申込番号", "寄附日", "寄附金額"], ["P-1", "2026/6/2", "10,000"], ["P-2", "2026/6/13", "3000"],
                   ["P-3", "２０２６／６／１４", "2000"]])
    response = _import(client_for(users["hachioji"]), campaign, data, "portal.csv")
    assert response.status_code == 200, response.json()["errors"]
    assert sorted(Receipt.objects.values_list("received_on", flat=True)) == [
        dt.date(2026, 6, 2), dt.date(2026, 6, 13), dt.date(2026, 6, 14)]


def test_xlsx_date_time_cells_import(client_for, users, register):
    campaign = _campaign(register)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["受付番号", "受付日", "金額"])
    sheet.append(["P-1", dt.datetime(2026, 6, 2, 10, 30), 10000])  # a portal's 受付日時 cell
    buffer = io.BytesIO()
    book.save(buffer)
    response = _import(client_for(users["hachioji"]), campaign, buffer.getvalue(), "portal.xlsx")
    assert response.status_code == 200, response.json()["errors"]
    assert Receipt.objects.get().received_on == dt.date(2026, 6, 2)


def test_a_date_that_is_none_is_named_and_nothing_is_written(client_for, users, register):
    campaign = _campaign(register)
    data = _cp932([["受付番号", "受付日", "金額"], ["P-1", "2026/6/2", "1000"], ["P-2", "2026/2/30", "1000"]])
    response = _import(client_for(users["hachioji"]), campaign, data, "portal.csv", dry_run="true")
    assert response.status_code == 422
    assert [(e["row"], e["column"], e["message"]) for e in response.json()["errors"]] == [
        (3, "受付日", "受付日は YYYY-MM-DD の形式で入力してください（入力: 2026/2/30）")]
    assert not Receipt.objects.exists()
