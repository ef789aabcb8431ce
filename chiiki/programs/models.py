"""支援メニュー: the support program catalog, saved searches and alert deliveries."""

from django.conf import settings
from django.db import models
from django.urls import reverse

from chiiki.progress.models import Stage
from chiiki.regions.models import MunicipalityKind

# Who a program is for: a prefecture or a municipality of a given kind (the register's own vocabulary).
ENTITY_KINDS = {"prefecture": "都道府県", **dict(MunicipalityKind.choices)}
# 条件不利地域 flags as Municipality fields (過疎/離島/中山間), with the labels rules and pages show.
AREA_FLAGS = {"depopulated": "過疎地域", "remote_island": "離島地域", "mountainous": "中山間地域"}
STAGES = list(Stage.values)


class ProviderType(models.TextChoices):
    NATIONAL = "national", "国"
    PRIVATE = "private", "民間"
    PUBLIC_PRIVATE = "public_private", "官民連携"


class Kind(models.TextChoices):
    SUBSIDY = "subsidy", "補助金"
    GRANT = "grant", "交付金"
    SPECIAL_TAX = "special_tax", "特別交付税措置"
    TAX = "tax", "税制"
    ADVISOR = "advisor", "専門家派遣"
    CONSULTING = "consulting", "伴走支援・コンサルティング"
    FUND = "fund", "基金"
    CROWDFUNDING = "crowdfunding", "クラウドファンディング"
    MATCHING = "matching", "マッチング"


class SupportType(models.TextChoices):
    FUNDING = "funding", "資金"
    PEOPLE = "people", "人材"
    STRUCTURE = "structure", "推進体制"


class PackageRole(models.TextChoices):
    PEOPLE_KNOWHOW = "people_knowhow", "人材・ノウハウ"
    IMPLEMENTATION = "implementation", "実装資金"
    OPERATION = "operation", "運用・自走資金"


class AreaLogic(models.TextChoices):
    ALL = "all", "すべて満たす"
    ANY = "any", "いずれかを満たす"


# funding.SourceKind values (funding builds on this app, so the values are named here, checked by a test there).
NATIONAL_SOURCE_KIND = "national_program"
SOURCE_KIND_BY_PROGRAM_KIND = {Kind.TAX: "corporate_donation", Kind.CROWDFUNDING: "crowdfunding"}


