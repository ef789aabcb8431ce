from django.db import models
from django.urls import reverse

from chiiki.core.fiscal import wareki
from chiiki.core.text import fold, fold_kana


def settlement_label(fiscal_year: int) -> str:
    """2021 → 「令和3年度決算」 (how the ministry names the figures of a year's closed accounts)."""
    return f"{wareki(fiscal_year)}度決算"


class MunicipalityKind(models.TextChoices):
    DESIGNATED_CITY = "designated_city", "政令指定都市"
    CORE_CITY = "core_city", "中核市"
    CITY = "city", "市"
    SPECIAL_WARD = "special_ward", "特別区"
    TOWN = "town", "町"
    VILLAGE = "village", "村"


class Prefecture(models.Model):
    code = models.CharField("都道府県コード", max_length=2, primary_key=True)  # JIS X 0401: 01–47
    lg_code = models.CharField("団体コード", max_length=6, unique=True)  # e.g. 130001
    name = models.CharField("名称", max_length=10, unique=True)
    kana = models.CharField("よみ", max_length=30)

    class Meta:
        ordering = ["code"]
        verbose_name = verbose_name_plural = "都道府県"

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("regions:prefecture", args=[self.code])


class MunicipalityQuerySet(models.QuerySet):
    """Keeps the folded copies on the bulk paths too: the register load writes with bulk_create/bulk_update,
    which do not run save()."""

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for obj in objs:
            obj.refresh_folded()
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        for obj in objs:
            obj.refresh_folded()
        return super().bulk_update(objs, with_folded(fields), *args, **kwargs)


# Written field → its folded copy (kept by save() and by MunicipalityQuerySet's bulk writes).
FOLDED_FIELDS = {"name": "name_folded", "kana": "kana_folded"}


def with_folded(fields):
    """fields plus the folded copies of those of them that have one."""
    fields = list(fields)
    return fields + [folded for source, folded in FOLDED_FIELDS.items() if source in fields and folded not in fields]


class Municipality(models.Model):
    code = models.CharField("団体コード", max_length=6, primary_key=True)  # 6 digits with check digit
    name = models.CharField("名称", max_length=30, db_index=True)
    # fold(name): 「青ケ島」 finds 青ヶ島村 (official names write ヶ and ケ both ways). Text, not CharField(30): NFKC
    # can lengthen a name.
    name_folded = models.TextField(editable=False, default="", db_index=True)
    kana = models.CharField("よみ", max_length=60)
    kana_folded = models.CharField(max_length=60, editable=False, db_index=True)  # small kana folded, for search
    prefecture = models.ForeignKey(Prefecture, verbose_name="都道府県", on_delete=models.PROTECT,
                                   related_name="municipalities")
    kind = models.CharField("区分", max_length=20, choices=MunicipalityKind.choices, db_index=True)
    lat = models.FloatField("役所の緯度", null=True, blank=True)
    lng = models.FloatField("役所の経度", null=True, blank=True)
    population = models.PositiveIntegerField("人口", null=True, blank=True)
    population_year = models.PositiveSmallIntegerField("人口の基準年", null=True, blank=True)
    population_source = models.CharField("人口の出典", max_length=200, blank=True)
    area_km2 = models.DecimalField("面積（km²）", max_digits=10, decimal_places=2, null=True, blank=True)
    area_source = models.CharField("面積の出典", max_length=200, blank=True)
    # Attributes the municipality itself maintains; None means unknown (never guessed). 財政力指数 is also loaded
    # from the ministry's 主要財政指標 (its 決算年度 and source kept beside it); an officer's edit replaces both.
    fiscal_strength_index = models.DecimalField("財政力指数", max_digits=4, decimal_places=2, null=True, blank=True)
    fiscal_strength_year = models.PositiveSmallIntegerField("財政力指数の決算年度", null=True, blank=True)
    fiscal_strength_source = models.CharField("財政力指数の出典", max_length=200, blank=True)
    # The other 主要財政指標, always from one published table (決算年度 + source shared by the four).
    ordinary_balance_ratio = models.DecimalField("経常収支比率（%）", max_digits=5, decimal_places=1, null=True,
                                                 blank=True)
    real_debt_service_ratio = models.DecimalField("実質公債費比率（%）", max_digits=5, decimal_places=1, null=True,
                                                  blank=True)
    future_burden_ratio = models.DecimalField("将来負担比率（%）", max_digits=5, decimal_places=1, null=True,
                                              blank=True)
    # The ministry prints 「-」 when there is no future burden (the ratio is negative and not published).
    future_burden_none = models.BooleanField("将来負担なし", default=False)
    laspeyres_index = models.DecimalField("ラスパイレス指数", max_digits=5, decimal_places=1, null=True, blank=True)
    fiscal_indices_year = models.PositiveSmallIntegerField("財政指標の決算年度", null=True, blank=True)
    fiscal_indices_source = models.CharField("財政指標の出典", max_length=200, blank=True)
    depopulated = models.BooleanField("過疎地域", null=True, blank=True)
    remote_island = models.BooleanField("離島地域", null=True, blank=True)
    mountainous = models.BooleanField("中山間地域", null=True, blank=True)
    neighbours = models.ManyToManyField("self", verbose_name="隣接団体", symmetrical=True, blank=True)
    boundary = models.JSONField("境界（GeoJSON geometry）", null=True, blank=True, editable=False)
    # Optimistic concurrency for the attribute edit form: bumped by every attribute/import write.
    version = models.PositiveIntegerField("版", default=1, editable=False)

    objects = MunicipalityQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = verbose_name_plural = "市区町村"

    def __str__(self):
        return self.name

    @property
    def full_name(self) -> str:
        return f"{self.prefecture.name}{self.name}"

    @property
    def code5(self) -> str:
        return self.code[:5]

    def get_absolute_url(self):
        return reverse("regions:municipality", args=[self.code])

    @property
    def fiscal_strength_label(self) -> str:
        """「令和3年度決算」 for a published figure; the source for one an officer entered."""
        if self.fiscal_strength_year:
            return settlement_label(self.fiscal_strength_year)
        return self.fiscal_strength_source

    @property
    def fiscal_indices_label(self) -> str:
        return settlement_label(self.fiscal_indices_year) if self.fiscal_indices_year else ""

    def refresh_folded(self) -> None:
        self.name_folded = fold(self.name)
        self.kana_folded = fold_kana(self.kana)

    def save(self, *args, **kwargs):
        self.refresh_folded()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = with_folded(kwargs["update_fields"])
        super().save(*args, **kwargs)


class BoundaryFile(models.Model):
    """A loaded TopoJSON file as served to maps, with where it came from."""

    name = models.CharField(max_length=30, primary_key=True)  # "municipalities" | "prefectures"
    topojson = models.TextField()
    sha256 = models.CharField(max_length=64)
    source = models.CharField(max_length=300)
    loaded_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "境界データ"
