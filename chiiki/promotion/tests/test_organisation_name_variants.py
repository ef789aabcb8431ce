"""Organisation names with 異体字 and 「ヶ」/「ケ」: a search in the usual form finds the name registered in the other."""

import pytest

from .conftest import bearer, send

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("registered", "typed"), [
    ("髙島システム", "高島システム"),
    ("宮﨑ソフト", "宮崎ソフト"),
    ("鶴ヶ島ラボ", "鶴ケ島ラボ"),
    ("関ケ原データ", "関ヶ原データ"),
])
def test_the_organisation_search_reads_variant_forms(client, users, registered, typed):
    created = send(client, "post", "/api/v1/organisations", {"name": registered, "kind": "company"},
                   **bearer(users["admin"]))
    assert created.status_code == 201, created.content
    assert client.get("/api/v1/organisations", {"q": registered}).json()["count"] == 1
    api = client.get("/api/v1/organisations", {"q": typed}).json()
    assert [o["name"] for o in api["items"]] == [registered]  # found nothing
    assert registered in client.get("/promotion/organisations/", {"q": typed}).content.decode()
