"""The programs' full-text index: FTS5 virtual table on SQLite, tsvector + GIN on PostgreSQL (chiiki.core.search)."""

from django.db import migrations

from chiiki.core.search import SearchIndex

# Frozen copy of chiiki.programs.indexing.PROGRAM_INDEX's table and fields at the time of this migration.
INDEX = SearchIndex("programs_search", {"name": 3.0, "summary": 1.5, "other": 1.0})


class Migration(migrations.Migration):
    dependencies = [("programs", "0001_initial")]

    operations = INDEX.operations()
