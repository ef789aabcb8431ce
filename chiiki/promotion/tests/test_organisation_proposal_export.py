"""An organisation's proposals download as CSV/XLSX for those who see them on its page (its members, the admin);
for anyone else the page has no such list and the download answers the page as before, without proposals."""

import csv
import io

import openpyxl
import pytest

from .test_challenges import market  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def test_the_organisations_proposals_download_for_its_members_only(client_for, users, market):  # noqa: F811
    challenge = market["challenge"]
    org_url = f"/promotion/organisations/{market['orgs'][users['company'].username]['id']}/"
    company = client_for(users["company"])
    assert '<a href="?format=csv">CSV</a><a href="?format=xlsx">XLSX</a>' in company.get(org_url).content.decode()
    response = company.get(org_url + "?format=csv")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["課題", "団体コード", "団体", "締切", "見積額（円）", "状態", "結果"]
    assert [(r[0], r[4], r[5]) for r in rows[1:]] == [(challenge["title"], "3000000", "提出済み")]
    sheet = openpyxl.load_workbook(io.BytesIO(client_for(users["admin"]).get(org_url + "?format=xlsx").content)).active
    assert [c for c in next(sheet.iter_rows(min_row=2, values_only=True))][0] == challenge["title"]

    for other in (None, users["hachioji"], market["rival"]):
        response = client_for(other).get(org_url + "?format=csv")
        assert "attachment" not in response.get("Content-Disposition", "")
        assert "3,000,000" not in response.content.decode() and "3000000" not in response.content.decode()
