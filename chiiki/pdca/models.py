"""PDCA of the roadmap (issue 14): KPIs computed from live data, annual reviews with frozen snapshots and
actions, and proposals to review institutions (制度の見直し)."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from .measures import MEASURE_CHOICES


class KPI(models.Model):
    """A roadmap KPI: a target for a 年度 and a measure computed live from platform data (chiiki.pdca.measures).

    `prefecture` empty = a national KPI; otherwise the prefecture's own target (edited by its staff).
    """

    code = models.CharField("KPI ID", max_length=40, primary_key=True)
    name = models.CharField("KPI名", max_length=200)
    unit = models.CharField("単位", max_length=20)
    target_value = models.DecimalField("目標値", max_digits=16, decimal_places=2)
    target_fiscal_year = models.PositiveSmallIntegerField("目標年度")
    baseline_value = models.DecimalField("基準値", max_digits=16, decimal_places=2, null=True, blank=True)
    baseline_date = models.CharField("基準時点", max_length=20, blank=True)  # as the source states it: 2023-03
    source = models.CharField("出典", max_length=300, blank=True)
    measure = models.CharField("算定方法", max_length=40, choices=MEASURE_CHOICES)
    sectors = models.JSONField("対象分野", default=list, blank=True)  # sector codes; empty = every sector
    prefecture = models.ForeignKey("regions.Prefecture", verbose_name="都道府県", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    order = models.PositiveSmallIntegerField("表示順", default=0)
    version = models.PositiveIntegerField("版", default=1)
    updated_at = models.DateTimeField("更新日時", auto_now=True)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = verbose_name_plural = "KPI"

    def __str__(self):
        return self.name


class Review(models.Model):
    """The annual review of one 年度 (national, or one prefecture's own KPIs). Its entries freeze every KPI's
    value at the time the review was opened; they are never recomputed."""

    history_labels = {"kpis": "KPI"}  # recorded when opened: the KPIs its entries froze

    fiscal_year = models.PositiveSmallIntegerField("年度")
    prefecture = models.ForeignKey("regions.Prefecture", verbose_name="都道府県", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    title = models.CharField("名称", max_length=200)
    summary = models.TextField("総括", blank=True)
    snapshot_at = models.DateTimeField("スナップショット取得日時")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="作成者", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    is_demo = models.BooleanField("デモ", default=False)
    version = models.PositiveIntegerField("版", default=1)

    class Meta:
        ordering = ["-fiscal_year", "prefecture_id"]
        verbose_name = verbose_name_plural = "年次レビュー"
        constraints = [
            models.UniqueConstraint(fields=["fiscal_year", "prefecture"], name="unique_review_per_prefecture"),
            models.UniqueConstraint(fields=["fiscal_year"], condition=Q(prefecture__isnull=True),
                                    name="unique_national_review"),
        ]

    def __str__(self):
        return self.title


class ReviewEntry(models.Model):
    """One KPI in a review: the value as it was when the review was opened (frozen) and the assessment."""

    review = models.ForeignKey(Review, verbose_name="レビュー", on_delete=models.CASCADE, related_name="entries")
    kpi = models.ForeignKey(KPI, verbose_name="KPI", on_delete=models.PROTECT, related_name="review_entries")
    # Frozen at snapshot time (the KPI's name and target too: a KPI edited later must not rewrite the past).
    kpi_name = models.CharField("KPI名（当時）", max_length=200)
    unit = models.CharField("単位", max_length=20)
    value = models.DecimalField("値（当時）", max_digits=16, decimal_places=2, null=True, blank=True)
    target_value = models.DecimalField("目標値（当時）", max_digits=16, decimal_places=2)
    target_fiscal_year = models.PositiveSmallIntegerField("目標年度（当時）")
    projected_value = models.DecimalField("見込み値（当時）", max_digits=16, decimal_places=2, null=True, blank=True)
    outlook = models.CharField("見通し（当時）", max_length=20)
    formula = models.TextField("計算式（当時）", blank=True)
    assessment = models.TextField("評価", blank=True)
    version = models.PositiveIntegerField("版", default=1)

    class Meta:
        ordering = ["review", "kpi__order", "kpi_id"]
        verbose_name = verbose_name_plural = "レビューのKPI評価"
        constraints = [models.UniqueConstraint(fields=["review", "kpi"], name="unique_review_entry")]


class ActionStatus(models.TextChoices):
    NOT_STARTED = "not_started", "未着手"
    IN_PROGRESS = "in_progress", "対応中"
    DONE = "done", "完了"
    CANCELLED = "cancelled", "中止"


OPEN_ACTION_STATUSES = (ActionStatus.NOT_STARTED.value, ActionStatus.IN_PROGRESS.value)


class Action(models.Model):
    """Something a review decided: what, who (organisation), by when, and what came of it."""

    review = models.ForeignKey(Review, verbose_name="レビュー", on_delete=models.CASCADE, related_name="actions")
    kpi = models.ForeignKey(KPI, verbose_name="関連KPI", null=True, blank=True, on_delete=models.SET_NULL,
                            related_name="actions")
    title = models.CharField("対応内容", max_length=300)
    owner_organisation = models.CharField("担当組織", max_length=200)
    due_date = models.DateField("期限")
    status = models.CharField("状況", max_length=20, choices=ActionStatus.choices, default=ActionStatus.NOT_STARTED)
    result = models.TextField("結果", blank=True)
    version = models.PositiveIntegerField("版", default=1)
    updated_at = models.DateTimeField("更新日時", auto_now=True)

    class Meta:
        ordering = ["review", "due_date", "id"]
        verbose_name = verbose_name_plural = "対応（アクション）"

    def __str__(self):
        return self.title

    def is_overdue(self, today) -> bool:
        return self.status in OPEN_ACTION_STATUSES and self.due_date < today


class ProposalStatus(models.TextChoices):
    RECEIVED = "received", "受付"
    UNDER_REVIEW = "under_review", "検討中"
    REFLECTED = "reflected", "反映済"
    DECLINED = "declined", "見送り"


class InstitutionProposal(models.Model):
    """制度の見直し: a rule or program that blocks progress, with evidence; anyone signed in may propose."""

    title = models.CharField("件名", max_length=200)
    problem = models.TextField("課題")
    rule_concerned = models.CharField("対象の制度・ルール", max_length=300)
    program = models.ForeignKey("programs.SupportProgram", verbose_name="関連する支援メニュー", null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    evidence_links = models.JSONField("根拠（プラットフォームのページ・記録へのリンク）", default=list, blank=True)
    proposer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="提案者", null=True,
                                 on_delete=models.SET_NULL, related_name="+")
    proposer_label = models.CharField("提案者の所属", max_length=200)
    status = models.CharField("状況", max_length=20, choices=ProposalStatus.choices, default=ProposalStatus.RECEIVED)
    status_reason = models.TextField("状況の理由", blank=True)
    is_demo = models.BooleanField("デモ", default=False)
    version = models.PositiveIntegerField("版", default=1)
    created_at = models.DateTimeField("提案日時", auto_now_add=True)
    updated_at = models.DateTimeField("更新日時", auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = verbose_name_plural = "制度の見直しの提案"

    def __str__(self):
        return self.title
