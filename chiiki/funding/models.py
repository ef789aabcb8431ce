"""資金循環: multi-year implementation plans (実装計画) and the money behind each 年度, and crowdfunding campaigns.

A plan belongs to the spine like every domain row: a municipality (or, for a wide-area plan, a prefecture with
participating municipalities) × sector × 年度 (one PlanYear per 年度). Risk flags are never stored: flags.py
computes them from these rows on every read (docs/decisions/0015-funding-plans-and-money.md).
"""

from django.conf import settings
from django.db import models
from django.urls import reverse


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "下書き"
    PUBLISHED = "published", "公開"
    COMPLETED = "completed", "完了"
    DISCONTINUED = "discontinued", "中止"


class Phase(models.TextChoices):
    # The codes are the navigator's package roles (programs.PackageRole), so a package maps onto years 1:1.
    PEOPLE_KNOWHOW = "people_knowhow", "人材・ノウハウ"
    IMPLEMENTATION = "implementation", "実装"
    OPERATION = "operation", "運用・自走"


class OperatorKind(models.TextChoices):
    DIRECT = "direct", "団体直営"
    THIRD_SECTOR = "third_sector", "第三セクター"
    PRIVATE = "private", "民間事業者"
    NPO = "npo", "NPO・地域団体"
    UNDECIDED = "undecided", "未定"


class SourceKind(models.TextChoices):
    GENERAL = "general", "一般財源"
    NATIONAL_PROGRAM = "national_program", "国の支援メニュー"
    LOCAL_FINANCE = "local_finance", "地方財政措置"
    CORPORATE_DONATION = "corporate_donation", "企業版ふるさと納税"
    CROWDFUNDING = "crowdfunding", "クラウドファンディング"
    PRIVATE_INVESTMENT = "private_investment", "民間投資"
    OTHER = "other", "その他"


class FundingState(models.TextChoices):
    PLANNED = "planned", "予定"
    APPLIED = "applied", "申請中"
    CONFIRMED = "confirmed", "採択・確定"
    RECEIVED = "received", "受領"
    REJECTED = "rejected", "不採択"


SECURED_STATES = (FundingState.CONFIRMED, FundingState.RECEIVED)


class ImplementationPlan(models.Model):
    municipality = models.ForeignKey("regions.Municipality", verbose_name="策定団体（市区町村）", null=True,
                                     blank=True, on_delete=models.PROTECT, related_name="implementation_plans")
    # Always set: the municipality's prefecture, or the owner of a wide-area plan (municipality empty).
    prefecture = models.ForeignKey("regions.Prefecture", verbose_name="都道府県", on_delete=models.PROTECT,
                                   related_name="implementation_plans")
    participants = models.ManyToManyField("regions.Municipality", verbose_name="参加市区町村", blank=True,
                                          related_name="participating_plans")
    title = models.CharField("計画名", max_length=200)
    sector = models.ForeignKey("roadmap.Sector", verbose_name="主な分野", on_delete=models.PROTECT,
                               related_name="implementation_plans")
    sector_models = models.JSONField("分野別モデル", default=list, blank=True)  # SectorModel names of the sector
    further_sectors = models.JSONField("その他の分野", default=list, blank=True)  # sector codes
    vision = models.TextField("目指す姿", blank=True)
    start_year = models.PositiveSmallIntegerField("開始年度")
    operator_kind = models.CharField("支援終了後の運営主体", max_length=20, choices=OperatorKind.choices,
                                     default=OperatorKind.UNDECIDED)
    operator_name = models.CharField("運営主体の名称", max_length=200, blank=True)
    operator_corporate_number = models.CharField("運営主体の法人番号", max_length=13, blank=True)
    kpis = models.JSONField("KPI", default=list, blank=True)  # [{indicator, baseline, target, fiscal_year}]
    status = models.CharField("状態", max_length=20, choices=PlanStatus.choices, default=PlanStatus.DRAFT,
                              db_index=True)
    status_reason = models.CharField("中止・完了の理由", max_length=500, blank=True)
    is_demo = models.BooleanField("デモデータ", default=False)
    version = models.PositiveIntegerField("版", default=1)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="作成者", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("作成日時", auto_now_add=True)
    updated_at = models.DateTimeField("更新日時", auto_now=True)

    class Meta:
        ordering = ["prefecture_id", "municipality_id", "-start_year", "id"]
        indexes = [models.Index(fields=["status", "sector"], name="funding_plan_status_sector")]
        verbose_name = verbose_name_plural = "実装計画"

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("funding:plan", args=[self.pk])

    @property
    def is_published(self) -> bool:
        """Drafts are seen only by those who manage the plan (access.can_view); every other state is public."""
        return self.status != PlanStatus.DRAFT

    @property
    def owner_name(self) -> str:
        if self.municipality_id:
            return self.municipality.full_name
        return f"{self.prefecture.name}（広域）"