class SupportProgram(models.Model):
    """One support menu. Eligibility is data (entity kinds, bounds, area conditions), evaluated in eligibility.py."""

    public_id = models.CharField("ID", max_length=60, unique=True)  # e.g. MIC-ICT-ADVISOR; used in URLs and the API
    name = models.CharField("名称", max_length=200)
    provider = models.CharField("提供者", max_length=100, db_index=True)
    provider_type = models.CharField("提供者の種類", max_length=20, choices=ProviderType.choices)
    kind = models.CharField("種類", max_length=20, choices=Kind.choices, db_index=True)
    support_type = models.CharField("支援の種類", max_length=20, choices=SupportType.choices, db_index=True)
    all_sectors = models.BooleanField("全分野", default=False)
    sectors = models.JSONField("分野", default=list, blank=True)  # sector codes; empty when all_sectors
    summary = models.TextField("概要")
    subsidy_rate = models.CharField("補助率", max_length=50, blank=True)
    cap_yen = models.BigIntegerField("上限額（円）", null=True, blank=True)
    min_project_yen = models.BigIntegerField("最低事業費・最低額（円）", null=True, blank=True)
    max_years = models.PositiveSmallIntegerField("最長年数", null=True, blank=True)
    eligibility = models.TextField("対象（原文）", blank=True)
    source_url = models.URLField("出典", max_length=500, blank=True)
    # Eligibility rules as data. Empty / None = no such rule.
    entity_kinds = models.JSONField("対象団体の区分", default=list, blank=True)
    entity_check_kinds = models.JSONField("要確認の団体区分", default=list, blank=True)
    entity_check_note = models.CharField("要確認の理由", max_length=300, blank=True)
    population_min = models.PositiveIntegerField("人口の下限", null=True, blank=True)
    population_max = models.PositiveIntegerField("人口の上限", null=True, blank=True)
    fiscal_index_lt = models.DecimalField("財政力指数（未満）", max_digits=4, decimal_places=2, null=True, blank=True)
    fiscal_index_le = models.DecimalField("財政力指数（以下）", max_digits=4, decimal_places=2, null=True, blank=True)
    area_conditions = models.JSONField("条件不利地域の要件", default=list, blank=True)  # depopulated/remote_island/mountainous
    area_logic = models.CharField("財政力指数と地域要件の関係", max_length=3, choices=AreaLogic.choices,
                                  default=AreaLogic.ALL)
    excluded_prefectures = models.JSONField("除外地域の都道府県", default=list, blank=True)
    excluded_fiscal_index_ge = models.DecimalField("除外: 財政力指数（以上）", max_digits=4, decimal_places=2,
                                                   null=True, blank=True)
    excluded_area_label = models.CharField("除外地域の名称", max_length=100, blank=True)
    rate_tiers = models.CharField("補助率の区分", max_length=300, blank=True)
    prerequisites = models.JSONField("手続き上の要件", default=list, blank=True)
    stages = models.JSONField("適した進捗段階", default=list, blank=True)
    package_roles = models.JSONField("パッケージでの役割", default=list, blank=True)
    windows = models.CharField("募集期間", max_length=500, blank=True)  # see windows.py
    terms_year = models.PositiveSmallIntegerField("条件の年度", null=True, blank=True)
    last_verified = models.DateField("最終確認日", null=True, blank=True)
    # A program that no longer takes applications: the last 年度 it did, and the catalog ID of the program that
    # replaced it (a public_id, like the file's column, so a file can name a successor defined further down).
    ended_fiscal_year = models.PositiveSmallIntegerField("募集の最終年度", null=True, blank=True)
    successor = models.CharField("後継の支援メニュー（ID）", max_length=60, blank=True)
    # Bookkeeping
    version = models.PositiveIntegerField("版", default=1)
    edited_since_load = models.BooleanField("参照データ読込後に編集", default=False)
    created_at = models.DateTimeField("登録日時", auto_now_add=True)
    updated_at = models.DateTimeField("更新日時", auto_now=True)

    class Meta:
        ordering = ["public_id"]
        verbose_name = verbose_name_plural = "支援メニュー"

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("programs:detail", args=[self.public_id])

    @property
    def funding_source_kind(self) -> str:
        """What an implementation plan's funding line from this program is (a funding.SourceKind value).

        企業版ふるさと納税 (the tax schemes) is companies' money and crowdfunding is citizens' money: both can carry
        a service after the support ends. Every other kind is a time-limited national program, which the plan risk
        check counts towards 「一時的な国の財源に依存」.
        """
        return SOURCE_KIND_BY_PROGRAM_KIND.get(self.kind, NATIONAL_SOURCE_KIND)

    @staticmethod
    def history_display(field: str, value) -> str | None:
        """How the change history shows a stored value: labels, never codes or rule strings (None = default)."""
        from . import labels  # labels reads eligibility and windows, which import this module

        return labels.history_value(field, value)


class SavedSearch(models.Model):
    """A user's saved search (GET parameters of the search page) with opt-in e-mail alerts."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="利用者", on_delete=models.CASCADE,
                              related_name="saved_program_searches")
    name = models.CharField("名前", max_length=100)
    params = models.CharField("検索条件", max_length=1000, blank=True)  # query string
    alerts = models.BooleanField("メール通知", default=False)
    seen_program_ids = models.JSONField("通知済みの支援メニュー", default=list, blank=True)
    created_at = models.DateTimeField("作成日時", auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = verbose_name_plural = "保存した検索"

    def __str__(self):
        return self.name


class AlertDelivery(models.Model):
    """One digest per user and day: makes the daily command idempotent."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)
    program_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="one_program_digest_per_day")]
        verbose_name = verbose_name_plural = "通知メールの送信記録"
