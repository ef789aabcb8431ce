"""The capability vocabulary's full-text index (chiiki.core.search): FTS5 on SQLite, tsvector + GIN on PostgreSQL."""

from django.db import migrations

from chiiki.core.search import SearchIndex

# Frozen copy of chiiki.talent.indexing.CAPABILITY_INDEX's table and fields at the time of this migration.
INDEX = SearchIndex("talent_capability_search", {"label": 3.0, "synonyms": 2.0, "sector": 0.5})


class Migration(migrations.Migration):
    dependencies = [("talent", "0001_initial")]

    operations = INDEX.operations()
