"""Migration 0006 rewrites stored tags: like the other data migrations of the session (regions 0004, promotion 0007,
core 0004) it must move the opendata data version on, or the catalog's facets and the pages stored before it keep
the old spellings (ＩｏＴ beside IoT) until somebody happens to edit a dataset."""

import importlib

from django.apps import apps
from django.test import Client

from chiiki import access
from chiiki.opendata import actions
from chiiki.opendata.models import Dataset


def _tags(client) -> list[str]:
    body = client.get("/api/v1/opendata/datasets").json()
    return sorted({tag["name"] for item in body["items"] for tag in item["tags"]})


def test_after_the_migration_no_page_shows_the_old_spelling(users, register):
    m = register["municipalities"]
    dataset = actions.create_dataset(access.SYSTEM, m["132012"], {"name": "old-tags", "title": "古いタグ"})
    Dataset.objects.filter(pk=dataset.pk).update(tags=["ＩｏＴ", "iot", "防災"])  # as stored before 0006
    visitor = Client()
    assert "ＩｏＴ" in _tags(visitor) and "ＩｏＴ" in visitor.get("/opendata/").content.decode()
    importlib.import_module("chiiki.opendata.migrations.0006_normalise_tags").normalise_tags(apps, None)
    assert Dataset.objects.get(pk=dataset.pk).tags == ["IoT", "防災"]
    assert _tags(visitor) == ["IoT", "防災"]
    assert "ＩｏＴ" not in visitor.get("/opendata/").content.decode()
