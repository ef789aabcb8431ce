"""The cases' search index (chiiki.core.search, the engine the programs search uses): title, summary, the rest of
the text (municipality, operator, lessons, outcomes, funding), and the sector vocabulary as a label field."""

from chiiki.core.search import SearchIndex
from chiiki.roadmap.models import Sector

from .models import FundingKind

CASE_INDEX = SearchIndex("cases_search", {"title": 3.0, "summary": 1.5, "other": 1.0, "sector": 0.5},
                         labels=("sector",))
FUNDING_LABELS = dict(FundingKind.choices)


def document_of(case, sector_names: dict[str, str]) -> dict[str, str]:
    places = [case.municipality, *case.partners.all()]
    other = " ".join([
        *(f"{p.prefecture.name} {p.name}" for p in places), case.operator, case.lessons, case.contact_organisation,
        *(FUNDING_LABELS.get(k, k) for k in case.funding_kinds), *(p.name for p in case.programs.all()),
        "シェアリングエコノミー" if case.sharing_economy else "",
        *(str(o.get("indicator", "")) for o in case.outcomes),
    ])
    sector = " ".join([*(sector_names.get(code, code) for code in case.sectors), *case.sector_models])
    return {"title": case.title, "summary": case.summary, "other": other, "sector": sector}


def reindex(cases) -> None:
    """Replace the index rows of these cases (inside the writing transaction). Drafts are indexed too: the
    search filters by status, so an editor's own drafts are findable by them."""
    names = dict(Sector.objects.values_list("code", "name"))
    CASE_INDEX.replace_many((case.pk, document_of(case, names)) for case in cases)
