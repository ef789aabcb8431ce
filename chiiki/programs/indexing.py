"""The programs' search index: what text of a program is searchable, with which weight."""

import csv
import functools
from pathlib import Path

from django.conf import settings

from chiiki.core.search import SearchIndex, load_concepts
from chiiki.roadmap.models import Sector

from .models import Kind, SupportType

PROGRAM_INDEX = SearchIndex("programs_search", {"name": 3.0, "summary": 1.5, "other": 1.0})
CONCEPTS_FILE = Path(settings.BASE_DIR) / "data" / "support_programs_synonyms.csv"


def document_of(program, sector_names: dict[str, str]) -> dict[str, str]:
    sectors = "全分野" if program.all_sectors else " ".join(sector_names.get(c, c) for c in program.sectors)
    other = " ".join([
        program.provider,
        Kind(program.kind).label if program.kind in Kind.values else program.kind,
        SupportType(program.support_type).label if program.support_type in SupportType.values else "",
        sectors,
        program.eligibility,
        " ".join(program.prerequisites or []),
    ])
    return {"name": program.name, "summary": program.summary, "other": other}


def sector_names() -> dict[str, str]:
    return dict(Sector.objects.values_list("code", "name"))


def reindex(programs) -> None:
    names = sector_names()
    PROGRAM_INDEX.replace_many((p.pk, document_of(p, names)) for p in programs)


@functools.lru_cache(maxsize=1)
def concepts():
    """The curated concept table (data/support_programs_synonyms.csv); empty if the file is absent."""
    try:
        with CONCEPTS_FILE.open(encoding="utf-8") as handle:
            rows = [(r["triggers"], r["expansions"], r.get("weight") or "0.7") for r in csv.DictReader(handle)]
    except FileNotFoundError:
        return []
    return load_concepts(rows)
