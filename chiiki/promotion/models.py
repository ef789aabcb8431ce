"""推進体制: the head's commitment, candidate scoring weights and model regions (見本となる地域)."""

from django.conf import settings
from django.db import models
from django.urls import reverse

DEFAULT_MAX_POPULATION = 300_000


class Commitment(models.Model):
    """首長のコミットメント: a declaration the municipality records itself, with its date and document."""

    municipality = models.ForeignKey("regions.Municipality", verbose_name="団体", on_delete=models.CASCADE,
                                     related_name="commitments")
    declared_on = models.DateField("表明日")
    title = models.CharField("表明の内容", max_length=200)
    document_url = models.URLField("文書のURL", max_length=500)
    is_demo = models.BooleanField("デモ", default=False)
    version = models.PositiveIntegerField("版", default=1)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="登録者", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("登録日時", auto_now_add=True)

    class Meta:
        ordering = ["municipality", "-declared_on", "-id"]
        verbose_name = verbose_name_plural = "首長のコミットメント"

    def __str__(self):
        return f"{self.municipality} {self.declared_on:%Y-%m-%d} {self.title}"


class ScoringWeights(models.Model):
    """The weights of the candidate score (one row, pk=1); the national admin edits them, history keeps each."""

    max_population = models.PositiveIntegerField("対象とする人口の上限", default=DEFAULT_MAX_POPULATION)
    implemented_weight = models.PositiveSmallIntegerField("重み: 実装済・自走の分野", default=40)
    progress_weight = models.PositiveSmallIntegerField("重み: 直近3年度の前進", default=30)
    commitment_weight = models.PositiveSmallIntegerField("重み: 首長のコミットメント", default=30)
    version = models.PositiveIntegerField("版", default=1)
    updated_at = models.DateTimeField("更新日時", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "候補スコアの重み"

    def __str__(self):
        return (f"人口{self.max_population:,}人以下・実装{self.implemented_weight}・前進{self.progress_weight}"
                f"・コミットメント{self.commitment_weight}")


class ModelRegion(models.Model):
    """A municipality designated as 見本となる地域 for one 年度, with the sectors (package) concerned."""

    municipality = models.ForeignKey("regions.Municipality", verbose_name="団体", on_delete=models.PROTECT,
                                     related_name="model_regions")
    fiscal_year = models.PositiveSmallIntegerField("指定年度")
    sectors = models.ManyToManyField("roadmap.Sector", verbose_name="対象分野", related_name="model_regions")
    package_name = models.CharField("パッケージ名", max_length=100, blank=True)
    story = models.TextField("取組の紹介")
    is_demo = models.BooleanField("デモ", default=False)
    version = models.PositiveIntegerField("版", default=1)
    designated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="指定者", null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("登録日時", auto_now_add=True)

    class Meta:
        ordering = ["-fiscal_year", "municipality"]
        verbose_name = verbose_name_plural = "見本となる地域"
        constraints = [models.UniqueConstraint(fields=["municipality", "fiscal_year"],
                                               name="unique_model_region_year")]

    def __str__(self):
        return f"{self.municipality} {self.fiscal_year}年度"

    def get_absolute_url(self):
        return reverse("promotion:model_region", args=[self.municipality_id])
