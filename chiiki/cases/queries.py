"""Reads shared by the case pages, the API and other apps' pages (「似た事例」)."""

import hashlib

from django.db.models import Q

from chiiki import access
from chiiki.core.cache import versioned, versions
from chiiki.regions.queries import population_class

from .models import Case, CaseStatus


def visible(user):
    """Published cases, plus the drafts of the municipalities the user manages."""
    qs = Case.objects.select_related("municipality", "municipality__prefecture")
    return access.scope_public_or_managed(user, qs, Q(status=CaseStatus.PUBLISHED),
                                          prefecture="municipality__prefecture_id")


def similar_cases(municipality, *, sectors=None, limit: int = 3) -> list[dict]:
    """Published cases of other municipalities, most alike first: sharing a sector (the given ones, or any), then
    the same kind and population class, then the same prefecture, then the nearest population.
    Each item: {"case", "reasons": [Japanese reasons]}.

    Kept per data version (cases and the register): every municipality progress page shows this block, and ranking
    every published case per request cost more than the rest of the page's queries together."""
    params = (municipality.code, sorted(sectors or []), limit)
    digest = hashlib.sha256(repr(params).encode()).hexdigest()[:32]
    return versioned(f"cases:similar:{versions(SIMILAR_DEPENDS_ON)}:{digest}",
                     lambda: _rank_similar(municipality, sectors=sectors, limit=limit))


SIMILAR_DEPENDS_ON = ("cases", "regions")


def _rank_similar(municipality, *, sectors, limit: int) -> list[dict]:
    wanted = set(sectors or [])
    mine_class = population_class(municipality.population)
    candidates = (Case.objects.filter(status=CaseStatus.PUBLISHED).exclude(municipality=municipality)
                  .exclude(partners=municipality).select_related("municipality", "municipality__prefecture"))
    ranked = []
    for case in candidates:
        overlap = len(wanted & set(case.sectors)) if wanted else 0
        if wanted and not overlap:
            continue
        other = case.municipality
        same_kind = other.kind == municipality.kind
        same_class = mine_class is not None and population_class(other.population) == mine_class
        same_pref = other.prefecture_id == municipality.prefecture_id
        gap = (abs(other.population - municipality.population)
               if other.population is not None and municipality.population is not None else float("inf"))
        reasons = (["同じ分野"] if overlap else []) + (["同じ区分・人口規模"] if same_kind and same_class else
                                                   ["同じ区分"] if same_kind else []) + (["同じ都道府県"] if same_pref else [])
        ranked.append(((-overlap, -(same_kind and same_class), -same_kind, -same_pref, gap, -case.pk),
                       {"case": case, "reasons": reasons}))
    ranked.sort(key=lambda item: item[0])
    return [item for _, item in ranked[:limit]]
