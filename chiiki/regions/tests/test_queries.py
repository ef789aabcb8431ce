import pytest
from django.http import Http404

from chiiki.regions import queries


@pytest.mark.parametrize(("population", "expected"), [
    (None, None), (0, "lt10k"), (9_999, "lt10k"), (10_000, "10k_50k"), (49_999, "10k_50k"),
    (50_000, "50k_300k"), (299_999, "50k_300k"), (300_000, "ge300k"), (3_777_491, "ge300k"),
])
def test_population_class(population, expected):
    assert queries.population_class(population) == expected


def test_population_class_labels():
    assert [queries.population_class_label(c) for c, *_ in queries.POPULATION_CLASSES] == [
        "< 1万", "1–5万", "5–30万", "≥ 30万"]
    assert queries.population_class_label(None) == "未登録"


def test_get_municipality(register):
    assert queries.get_municipality("13101").name == "千代田区"
    assert queries.get_municipality("１３１０１６").name == "千代田区"
    for bad in ["131017", "", "12345678", "012017"]:
        with pytest.raises(Http404):
            queries.get_municipality(bad)


def test_get_municipality_messages(register):
    with pytest.raises(Http404, match="団体コードが正しくありません: 団体コードのチェックディジットが正しくありません: 131017"):
        queries.get_municipality("131017")
    with pytest.raises(Http404, match="団体コード 011011 の市区町村は登録されていません"):
        queries.get_municipality("01101")


@pytest.mark.parametrize("raw, expected", [
    ("132012", "132012"),
    ("13201", "132012"),
    ("１３２０１２", "132012"),
    ("132012 東京都八王子市", "132012"),  # the datalist's form
    ("八王子市", "132012"),
    ("八王子", "132012"),  # the only name containing it
    ("東京都八王子市", "132012"),  # prefecture + name
    ("島根県海士町", "325252"),
])
def test_find_municipality(register, raw, expected):
    municipality, candidates = queries.find_municipality(raw)
    assert municipality.code == expected and candidates == []


def test_find_municipality_ambiguous_empty_and_unknown(register):
    municipality, candidates = queries.find_municipality("松")
    assert municipality is None and [m.code for m in candidates] == ["013315", "322016"]
    assert queries.find_municipality("  ") == (None, [])
    with pytest.raises(Http404, match="「存在しない町」に当たる市区町村が見つかりません"):
        queries.find_municipality("存在しない町")
    with pytest.raises(Http404, match="団体コードが正しくありません"):
        queries.find_municipality("999999 どこか")


def test_search_municipalities(register):
    assert [m.code for m in queries.search_municipalities(q="アオガシマ")] == ["134023"]
    assert [m.code for m in queries.search_municipalities(q="あおがしま")] == ["134023"]
    assert [m.code for m in queries.search_municipalities(prefecture="130001")] == ["131016", "132012", "134023"]
    assert [m.code for m in queries.search_municipalities(prefecture="東京都", kind="village")] == ["134023"]
    assert list(queries.search_municipalities(kind="nonsense")) == []
    assert queries.search_municipalities(q="東京").count() == 3  # prefecture name matches too
