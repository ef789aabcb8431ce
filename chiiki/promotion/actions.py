"""Every write of the promotion area: permission, validation, one transaction, history, data-version bump."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone

from chiiki import access
from chiiki.core import history
from chiiki.core.errors import Conflict, Invalid
from chiiki.core.fiscal import InvalidFiscalYear, current_fiscal_year, parse_fiscal_year
from chiiki.core.text import control_character_problem
from chiiki.roadmap.models import Sector

from .models import Commitment, ModelRegion, ScoringWeights

AREA = "promotion"
_URL = URLValidator(schemes=["http", "https"])
MAX_WEIGHT = 100
MAX_POPULATION_LIMIT = 10_000_000
FIRST_DESIGNATION_YEAR = 2016  # the roadmap (地域IoT実装推進ロードマップ) dates from 2016


def _signed_in(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _text(problems, field, raw, label, max_length, *, required=True) -> str:
    value = (raw or "").strip() if isinstance(raw, str) or raw is None else str(raw)
    problem = control_character_problem(value)
    if problem:
        problems.append((field, f"{label}に{problem}"))
    elif required and not value:
        problems.append((field, f"{label}を入力してください"))
    elif len(value) > max_length:
        problems.append((field, f"{label}は{max_length}文字以内で入力してください"))
    return value


def _url(problems, field, raw, label) -> str:
    value = (raw or "").strip()
    if not value:
        problems.append((field, f"{label}を入力してください"))
        return value
    if len(value) > 500:
        problems.append((field, f"{label}は500文字以内で入力してください"))
        return value
    try:
        _URL(value)
    except ValidationError:
        problems.append((field, f"{label}は http:// または https:// で始まるURLを入力してください"))
    return value


def _date(problems, field, raw, label) -> dt.date | None:
    if isinstance(raw, dt.date):
        value = raw
    else:
        try:
            value = dt.date.fromisoformat((raw or "").strip())
        except ValueError:
            problems.append((field, f"{label}は YYYY-MM-DD の形式で入力してください"))
            return None
    if value > timezone.localdate():
        problems.append((field, f"{label}に未来の日付は入力できません"))
    return value


def _version(raw) -> int:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise Invalid([("version", "版（version）が必要です")]) from None
    if value < 0:
        raise Invalid([("version", "版（version）が正しくありません")])
    return value


# ---- 首長のコミットメント ------------------------------------------------------------------------------------------

COMMITMENT_FIELDS = ("declared_on", "title", "document_url", "version")


def _commitment_snapshot(c: Commitment) -> dict:
    return history.snapshot(c, ["municipality_id", *COMMITMENT_FIELDS])


def clean_commitment(declared_on, title, document_url) -> dict:
    problems = []
    cleaned = {"declared_on": _date(problems, "declared_on", declared_on, "表明日"),
               "title": _text(problems, "title", title, "表明の内容", 200),
               "document_url": _url(problems, "document_url", document_url, "文書のURL")}
    if problems:
        raise Invalid(problems)
    return cleaned


def record_commitment(actor, municipality, *, declared_on, title, document_url, is_demo=False,
                      source: str = history.WEB) -> Commitment:
    """The municipality (its staff, its prefecture, the admin) records its head's declaration."""
    access.require(actor, "promotion.record_commitment", municipality)
    cleaned = clean_commitment(declared_on, title, document_url)
    with transaction.atomic():
        commitment = Commitment.objects.create(municipality=municipality, created_by=_signed_in(actor),
                                               is_demo=is_demo, **cleaned)
        history.record(actor, history.CREATE, commitment, None, _commitment_snapshot(commitment),
                       municipality=municipality, source=source)
        history.bump(AREA)
    return commitment


def delete_commitment(actor, commitment: Commitment, *, version, source: str = history.WEB) -> None:
    access.require(actor, "promotion.record_commitment", commitment.municipality)
    version = _version(version)
    with transaction.atomic():
        current = Commitment.objects.select_for_update().order_by().filter(pk=commitment.pk).first()
        if current is None or current.version != version:
            raise Conflict(current=current)
        history.record(actor, history.DELETE, current, _commitment_snapshot(current), None,
                       municipality=commitment.municipality, source=source)
        current.delete()
        history.bump(AREA)


# ---- candidate score weights ------------------------------------------------------------------------------------

WEIGHT_FIELDS = ("max_population", "implemented_weight", "progress_weight", "commitment_weight")
WEIGHT_LABELS = {"max_population": "対象とする人口の上限", "implemented_weight": "実装の重み",
                 "progress_weight": "前進の重み", "commitment_weight": "コミットメントの重み"}


def clean_weights(data: dict) -> dict:
    problems, cleaned = [], {}
    for name in WEIGHT_FIELDS:
        raw = data.get(name)
        try:
            value = int(str(raw).strip())
        except (TypeError, ValueError):
            problems.append((name, f"{WEIGHT_LABELS[name]}は整数で入力してください"))
            continue
        high = MAX_POPULATION_LIMIT if name == "max_population" else MAX_WEIGHT
        low = 1 if name == "max_population" else 0
        if not low <= value <= high:
            problems.append((name, f"{WEIGHT_LABELS[name]}は{low:,}〜{high:,}の範囲で入力してください"))
            continue
        cleaned[name] = value
    if not problems and cleaned["implemented_weight"] + cleaned["progress_weight"] + cleaned["commitment_weight"] == 0:
        problems.append(("implemented_weight", "重みの合計は1以上にしてください"))
    if problems:
        raise Invalid(problems)
    return cleaned


