"""A tag typed in full width (「ＩｏＴ」) is the tag 「IoT」: one facet value, and filtering by it finds both datasets."""

from chiiki import access
from chiiki.opendata import actions


def test_a_full_width_tag_is_the_same_tag(users, register, client):
    m = register["municipalities"]
    actions.create_dataset(access.SYSTEM, m["132012"], {"name": "sensors-a", "title": "センサー一覧", "tags": "IoT"})
    actions.create_dataset(access.SYSTEM, m["011002"], {"name": "sensors-b", "title": "センサー設置", "tags": "ＩｏＴ"})
    body = client.get("/api/v1/opendata/datasets", {"tags": "IoT"}).json()
    assert body["count"] == 2  # was 1: 「ＩｏＴ」 is another tag
    assert [f for f in body["facets"]["tags"] if f["value"].lower() == "iot" or f["value"] == "ＩｏＴ"] == [
        {"value": "IoT", "count": 2}]  # was two facet values, IoT 1 and ＩｏＴ 1
