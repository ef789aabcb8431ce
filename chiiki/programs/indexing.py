"""The programs' search index: what text of a program is searchable, with which weight.

A program's sectors are searchable by their names and their model names (data/sectors.csv: 見守り, スマート農業 …),
in a field of their own with the lowest weight: the vocabulary says what a program can be used for, not what it
is, so a word in the program's own name or summary still ranks first. A program for all sectors carries every
sector's vocabulary (as the sector filter counts it in every sector); its longer field scores lower under BM25F's
length normalisation than a one-sector program's, so a sector's own program comes first. The field is a label
field: a word's rarity (idf) is counted over the programs' own texts, so テレワーク stays a rare, strong word in
「テレワーク導入」 although every all-sector program now carries it (docs/decisions/0005).
"""

import csv
import functools
from pathlib import Path

from django.conf import settings

from chiiki.core.search import Concept, SearchIndex, load_concepts, normalize
from chiiki.roadmap.models import Sector, SectorModel

from .models import Kind, SupportType

PROGRAM_INDEX = SearchIndex("programs_search", {"name": 3.0, "summary": 1.5, "other": 1.0, "sector": 0.5},
                            labels=("sector",))
CONCEPTS_FILE = Path(settings.BASE_DIR) / "data" / "support_programs_synonyms.csv"


def document_of(program, vocabulary: dict[str, str]) -> dict[str, str]:
    """vocabulary: sector code → that sector's searchable words (sector_vocabulary())."""
    codes = list(vocabulary) if program.all_sectors else program.sectors
    other = " ".join([
        program.provider,
        Kind(program.kind).label if program.kind in Kind.values else program.kind,
        SupportType(program.support_type).label if program.support_type in SupportType.values else "",
        "全分野" if program.all_sectors else "",
        program.eligibility,
        " ".join(program.prerequisites or []),
    ])
    sector = " ".join(vocabulary.get(code, code) for code in codes)
    return {"name": program.name, "summary": program.summary, "other": other, "sector": sector}


def vocabulary_of(sectors, models) -> dict[str, str]:
    """sectors: (code, name) pairs in display order; models: (sector code, model name) pairs.
    Returns sector code → "name model model …" (the words a program of that sector is found by)."""
    words = {code: [name] for code, name in sectors}
    for code, name in models:
        words.setdefault(code, [code]).append(name)
    return {code: " ".join(names) for code, names in words.items()}


def sector_vocabulary() -> dict[str, str]:
    return vocabulary_of(Sector.objects.order_by("order", "code").values_list("code", "name"),
                         SectorModel.objects.order_by("sector__order", "sector_id", "order")
                         .values_list("sector_id", "name"))


def reindex(programs) -> None:
    vocabulary = sector_vocabulary()
    PROGRAM_INDEX.replace_many((p.pk, document_of(p, vocabulary)) for p in programs)


# Every sector model is what the 地域IoT実装 programs exist to roll out (地域IoT実装推進ロードマップ): a query that
# names a sector or a model also looks for them, below the user's own words.
VOCABULARY_EXPANSIONS = ("地域IoT実装", "分野別モデル")
VOCABULARY_WEIGHT = 0.2


def vocabulary_concept(vocabulary: dict[str, str]) -> list[Concept]:
    """A concept whose triggers are the sector names and model names (each 2+-character segment)."""
    triggers = sorted({segment for words in vocabulary.values() for segment in normalize(words).split()
                       if len(segment) >= 2})
    if not triggers:
        return []
    return load_concepts([(";".join(triggers), ";".join(VOCABULARY_EXPANSIONS), VOCABULARY_WEIGHT)], partial=True)


@functools.lru_cache(maxsize=1)
def concepts():
    """The curated concept table (data/support_programs_synonyms.csv); empty if the file is absent."""
    try:
        with CONCEPTS_FILE.open(encoding="utf-8") as handle:
            rows = [(r["triggers"], r["expansions"], r.get("weight") or "0.7") for r in csv.DictReader(handle)]
    except FileNotFoundError:
        return []
    return load_concepts(rows)
