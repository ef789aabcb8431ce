"""オープンデータ: datasets (a CKAN package each) and their resources, usage counts and 利用事例.

A dataset's owner is the national government (no prefecture, no municipality), a prefecture, or a
municipality; it is a CKAN organization. Datasets carry `municipality`/`prefecture` so chiiki.access.manages and
the history scoping work as for every other row on the spine. `is_published` is what chiiki.access.can_view
reads: a 庁内限定 dataset is visible only to those who manage its owner.
"""

import uuid

from django.conf import settings
from django.db import models

from .storage import resource_storage


class Visibility(models.TextChoices):
    PUBLIC = "public", "公開"
    INTERNAL = "internal", "庁内限定"


class License(models.TextChoices):
    CC_BY = "cc-by-4.0", "クリエイティブ・コモンズ 表示 4.0 国際（CC BY 4.0）"
    PDL = "pdl-1.0", "公共データ利用規約（第1.0版）（PDL1.0）"
    CC0 = "cc-zero", "CC0 1.0 全世界（パブリック・ドメイン提供）"
    OTHER = "other", "その他"


LICENSE_URLS = {
    License.CC_BY: "https://creativecommons.org/licenses/by/4.0/",
    License.PDL: "https://www.digital.go.jp/resources/open_data/public_data_license_v1.0",
    License.CC0: "https://creativecommons.org/publicdomain/zero/1.0/",
}


class Frequency(models.TextChoices):
    IRREGULAR = "irregular", "不定期"
    DAILY = "daily", "毎日"
    WEEKLY = "weekly", "毎週"
    MONTHLY = "monthly", "毎月"
    QUARTERLY = "quarterly", "四半期ごと"
    ANNUAL = "annual", "毎年"
    ONCE = "once", "更新なし"


class Conformance(models.TextChoices):
    NONE = "", "標準データセットではない"
    CONFORMING = "conforming", "準拠"
    NEEDS_FIX = "needs_fix", "要修正"


