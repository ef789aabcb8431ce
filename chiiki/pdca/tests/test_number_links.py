"""Every number on the PDCA pages leads to a list with exactly that many rows, and that list exports what it shows
(audit6b)."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from chiiki.access import SYSTEM

from .. import actions
from .conftest import YEAR, make_kpi

pytestmark = pytest.mark.django_db


def _action(review, title, *, days, status="in_progress"):
    due = (timezone.localdate() + dt.timedelta(days=days)).isoformat()
    return actions.add_action(SYSTEM, review, {"title": title, "owner_organisation": "東京都 デジタルサービス局",
                                               "due_date": due, "status": status,
                                               "result": "済" if status == "done" else ""})


@pytest.fixture
def two_reviews(register):
    make_kpi("K-NAT", target="5")
    national = actions.open_review(SYSTEM, fiscal_year=YEAR, title="全国レビュー")
    tokyo = actions.open_review(SYSTEM, fiscal_year=YEAR, prefecture="13", title="東京都レビュー")
    _action(national, "説明会を開く", days=-3)
    _action(national, "手引きを改訂する", days=-1, status="not_started")
    _action(national, "事例集を配る", days=-5, status="done")  # done: not overdue
    _action(national, "調査票を直す", days=10)  # not due yet
    _action(tokyo, "町村を訪ねる", days=-2)
    return national, tokyo


def _rows(page: str) -> int:
    body = page.split('data-testid="overdue-actions"', 1)[1].split("</table>", 1)[0]
    return body.count("<tr>") - 1  # minus the header row


def test_the_overdue_count_links_to_exactly_those_actions(client, two_reviews):
    index = client.get("/pdca/").content.decode()
    link = re.search(r'<a href="([^"]+)" data-testid="overdue-link">(\d+)件</a>', index)
    assert link and link.group(2) == "3"
    page = client.get(link.group(1).replace("&amp;", "&")).content.decode()
    assert _rows(page) == 3 and 'data-testid="overdue-count">3<' in page
    assert "説明会を開く" in page and "町村を訪ねる" in page and "事例集を配る" not in page and "調査票を直す" not in page


def test_the_reviews_list_counts_link_to_their_rows_and_export_the_same_counts(client, two_reviews):
    national, tokyo = two_reviews
    page = client.get("/pdca/reviews/").content.decode()
    link = re.search(rf'<a href="([^"]+)" data-testid="review-overdue-{national.pk}">(\d+)</a>件', page)
    assert link and link.group(2) == "2"
    assert f'href="/pdca/reviews/{national.pk}/#actions-heading">4</a>件' in page
    listed = client.get(link.group(1).replace("&amp;", "&")).content.decode()
    assert _rows(listed) == 2 and "町村を訪ねる" not in listed
    lines = client.get("/pdca/reviews/?format=csv").content.decode("utf-8-sig").splitlines()
    assert lines[0].endswith("KPI数,対応数,期限切れの対応数")
    counts = {line.split(",")[0]: line.split(",")[-3:] for line in lines[1:]}
    assert counts[str(national.pk)] == ["1", "4", "2"] and counts[str(tokyo.pk)] == ["0", "1", "1"]


def test_the_overdue_list_exports_its_rows_with_japanese_headers(client, two_reviews):
    national, _tokyo = two_reviews
    lines = client.get(f"/pdca/reviews/?overdue=1&review={national.pk}&format=csv").content.decode(
        "utf-8-sig").splitlines()
    assert lines[0] == "ID,レビュー,年度,対象,対応内容,担当組織,期限,状況,関連KPI"
    assert [line.split(",")[4] for line in lines[1:]] == ["説明会を開く", "手引きを改訂する"]  # soonest due first
    xlsx = client.get("/pdca/reviews/?overdue=1&format=xlsx")
    assert xlsx.status_code == 200 and "spreadsheetml" in xlsx["Content-Type"]


def test_the_overdue_list_says_when_there_is_nothing_and_refuses_an_unknown_review(client, register):
    page = client.get("/pdca/reviews/?overdue=1").content.decode()
    assert "期限を過ぎた未完了の対応はありません。" in page and 'data-testid="overdue-count">0<' in page
    assert client.get("/pdca/reviews/?overdue=1&review=abc").status_code == 404
    assert client.get("/pdca/reviews/?overdue=1&review=999").status_code == 404


def test_the_municipality_count_per_prefecture_links_to_that_many_municipalities(client, register):
    make_kpi("K-NAT", target="5")
    page = client.get("/pdca/kpis/K-NAT/").content.decode()
    links = re.findall(r'<a href="([^"]+)" data-testid="kpi-pref-municipalities-(\d\d)">([\d,]+)</a>', page)
    assert links
    for href, _code, shown in links:
        listed = client.get(href.replace("&amp;", "&")).content.decode()
        count = re.search(r'<p aria-live="polite"><strong>([\d,]+)</strong>件', listed).group(1)
        assert count == shown
