"""The migration that came with fold()'s name variants refolds the organisations stored before it."""

import importlib

import pytest
from django.apps import apps

from chiiki.promotion.models import Organisation

from .conftest import bearer, send

pytestmark = pytest.mark.django_db


def names(client, q) -> list[str]:
    return [o["name"] for o in client.get("/api/v1/organisations", {"q": q}).json()["items"]]


def test_the_migration_refolds_names_folded_the_old_way(client, users):
    for name in ("髙島システム", "鶴ヶ島ラボ", "宮崎ソフト"):
        created = send(client, "post", "/api/v1/organisations", {"name": name, "kind": "company"},
                       **bearer(users["admin"]))
        assert created.status_code == 201, created.content
    # As fold() stored them before it unified ヶ/ケ and 髙/高.
    Organisation.objects.filter(name="髙島システム").update(name_folded="髙島システム")
    Organisation.objects.filter(name="鶴ヶ島ラボ").update(name_folded="鶴ヶ島ラボ")
    assert names(client, "高島") == [] and names(client, "鶴ケ島") == []
    migration = importlib.import_module("chiiki.promotion.migrations.0007_refold_organisation_names")
    migration.refold_names(apps, None)
    assert names(client, "高島") == ["髙島システム"]
    assert names(client, "鶴ケ島") == ["鶴ヶ島ラボ"]
    assert names(client, "宮崎") == ["宮崎ソフト"]