class PlanYear(models.Model):
    plan = models.ForeignKey(ImplementationPlan, verbose_name="実装計画", on_delete=models.CASCADE,
                             related_name="years")
    fiscal_year = models.PositiveSmallIntegerField("年度")
    phase = models.CharField("段階", max_length=20, choices=Phase.choices)
    activities = models.TextField("取組内容", blank=True)
    total_cost = models.BigIntegerField("事業費（円）", default=0)
    version = models.PositiveIntegerField("版", default=1)

    class Meta:
        ordering = ["plan", "fiscal_year"]
        constraints = [models.UniqueConstraint(fields=["plan", "fiscal_year"], name="one_plan_year_per_fy")]
        verbose_name = verbose_name_plural = "計画年度"

    def __str__(self):
        return f"{self.fiscal_year}年度（{self.get_phase_display()}）"


class FundingLine(models.Model):
    plan_year = models.ForeignKey(PlanYear, verbose_name="計画年度", on_delete=models.CASCADE,
                                  related_name="lines")
    source_kind = models.CharField("財源の種類", max_length=20, choices=SourceKind.choices, db_index=True)
    program = models.ForeignKey("programs.SupportProgram", verbose_name="支援メニュー", null=True, blank=True,
                                on_delete=models.PROTECT, related_name="funding_lines")
    campaign = models.ForeignKey("funding.Campaign", verbose_name="クラウドファンディング", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="funding_lines")
    donation_project = models.ForeignKey("funding.RevitalisationProject", verbose_name="企業版ふるさと納税の事業",
                                         null=True, blank=True, on_delete=models.PROTECT, related_name="funding_lines")
    label = models.CharField("内訳・名称", max_length=200, blank=True)
    amount = models.BigIntegerField("金額（円）")
    state = models.CharField("状態", max_length=20, choices=FundingState.choices, default=FundingState.PLANNED)
    version = models.PositiveIntegerField("版", default=1)

    class Meta:
        ordering = ["plan_year", "id"]
        verbose_name = verbose_name_plural = "財源"

    def __str__(self):
        name = self.program.name if self.program_id else (self.label or self.get_source_kind_display())
        return f"{name} {self.amount:,}円"


class CampaignModel(models.TextChoices):
    ALL_IN = "all_in", "All-in（目標未達でも実施）"
    ALL_OR_NOTHING = "all_or_nothing", "All-or-Nothing（目標達成時のみ実施）"


class Campaign(models.Model):
    """ふるさと納税型クラウドファンディング. Chiiki takes no payments: the donation page is the municipality's own."""

    municipality = models.ForeignKey("regions.Municipality", verbose_name="実施団体", on_delete=models.PROTECT,
                                     related_name="campaigns")
    plan = models.ForeignKey(ImplementationPlan, verbose_name="実装計画", null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="campaigns")
    title = models.CharField("プロジェクト名", max_length=200)
    use_of_funds = models.TextField("寄附金の使い道")
    target_amount = models.BigIntegerField("目標金額（円）")
    start_date = models.DateField("募集開始日")
    end_date = models.DateField("募集終了日")
    model = models.CharField("方式", max_length=20, choices=CampaignModel.choices, default=CampaignModel.ALL_IN)
    minimum_donation = models.PositiveBigIntegerField("最低寄附額（円）", default=2000)
    gift_description = models.CharField("返礼品", max_length=200, blank=True)
    gift_tier = models.PositiveBigIntegerField("返礼品の対象寄附額（円）", null=True, blank=True)
    gift_cost = models.PositiveBigIntegerField("返礼品の調達費（円）", null=True, blank=True)
    donation_url = models.URLField("寄附ページ（外部）", max_length=500)
    is_demo = models.BooleanField("デモデータ", default=False)
    version = models.PositiveIntegerField("版", default=1)
    created_at = models.DateTimeField("作成日時", auto_now_add=True)
    updated_at = models.DateTimeField("更新日時", auto_now=True)

    class Meta:
        ordering = ["-end_date", "id"]
        verbose_name = verbose_name_plural = "クラウドファンディング"

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("funding:campaign", args=[self.pk])