class Dataset(models.Model):
    uid = models.UUIDField("ID", default=uuid.uuid4, unique=True, editable=False)  # CKAN's package id
    name = models.SlugField("URL名", max_length=100, unique=True)
    title = models.CharField("タイトル", max_length=200)
    notes = models.TextField("説明", blank=True)
    prefecture = models.ForeignKey("regions.Prefecture", verbose_name="所有する都道府県", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="datasets")
    municipality = models.ForeignKey("regions.Municipality", verbose_name="所有する市区町村", null=True,
                                     blank=True, on_delete=models.PROTECT, related_name="datasets")
    license = models.CharField("ライセンス", max_length=20, choices=License.choices, default=License.CC_BY)
    license_other = models.CharField("ライセンス（その他）", max_length=200, blank=True)
    tags = models.JSONField("タグ", default=list, blank=True)
    sectors = models.JSONField("分野", default=list, blank=True)  # Sector codes (CKAN groups)
    frequency = models.CharField("更新頻度", max_length=20, choices=Frequency.choices, default=Frequency.IRREGULAR)
    standard_type = models.CharField("自治体標準オープンデータセット", max_length=40, blank=True, db_index=True)
    conformance = models.CharField("標準への準拠", max_length=20, choices=Conformance.choices, blank=True,
                                   default="", db_index=True)
    visibility = models.CharField("公開範囲", max_length=20, choices=Visibility.choices, default=Visibility.PUBLIC,
                                  db_index=True)
    is_demo = models.BooleanField("デモ", default=False)
    version = models.PositiveIntegerField("版", default=1)
    created_at = models.DateTimeField("作成日時", auto_now_add=True)
    updated_at = models.DateTimeField("更新日時", auto_now=True, db_index=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "データセット"
        verbose_name_plural = "データセット"
        constraints = [
            # A municipality-owned dataset also records the municipality's prefecture (for scoping).
            models.CheckConstraint(
                condition=models.Q(municipality__isnull=True) | models.Q(prefecture__isnull=False),
                name="opendata_dataset_municipality_has_prefecture"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return f"/opendata/dataset/{self.name}/"

    @property
    def is_published(self) -> bool:
        return self.visibility == Visibility.PUBLIC

    @property
    def owner_key(self) -> str:
        """The CKAN organization name: a 団体コード, or "national"."""
        if self.municipality_id:
            return self.municipality_id
        if self.prefecture_id:
            return self.prefecture.lg_code
        return "national"

    @property
    def license_label(self) -> str:
        if self.license == License.OTHER and self.license_other:
            return self.license_other
        return self.get_license_display()


class Resource(models.Model):
    uid = models.UUIDField("ID", default=uuid.uuid4, unique=True, editable=False)
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="resources")
    name = models.CharField("名称", max_length=200)
    format = models.CharField("形式", max_length=20, blank=True, db_index=True)
    description = models.TextField("説明", blank=True)
    file = models.FileField("ファイル", storage=resource_storage, upload_to="opendata/%Y/%m/", blank=True,
                            max_length=300)
    url = models.URLField("外部URL", blank=True, max_length=500)
    size = models.BigIntegerField("サイズ（バイト）", null=True, blank=True)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    # The standard-dataset check of the file: {"ok": bool, "errors": n, "warnings": n, "problems": [...]}
    validation = models.JSONField("検証結果", null=True, blank=True)
    created_at = models.DateTimeField("作成日時", auto_now_add=True)
    updated_at = models.DateTimeField("更新日時", auto_now=True)

    class Meta:
        ordering = ["dataset", "created_at", "pk"]
        verbose_name = "リソース"
        verbose_name_plural = "リソース"

    def __str__(self):
        return self.name

    @property
    def municipality(self):  # chiiki.access reads the owner through the dataset
        return self.dataset.municipality

    @property
    def prefecture_id(self):
        return self.dataset.prefecture_id

    @property
    def is_published(self) -> bool:
        return self.dataset.is_published


class UsageKind(models.TextChoices):
    VIEW = "view", "ページ閲覧"
    DOWNLOAD = "download", "ダウンロード"
    API = "api", "API・CKAN API"


class Usage(models.Model):
    """How often a dataset (and a resource: downloads) was used in a month: counts only, no personal data."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="usage")
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, null=True, blank=True, related_name="usage")
    # The resource's pk, 0 for dataset-level counts: a unique key without NULLs (SQLite cannot make NULLs equal).
    resource_key = models.PositiveBigIntegerField(default=0)
    kind = models.CharField(max_length=20, choices=UsageKind.choices)
    month = models.DateField()  # the first day of the month
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["dataset", "resource_key", "kind", "month"], name="opendata_usage_unique"),
        ]
        verbose_name = verbose_name_plural = "利用回数"


class UseCaseStatus(models.TextChoices):
    PENDING = "pending", "確認待ち"
    APPROVED = "approved", "掲載中"
    REJECTED = "rejected", "掲載しない"


class UseCase(models.Model):
    """利用事例: an app or study that uses a dataset, registered by anyone signed in, moderated by the owner."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="use_cases")
    title = models.CharField("名称", max_length=200)
    url = models.URLField("URL", blank=True, max_length=500)
    description = models.TextField("説明", blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                     related_name="+")
    status = models.CharField("状態", max_length=20, choices=UseCaseStatus.choices, default=UseCaseStatus.PENDING)
    # Two managers (the owner and its prefecture) may decide at once: the version the deciding page showed.
    version = models.PositiveIntegerField("版", default=1)
    created_at = models.DateTimeField("登録日時", auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "pk"]
        verbose_name = verbose_name_plural = "利用事例"

    def __str__(self):
        return self.title

    @property
    def municipality(self):
        return self.dataset.municipality

    @property
    def prefecture_id(self):
        return self.dataset.prefecture_id

    @property
    def is_published(self) -> bool:
        return self.dataset.is_published
