"""推進体制: the head's commitment, candidate scoring weights and model regions (見本となる地域)."""

from django.conf import settings
from django.db import models
from django.db.models import Func
from django.urls import reverse
from django.utils import timezone

from chiiki.core.text import fold

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
    plans_weight = models.PositiveSmallIntegerField("重み: 公開した実装計画", default=20)
    version = models.PositiveIntegerField("版", default=1)
    updated_at = models.DateTimeField("更新日時", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "候補スコアの重み"

    def __str__(self):
        return (f"人口{self.max_population:,}人以下・実装{self.implemented_weight}・前進{self.progress_weight}"
                f"・コミットメント{self.commitment_weight}・計画{self.plans_weight}")


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


# ---- 推進体制の担い手: organisations and councils ----------------------------------------------------------------

class OrganisationKind(models.TextChoices):
    INDUSTRY = "industry", "業界団体"
    ACADEMIA = "academia", "大学・研究機関"
    NPO = "npo", "NPO・地域団体"
    COMPANY = "company", "企業"
    STARTUP = "startup", "スタートアップ"
    FINANCE = "finance", "金融機関"
    COUNCIL = "council", "協議会"
    GOVERNMENT = "government", "行政機関"


class CodePoint(Func):
    """Text compared code point by code point on every engine, as SQLite and Python do: PostgreSQL's ja-JP ICU
    collation would sort kanji by reading and fold width and case, so pages and exports would differ by engine."""

    template = "%(expressions)s"

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template='%(expressions)s COLLATE "C"', **extra_context)


# By fold(name), then name and id: Meta.ordering, the list and its exports, the organisation <select>s.
ORGANISATION_ORDER = [CodePoint("name_folded"), CodePoint("name"), "id"]