class Receipt(models.Model):
    """What a campaign raised, as the portal reports it. One row per external 受付番号 (never counted twice)."""

    campaign = models.ForeignKey(Campaign, verbose_name="クラウドファンディング", on_delete=models.CASCADE,
                                 related_name="receipts")
    received_on = models.DateField("受付日")
    amount = models.BigIntegerField("金額（円）")
    count = models.PositiveIntegerField("件数", default=1)
    external_id = models.CharField("受付番号", max_length=100)
    idempotency_key = models.CharField("Idempotency-Key", max_length=200, blank=True)
    created_at = models.DateTimeField("登録日時", auto_now_add=True)

    class Meta:
        ordering = ["received_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "external_id"], name="one_receipt_per_external_id"),
            models.UniqueConstraint(fields=["campaign", "idempotency_key"], name="one_receipt_per_key",
                                    condition=~models.Q(idempotency_key="")),
        ]
        verbose_name = verbose_name_plural = "寄附の受付"

    def __str__(self):
        return f"{self.external_id} {self.amount:,}円"


class CampaignReport(models.Model):
    """A progress report after (or during) a campaign: what the money did."""

    campaign = models.ForeignKey(Campaign, verbose_name="クラウドファンディング", on_delete=models.CASCADE,
                                 related_name="reports")
    posted_on = models.DateField("報告日")
    text = models.TextField("報告")
    created_at = models.DateTimeField("登録日時", auto_now_add=True)

    class Meta:
        ordering = ["-posted_on", "-id"]
        verbose_name = verbose_name_plural = "活動報告"

    def __str__(self):
        return f"{self.posted_on} {self.text[:20]}"


# ---- 企業版ふるさと納税（地方創生応援税制） --------------------------------------------------------------------


