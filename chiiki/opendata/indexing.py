"""The catalog's search index: the generic bigram index of chiiki.core.search (ADR 0005), as the programs use it.

No generalisation was needed: `SearchIndex(table, fields, labels=…)` is app-neutral; this app declares its own
table and fields. Sector names are a label field (as in the programs' index): a word's rarity is counted over the
datasets' own texts.
"""

from chiiki.core.search import SearchIndex
from chiiki.roadmap.models import Sector

from . import standard

DATASET_INDEX = SearchIndex("opendata_search", {"title": 3.0, "notes": 1.5, "other": 1.0, "sector": 0.5},
                            labels=("sector",))


def document_of(dataset, sector_names: dict[str, str], resources=None) -> dict[str, str]:
    resources = list(dataset.resources.all()) if resources is None else resources
    owner = dataset.municipality.full_name if dataset.municipality_id else (
        dataset.prefecture.name if dataset.prefecture_id else "国")
    other = " ".join([
        " ".join(dataset.tags or []), owner,
        standard.title_of(dataset.standard_type) if dataset.standard_type else "",
        " ".join(f"{r.name} {r.format}" for r in resources),
    ])
    return {"title": dataset.title, "notes": dataset.notes, "other": other,
            "sector": " ".join(sector_names.get(code, code) for code in dataset.sectors or [])}


def sector_names() -> dict[str, str]:
    return dict(Sector.objects.values_list("code", "name"))


def reindex(datasets) -> None:
    names = sector_names()
    DATASET_INDEX.replace_many((d.pk, document_of(d, names)) for d in datasets)
