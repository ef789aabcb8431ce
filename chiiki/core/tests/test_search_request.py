"""chiiki.core.search_request: one request shape read from GET parameters (pages and the API alike)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.http import QueryDict

from chiiki.core.search_request import (
    Bounds,
    DateRange,
    FacetValue,
    OneOf,
    Range,
    RequestSpec,
    SearchRequest,
    SortKey,
    Value,
    facet_panel,
)


class ExampleRequest(SearchRequest):
    """A spec with every kind of filter, as a future app (cases, datasets, talent) would declare it."""

    spec = RequestSpec(
        filters=(
            OneOf("sector", "分野"),
            OneOf("kind", "種類", choices=("subsidy", "advisor", "tax")),
            Value("municipality", "団体"),
            Range("population", "人口"),
            Range("fiscal_index", "財政力指数", integer=False),
            DateRange("deadline", "締切"),
        ),
        sorts={"name": "名称順", "deadline": "締切順", "population": "人口順"},
        descending=True,
        max_sort_keys=2,
        default_page_size=10,
        max_page_size=50,
    )


def parse(querystring: str) -> ExampleRequest:
    return ExampleRequest.from_params(QueryDict(querystring))


def test_every_kind_of_parameter_is_read():
    req = parse("q=+防災+&sector=disaster&sector=tourism,education&kind=tax&municipality=132012"
                "&population_min=10000&population_max=５０，０００&fiscal_index_max=0.5"
                "&deadline_from=2026-04-01&deadline_to=2026/06/30&sort=-deadline,name&page=3&page_size=25"
                "&format=csv")
    assert req.errors == ()
    assert req.q == "防災"
    assert req.filters == {
        "sector": ("disaster", "tourism", "education"),
        "kind": ("tax",),
        "municipality": "132012",
        "population": Bounds(10_000, 50_000),
        "fiscal_index": Bounds(None, Decimal("0.5")),
        "deadline": Bounds(dt.date(2026, 4, 1), dt.date(2026, 6, 30)),
    }
    assert req.sort == (SortKey("deadline", descending=True), SortKey("name"))
    assert (req.page, req.page_size) == (3, 25)


def test_an_empty_request_has_the_defaults():
    req = parse("")
    assert req == ExampleRequest()
    assert req.filters["sector"] == () and req.filters["municipality"] == "" and not req.filters["population"]
    assert (req.q, req.sort, req.page, req.page_size, req.errors) == ("", (), 1, 10, ())
    assert req.querystring() == ""


def test_lists_keep_their_order_and_drop_duplicates_and_blanks():
    assert parse("sector=b,a&sector=b&sector=,c,&sector= ").filters["sector"] == ("b", "a", "c")


def test_querystring_round_trip():
    req = parse("page_size=25&sort=-deadline&deadline_to=2026-06-30&sector=tourism&q=観光 DX&population_min=100"
                "&kind=advisor&kind=tax&page=2")
    # One canonical order: q, filters in the spec's order, sort, page, page_size.
    assert req.querystring() == ("q=%E8%A6%B3%E5%85%89+DX&sector=tourism&kind=advisor&kind=tax&population_min=100"
                                 "&deadline_to=2026-06-30&sort=-deadline&page=2&page_size=25")
    assert ExampleRequest.from_querystring(req.querystring()) == req
    assert "page=" not in req.querystring(page=False)


def test_a_plain_mapping_reads_like_a_query_dict():
    from_dict = ExampleRequest.from_params({"q": "防災", "sector": ["disaster", "tourism"], "population_min": "5",
                                            "sort": "name", "page": 2})
    assert from_dict == parse("q=防災&sector=disaster,tourism&population_min=5&sort=name&page=2")


@pytest.mark.parametrize("querystring, message, dropped", [
    ("population_min=abc", "population_min（人口の下限）は整数で指定してください（入力: abc）", "population"),
    ("population_max=1.5", "population_max（人口の上限）は整数で指定してください（入力: 1.5）", "population"),
    ("fiscal_index_min=NaN", "fiscal_index_min（財政力指数の下限）は数値で指定してください（入力: NaN）", "fiscal_index"),
    ("population_min=500&population_max=100", "人口の下限（500）が上限（100）を超えています", "population"),
    ("deadline_from=2026-13-01", "deadline_from（締切の開始日）は YYYY-MM-DD の形式で指定してください（入力: 2026-13-01）",
     "deadline"),
    ("deadline_from=2026-07-01&deadline_to=2026-06-30", "締切の開始日（2026-07-01）が終了日（2026-06-30）より後です",
     "deadline"),
    ("kind=subsidy&kind=grant", "kind は subsidy, advisor, tax のいずれかです（入力: grant）", None),
])
def test_bad_filter_values_are_dropped_with_a_japanese_message(querystring, message, dropped):
    req = parse(querystring)
    assert req.errors == (message,)
    if dropped:
        assert not req.filters[dropped]
    else:
        assert req.filters["kind"] == ("subsidy",)  # the good values stay


@pytest.mark.parametrize("querystring, message, sort", [
    ("sort=bogus", "sort は name, deadline, population のいずれかです（降順は先頭に -）", ()),
    ("sort=name,-deadline,population", "sort に指定できるのは2つまでです（入力: name,-deadline,population）", ()),
    ("sort=name,name", None, (SortKey("name"),)),
])
def test_sort_keys(querystring, message, sort):
    req = parse(querystring)
    assert req.errors == ((message,) if message else ())
    assert req.sort == sort


def test_descending_only_where_the_spec_allows_it():
    class Ascending(SearchRequest):
        spec = RequestSpec(sorts={"name": "名称順"})

    req = Ascending.from_params(QueryDict("sort=-name"))
    assert req.errors == ("sort は name のいずれかです",) and req.sort == ()


@pytest.mark.parametrize("querystring, message, page, page_size", [
    ("page=abc", "page は1以上の整数で指定してください（入力: abc）", 1, 10),
    ("page=0", None, 1, 10),  # below 1 reads as the first page
    ("page=２", None, 2, 10),
    ("page_size=0", "page_size は1〜50です", 1, 1),
    ("page_size=999", "page_size は1〜50です", 1, 50),
    ("page_size=x", "page_size は1〜50です", 1, 10),
])
def test_page_bounds(querystring, message, page, page_size):
    req = parse(querystring)
    assert req.errors == ((message,) if message else ())
    assert (req.page, req.page_size) == (page, page_size)


def test_q_is_stripped_and_cut_to_the_spec_length():
    assert parse("q=" + "あ" * 250).q == "あ" * 200


def test_several_errors_are_all_reported():
    req = parse("population_min=x&deadline_to=yesterday&sort=bogus&page_size=0")
    assert len(req.errors) == 4


def test_only_narrows_one_facet_to_the_value_and_returns_to_page_one():
    req = parse("q=防災&sector=disaster&sector=tourism&kind=tax&page=3")
    only = QueryDict(req.only("sector", "health"))
    assert only.getlist("sector") == ["health"] and only.getlist("kind") == ["tax"] and only["q"] == "防災"
    assert "page" not in only


def test_facet_panel_keeps_what_it_does_not_show_as_hidden_fields():
    req = parse("q=防災&sector=disaster&sector=tourism&municipality=132012&sort=-name&page=2")
    shown = [FacetValue("disaster", "防災", 3, selected=True), FacetValue("health", "医療", 2)]
    panel = facet_panel(req, [("sector", "分野", shown)], form="f")
    # tourism is chosen but not listed: it must travel with the form, or submitting would drop it unseen
    assert panel["hidden"] == [("sector", "tourism"), ("municipality", "132012"), ("sort", "-name")]
    assert panel["selected"] == 1 and panel["active"] and panel["form"] == "f"
    assert QueryDict(shown[1].only).getlist("sector") == ["health"]


def test_without_empties_filters_and_keeps_the_rest():
    req = parse("q=防災&municipality=132012&sector=disaster&population_min=5")
    stripped = req.without("municipality", "population")
    assert stripped.filters["municipality"] == "" and not stripped.filters["population"]
    assert stripped.filters["sector"] == ("disaster",) and stripped.q == "防災"
    assert req.filters["municipality"] == "132012"  # the original is unchanged


def test_unknown_filter_names_are_a_programming_error():
    with pytest.raises(ValueError, match="unknown filters: secter"):
        ExampleRequest(filters={"secter": ("disaster",)})


def test_facet_value_as_dict():
    assert FacetValue("disaster", "防災", 3, selected=True).as_dict() == {
        "key": "disaster", "label": "防災", "count": 3}
