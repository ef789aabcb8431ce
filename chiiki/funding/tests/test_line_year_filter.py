"""A mistyped 年度 on the line list (2207 for 2027, 2O27) is refused by the API with a Japanese 422, but the page
dropped it silently: it listed and totalled every year's lines under a form still showing 年度 2207, and the
CSV of that URL held every year too. The page says what is wrong and totals nothing it was not asked for; so does
財源の崖, which answered for its default 年度 instead."""

import pytest

from .conftest import CONFIRMED, GENERAL

pytestmark = pytest.mark.django_db

PEOPLE, IMPL = "people_knowhow", "implementation"
TYPED = {"2207": "年度が範囲外です: &#x27;2207&#x27;", "2O27": "年度を読み取れません: &#x27;2O27&#x27;",
         "0": "年度を読み取れません: &#x27;0&#x27;", "-1": "年度を読み取れません: &#x27;-1&#x27;"}


@pytest.mark.parametrize("typed", list(TYPED))
def test_a_fiscal_year_that_cannot_be_read_is_said_not_ignored(client, plan_factory, typed):
    plan_factory([(2026, PEOPLE, 100, [(GENERAL, 100, CONFIRMED, None)]),
                  (2027, IMPL, 1000, [(GENERAL, 200, CONFIRMED, None)])], status="published")
    assert client.get("/api/v1/funding/lines", {"fiscal_year": typed}).status_code == 422
    page = client.get("/funding/lines/", {"fiscal_year": typed})
    assert page.status_code == 422
    html = page.content.decode()
    assert TYPED[typed] in html
    assert 'id="line-totals"' not in html and "条件に合う財源はありません。" in html
    export = client.get("/funding/lines/", {"fiscal_year": typed, "format": "csv"})
    assert export.status_code == 422 and not export.has_header("Content-Disposition")


def test_a_fiscal_year_that_can_be_read_still_filters(client, plan_factory):
    plan_factory([(2026, PEOPLE, 100, [(GENERAL, 100, CONFIRMED, None)]),
                  (2027, IMPL, 1000, [(GENERAL, 200, CONFIRMED, None)])], status="published")
    page = client.get("/funding/lines/", {"fiscal_year": "令和9年度"})
    assert page.status_code == 200 and "該当 1件・合計 200円" in page.content.decode()


@pytest.mark.parametrize("typed", ["2207", "2O27"])
def test_the_cliffs_say_a_fiscal_year_they_cannot_read(client, typed):
    assert client.get("/api/v1/funding/cliffs", {"fiscal_year": typed}).status_code == 422
    page = client.get("/funding/cliffs/", {"fiscal_year": typed})
    assert page.status_code == 422 and TYPED[typed] in page.content.decode()
    assert f'value="{typed}"' in page.content.decode()  # what was typed, to correct, not the default 年度
    export = client.get("/funding/cliffs/", {"fiscal_year": typed, "format": "csv"})
    assert export.status_code == 422 and not export.has_header("Content-Disposition")
