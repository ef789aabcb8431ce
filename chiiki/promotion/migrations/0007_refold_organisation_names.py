"""fold() now unifies ヶ/ケ, ヵ/カ and the variant kanji of names (髙/高, 﨑/崎 …): refold every organisation's
name_folded, so a name registered in one form is found and ordered by the other."""

from django.db import migrations
from django.db.models import F


def bump_data_version(apps, name):
    """Move the area's data version on (chiiki.core.history.bump), so no cached page keeps an answer found with
    the old folded form. An area never written has no version and no rows to refold."""
    DataVersion = apps.get_model("core", "DataVersion")
    DataVersion.objects.filter(name=name).update(version=F("version") + 1)


def refold_names(apps, schema_editor):
    from chiiki.core.text import fold

    Organisation = apps.get_model("promotion", "Organisation")
    rows = [row for row in Organisation.objects.only("pk", "name", "name_folded")
            if row.name_folded != fold(row.name)]
    for row in rows:
        row.name_folded = fold(row.name)
    Organisation.objects.bulk_update(rows, ["name_folded"], batch_size=500)
    bump_data_version(apps, "promotion")


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0001_initial"),
        ("promotion", "0006_organisation_name_folded"),
    ]

    operations = [
        migrations.RunPython(refold_names, migrations.RunPython.noop),
    ]
