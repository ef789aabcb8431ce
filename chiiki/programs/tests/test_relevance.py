"""The judged query set (bench/queries_programs.csv) gives the same top results on SQLite and PostgreSQL.

search_expected_top5.json was recorded from the ranking; this test runs on both engines in CI, so any
engine-specific difference (tokenising, matching, tie-breaking) fails it. Regenerate deliberately with
`RECORD_TOP5=1 pytest chiiki/programs/tests/test_relevance.py` after an intended ranking change.
"""

import csv
import json
import os
from pathlib import Path

from django.conf import settings

EXPECTED = Path(__file__).with_name("search_expected_top5.json")
QUERIES = Path(settings.BASE_DIR) / "bench" / "queries_programs.csv"


def test_judged_queries_same_top5_on_every_engine(client, catalog):
    with QUERIES.open(encoding="utf-8") as handle:
        queries = [row["query"] for row in csv.DictReader(handle)]
    assert len(queries) >= 93
    actual = {}
    for q in queries:
        items = client.get("/api/v1/programs", {"q": q, "page_size": 5}).json()["items"]
        actual[q] = [item["id"] for item in items]
    if os.environ.get("RECORD_TOP5"):
        EXPECTED.write_text(json.dumps(actual, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    expected = json.loads(EXPECTED.read_text(encoding="utf-8"))
    assert actual == expected


def _judged(judged_set):
    with QUERIES.open(encoding="utf-8") as handle:
        return [row for row in csv.DictReader(handle) if row["set"] == judged_set]


def test_judged_queries_mostly_find_a_highly_relevant_program_first(client, catalog):
    rows = _judged("initial")
    assert len(rows) == 50
    hits = 0
    for row in rows:
        best = {part.split(":")[0] for part in row["relevant"].split(";") if part.endswith(":2")}
        items = client.get("/api/v1/programs", {"q": row["query"], "page_size": 1}).json()["items"]
        hits += bool(items) and items[0]["id"] in best
    assert hits / len(rows) >= 0.9


def test_sector_vocabulary_queries_never_dead_end(client, catalog):
    """The 43 queries judged in 2026-12 (the officer's words, sector and model names, the seed's vocabulary):
    each finds at least one judged-relevant program in its top 5, on the page's API."""
    rows = _judged("sectors")
    assert len(rows) >= 36
    for row in rows:
        relevant = {part.split(":")[0] for part in row["relevant"].split(";")}
        items = client.get("/api/v1/programs", {"q": row["query"], "page_size": 5}).json()["items"]
        assert relevant & {item["id"] for item in items}, row["query"]
