from django.conf import settings
from django.db import models


class ChangeRecord(models.Model):
    """One create/update/delete of domain data: who, when, before, after.

    Written by actions (never by signals) so bulk imports can write them in bulk too.
    `municipality` / `prefecture` say whose history it belongs to, for scoping who may read it.
    """

    class Action(models.TextChoices):
        CREATE = "create", "作成"
        UPDATE = "update", "更新"
        DELETE = "delete", "削除"

    at = models.DateTimeField("日時", auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="実行者", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField("実行者（記録時）", max_length=150, blank=True)
    action = models.CharField("操作", max_length=10, choices=Action.choices)
    model = models.CharField("対象の種類", max_length=100, db_index=True)  # app_label.model
    object_id = models.CharField("対象ID", max_length=100, db_index=True)
    object_repr = models.CharField("対象", max_length=255, blank=True)
    municipality = models.ForeignKey(
        "regions.Municipality", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name="団体",
    )
    prefecture = models.ForeignKey(
        "regions.Prefecture", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name="都道府県",
    )
    before = models.JSONField("変更前", null=True, blank=True)
    after = models.JSONField("変更後", null=True, blank=True)
    source = models.CharField("経路", max_length=50, blank=True)  # web / api / import / command

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = verbose_name_plural = "変更履歴"
        indexes = [models.Index(fields=["model", "object_id", "-at"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_action_display()} {self.object_repr}"


class DataVersion(models.Model):
    """A counter per data area, bumped by every write; public page caches key on it."""

    name = models.CharField(max_length=50, primary_key=True)
    version = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = verbose_name_plural = "データ版数"


class ImportUpload(models.Model):
    """An uploaded import file kept between preview and commit (looked up by token, committed by hash).

    A file whose preview finds problems keeps only its problem list (for the downloadable report); its content
    is dropped at once. Everything expires after chiiki.core.imports.UPLOAD_TTL.
    """

    token = models.CharField(max_length=64, unique=True)
    importer = models.CharField("取込の種類", max_length=40)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    filename = models.CharField(max_length=255)
    content = models.BinaryField(default=b"")
    # zlib-compressed content: a 7 MB survey sent to PostgreSQL as a bytea literal raised the worker's peak memory
    # by ~57 MB (bench/import_memory.py); compressed it is under 1 MB. False for rows stored before the change.
    compressed = models.BooleanField(default=False)
    sha256 = models.CharField(max_length=64)
    options = models.JSONField(default=dict, blank=True)
    problems = models.JSONField(null=True, blank=True)  # [[row, column, reason, value], …] once rejected
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = verbose_name_plural = "取込ファイル（確認中）"
