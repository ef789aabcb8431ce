"""事例ライブラリ (issue 14 §3): what a municipality did, with which money, and what came of it."""

from django.conf import settings
from django.db import models


class FundingKind(models.TextChoices):
    CROWDFUNDING = "crowdfunding", "クラウドファンディング"
    CORPORATE_FURUSATO = "corporate_furusato", "企業版ふるさと納税"
    NATIONAL_PROGRAM = "national_program", "国の支援制度"
    OWN_BUDGET = "own_budget", "自主財源"
    PRIVATE = "private", "民間資金"


class CaseStatus(models.TextChoices):
    PUBLISHED = "published", "公開"
    DRAFT = "draft", "下書き"


class Case(models.Model):
    """One case. `municipality` owns it (its staff, its prefecture and national admins edit it); `partners` are
    the other municipalities of a joint project. Drafts are seen only by those who may edit them."""

    title = models.CharField("事例名", max_length=200)
    summary = models.TextField("概要")
    municipality = models.ForeignKey("regions.Municipality", verbose_name="団体", on_delete=models.PROTECT,
                                     related_name="cases")
    partners = models.ManyToManyField("regions.Municipality", verbose_name="連携団体", blank=True, related_name="+")
    sectors = models.JSONField("分野", default=list)  # sector codes
    sector_models = models.JSONField("分野別モデル", default=list, blank=True)  # SectorModel names
    funding_kinds = models.JSONField("財源", default=list, blank=True)  # FundingKind values
    programs = models.ManyToManyField("programs.SupportProgram", verbose_name="活用した支援制度", blank=True,
                                      related_name="+")
    sharing_economy = models.BooleanField("シェアリングエコノミー", default=False)
    outcomes = models.JSONField("成果", default=list, blank=True)  # [{indicator, unit, before, after, fiscal_year}]
    cost = models.BigIntegerField("事業費（円）", null=True, blank=True)
    operator = models.CharField("運営主体", max_length=200, blank=True)
    lessons = models.TextField("教訓・工夫", blank=True)
    contact_organisation = models.CharField("問い合わせ先", max_length=200, blank=True)
    source_url = models.URLField("出典URL", max_length=500, blank=True)
    status = models.CharField("公開状況", max_length=20, choices=CaseStatus.choices, default=CaseStatus.DRAFT)
    is_demo = models.BooleanField("デモ", default=False)
    version = models.PositiveIntegerField("版", default=1)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="登録者", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("登録日時", auto_now_add=True)
    updated_at = models.DateTimeField("更新日時", auto_now=True)

    @staticmethod
    def history_display(field: str, value) -> str | None:
        """How the change history shows a stored value (None = the default)."""
        if field == "funding_kinds" and isinstance(value, list):
            labels = dict(FundingKind.choices)
            return "、".join(labels.get(v, v) for v in value) or "—"
        return None

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = verbose_name_plural = "事例"
        indexes = [models.Index(fields=["status", "municipality"])]

    def __str__(self):
        return self.title

    @property
    def is_published(self) -> bool:
        return self.status == CaseStatus.PUBLISHED
