"""CSV/XLSX exports of council members and of 首長のコミットメント, and the national list of commitments."""

import datetime as dt
import io

import openpyxl
import pytest
from django.utils import timezone

from chiiki.access import SYSTEM
from chiiki.core.tabular import read_table
from chiiki.promotion import actions

from .conftest import bearer

pytestmark = pytest.mark.django_db


@pytest.fixture
def council(register):
    council = actions.save_council(SYSTEM, None, {"name": "八王子市IoT推進協議会", "municipality": "132012"})
    for name, kind, role in (("多摩大学", "academia", "chair"), ("=危ない会", "npo", "member"),
                             ("多摩IoT協会", "industry", "secretariat")):
        org = actions.save_organisation(SYSTEM, None, {"name": name, "kind": kind, "prefecture": "13"})
        actions.add_council_member(SYSTEM, council, org, role)
    return council


def test_council_members_export_csv_and_xlsx(client, council):
    response = client.get(f"/promotion/councils/{council.pk}/?format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    table = read_table(response.content, "members.csv")
    assert [(r.get("役割"), r.get("組織")) for r in table.rows] == [
        ("会長", "多摩大学"), ("事務局", "多摩IoT協会"), ("会員", "=危ない会")]
    assert "'=危ない会" in response.content.decode("utf-8-sig")  # the formula is neutralised in the file
    xlsx = client.get(f"/promotion/councils/{council.pk}/?format=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert [c.value for c in next(sheet.iter_rows(max_row=1))][:5] == ["協議会ID", "協議会", "役割", "組織ID", "組織"]
    assert sheet.max_row == 4
    page = client.get(f"/promotion/councils/{council.pk}/").content.decode()
    assert "構成員をCSVでダウンロード" in page


def test_commitments_list_and_export(client, register, users):
    today = timezone.localdate()
    for code, title, days in (("132012", "八王子市長の表明", 30), ("134023", "青ヶ島村長の表明", 3),
                              ("011002", "札幌市長の表明", 10)):
        actions.record_commitment(SYSTEM, register["municipalities"][code], declared_on=today - dt.timedelta(days=days),
                                  title=title, document_url=f"https://example.jp/{code}")
    page = client.get("/promotion/commitments/?prefecture=13").content.decode()
    assert page.index("青ヶ島村長の表明") < page.index("八王子市長の表明") and "札幌市長の表明" not in page
    csv = client.get("/promotion/commitments/?prefecture=13&format=csv")
    rows = read_table(csv.content, "c.csv").rows
    assert [r.get("団体コード") for r in rows] == ["134023", "132012"]
    assert rows[0].get("表明日") == (today - dt.timedelta(days=3)).isoformat()
    one = read_table(client.get("/promotion/commitments/?municipality=011002&format=xlsx").content, "c.xlsx").rows
    assert [r.get("表明の内容") for r in one] == ["札幌市長の表明"]
    assert "条件に合うコミットメントの記録はありません" in client.get(
        "/promotion/commitments/?municipality=999999").content.decode()
    api = client.get("/api/v1/commitments?prefecture=13").json()
    assert api["count"] == 2 and [i["municipality"] for i in api["items"]] == ["134023", "132012"]
    # The municipality page links its own export.
    assert "/promotion/commitments/?municipality=132012&amp;format=csv" in client.get(
        "/promotion/m/132012/").content.decode()
    assert client.get("/api/v1/commitments", **bearer(users["company"])).json()["count"] == 3
