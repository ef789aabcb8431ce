"""Municipality names as people type them: 「ヶ」 and 「ケ」 are written both ways in official names (青ヶ島村, 龍ケ崎市,
鎌ケ谷市, 鶴ヶ島市) and in what people type; a prefecture is named with or without 都・道・府・県."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("q", ["青ヶ島", "青ケ島", "青ケ島村", "あおがしま"])
def test_the_register_search_reads_ke_either_way(client, register, q):
    assert [m["code"] for m in client.get("/api/v1/municipalities", {"q": q}).json()["items"]] == ["134023"]
    page = client.get("/regions/", {"q": q}).content.decode()
    assert 'href="/regions/municipalities/134023/"' in page  # 「青ケ島」 found nothing


def test_the_navigator_reads_ke_either_way(client, register):
    page = client.get("/programs/navigator/", {"municipality": "青ケ島村"}).content.decode()
    assert "に当たる市区町村が見つかりません" not in page


@pytest.mark.parametrize("prefecture", ["東京都", "東京", "13"])
def test_the_prefecture_filter_reads_a_name_without_to_do_fu_ken(client, register, prefecture):
    body = client.get("/api/v1/municipalities", {"prefecture": prefecture}).json()
    assert body["count"] == 3, prefecture  # 「東京」: 0 municipalities, no message


def test_the_register_search_reads_a_prefecture_qualified_name(client, register):
    # find_municipality (the navigator) reads 「東京都八王子市」; the register's own search found nothing.
    assert [m["code"] for m in client.get("/api/v1/municipalities", {"q": "東京都八王子市"}).json()["items"]] == [
        "132012"]
