"""Tags are stored in one form (NFKC, single spaces, one spelling per tag whatever its case), existing tags are
brought to it (migration 0006), and a tag link or CKAN fq written in another width still finds its datasets."""

import importlib

from django.apps import apps

from chiiki import access
from chiiki.opendata import actions
from chiiki.opendata.models import Dataset


def test_tags_are_stored_in_one_form(users, register, client_for):
    client = client_for(users["hachioji"])
    client.get("/opendata/")  # a page sets the CSRF cookie
    csrf = client.cookies.get("csrftoken")
    headers = {"HTTP_X_CSRFTOKEN": csrf.value} if csrf else {}
    created = client.post("/api/v1/opendata/datasets", {
        "owner": "132012", "name": "tagged", "title": "タグの表記",
        "tags": ["ＩｏＴ", "iot", "オープン　データ", " センサー \t 一覧 ", "IOT", "ｾﾝｻｰ 一覧"]},
        content_type="application/json", **headers)
    assert created.status_code == 201, created.content
    assert Dataset.objects.get(name="tagged").tags == ["IoT", "オープン データ", "センサー 一覧"]


def test_a_link_in_another_width_finds_the_tag(users, register, client):
    m = register["municipalities"]
    actions.create_dataset(access.SYSTEM, m["132012"], {"name": "wifi-spots", "title": "公衆無線LAN一覧",
                                                        "tags": "Wi-Fi, 観光 案内"})
    assert "公衆無線LAN一覧" in client.get("/opendata/", {"tags": "Ｗｉ－Ｆｉ"}).content.decode()
    assert client.get("/api/v1/opendata/datasets", {"tags": "観光　案内"}).json()["count"] == 1
    ckan = client.get("/api/3/action/package_search", {"fq": 'tags:"Ｗｉ－Ｆｉ"'}).json()["result"]
    assert [d["name"] for d in ckan["results"]] == ["wifi-spots"]


def test_the_migration_normalises_existing_tags(users, register):
    m = register["municipalities"]
    dataset = actions.create_dataset(access.SYSTEM, m["132012"], {"name": "old-tags", "title": "古いタグ"})
    Dataset.objects.filter(pk=dataset.pk).update(tags=["ＩｏＴ", "iot", "防災　 訓練", "防災"])
    migration = importlib.import_module("chiiki.opendata.migrations.0006_normalise_tags")
    migration.normalise_tags(apps, None)
    dataset.refresh_from_db()
    assert dataset.tags == ["IoT", "防災 訓練", "防災"]
