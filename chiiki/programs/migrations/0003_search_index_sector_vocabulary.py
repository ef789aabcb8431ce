"""The programs' full-text index gains a "sector" field (sector names and their model names), so the table is
rebuilt with the new column and refilled from the programs (docs/decisions/0005, 2026-12-01 section)."""

from django.db import migrations

from chiiki.core.search import SearchIndex

# Frozen copies of chiiki.programs.indexing.PROGRAM_INDEX's table and fields before and after this migration.
BEFORE = SearchIndex("programs_search", {"name": 3.0, "summary": 1.5, "other": 1.0})
AFTER = SearchIndex("programs_search", {"name": 3.0, "summary": 1.5, "other": 1.0, "sector": 0.5})


def rebuild(index: SearchIndex):
    def forward(apps, schema_editor):
        # The index holds derived text only: recreate the table and fill it from the programs as they stand.
        from chiiki.programs.indexing import document_of, vocabulary_of

        vendor = schema_editor.connection.vendor
        for sql in index.drop_sql(vendor) + index.create_sql(vendor):
            schema_editor.execute(sql)
        Sector = apps.get_model("roadmap", "Sector")
        SectorModel = apps.get_model("roadmap", "SectorModel")
        Program = apps.get_model("programs", "SupportProgram")
        vocabulary = vocabulary_of(Sector.objects.order_by("order", "code").values_list("code", "name"),
                                   SectorModel.objects.order_by("sector__order", "sector_id", "order")
                                   .values_list("sector_id", "name"))
        documents = [(p.pk, document_of(p, vocabulary)) for p in Program.objects.all()]
        fields = set(index.fields)
        index.replace_many((pk, {k: v for k, v in doc.items() if k in fields}) for pk, doc in documents)

    return forward


class Migration(migrations.Migration):
    dependencies = [("programs", "0002_search_index"), ("roadmap", "0001_initial")]

    operations = [migrations.RunPython(rebuild(AFTER), rebuild(BEFORE))]
