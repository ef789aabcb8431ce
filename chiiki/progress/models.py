from django.conf import settings
from django.db import models


class Stage(models.TextChoices):
    """Implementation stages, in order (the order of this enum is the order of progress)."""

    NOT_STARTED = "not_started", "未着手"
    CONSIDERING = "considering", "検討中"
    PLANNED = "planned", "計画策定"
    PILOTING = "piloting", "実証中"
    IMPLEMENTED = "implemented", "実装済"
    SELF_SUSTAINING = "self_sustaining", "自走"


STAGE_ORDER = [stage.value for stage in Stage]
STAGE_RANK = {code: rank for rank, code in enumerate(STAGE_ORDER)}
# "Implemented" in counts and KPIs: implemented or running without national subsidy.
IMPLEMENTED_STAGES = (Stage.IMPLEMENTED.value, Stage.SELF_SUSTAINING.value)


class Source(models.TextChoices):
    SELF_REPORT = "self_report", "団体の自己申告"
    SURVEY_IMPORT = "survey_import", "調査の取込"
    ADMIN = "admin", "事務局の修正"
    DEMO = "demo", "デモデータ"


class ProgressRecord(models.Model):
    """The stage of one municipality in one sector in one 年度 (only years that were reported)."""

    municipality = models.ForeignKey("regions.Municipality", verbose_name="団体", on_delete=models.CASCADE,
                                     related_name="progress_records")
    sector = models.ForeignKey("roadmap.Sector", verbose_name="分野", on_delete=models.PROTECT,
                               related_name="progress_records")
    fiscal_year = models.PositiveSmallIntegerField("年度")
    stage = models.CharField("段階", max_length=20, choices=Stage.choices, default=Stage.NOT_STARTED)
    note = models.TextField("備考", blank=True)
    evidence_url = models.URLField("根拠URL", max_length=500, blank=True)
    source = models.CharField("登録経路", max_length=20, choices=Source.choices, default=Source.SELF_REPORT)
    version = models.PositiveIntegerField("版", default=1)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="更新者", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField("更新日時", auto_now=True)

    class Meta:
        ordering = ["municipality", "sector__order", "fiscal_year"]
        verbose_name = verbose_name_plural = "進捗状況"
        constraints = [
            models.UniqueConstraint(fields=["municipality", "sector", "fiscal_year"], name="unique_progress_cell"),
        ]
        # source: every page asks whether any demo record exists (one index step instead of a scan of the history).
        indexes = [models.Index(fields=["fiscal_year", "sector"]), models.Index(fields=["source"],
                                                                              name="progress_record_source")]

    def __str__(self):
        return f"{self.municipality_id} {self.sector_id} {self.fiscal_year}年度 {self.get_stage_display()}"

    @property
    def is_demo(self) -> bool:
        return self.source == Source.DEMO


class ProgressCell(models.Model):
    """Derived: the effective (carried-over) state of one municipality × sector in one 年度 (ADR 0013).

    One row per cell for every 年度 from the cell's first record to the horizon (the latest 年度 of any record),
    so a dashboard reads one 年度's rows (≤ municipalities × sectors) instead of the history. A cell without a
    row in a 年度 is 未着手; a 年度 past the horizon shows the horizon's rows, carried over. Written only by
    chiiki.progress.cells, in the transaction of the write that changed the records.
    """

    municipality = models.ForeignKey("regions.Municipality", on_delete=models.CASCADE, related_name="+")
    sector = models.ForeignKey("roadmap.Sector", on_delete=models.PROTECT, related_name="+")
    fiscal_year = models.PositiveSmallIntegerField("年度")
    stage = models.CharField("段階", max_length=20, choices=Stage.choices)
    # No database constraint: the derived table must never stop a record from being deleted (an operator's SQL,
    # a restore); the writer rewrites the rows, `rebuild_progress_state` repairs what was changed behind it.
    record = models.ForeignKey(ProgressRecord, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    record_year = models.PositiveSmallIntegerField("記録の年度")

    class Meta:
        verbose_name = verbose_name_plural = "進捗状況（年度ごとの実効値）"
        constraints = [
            models.UniqueConstraint(fields=["municipality", "sector", "fiscal_year"], name="unique_progress_cell_state"),
        ]
        # Covering the dashboards' read of one 年度 (stage grid): the index alone answers it, so its cost follows
        # the rows of that 年度, not the size of the table (whose rows of one 年度 are spread over every page).
        indexes = [models.Index(fields=["fiscal_year", "sector", "municipality", "stage", "record_year"],
                                name="progress_cell_year_covering"),
                   # Only the implemented cells (実装済・自走, about a quarter of the rows), in 年度 × municipality
                   # order: promotion's diffusion reads them over several 年度 grouped by (年度, municipality), and
                   # its package advice one 年度 of a few municipalities; both become an index-only scan of these
                   # rows instead of a scan of every cell (bench/promotion_bench.py).
                   models.Index(fields=["fiscal_year", "municipality", "sector"], name="progress_cell_implemented",
                                condition=models.Q(stage__in=IMPLEMENTED_STAGES))]


class ProgressImplementedCount(models.Model):
    """Derived: municipalities implemented (実装済・自走) per 年度 and sector ("" = in any sector), for the trend.

    Kept by the same writer as ProgressCell (additive deltas); a missing row is 0, 年度 past the horizon use the
    horizon's counts.
    """

    fiscal_year = models.PositiveSmallIntegerField("年度")
    sector = models.CharField("分野", max_length=50, blank=True)  # a Sector code, or "" for any sector
    municipalities = models.IntegerField("団体数", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "実装団体数（年度・分野ごと）"
        constraints = [
            models.UniqueConstraint(fields=["fiscal_year", "sector"], name="unique_progress_implemented_count"),
        ]
