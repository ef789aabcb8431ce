from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("programs", "0003_search_index_sector_vocabulary"),
    ]

    operations = [
        migrations.AddField(
            model_name="supportprogram",
            name="ended_fiscal_year",
            field=models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="募集の最終年度"),
        ),
        migrations.AddField(
            model_name="supportprogram",
            name="successor",
            field=models.CharField(blank=True, max_length=60, verbose_name="後継の支援メニュー（ID）"),
        ),
    ]
