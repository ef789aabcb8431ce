"""The folded search text of a profile follows every write (web/API edit, roster import) and is filled in for the
profiles that existed before it (migration 0006); the capability list and its exports list every item the API
suggests."""

import importlib
import re

import pytest
from django.apps import apps

from chiiki.core.tabular import csv_bytes, read_table
from chiiki.talent.imports import ROSTER
from chiiki.talent.models import TalentProfile

from .test_import import GOOD, HEADER

pytestmark = pytest.mark.django_db


def _found(client, q) -> list[str]:
    return [p["display_name"] for p in client.get("/api/v1/talent/profiles", {"q": q}).json()["items"]]


def test_an_edited_profile_is_found_by_its_new_name_only(users, client_for, advisor_profile):
    client = client_for(users["advisor"])
    body = {"display_name": "ＤＸ推進 たなか", "kind": "regional_it_advisor", "version": 1,
            "public_profile": "ｸﾗｳﾄﾞ移行を支援します", "skills": [{"capability": "CAP-HLT-07", "level": 3}]}
    assert client.put(f"/api/v1/talent/profiles/{advisor_profile.pk}", body,
                      content_type="application/json").status_code == 200
    assert _found(client, "dx タナカ") == ["ＤＸ推進 たなか"]  # every word, each folded
    assert _found(client, "クラウド") == ["ＤＸ推進 たなか"]  # the public profile, typed in half width
    assert _found(client, "見守") == []  # the old name and profile are gone from the search text


def test_a_roster_import_keeps_the_search_text(users, vocabulary, client):
    rows = [["R-001", "ＩＣＴ 太郎"] + GOOD[0][2:], GOOD[1]]
    assert ROSTER.run(users["admin"], csv_bytes(HEADER, rows), "roster.csv").ok
    assert _found(client, "ict") == ["ＩＣＴ 太郎"]
    version = TalentProfile.objects.get(external_id="R-001").version
    changed = [["R-001", str(version), "ＩｏＴ 太郎"] + GOOD[0][2:]]
    assert ROSTER.run(users["admin"], csv_bytes(HEADER[:1] + ["版"] + HEADER[1:], changed), "roster.csv").ok
    assert _found(client, "iot") == ["ＩｏＴ 太郎"] and _found(client, "ict") == []


def test_the_migration_fills_the_search_text_of_existing_profiles(users, vocabulary, client):
    assert ROSTER.run(users["admin"], csv_bytes(HEADER, GOOD), "roster.csv").ok
    TalentProfile.objects.update(search_folded="")  # as the column is added: empty
    assert _found(client, "でも 防災") == []
    migration = importlib.import_module("chiiki.talent.migrations.0006_profile_search_folded")
    migration.fill_search_folded(apps, None)
    assert _found(client, "でも　防災") == ["デモ 太郎"]


@pytest.mark.parametrize("q", ["ぷろぐらみんぐ", "すくらっち"])
def test_the_capability_export_lists_what_the_api_suggests(vocabulary, client, q):
    api_ids = {c["id"] for c in client.get("/api/v1/capabilities", {"q": q}).json()}
    table = read_table(client.get("/talent/capabilities/", {"q": q, "format": "csv"}).content, "c.csv").rows
    page = client.get("/talent/capabilities/", {"q": q}).content.decode()
    exported = [r.get("ID") for r in table]
    assert api_ids and api_ids <= set(exported)  # the export listed none of them
    assert exported == re.findall(r'<tr id="(CAP-[A-Z]+-\d+)">', page)  # the page's rows, in its order