def save_weights(actor, data: dict, *, version, source: str = history.WEB) -> ScoringWeights:
    """National admin only. `version` is the version the admin saw (0 before the first save)."""
    access.require(actor, "promotion.manage")
    version = _version(version)
    cleaned = clean_weights(data)
    with transaction.atomic():
        current = ScoringWeights.objects.select_for_update().order_by().filter(pk=1).first()
        if (current.version if current else 0) != version:
            raise Conflict(current=current)
        if current is None:
            current = ScoringWeights(pk=1, version=1, **cleaned)
            current.save()
            history.record(actor, history.CREATE, current, None, history.snapshot(current, [*WEIGHT_FIELDS, "version"]),
                           source=source, object_repr="候補スコアの重み")
        else:
            before = history.snapshot(current, [*WEIGHT_FIELDS, "version"])
            if all(getattr(current, k) == v for k, v in cleaned.items()):
                return current
            for name, value in cleaned.items():
                setattr(current, name, value)
            current.version += 1
            current.save()
            history.record(actor, history.UPDATE, current, before,
                           history.snapshot(current, [*WEIGHT_FIELDS, "version"]), source=source,
                           object_repr="候補スコアの重み")
        history.bump(AREA)
    return current


# ---- model regions ----------------------------------------------------------------------------------------------

def _region_snapshot(region: ModelRegion) -> dict:
    return {**history.snapshot(region, ["municipality_id", "fiscal_year", "package_name", "story", "version"]),
            "sectors": sorted(region.sectors.values_list("code", flat=True))}


def clean_designation(fiscal_year, sectors, story, package_name) -> dict:
    problems = []
    year = None
    try:
        year = parse_fiscal_year(fiscal_year)
        if not FIRST_DESIGNATION_YEAR <= year <= current_fiscal_year() + 1:
            problems.append(("fiscal_year", f"指定年度は{FIRST_DESIGNATION_YEAR}〜{current_fiscal_year() + 1}年度の範囲で入力してください"))
    except InvalidFiscalYear as exc:
        problems.append(("fiscal_year", str(exc)))
    codes = [s for s in (sectors or []) if s]
    known = set(Sector.objects.filter(code__in=codes).values_list("code", flat=True))
    if not codes:
        problems.append(("sectors", "対象分野を1つ以上選んでください"))
    elif set(codes) - known:
        problems.append(("sectors", f"分野が正しくありません: {', '.join(sorted(set(codes) - known))}"))
    cleaned = {"fiscal_year": year, "sectors": sorted(set(codes)),
               "story": _text(problems, "story", story, "取組の紹介", 4000),
               "package_name": _text(problems, "package_name", package_name, "パッケージ名", 100, required=False)}
    if problems:
        raise Invalid(problems)
    return cleaned


def designate(actor, municipality, *, fiscal_year, sectors, story, package_name="", is_demo=False,
              source: str = history.WEB) -> ModelRegion:
    """National admin: designate a municipality as 見本となる地域 for a 年度."""
    access.require(actor, "promotion.manage")
    cleaned = clean_designation(fiscal_year, sectors, story, package_name)
    sector_codes = cleaned.pop("sectors")
    try:
        with transaction.atomic():
            region = ModelRegion.objects.create(municipality=municipality, designated_by=_signed_in(actor),
                                                is_demo=is_demo, **cleaned)
            region.sectors.set(sector_codes)
            history.record(actor, history.CREATE, region, None, _region_snapshot(region),
                           municipality=municipality, source=source)
            history.bump(AREA)
    except IntegrityError:
        raise Invalid([("fiscal_year", f"{municipality.name}は{cleaned['fiscal_year']}年度に既に指定されています")]) from None
    return region


def update_designation(actor, region: ModelRegion, *, sectors, story, package_name="", version,
                       source: str = history.WEB) -> ModelRegion:
    access.require(actor, "promotion.manage")
    version = _version(version)
    cleaned = clean_designation(region.fiscal_year, sectors, story, package_name)
    with transaction.atomic():
        current = ModelRegion.objects.select_for_update().order_by().filter(pk=region.pk).first()
        if current is None or current.version != version:
            raise Conflict(current=current)
        before = _region_snapshot(current)
        current.story, current.package_name = cleaned["story"], cleaned["package_name"]
        current.version += 1
        current.save()
        current.sectors.set(cleaned["sectors"])
        history.record(actor, history.UPDATE, current, before, _region_snapshot(current),
                       municipality=current.municipality, source=source)
        history.bump(AREA)
    return current


def revoke_designation(actor, region: ModelRegion, *, version, source: str = history.WEB) -> None:
    access.require(actor, "promotion.manage")
    version = _version(version)
    with transaction.atomic():
        current = ModelRegion.objects.select_for_update().order_by().filter(pk=region.pk).first()
        if current is None or current.version != version:
            raise Conflict(current=current)
        history.record(actor, history.DELETE, current, _region_snapshot(current), None,
                       municipality=current.municipality, source=source)
        current.delete()
        history.bump(AREA)
