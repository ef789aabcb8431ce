"""The talent lists find a name or a 「できること」 however its width, case and hiragana/katakana are typed, as the
organisation search and the capability API do (chiiki.core.text.fold)."""

import pytest

from chiiki.talent import actions

from .conftest import profile_data

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("q", ["IT", "it", "ＩＴ", "スズキ", "ｽｽﾞｷ", "すずき"])
def test_the_profile_search_folds_width_and_kana(users, vocabulary, client, q):
    actions.create_profile(users["advisor"], profile_data(display_name="ＩＴ支援 すずき"))
    api = client.get("/api/v1/talent/profiles", {"q": q}).json()
    assert api["count"] == 1, q  # 「IT」「スズキ」「ｽｽﾞｷ」 found nobody
    assert "ＩＴ支援 すずき" in client.get("/talent/profiles/", {"q": q}).content.decode()


@pytest.mark.parametrize("q", ["ぷろぐらみんぐ", "すくらっち"])
def test_the_capability_page_finds_what_its_api_finds(vocabulary, client, q):
    api_ids = {c["id"] for c in client.get("/api/v1/capabilities", {"q": q}).json()}
    assert api_ids  # the API (the search index) folds hiragana to katakana
    page = client.get("/talent/capabilities/", {"q": q}).content.decode()
    assert all(pk in page for pk in api_ids), (q, api_ids)  # the page listed none of them
