"""Capability search: the programs' Japanese engine (chiiki.core.search) over the 「できること」 vocabulary.

A free-text 「○○ができる人」 box is matched against each item's label, synonyms and sector/model words, so
「見守りセンサーを入れられる人」 suggests CAP-HLT-07. The index is small (≈ 80 rows) and rebuilt whenever the
vocabulary changes (reference load, admin edit), inside the same transaction.
"""

from chiiki.core.search import SearchIndex, parse_query
from chiiki.roadmap.models import Sector

from .models import COMMON_LABEL, COMMON_SECTOR, Capability

CAPABILITY_INDEX = SearchIndex("talent_capability_search", {"label": 3.0, "synonyms": 2.0, "sector": 0.5},
                               labels=("sector",))

# Words of a request that say "a person who can", not what they can do: left out of the query so they do not
# match every label (every label ends in できる/できる人).
_FILLER = ("ができる人", "できる人", "ができる方", "できる方", "を探しています", "がほしい", "が欲しい", "人材", "できる",
           "られる人", "られる")


def document_of(capability: Capability, sector_names: dict[str, str]) -> dict[str, str]:
    sector = COMMON_LABEL if capability.sector == COMMON_SECTOR else sector_names.get(capability.sector, "")
    return {"label": capability.label, "synonyms": capability.synonyms.replace(";", " "),
            "sector": f"{sector} {capability.sector_models.replace(';', ' ')}"}


def reindex() -> int:
    sector_names = dict(Sector.objects.values_list("code", "name"))
    capabilities = list(Capability.objects.all())
    CAPABILITY_INDEX.clear()
    CAPABILITY_INDEX.replace_many((_doc_id(c), document_of(c, sector_names)) for c in capabilities)
    return len(capabilities)


def _doc_id(capability: Capability) -> int:
    """The index keys documents by integer: the vocabulary's order number (unique, see reference.load)."""
    return capability.order


def clean_text(text: str) -> str:
    for filler in _FILLER:
        text = text.replace(filler, " ")
    return text


def suggest(text: str, limit: int = 8) -> list[Capability]:
    """Vocabulary items for a free-text 「○○ができる人」, best first (empty when nothing matches)."""
    query = parse_query(clean_text(text or ""))
    if not query.terms:
        return []
    hits = CAPABILITY_INDEX.search(query)[:limit]
    by_order = {c.order: c for c in Capability.objects.filter(order__in=[doc for doc, _ in hits])}
    return [by_order[doc] for doc, _score in hits if doc in by_order]
