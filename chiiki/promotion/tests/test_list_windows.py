"""GET /api/v1/councils and /events stay bare JSON arrays, bounded by limit/offset (X-Total-Count, Link)."""

import pytest

from chiiki.access import SYSTEM
from chiiki.core.tests.windows import assert_window_documented, assert_windowed, links
from chiiki.promotion import actions
from chiiki.promotion.models import Council

from .test_events import event_body, jst

pytestmark = pytest.mark.django_db


@pytest.fixture
def tokyo_councils(register):
    made = {}
    for code, name in (("134023", "青ヶ島村協議会"), ("132012", "八王子市B協議会"), ("131016", "千代田区協議会"),
                       ("132012", "八王子市A協議会"), ("011002", "札幌市協議会")):
        made[name] = actions.save_council(SYSTEM, None, {"name": name, "municipality": code}).pk
    return made


def test_councils_are_windowed(client, tokyo_councils):
    order = ["千代田区協議会", "八王子市A協議会", "八王子市B協議会", "青ヶ島村協議会"]  # by 団体コード, then name
    assert_windowed(client, "/api/v1/councils?prefecture=13", [tokyo_councils[n] for n in order])
    assert len(client.get("/api/v1/councils").json()) == 5


def test_councils_default_to_a_hundred(client, register):
    Council.objects.bulk_create(Council(name=f"協議会{i:03d}", prefecture=register["prefectures"]["32"])
                                for i in range(101))
    response = client.get("/api/v1/councils")
    assert len(response.json()) == 100 and response["X-Total-Count"] == "101"
    assert response.json()[-1]["name"] == "協議会099"
    rest = client.get(links(response)["next"])
    assert [c["name"] for c in rest.json()] == ["協議会100"]


def test_events_are_windowed_in_online_first_order(client, users, register):
    island = register["municipalities"]["134023"]
    island.remote_island = True
    island.save()
    made = {}
    for title, fmt, day in (("会場A", "onsite", 3), ("オンラインA", "online", 9), ("併用A", "hybrid", 5),
                            ("オンラインB", "online", 4), ("会場B", "onsite", 1)):
        extra = {"venue": "八王子市役所", "online_url": ""} if fmt == "onsite" else {"venue": "八王子市役所"}
        data = event_body(title=title, format=fmt, starts_at=jst(day, 10), ends_at=jst(day, 12), **extra)
        made[title] = actions.save_event(users["hachioji"], None, data).pk
    by_date = ["会場B", "会場A", "オンラインB", "併用A", "オンラインA"]
    assert_windowed(client, "/api/v1/events", [made[t] for t in by_date])
    online_first = ["オンラインB", "オンラインA", "併用A", "会場B", "会場A"]  # 離島: online, hybrid, then on site
    assert_windowed(client, "/api/v1/events?municipality=134023", [made[t] for t in online_first])
    page = client.get("/promotion/events/?municipality=134023").content.decode()
    assert [t for t in online_first if t in page] == sorted(online_first, key=page.index)


@pytest.mark.parametrize("path", ["/api/v1/councils", "/api/v1/events"])
def test_window_parameters_are_in_the_openapi_document(client, path):
    assert_window_documented(client, path)
