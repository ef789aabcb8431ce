"""Organisation names are searched and ordered by their folded form (chiiki.core.text.fold), alike on every
engine: width, case and hiragana/katakana do not matter, and kanji sort by code point, not by reading (ICU)."""

import re

import pytest

from chiiki.core.text import fold

from .conftest import bearer, send

pytestmark = pytest.mark.django_db

ROW_NAMES = re.compile(r'<th scope="row"><a href="/promotion/organisations/\d+/">([^<]+)</a>')


def register(client, admin, *names):
    ids = []
    for name in names:
        response = send(client, "post", "/api/v1/organisations", {"name": name, "kind": "company"}, **bearer(admin))
        assert response.status_code == 201, response.content
        ids.append(response.json()["id"])
    return ids


def listed(client, url):
    return ROW_NAMES.findall(client.get(url).content.decode())


@pytest.mark.parametrize("q", ["ＮＴＴ", "ｎｔｔ", "ntt", "NTT"])
def test_the_search_finds_a_name_however_its_width_and_case_are_written(client, users, q):
    register(client, users["admin"], "NTT東日本", "ＮＴＴデータ", "島根大学")
    assert listed(client, f"/promotion/organisations/?q={q}") == ["ＮＴＴデータ", "NTT東日本"]
    api = client.get("/api/v1/organisations", {"q": q}).json()
    assert [o["name"] for o in api["items"]] == ["ＮＴＴデータ", "NTT東日本"] and api["count"] == 2


def test_a_renamed_organisation_is_found_by_its_new_name(client, users):
    [pk] = register(client, users["admin"], "ＮＴＴデータ")
    renamed = send(client, "put", f"/api/v1/organisations/{pk}", {"name": "ＮＴＴデータ関西", "kind": "company",
                                                                  "version": 1}, **bearer(users["admin"]))
    assert renamed.status_code == 200, renamed.content
    assert listed(client, "/promotion/organisations/?q=ﾃﾞｰﾀ関西") == ["ＮＴＴデータ関西"]  # half-width kana
    assert listed(client, "/promotion/organisations/?q=でーた") == ["ＮＴＴデータ関西"]  # hiragana
    assert listed(client, "/promotion/organisations/?q=ＮＴＴデータ東京") == []


NAMES = ["あおぞら地域協会", "アイティ推進機構", "ＡＢＣ商事", "abc電機", "NTT東日本"]
# PostgreSQL's ja-JP collation sorts these kanji by reading (東 とう before 北 ほく); code point order is the other way.
KANJI = ["東北電力", "北海道電力", "九州電力"]


def test_the_list_and_its_exports_are_in_folded_name_order(client, users):
    register(client, users["admin"], *NAMES, *KANJI)
    expected = sorted(NAMES + KANJI, key=fold)
    assert listed(client, "/promotion/organisations/") == expected
    assert [o["name"] for o in client.get("/api/v1/organisations").json()["items"]] == expected
    csv = client.get("/promotion/organisations/?format=csv").content.decode("utf-8-sig").splitlines()
    assert [line.split(",")[1] for line in csv[1:]] == expected


def test_the_organisation_choices_are_in_folded_name_order(client_for, users):
    admin = client_for(users["admin"])
    register(admin, users["admin"], *NAMES, *KANJI)
    created = admin.post("/promotion/councils/new", {"name": "東京都協議会", "prefecture": "13"})
    assert created.status_code == 302, created.content.decode()
    page = admin.get(created["Location"]).content.decode()
    select = re.search(r'<select name="organisation".*?</select>', page, re.S)
    assert select, page
    offered = re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', select.group())
    assert offered == sorted(NAMES + KANJI, key=fold)
