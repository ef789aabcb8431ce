"""The cases' full-text index: FTS5 virtual table on SQLite, tsvector + GIN on PostgreSQL (chiiki.core.search)."""

from django.db import migrations

from chiiki.core.search import SearchIndex

# Frozen copy of chiiki.cases.indexing.CASE_INDEX's table and fields at the time of this migration.
INDEX = SearchIndex("cases_search", {"title": 3.0, "summary": 1.5, "other": 1.0, "sector": 0.5}, labels=("sector",))


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = INDEX.operations()