class Organisation(models.Model):
    name = models.CharField("名称", max_length=200)
    # fold(name), kept by save(): search and order ignore width, case and hiragana/katakana alike on every engine.
    # Text, not CharField(200): NFKC can lengthen a name (㍿ → 株式会社).
    name_folded = models.TextField(editable=False, default="")
    kind = models.CharField("種別", max_length=20, choices=OrganisationKind.choices)
    corporate_number = models.CharField("法人番号", max_length=13, blank=True)  # 13 digits, check digit first
    prefecture = models.ForeignKey("regions.Prefecture", verbose_name="所在都道府県", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    sectors = models.ManyToManyField("roadmap.Sector", verbose_name="分野", blank=True, related_name="+")
    website = models.URLField("ウェブサイト", max_length=500, blank=True)
    is_demo = models.BooleanField("デモ", default=False)
    version = models.PositiveIntegerField("版", default=1)
    created_at = models.DateTimeField("登録日時", auto_now_add=True)

    class Meta:
        ordering = ORGANISATION_ORDER
        verbose_name = verbose_name_plural = "組織"
        constraints = [models.UniqueConstraint(fields=["corporate_number"], condition=~models.Q(corporate_number=""),
                                               name="unique_organisation_corporate_number")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("promotion:organisation", args=[self.pk])

    def save(self, *args, **kwargs):
        self.name_folded = fold(self.name)
        super().save(*args, **kwargs)


class OrganisationMember(models.Model):
    """A user (company or startup staff) belongs to one organisation."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name="利用者", on_delete=models.CASCADE,
                                related_name="organisation_membership")
    organisation = models.ForeignKey(Organisation, verbose_name="組織", on_delete=models.CASCADE,
                                     related_name="members")
    created_at = models.DateTimeField("登録日時", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "組織の所属"


class CouncilRole(models.TextChoices):
    CHAIR = "chair", "会長"
    SECRETARIAT = "secretariat", "事務局"
    MEMBER = "member", "会員"


class Council(models.Model):
    """推進協議会 etc.: one per prefecture or municipality (municipality empty = the prefecture's)."""

    name = models.CharField("名称", max_length=200)
    prefecture = models.ForeignKey("regions.Prefecture", verbose_name="都道府県", on_delete=models.PROTECT,
                                   related_name="+")
    municipality = models.ForeignKey("regions.Municipality", verbose_name="市区町村", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    description = models.TextField("概要", blank=True)
    website = models.URLField("ウェブサイト", max_length=500, blank=True)
    is_demo = models.BooleanField("デモ", default=False)
    version = models.PositiveIntegerField("版", default=1)
    created_at = models.DateTimeField("登録日時", auto_now_add=True)

    class Meta:
        ordering = ["prefecture", "municipality", "name"]
        verbose_name = verbose_name_plural = "協議会"

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("promotion:council", args=[self.pk])


class CouncilMembership(models.Model):
    council = models.ForeignKey(Council, verbose_name="協議会", on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, verbose_name="組織", on_delete=models.PROTECT,
                                     related_name="council_memberships")
    role = models.CharField("役割", max_length=20, choices=CouncilRole.choices, default=CouncilRole.MEMBER)
    created_at = models.DateTimeField("登録日時", auto_now_add=True)

    class Meta:
        ordering = ["council", "role", "organisation__name"]
        verbose_name = verbose_name_plural = "協議会の構成員"
        constraints = [models.UniqueConstraint(fields=["council", "organisation"], name="unique_council_member")]

    @property
    def municipality(self):
        return self.council.municipality

    @property
    def prefecture_id(self):
        return self.council.prefecture_id


# ---- 自治体発注・起業家育成: challenges and proposals ----------------------------------------------------------------

class ChallengeStatus(models.TextChoices):
    OPEN = "open", "募集中"
    CLOSED = "closed", "審査中"
    DECIDED = "decided", "決定"
    WITHDRAWN = "withdrawn", "取下げ"


class Challenge(models.Model):
    """A municipality's 課題 for companies and startups."""

    municipality = models.ForeignKey("regions.Municipality", verbose_name="団体", on_delete=models.PROTECT,
                                     related_name="challenges")
    sector = models.ForeignKey("roadmap.Sector", verbose_name="分野", on_delete=models.PROTECT, related_name="+")
    title = models.CharField("課題名", max_length=200)
    problem = models.TextField("解決したい課題")
    requirements = models.TextField("解決策に求めること")
    budget_min = models.PositiveBigIntegerField("予算の下限（円）", null=True, blank=True)
    budget_max = models.PositiveBigIntegerField("予算の上限（円）", null=True, blank=True)
    deadline = models.DateField("提案の締切")
    small_orders = models.BooleanField("少額・分割発注", default=False)
    no_track_record = models.BooleanField("実績要件なし", default=False)
    pilot_first = models.BooleanField("実証から開始", default=False)
    status = models.CharField("状態", max_length=10, choices=ChallengeStatus.choices, default=ChallengeStatus.OPEN)
    selected = models.ForeignKey("Proposal", verbose_name="選定した提案", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    outcome_amount = models.PositiveBigIntegerField("契約金額（円）", null=True, blank=True)
    outcome_published_at = models.DateTimeField("結果の公表日時", null=True, blank=True)
    withdrawal_reason = models.TextField("取下げの理由", blank=True)
    is_demo = models.BooleanField("デモ", default=False)
    version = models.PositiveIntegerField("版", default=1)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="登録者", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("登録日時", auto_now_add=True)

    class Meta:
        ordering = ["deadline", "id"]
        verbose_name = verbose_name_plural = "課題（自治体発注）"

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("promotion:challenge", args=[self.pk])

    @property
    def startup_friendly(self) -> bool:
        return self.small_orders or self.no_track_record or self.pilot_first

    def current_status(self, today=None) -> str:
        """The state as the pages, exports and API say it: an open challenge past its deadline is 審査中 (CLOSED)."""
        # Derived, not stored: the deadline passing is no write, so nothing would ever set CLOSED on the row.
        if self.status == ChallengeStatus.OPEN and self.deadline < (today or timezone.localdate()):
            return ChallengeStatus.CLOSED
        return self.status

    def get_current_status_display(self) -> str:
        return ChallengeStatus(self.current_status()).label

    @property
    def budget_text(self) -> str:
        """The budget range as the pages write it; an open end is named, not shown as 0 or a blank."""
        # A lower bound of 0 bounds nothing: 「0〜1,500,000円」 reads 上限 1,500,000円, a lone 0 as no budget given.
        low, high = (f"{v:,}円" if v is not None else None for v in (self.budget_min or None, self.budget_max))
        if low and high:
            return low if self.budget_min == self.budget_max else f"{low[:-1]}〜{high}"
        if high:
            return f"上限 {high}"
        if low:
            return f"下限 {low}"
        return "—"


class ProposalStatus(models.TextChoices):
    SUBMITTED = "submitted", "提出済み"
    SHORTLISTED = "shortlisted", "候補"
    SELECTED = "selected", "選定"
    NOT_SELECTED = "not_selected", "非選定"


class Proposal(models.Model):
    challenge = models.ForeignKey(Challenge, verbose_name="課題", on_delete=models.CASCADE, related_name="proposals")
    organisation = models.ForeignKey(Organisation, verbose_name="提案した組織", on_delete=models.PROTECT,
                                     related_name="proposals")
    summary = models.TextField("概要")
    approach = models.TextField("進め方")
    cost = models.PositiveBigIntegerField("見積額（円）")
    team = models.TextField("体制")
    status = models.CharField("状態", max_length=20, choices=ProposalStatus.choices, default=ProposalStatus.SUBMITTED)
    is_demo = models.BooleanField("デモ", default=False)
    version = models.PositiveIntegerField("版", default=1)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="提出者", null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("提出日時", auto_now_add=True)

    class Meta:
        ordering = ["challenge", "id"]
        verbose_name = verbose_name_plural = "提案"
        constraints = [models.UniqueConstraint(fields=["challenge", "organisation"], name="unique_proposal_per_org")]

    def __str__(self):
        return f"{self.organisation} → {self.challenge}"

    @property
    def municipality(self):
        return self.challenge.municipality


# ---- 離島・山間部も同じ情報に: events --------------------------------------------------------------------------------

class EventFormat(models.TextChoices):
    ONLINE = "online", "オンライン"
    ONSITE = "onsite", "会場"
    HYBRID = "hybrid", "ハイブリッド"


class Event(models.Model):
    title = models.CharField("名称", max_length=200)
    organiser_organisation = models.ForeignKey(Organisation, verbose_name="主催（組織）", null=True, blank=True,
                                               on_delete=models.PROTECT, related_name="events")
    organiser_municipality = models.ForeignKey("regions.Municipality", verbose_name="主催（自治体）", null=True,
                                               blank=True, on_delete=models.PROTECT, related_name="+")
    organiser_prefecture = models.ForeignKey("regions.Prefecture", verbose_name="主催（都道府県）", null=True,
                                             blank=True, on_delete=models.PROTECT, related_name="+")
    sectors = models.ManyToManyField("roadmap.Sector", verbose_name="分野", blank=True, related_name="+")
    format = models.CharField("開催形式", max_length=10, choices=EventFormat.choices)
    starts_at = models.DateTimeField("開始日時")
    ends_at = models.DateTimeField("終了日時")
    online_url = models.URLField("オンライン参加のURL", max_length=500, blank=True)
    venue = models.CharField("会場", max_length=200, blank=True)
    description = models.TextField("内容", blank=True)
    capacity = models.PositiveIntegerField("定員", null=True, blank=True)  # None: no limit
    recording_url = models.URLField("録画のURL", max_length=500, blank=True)
    materials_url = models.URLField("資料のURL", max_length=500, blank=True)
    is_demo = models.BooleanField("デモ", default=False)
    version = models.PositiveIntegerField("版", default=1)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="登録者", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("登録日時", auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = verbose_name_plural = "イベント・説明会"

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("promotion:event", args=[self.pk])

    @property
    def organiser_name(self) -> str:
        for organiser in (self.organiser_organisation, self.organiser_municipality, self.organiser_prefecture):
            if organiser is not None:
                return getattr(organiser, "full_name", None) or organiser.name
        return ""


class Registration(models.Model):
    event = models.ForeignKey(Event, verbose_name="イベント", on_delete=models.CASCADE, related_name="registrations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="参加者", on_delete=models.CASCADE,
                             related_name="+")
    created_at = models.DateTimeField("申込日時", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "参加申込"
        constraints = [models.UniqueConstraint(fields=["event", "user"], name="unique_event_registration")]


# ---- 実装計画での役割: organisations in implementation plans (chiiki.funding) --------------------------------------

class PlanRole(models.TextChoices):
    OPERATOR = "operator", "運営主体"
    PARTNER = "partner", "連携"
    FUNDER = "funder", "資金提供"


class PlanParticipation(models.Model):
    """An organisation's role in an implementation plan. Kept here, not in funding: the registry of organisations
    is promotion's, and the plan only gains a list (ADR 0017)."""

    plan = models.ForeignKey("funding.ImplementationPlan", verbose_name="実装計画", on_delete=models.CASCADE,
                             related_name="organisation_roles")
    organisation = models.ForeignKey(Organisation, verbose_name="組織", on_delete=models.PROTECT,
                                     related_name="plan_roles")
    role = models.CharField("役割", max_length=20, choices=PlanRole.choices)
    note = models.CharField("担う内容", max_length=200, blank=True)
    is_demo = models.BooleanField("デモ", default=False)
    version = models.PositiveIntegerField("版", default=1)
    created_at = models.DateTimeField("登録日時", auto_now_add=True)

    class Meta:
        ordering = ["plan", "role", "organisation__name", "id"]
        verbose_name = verbose_name_plural = "実装計画での組織の役割"
        constraints = [models.UniqueConstraint(fields=["plan", "organisation", "role"],
                                               name="unique_plan_organisation_role")]

    def __str__(self):
        return f"{self.plan}: {self.organisation}（{self.get_role_display()}）"

    @property
    def municipality(self):
        return self.plan.municipality

    @property
    def prefecture_id(self):
        return self.plan.prefecture_id