class Company(models.Model):
    """A company that donates: 法人番号 (check digit validated) and the 団体コード of its head office."""

    name = models.CharField("法人名", max_length=200)
    corporate_number = models.CharField("法人番号", max_length=13, unique=True)
    head_office = models.ForeignKey("regions.Municipality", verbose_name="本社所在地", on_delete=models.PROTECT,
                                    related_name="head_office_companies")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="登録した利用者", null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="companies")
    is_demo = models.BooleanField("デモデータ", default=False)
    created_at = models.DateTimeField("登録日時", auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = verbose_name_plural = "寄附企業"

    def __str__(self):
        return self.name


class RevitalisationPlan(models.Model):
    """地域再生計画: only projects of a plan approved (認定) and in force for the 年度 can receive donations."""

    municipality = models.ForeignKey("regions.Municipality", verbose_name="策定団体（市区町村）", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="revitalisation_plans")
    prefecture = models.ForeignKey("regions.Prefecture", verbose_name="都道府県", on_delete=models.PROTECT,
                                   related_name="revitalisation_plans")
    name = models.CharField("地域再生計画の名称", max_length=200)
    approved_on = models.DateField("認定日", null=True, blank=True)
    start_year = models.PositiveSmallIntegerField("計画期間（開始年度）")
    end_year = models.PositiveSmallIntegerField("計画期間（終了年度）")
    is_demo = models.BooleanField("デモデータ", default=False)
    version = models.PositiveIntegerField("版", default=1)
    created_at = models.DateTimeField("作成日時", auto_now_add=True)

    class Meta:
        ordering = ["prefecture_id", "municipality_id", "-start_year", "id"]
        verbose_name = verbose_name_plural = "地域再生計画"

    def __str__(self):
        return self.name

    @property
    def owner_name(self) -> str:
        return self.municipality.full_name if self.municipality_id else self.prefecture.name


class RevitalisationProject(models.Model):
    plan = models.ForeignKey(RevitalisationPlan, verbose_name="地域再生計画", on_delete=models.CASCADE,
                             related_name="projects")
    name = models.CharField("事業名", max_length=200)
    sector = models.ForeignKey("roadmap.Sector", verbose_name="分野", on_delete=models.PROTECT,
                               related_name="revitalisation_projects")
    description = models.TextField("事業の概要", blank=True)
    target_amount = models.BigIntegerField("寄附の目標額（円）")
    version = models.PositiveIntegerField("版", default=1)

    class Meta:
        ordering = ["plan", "id"]
        verbose_name = verbose_name_plural = "地域再生計画の事業"

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("funding:project", args=[self.pk])

    # access.manages reads municipality / prefecture_id: the recipient is the plan's owner.
    @property
    def municipality(self):
        return self.plan.municipality

    @property
    def prefecture_id(self):
        return self.plan.prefecture_id


class NonGrantStatus(models.Model):
    """Whether a local government is a 不交付団体 in the 三大都市圏 for a 年度 (excluded from receiving).
    Imported by the national admin; never guessed: a missing row means 要確認."""

    code = models.CharField("団体コード", max_length=6)  # a municipality's code or a prefecture's lg_code
    fiscal_year = models.PositiveSmallIntegerField("年度")
    non_grant = models.BooleanField("不交付団体")
    metropolitan = models.BooleanField("三大都市圏")

    class Meta:
        ordering = ["fiscal_year", "code"]
        constraints = [models.UniqueConstraint(fields=["code", "fiscal_year"], name="one_non_grant_status_per_fy")]
        verbose_name = verbose_name_plural = "不交付団体の区分"

    def __str__(self):
        return f"{self.code} {self.fiscal_year}年度"

    @property
    def excluded(self) -> bool:
        return self.non_grant and self.metropolitan


class TaxCreditSetting(models.Model):
    """The last 年度 the tax credit applies (令和9年度 after the 令和7年度 税制改正); the national admin changes it."""

    credit_end_year = models.PositiveSmallIntegerField("税額控除の適用期限（年度）", default=2027)
    version = models.PositiveIntegerField("版", default=1)

    class Meta:
        verbose_name = verbose_name_plural = "地方創生応援税制の設定"


class PledgeState(models.TextChoices):
    OFFERED = "offered", "申出"
    RECEIVED = "received", "受領"
    CANCELLED = "cancelled", "取消"


class CorporateDonationPledge(models.Model):
    company = models.ForeignKey(Company, verbose_name="企業", on_delete=models.PROTECT, related_name="pledges")
    project = models.ForeignKey(RevitalisationProject, verbose_name="事業", on_delete=models.PROTECT,
                                related_name="pledges")
    amount = models.BigIntegerField("寄附額（円）")
    fiscal_year = models.PositiveSmallIntegerField("年度")
    state = models.CharField("状態", max_length=20, choices=PledgeState.choices, default=PledgeState.OFFERED)
    no_return_declared = models.BooleanField("経済的な見返りを受けないことの申告")
    pledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="申出者", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    idempotency_key = models.CharField("Idempotency-Key", max_length=200, blank=True)
    received_on = models.DateField("受領日", null=True, blank=True)
    is_demo = models.BooleanField("デモデータ", default=False)
    version = models.PositiveIntegerField("版", default=1)
    created_at = models.DateTimeField("申出日時", auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["company", "idempotency_key"], name="one_pledge_per_key",
                                               condition=~models.Q(idempotency_key=""))]
        verbose_name = verbose_name_plural = "企業版ふるさと納税の申出"

    def __str__(self):
        return f"{self.company} → {self.project} {self.amount:,}円"

    def get_absolute_url(self):
        return reverse("funding:pledge", args=[self.pk])
