"""人材: the 「できること」 vocabulary, talent profiles, 派遣依頼 (requests) and their dispatch records.

A request is the spine row of this app: municipality × sector × 年度 (fiscal_year), like a progress record.
Contact details (email, phone) live only on TalentProfile and are shown through chiiki.access
("talent.view_contact"); history snapshots never carry them nor the person's name (actions.PROFILE_FIELDS).
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from chiiki.core.text import fold

COMMON_SECTOR = "common"  # 共通: capabilities useful in every sector (not a roadmap Sector row)
COMMON_LABEL = "共通"


class Capability(models.Model):
    """One 「できること」 item of data/capabilities.csv (stable public id, e.g. CAP-EDU-01)."""

    id = models.CharField("ID", primary_key=True, max_length=20)
    sector = models.CharField("分野", max_length=20, db_index=True)  # a Sector code or "common"
    label = models.CharField("できること", max_length=120, unique=True)
    synonyms = models.TextField("同義語（;区切り）", blank=True)
    sector_models = models.TextField("分野別モデル（;区切り）", blank=True)
    order = models.PositiveIntegerField("表示順", default=0)
    version = models.PositiveIntegerField("版", default=1)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = verbose_name_plural = "できること"

    def __str__(self):
        return self.label

    @property
    def synonym_list(self) -> list[str]:
        return [s for s in self.synonyms.split(";") if s]


class Kind(models.TextChoices):
    REGIONAL_IT_ADVISOR = "regional_it_advisor", "地域情報化アドバイザー"
    REGIONAL_POWER_ADVISOR = "regional_power_advisor", "地域力創造アドバイザー"
    ICT_TALENT = "ict_talent", "ICT人材（I・Uターン希望を含む）"
    PROGRAMMING_INSTRUCTOR = "programming_instructor", "プログラミング教育の外部講師"
    CARE_ICT = "care_ict", "医療・介護・コメディカルのICT人材"
    ENTREPRENEUR = "entrepreneur", "起業家・スタートアップ"
    COMPANY_STAFF = "company_staff", "企業の派遣人材"


class TalentProfile(models.Model):
    # The change history records the profile's capabilities (rows of ProfileCapability) under this name.
    history_labels = {"capabilities": "できること"}

    display_name = models.CharField("表示名", max_length=100)
    kind = models.CharField("種別", max_length=30, choices=Kind.choices)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name="本人のアカウント", null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="talent_profile")
    external_id = models.CharField("名簿ID", max_length=40, unique=True, null=True, blank=True)
    sectors = models.JSONField("分野", default=list, blank=True)  # sector codes
    home_prefecture = models.ForeignKey("regions.Prefecture", verbose_name="活動拠点の都道府県", null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="+")
    prefectures_served = models.ManyToManyField("regions.Prefecture", verbose_name="対応できる都道府県", blank=True,
                                                related_name="+")
    online_available = models.BooleanField("オンライン対応", default=False)
    uturn_intention = models.BooleanField("I・Uターンの希望", default=False)
    uturn_prefectures = models.ManyToManyField("regions.Prefecture", verbose_name="I・Uターン希望先", blank=True,
                                               related_name="+")
    available_days = models.DecimalField("年度内に対応できる日数", max_digits=5, decimal_places=1, default=0)
    available_hours = models.DecimalField("年度内に対応できる時間（オンライン）", max_digits=6, decimal_places=1,
                                          default=0)
    public_profile = models.TextField("公開プロフィール", blank=True)
    # fold(display_name + public_profile), kept by save(): the profile search ignores width, case and
    # hiragana/katakana on every engine (icontains folds ASCII case only, and only on some engines).
    search_folded = models.TextField(editable=False, default="")
    email = models.EmailField("メールアドレス", blank=True)
    phone = models.CharField("電話番号", max_length=30, blank=True)
    is_demo = models.BooleanField("デモ", default=False)
    version = models.PositiveIntegerField("版", default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name = verbose_name_plural = "人材"

    def __str__(self):
        return f"人材 #{self.pk}"  # never the name: history rows use this (privacy)

    def save(self, *args, **kwargs):
        self.search_folded = fold(f"{self.display_name} {self.public_profile}")
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"display_name", "public_profile"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "search_folded"}
        super().save(*args, **kwargs)


class Level(models.IntegerChoices):
    BASIC = 1, "支援を受けながらできる"
    ABLE = 2, "ひとりでできる"
    EXPERT = 3, "指導できる"


class ProfileCapability(models.Model):
    profile = models.ForeignKey(TalentProfile, on_delete=models.CASCADE, related_name="skills")
    capability = models.ForeignKey(Capability, on_delete=models.PROTECT, related_name="skills")
    level = models.PositiveSmallIntegerField("自己評価", choices=Level.choices, default=Level.ABLE)
    evidence = models.CharField("根拠（実績・資格など）", max_length=300, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["profile", "capability"], name="talent_skill_unique")]
        indexes = [models.Index(fields=["capability", "profile"], name="talent_skill_cap_idx")]
        verbose_name = verbose_name_plural = "人材のできること"


class ApplicationRound(models.Model):
    """A monthly round of the 地域情報化アドバイザー scheme: applications close at 15:00 JST on `deadline`."""

    fiscal_year = models.PositiveIntegerField("年度")
    number = models.PositiveSmallIntegerField("回")
    deadline = models.DateField("締切日（15時締切）")
    version = models.PositiveIntegerField("版", default=1)

    class Meta:
        ordering = ["deadline"]
        constraints = [models.UniqueConstraint(fields=["fiscal_year", "number"], name="talent_round_unique")]
        verbose_name = verbose_name_plural = "募集回"

    def __str__(self):
        return f"{self.fiscal_year}年度 第{self.number}回（{self.deadline:%m月%d日}15時締切）"


class Format(models.TextChoices):
    ONSITE = "onsite", "現地"
    ONLINE = "online", "オンライン"
    MIXED = "mixed", "併用"


class Status(models.TextChoices):
    DRAFT = "draft", "下書き"
    SUBMITTED = "submitted", "申請"
    RECEIVED = "received", "受付"
    PROPOSED = "proposed", "候補提示"
    ASKED = "asked", "依頼中"
    ACCEPTED = "accepted", "承諾"
    DECLINED = "declined", "辞退"
    DISPATCHING = "dispatching", "派遣中"
    REPORTED = "reported", "報告提出"
    RATED = "rated", "評価済"
    COMPLETED = "completed", "完了"
    WITHDRAWN = "withdrawn", "取下げ"
    REJECTED = "rejected", "不採択"


# States in which the dispatch with `talent` stands approved (the talent accepted): the municipality may then see
# the person's contact details (chiiki.access "talent.view_contact").
APPROVED_STATES = (Status.ACCEPTED, Status.DISPATCHING, Status.REPORTED, Status.RATED, Status.COMPLETED)
OPEN_STATES = (Status.SUBMITTED, Status.RECEIVED, Status.PROPOSED, Status.ASKED, Status.DECLINED)


class TalentRequest(models.Model):
    """派遣依頼: 「○○ができる人」 wanted by a municipality for a project with a vision (目指す姿)."""

    municipality = models.ForeignKey("regions.Municipality", verbose_name="依頼団体", on_delete=models.PROTECT,
                                     related_name="talent_requests")
    organisation = models.CharField("推薦する団体（団体以外が受ける場合）", max_length=200, blank=True)
    sector = models.ForeignKey("roadmap.Sector", verbose_name="分野", on_delete=models.PROTECT, related_name="+")
    fiscal_year = models.PositiveIntegerField("年度", db_index=True)
    title = models.CharField("求める人（○○ができる人）", max_length=200)
    vision = models.TextField("目指す姿")
    required = models.ManyToManyField(Capability, verbose_name="必須のできること", related_name="required_by")
    desired = models.ManyToManyField(Capability, verbose_name="あれば望ましいできること", blank=True,
                                     related_name="desired_by")
    format = models.CharField("実施形態", max_length=10, choices=Format.choices, default=Format.MIXED)
    preferred_from = models.DateField("希望時期（から）", null=True, blank=True)
    preferred_to = models.DateField("希望時期（まで）", null=True, blank=True)
    plan_url = models.URLField("実装計画のURL", blank=True)
    # The plan on this platform the dispatch serves (the municipality's own, or a wide-area plan it takes part in);
    # plan_url stays for a plan published elsewhere.
    plan = models.ForeignKey("funding.ImplementationPlan", verbose_name="実装計画", null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="talent_requests")
    status = models.CharField("状態", max_length=12, choices=Status.choices, default=Status.DRAFT, db_index=True)
    round = models.ForeignKey(ApplicationRound, verbose_name="募集回", null=True, blank=True,
                              on_delete=models.PROTECT, related_name="requests")
    talent = models.ForeignKey(TalentProfile, verbose_name="依頼した人材", null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="requests")
    talent_label = models.CharField("人材の表示名（記録用）", max_length=100, blank=True)
    reason = models.TextField("理由（取下げ・不採択・辞退）", blank=True)
    submitted_at = models.DateTimeField("申請日時", null=True, blank=True)
    rating = models.PositiveSmallIntegerField("評価", null=True, blank=True,
                                              validators=[MinValueValidator(1), MaxValueValidator(5)])
    rating_comment = models.TextField("評価コメント", blank=True)
    completed_at = models.DateTimeField("完了日時", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    is_demo = models.BooleanField("デモ", default=False)
    version = models.PositiveIntegerField("版", default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = verbose_name_plural = "派遣依頼"
        indexes = [models.Index(fields=["status", "fiscal_year"], name="talent_request_state_idx")]

    def __str__(self):
        return f"{self.municipality.name} {self.title}"


class VisitMode(models.TextChoices):
    ONSITE = "onsite", "現地"
    ONLINE = "online", "オンライン"


class Visit(models.Model):
    request = models.ForeignKey(TalentRequest, on_delete=models.CASCADE, related_name="visits")
    date = models.DateField("日付")
    hours = models.DecimalField("時間", max_digits=4, decimal_places=1)
    mode = models.CharField("形態", max_length=10, choices=VisitMode.choices)
    participants = models.PositiveIntegerField("参加者数", default=0)
    note = models.CharField("内容", max_length=300, blank=True)

    class Meta:
        ordering = ["date", "id"]
        verbose_name = verbose_name_plural = "訪問・オンライン支援の記録"


class DispatchReport(models.Model):
    """The talent's report: what was done, what was handed over to whom (ノウハウの引継ぎ), next steps."""

    request = models.OneToOneField(TalentRequest, on_delete=models.CASCADE, related_name="report")
    done = models.TextField("実施内容")
    handed_over_to = models.TextField("引継ぎ先（誰に何を引き継いだか）")
    gained = models.ManyToManyField(Capability, verbose_name="職員が自らできるようになったこと", blank=True,
                                    related_name="gained_in")
    next_steps = models.TextField("今後の取組", blank=True)
    submitted_at = models.DateTimeField("提出日時", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "派遣の報告"
