import re
import unicodedata

from django.db import migrations
from django.db.models import F, Q


def normalise_tags(apps, schema_editor):
    """Every stored tag in the form clean_fields now stores (search.tag_form, frozen here): NFKC, one space
    between words, one spelling per tag whatever its case (the first)."""
    Dataset = apps.get_model("opendata", "Dataset")
    changed = []
    for dataset in Dataset.objects.only("pk", "tags").iterator(chunk_size=1000):
        firsts: dict[str, str] = {}
        for tag in dataset.tags or []:
            tag = re.sub(r"[ \t]+", " ", unicodedata.normalize("NFKC", str(tag))).strip()
            if tag:
                firsts.setdefault(tag.lower(), tag)
        tags = list(firsts.values())
        if tags != dataset.tags:
            dataset.tags = tags
            changed.append(dataset)
    Dataset.objects.bulk_update(changed, ["tags"], batch_size=500)
    if changed:  # the catalog's facets and stored pages were built with the old spellings (chiiki.core.history.bump)
        apps.get_model("core", "DataVersion").objects.filter(
            Q(name="opendata") | Q(name__startswith="opendata/")).update(version=F("version") + 1)


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0001_initial'),
        ('opendata', '0005_usecase_version'),
    ]

    operations = [
        migrations.RunPython(normalise_tags, migrations.RunPython.noop),
    ]
