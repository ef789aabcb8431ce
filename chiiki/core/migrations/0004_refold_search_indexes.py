"""fold() now unifies ヶ/ケ, ヵ/カ and the variant kanji of names (chiiki.core.text._NAME_FORMS), and queries are
folded the new way: refold the texts the search indexes stored the old way, or a document written with 「ヶ」 would
not be found until its next edit. Then move every data version on, so no cached page keeps an answer found with the
old form.

The stored texts are refolded in place rather than rebuilt from their rows: the index holds normalize_words(text),
and fold() of that is what normalize_words gives now (each new mapping is one character to one of the same script,
so words, their boundaries and their trailing 長音 are unchanged), without the indexed models' code, which a
migration cannot rely on."""

from django.db import migrations
from django.db.models import F

# Frozen copies of the indexes' tables and fields as the migrations this one depends on left them.
INDEXES = {
    "programs_search": ["name", "summary", "other", "sector"],
    "cases_search": ["title", "summary", "other", "sector"],
    "opendata_search": ["title", "notes", "other", "sector"],
    "talent_capability_search": ["label", "synonyms", "sector"],
}


def refold_indexes(apps, schema_editor):
    from chiiki.core.search import _tsvector_literal, tokens
    from chiiki.core.text import fold

    connection = schema_editor.connection
    sqlite = connection.vendor == "sqlite"
    key = "rowid" if sqlite else "doc_id"
    with connection.cursor() as cursor:
        for table, fields in INDEXES.items():
            columns = [f"f_{name}" for name in fields]
            cursor.execute(f"SELECT {key}, {', '.join(columns)} FROM {table}")
            rows = []
            for doc_id, *texts in cursor.fetchall():
                # fold() per word: it strips, and the stored words are separated by single spaces.
                refolded = [" ".join(fold(word) for word in (text or "").split()) for text in texts]
                if refolded != [text or "" for text in texts]:
                    body = [token for text in refolded for token in tokens(text)]
                    rows.append((" ".join(body) if sqlite else _tsvector_literal(body), *refolded, doc_id))
            if rows:
                cast = "%s" if sqlite else "%s::tsvector"
                assignments = ", ".join(f"{column} = %s" for column in columns)
                cursor.executemany(f"UPDATE {table} SET body = {cast}, {assignments} WHERE {key} = %s", rows)
    DataVersion = apps.get_model("core", "DataVersion")
    DataVersion.objects.update(version=F("version") + 1)


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0003_importupload_compressed"),
        ("programs", "0003_search_index_sector_vocabulary"),
        ("cases", "0002_search_index"),
        ("opendata", "0002_search_index"),
        ("talent", "0002_capability_search_index"),
        ("regions", "0004_municipality_name_folded"),
        ("promotion", "0007_refold_organisation_names"),
    ]

    operations = [
        migrations.RunPython(refold_indexes, migrations.RunPython.noop),
    ]
