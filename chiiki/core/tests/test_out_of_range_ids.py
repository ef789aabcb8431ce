"""An id or 年度 in a query string or a posted button that no database integer can hold names no row: the list
ignores the filter, says the 年度 cannot be read (422) or the page answers 404, never a 500 (SQLite raised OverflowError on such numbers)."""

import pytest

from chiiki.core.forms import MAX_ROW_ID, row_id

pytestmark = pytest.mark.django_db

HUGE = "9" * 30
BEYOND = str(MAX_ROW_ID + 1)


def test_row_id():
    assert [row_id(v) for v in ("12", " 7 ", str(MAX_ROW_ID))] == [12, 7, MAX_ROW_ID]
    assert [row_id(v) for v in (None, "", "abc", "-1", "1.5", "١٢", BEYOND, HUGE)] == [None] * 8


@pytest.mark.parametrize("url,status", [
    (f"/funding/lines/?plan={HUGE}", 200),
    (f"/funding/pledges/?project={HUGE}", 200),
    (f"/talent/analytics/?fiscal_year={HUGE}", 422),  # a 年度 out of range is said, not read as none
    (f"/talent/analytics/map.json?fiscal_year={BEYOND}", 422),
    (f"/talent/requests/?fiscal_year={HUGE}", 422),
    (f"/pdca/reviews/?overdue=1&review={HUGE}", 404),
    ("/pdca/reviews/?overdue=1&review=abc", 404),
])
def test_query_strings(client_for, users, url, status):
    assert client_for(users["admin"]).get(url).status_code == status
