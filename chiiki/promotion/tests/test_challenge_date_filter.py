"""締切（この日まで） on the challenge list: a date that does not exist (2026-02-30) was dropped silently, so the page,
its export and its calendar feed held every open challenge under the typed date, while the API answered 422. The
page says the date is wrong and lists nothing."""

import pytest

from .test_challenges import in_days, market  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db

MESSAGE = "締切（この日まで）は YYYY-MM-DD の形式の日付で指定してください（入力: 2026-02-30）"


def test_a_deadline_filter_that_names_no_date_is_said_and_lists_nothing(client, market):  # noqa: F811
    title = market["challenge"]["title"]
    assert client.get("/api/v1/challenges", {"deadline_before": "2026-02-30"}).status_code == 422
    page = client.get("/promotion/challenges/", {"deadline_before": "2026-02-30"})
    assert page.status_code == 422
    assert MESSAGE in page.content.decode() and title not in page.content.decode()
    assert list(page.context["page_obj"].object_list) == []
    export = client.get("/promotion/challenges/", {"deadline_before": "2026-02-30", "format": "csv"})
    assert export.status_code == 422 and not export.has_header("Content-Disposition")
    feed = client.get("/promotion/challenges/deadlines.ics", {"deadline_before": "2026-02-30"})
    assert feed.status_code == 422 and feed.content.decode() == MESSAGE


def test_a_deadline_filter_that_names_a_date_still_filters(client, market):  # noqa: F811
    title = market["challenge"]["title"]  # its deadline is in 30 days
    assert title in client.get("/promotion/challenges/", {"deadline_before": in_days(31)}).content.decode()
    later = client.get("/promotion/challenges/", {"deadline_before": in_days(29)})
    assert later.status_code == 200 and title not in later.content.decode()
