"""Case search: the programs' request shape (q, one_of facets, sort, page; chiiki.core.search_request) and the
same Japanese full-text engine (chiiki.core.search, index in indexing.py). Cases number in the hundreds, so the
filters and facet counts are computed over the published cases in Python after one index lookup for q."""

from collections import defaultdict
from dataclasses import dataclass

from chiiki.core import search_request
from chiiki.core.search import parse_query
from chiiki.core.search_request import FacetValue, OneOf, RequestSpec
from chiiki.regions.queries import POPULATION_CLASS_LABELS, population_class

from .indexing import CASE_INDEX
from .models import Case, CaseStatus, FundingKind

SORTS = {"relevance": "関連度順", "newest": "新着順", "cost": "事業費の小さい順"}
SPEC = RequestSpec(
    filters=(OneOf("sector", "分野"), OneOf("prefecture", "都道府県"), OneOf("funding", "財源"),
             OneOf("population_class", "人口規模"), OneOf("sharing", "シェアリングエコノミー")),
    sorts=SORTS, default_page_size=20, max_page_size=200, max_q_length=100,
)
FACETS = [f.name for f in SPEC.filters]
SHARING_LABELS = {"yes": "シェアリングエコノミーの事例"}


class SearchRequest(search_request.SearchRequest):
    spec = SPEC

    @property
    def effective_sort(self) -> str:
        sort = self.sort[0].key if self.sort else ""
        if sort in SORTS and not (sort == "relevance" and not self.q):
            return sort
        return "relevance" if self.q else "newest"


@dataclass
class SearchResult:
    request: SearchRequest
    count: int
    items: list[Case]
    facets: dict[str, list[FacetValue]]
    sort: str
    all_items: list[Case]


def _keys(case: Case) -> dict[str, set[str]]:
    places = [case.municipality, *case.partners.all()]
    return {"sector": set(case.sectors), "prefecture": {p.prefecture_id for p in places},
            "funding": set(case.funding_kinds),
            "population_class": {population_class(p.population) or "unknown" for p in places},
            "sharing": {"yes"} if case.sharing_economy else set()}


def labels() -> dict[str, dict[str, str]]:
    from chiiki.regions.models import Prefecture
    from chiiki.roadmap.models import Sector

    return {"sector": dict(Sector.objects.order_by("order").values_list("code", "name")),
            "prefecture": dict(Prefecture.objects.order_by("code").values_list("code", "name")),
            "funding": dict(FundingKind.choices), "population_class": {**POPULATION_CLASS_LABELS, "unknown": "人口未登録"},
            "sharing": SHARING_LABELS}


def search(request: SearchRequest, *, queryset=None) -> SearchResult:
    cases = list((queryset if queryset is not None else Case.objects.filter(status=CaseStatus.PUBLISHED))
                 .select_related("municipality", "municipality__prefecture")
                 .prefetch_related("partners", "partners__prefecture", "programs"))
    scores = None
    if request.q:
        found = dict(CASE_INDEX.search(parse_query(request.q)))
        cases = [c for c in cases if c.pk in found]
        scores = found
    keys = {c.pk: _keys(c) for c in cases}
    chosen = {name: set(request.filters[name]) for name in FACETS}

    def passes(case, skip=None):
        return all(not values or keys[case.pk][name] & values for name, values in chosen.items() if name != skip)

    matched = [c for c in cases if passes(c)]
    names = labels()
    facets = {}
    for name in FACETS:
        counts: dict[str, int] = defaultdict(int)
        for case in cases:
            if passes(case, skip=name):
                for key in keys[case.pk][name]:
                    counts[key] += 1
        order = list(names[name])
        facets[name] = [FacetValue(key, names[name].get(key, key), counts.get(key, 0), key in chosen[name])
                        for key in order if counts.get(key) or key in chosen[name]]
    sort = request.effective_sort
    if sort == "relevance":
        matched.sort(key=lambda c: (-round(scores[c.pk], 9), -c.pk))
    elif sort == "cost":
        matched.sort(key=lambda c: (c.cost is None, c.cost or 0, -c.pk))
    else:
        matched.sort(key=lambda c: (-c.created_at.timestamp(), -c.pk))
    size = request.page_size
    page = min(request.page, max(1, -(-len(matched) // size)))
    return SearchResult(request, len(matched), matched[(page - 1) * size: page * size], facets, sort, matched)
