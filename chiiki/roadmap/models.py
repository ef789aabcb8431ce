from django.db import models


class Sector(models.Model):
    code = models.CharField("分野コード", max_length=30, primary_key=True)
    name = models.CharField("分野", max_length=50, unique=True)
    name_en = models.CharField("英語名", max_length=100)
    note = models.CharField("備考", max_length=200, blank=True)
    order = models.PositiveSmallIntegerField("表示順", default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = verbose_name_plural = "分野"

    def __str__(self):
        return self.name


class SectorModel(models.Model):
    """A model service of a sector (e.g. プログラミング教育 under 教育)."""

    sector = models.ForeignKey(Sector, verbose_name="分野", on_delete=models.CASCADE, related_name="models")
    name = models.CharField("モデル", max_length=100)
    order = models.PositiveSmallIntegerField("表示順", default=0)

    class Meta:
        ordering = ["sector", "order"]
        constraints = [models.UniqueConstraint(fields=["sector", "name"], name="unique_sector_model")]
        verbose_name = verbose_name_plural = "分野別モデル"

    def __str__(self):
        return self.name
