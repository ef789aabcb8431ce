"""The 年度 filter of the talent pages: the API reads it in any notation (2026, 令和8年度, R8) and promises the page's
rows; the pages read it with row_id, so 令和8年度 / R8 were dropped silently and every 年度's rows were listed (and
exported) under the filter the visitor typed. A 年度 that cannot be read is said, and nothing is listed."""

import pytest

from chiiki import access
from chiiki.talent import actions
from chiiki.talent.models import Status, TalentRequest

from .conftest import request_data

pytestmark = pytest.mark.django_db

UNREADABLE = "年度を読み取れません"


@pytest.fixture
def two_years(vocabulary, register):
    """A dispatch (承諾) of 八王子市 in 2025年度 and one in 2026年度."""
    place = register["municipalities"]["132012"]
    for year in (2025, 2026):
        r = actions.create_request(access.SYSTEM, place, request_data(title=f"{year}年度の依頼"), fiscal_year=year)
        TalentRequest.objects.filter(pk=r.pk).update(status=Status.ACCEPTED)


@pytest.mark.parametrize("typed", ["令和8年度", "R8"])
def test_the_dispatch_list_page_reads_the_year_like_the_api(client, two_years, typed):
    api = client.get("/api/v1/talent/dispatches", {"fiscal_year": typed})
    assert api.status_code == 200 and [d["fiscal_year"] for d in api.json()["items"]] == [2026]
    page = client.get("/talent/dispatches/", {"fiscal_year": typed})
    assert [d.fiscal_year for d in page.context["page"].object_list] == [2026]
    rows = client.get("/talent/dispatches/", {"fiscal_year": typed, "format": "csv"}).content.decode("utf-8-sig")
    assert "2025年度の依頼" not in rows and "2026年度の依頼" in rows


def test_the_request_list_reads_the_year_like_the_api(users, client_for, two_years):
    admin = client_for(users["admin"])
    api = admin.get("/api/v1/talent/requests", {"fiscal_year": "令和8年度"})
    assert api.status_code == 200 and [r["fiscal_year"] for r in api.json()["items"]] == [2026]
    page = admin.get("/talent/requests/", {"fiscal_year": "令和8年度"})
    assert [r.fiscal_year for r in page.context["page"].object_list] == [2026]
    rows = admin.get("/talent/requests/", {"fiscal_year": "R8", "format": "csv"}).content.decode("utf-8-sig")
    assert "2025年度の依頼" not in rows and "2026年度の依頼" in rows


def test_the_analytics_read_the_year_like_the_api(client, two_years):
    page = client.get("/talent/analytics/", {"fiscal_year": "R8"})
    assert page.context["fiscal_year"] == 2026
    assert sum(s["demand"] for s in page.context["by_sector"]) == 1
    values = client.get("/talent/analytics/map.json", {"fiscal_year": "令和8年度"}).json()
    assert values["fiscal_year"] == 2026 and values["prefectures"]["13"]["demand"] == 1


@pytest.mark.parametrize("fmt", ["", "csv", "xlsx"])
def test_an_unreadable_year_lists_and_exports_nothing(client, users, client_for, two_years, fmt):
    for viewer, url in ((client, "/talent/dispatches/"), (client_for(users["admin"]), "/talent/requests/"),
                        (client, "/talent/analytics/")):
        params = {"fiscal_year": "令和八年度"} | ({"format": fmt, "table": "sector"} if fmt else {})
        response = viewer.get(url, params)
        assert response.status_code == 422, url
        assert response["Content-Type"].startswith("text/html"), url  # the page saying why, not a file of every 年度
        body = response.content.decode()
        assert UNREADABLE in body and "年度の依頼" not in body, url
        if "page" in response.context:
            assert response.context["page"].paginator.count == 0, url
        if url == "/talent/analytics/":  # the empty tables say why, not that nothing has happened yet
            assert "年度を読み取れないため表示していません" in body and "まだ依頼も人材もありません" not in body
    values = client.get("/talent/analytics/map.json", {"fiscal_year": "令和八年度"})
    assert values.status_code == 422 and UNREADABLE in values.json()["detail"]
