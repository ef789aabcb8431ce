"""Eligibility of every program for municipalities with known and unknown attributes (through the API)."""

from decimal import Decimal

import pytest

# Every fit and every status: ended programs (募集終了) are left out of the default view but still assessed.
ALL_FITS = ("fit=eligible&fit=check&fit=excluded&status=open&status=upcoming&status=unknown&status=closed"
            "&status=ended&page_size=100")


def fits_for(client, code):
    response = client.get(f"/api/v1/programs?eligible_for={code}&{ALL_FITS}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 25
    return {item["id"]: item["fit"] for item in body["items"]}


def test_remote_island_town_with_known_attributes(client, catalog, register, set_attributes):
    ama = set_attributes(register["municipalities"]["325252"], fiscal_strength_index=Decimal("0.15"),
                         depopulated=True, remote_island=True, mountainous=None)
    fits = fits_for(client, ama.code)
    assert {pid: f["fit"] for pid, f in fits.items() if f["fit"] != "eligible"} == {"MHLW-IRYOKAIGO-KIKIN": "check"}
    assert "都道府県の基金事業" in fits["MHLW-IRYOKAIGO-KIKIN"]["reasons"][0]
    assert fits["MIC-PUBLIC-WIFI"]["rate"] == "2/3"  # 財政力指数0.4以下かつ条件不利地域
    assert fits["MIC-KOUDO-MUSEN"]["rate"] == "2/3"  # 離島
    assert any("離島地域" in r for r in fits["MIC-KYORYOKUTAI"]["reasons"])
    assert "寄附は1回10万円以上" in fits["CAO-KIGYOBAN-FURUSATO"]["prerequisites"]


def test_rich_metropolitan_ward(client, catalog, register, set_attributes):
    chiyoda = set_attributes(register["municipalities"]["131016"], fiscal_strength_index=Decimal("1.50"),
                             depopulated=False, remote_island=False, mountainous=False)
    fits = fits_for(client, chiyoda.code)
    not_eligible = {pid: f["fit"] for pid, f in fits.items() if f["fit"] != "eligible"}
    assert not_eligible == {
        "MIC-DX-PKG-PLAN": "excluded",
        "CAO-KIGYOBAN-FURUSATO": "excluded",
        "CAO-KIGYOBAN-JINZAI": "excluded",
        "MIC-PUBLIC-WIFI": "check",  # 財政力指数0.8超、過疎・離島・中山間でもないが半島・豪雪等は不明
        "MIC-KOUDO-MUSEN": "check",
        "MIC-KYORYOKUTAI": "check",
        "MIC-CHIIKIRYOKU-ADVISOR": "check",  # 特別区
        "MHLW-IRYOKAIGO-KIKIN": "check",
    }
    assert fits["MIC-DX-PKG-PLAN"]["reasons"] == ["財政力指数が1以上のため対象外（1.5）"]
    assert "三大都市圏の不交付団体に該当するため対象外" in fits["CAO-KIGYOBAN-FURUSATO"]["reasons"][0]
    assert "東京都" in fits["CAO-KIGYOBAN-FURUSATO"]["reasons"][0]
    assert "特別区" in fits["MIC-CHIIKIRYOKU-ADVISOR"]["reasons"][0]
    assert "半島・豪雪地帯" in fits["MIC-KOUDO-MUSEN"]["reasons"][0]


def test_unknown_attributes_give_check_never_a_guess(client, catalog, register):
    fits = fits_for(client, "132012")  # 八王子市: nothing entered
    not_eligible = {pid: f["fit"] for pid, f in fits.items() if f["fit"] != "eligible"}
    assert not_eligible == {
        "MIC-DX-PKG-PLAN": "check",
        "MIC-PUBLIC-WIFI": "check",
        "MIC-KOUDO-MUSEN": "check",
        "MIC-KYORYOKUTAI": "check",
        "CAO-KIGYOBAN-FURUSATO": "check",
        "CAO-KIGYOBAN-JINZAI": "check",
        "MHLW-IRYOKAIGO-KIKIN": "check",
    }
    assert fits["MIC-DX-PKG-PLAN"]["reasons"] == ["財政力指数が未登録のため要確認（財政力指数1未満が対象）"]
    assert "過疎・離島・中山間の区分が未登録" in fits["MIC-KOUDO-MUSEN"]["reasons"][0]
    assert "財政力指数が未登録" in fits["CAO-KIGYOBAN-FURUSATO"]["reasons"][0]
    assert "未登録のため要確認" in fits["MIC-PUBLIC-WIFI"]["rate"] or fits["MIC-PUBLIC-WIFI"]["rate"] == ""


def test_non_metropolitan_city_with_high_index_keeps_corporate_furusato(client, catalog, register, set_attributes):
    sapporo = set_attributes(register["municipalities"]["011002"], fiscal_strength_index=Decimal("1.05"))
    fits = fits_for(client, sapporo.code)
    assert fits["CAO-KIGYOBAN-FURUSATO"]["fit"] == "eligible"  # 北海道は三大都市圏ではない
    assert fits["MIC-DX-PKG-PLAN"]["fit"] == "excluded"


@pytest.mark.parametrize("fsi, flags, expected", [
    ("0.80", {}, "eligible"),  # 財政力指数0.8以下
    ("0.81", {"depopulated": True}, "eligible"),  # 又は条件不利地域
    ("0.81", {"depopulated": False, "remote_island": False, "mountainous": False}, "check"),
    ("0.81", {}, "check"),
])
def test_public_wifi_fiscal_index_or_disadvantaged(client, catalog, register, set_attributes, fsi, flags, expected):
    town = set_attributes(register["municipalities"]["013315"], fiscal_strength_index=Decimal(fsi), **flags)
    assert fits_for(client, town.code)["MIC-PUBLIC-WIFI"]["fit"] == expected


def test_koudo_rate_tiers(client, catalog, register, set_attributes):
    town = set_attributes(register["municipalities"]["013315"], fiscal_strength_index=Decimal("0.45"),
                          depopulated=True, remote_island=False, mountainous=False)
    assert fits_for(client, town.code)["MIC-KOUDO-MUSEN"]["rate"] == "1/2"
    set_attributes(town, fiscal_strength_index=Decimal("0.60"))
    assert fits_for(client, town.code)["MIC-KOUDO-MUSEN"]["rate"] == "1/3"


def test_population_bounds_from_an_edited_rule(client, catalog, register, users, set_attributes):
    from chiiki.programs.actions import save_program
    from chiiki.programs.catalog import row_of

    program = catalog["MIC-IOT-PLAN"]
    row = row_of(program)
    row["population_max"] = "50000"
    save_program(users["admin"], program, row, version=program.version)
    town = register["municipalities"]["013315"]
    assert fits_for(client, town.code)["MIC-IOT-PLAN"]["reasons"] == ["人口が未登録のため要確認"]
    set_attributes(town, population=8000)
    assert fits_for(client, town.code)["MIC-IOT-PLAN"]["fit"] == "eligible"
    set_attributes(town, population=80000)
    fit = fits_for(client, town.code)["MIC-IOT-PLAN"]
    assert fit["fit"] == "excluded" and fit["reasons"] == ["人口50,000人以下が対象のため対象外（80,000人）"]


def test_prefecture_only_program_is_check_for_every_municipality_kind(client, catalog, register):
    for code in register["municipalities"]:
        assert fits_for(client, code)["MHLW-IRYOKAIGO-KIKIN"]["fit"] == "check"
