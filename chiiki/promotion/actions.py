"""Every write of the promotion area: permission, validation, one transaction, history, data-version bump."""

import datetime as dt
import unicodedata

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from chiiki import access
from chiiki.core import db, editing, history
from chiiki.core.errors import Conflict, Invalid
from chiiki.core.fiscal import InvalidFiscalYear, current_fiscal_year, parse_fiscal_year
from chiiki.core.forms import row_id
from chiiki.core.text import control_character_problem, nfkc
from chiiki.roadmap.models import Sector

from . import corporate_number, notify
from .models import (
    Challenge,
    ChallengeStatus,
    Commitment,
    Council,
    CouncilMembership,
    CouncilRole,
    Event,
    EventFormat,
    ModelRegion,
    Organisation,
    OrganisationKind,
    OrganisationMember,
    PlanParticipation,
    PlanRole,
    Proposal,
    ProposalStatus,
    Registration,
    ScoringWeights,
)

AREA = "promotion"
_URL = URLValidator(schemes=["http", "https"])
MAX_WEIGHT = 100
MAX_POPULATION_LIMIT = 10_000_000
MAX_CAPACITY = 1_000_000
FIRST_DESIGNATION_YEAR = 2016  # the roadmap (地域IoT実装推進ロードマップ) dates from 2016
# The years an event's times and a challenge's deadline may fall in: a date a person can keep, whose neighbours
# (the next day of an all-day calendar entry, the moment in UTC) exist too.
FIRST_SCHEDULED_YEAR, LAST_SCHEDULED_YEAR = 2000, 2100


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
    version = editing.require_version(version)
    with transaction.atomic():
        current = editing.lock(Commitment.objects, commitment.pk, version)
        history.record(actor, history.DELETE, current, _commitment_snapshot(current), None,
                       municipality=commitment.municipality, source=source)
        current.delete()
        history.bump(AREA)
    return current


# ---- candidate score weights ------------------------------------------------------------------------------------

WEIGHT_FIELDS = ("max_population", "implemented_weight", "progress_weight", "commitment_weight", "plans_weight")
WEIGHT_LABELS = {"max_population": "対象とする人口の上限", "implemented_weight": "実装の重み",
                 "progress_weight": "前進の重み", "commitment_weight": "コミットメントの重み",
                 "plans_weight": "計画の重み"}


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
    if not problems and sum(cleaned[name] for name in WEIGHT_FIELDS if name != "max_population") == 0:
        problems.append(("implemented_weight", "重みの合計は1以上にしてください"))
    if problems:
        raise Invalid(problems)
    return cleaned


def save_weights(actor, data: dict, *, version, source: str = history.WEB) -> ScoringWeights:
    """National admin only. `version` is the version the admin saw (0 before the first save)."""
    access.require(actor, "promotion.manage")
    version = editing.require_version(version)
    cleaned = clean_weights(data)
    try:
        return _write_weights(actor, cleaned, version, source)
    except IntegrityError as exc:
        db.duplicate_or_raise(exc)
        # Two first saves at once (both saw no row, version 0): the one that inserted second lost, as a stale version.
        raise Conflict(current=ScoringWeights.objects.filter(pk=1).first()) from None


def _write_weights(actor, cleaned: dict, version: int, source: str) -> ScoringWeights:
    with transaction.atomic():
        current = ScoringWeights.objects.select_for_update().order_by().filter(pk=1).first()
        if current is None and version != 0:  # 0 = the admin saw the defaults (no row yet)
            raise Conflict(current=None)
        if current is None:
            current = ScoringWeights(pk=1, version=1, **cleaned)
            # An INSERT, never Django's UPDATE-then-INSERT for a set pk: a concurrent first save that committed
            # meanwhile would be silently overwritten by the UPDATE; the INSERT meets its row and loses (409).
            current.save(force_insert=True)
            history.record(actor, history.CREATE, current, None, history.snapshot(current, [*WEIGHT_FIELDS, "version"]),
                           source=source, object_repr="候補スコアの重み")
        else:
            editing.check_version(current, version)
            before = editing.apply(current, [*WEIGHT_FIELDS, "version"], cleaned)
            if before is None:
                return current
            current.save()
            history.record(actor, history.UPDATE, current, before,
                           history.snapshot(current, [*WEIGHT_FIELDS, "version"]), source=source,
                           object_repr="候補スコアの重み")
        history.bump(AREA)
    return current


# ---- model regions ----------------------------------------------------------------------------------------------

REGION_FIELDS = ("municipality_id", "fiscal_year", "package_name", "story", "version")


def _region_snapshot(region: ModelRegion) -> dict:
    return {**history.snapshot(region, REGION_FIELDS),
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
    except IntegrityError as exc:
        db.duplicate_or_raise(exc)
        raise Invalid([("fiscal_year", f"{municipality.name}は{cleaned['fiscal_year']}年度に既に指定されています")]) from None
    return region


def update_designation(actor, region: ModelRegion, *, sectors, story, package_name="", version,
                       source: str = history.WEB) -> ModelRegion:
    access.require(actor, "promotion.manage")
    version = editing.require_version(version)
    cleaned = clean_designation(region.fiscal_year, sectors, story, package_name)
    with transaction.atomic():
        current = editing.lock(ModelRegion.objects, region.pk, version)
        before = _region_snapshot(current)
        changed = editing.apply(current, REGION_FIELDS, {"story": cleaned["story"],
                                                         "package_name": cleaned["package_name"]})
        if changed is None and before["sectors"] == cleaned["sectors"]:
            return current  # nothing changed: no save, no history
        if changed is None:
            current.version += 1  # only the sectors changed
        current.save()
        current.sectors.set(cleaned["sectors"])
        history.record(actor, history.UPDATE, current, before, _region_snapshot(current),
                       municipality=current.municipality, source=source)
        history.bump(AREA)
    return current


def revoke_designation(actor, region: ModelRegion, *, version, source: str = history.WEB) -> None:
    access.require(actor, "promotion.manage")
    version = editing.require_version(version)
    with transaction.atomic():
        current = editing.lock(ModelRegion.objects, region.pk, version)
        history.record(actor, history.DELETE, current, _region_snapshot(current), None,
                       municipality=current.municipality, source=source)
        current.delete()
        history.bump(AREA)
    return current


# ---- organisations and councils -----------------------------------------------------------------------------------

def _bool(raw) -> bool:
    return raw is True or str(raw).strip().lower() in ("1", "true", "on", "yes")


def _optional_url(problems, field, raw, label) -> str:
    return _url(problems, field, raw, label) if (raw or "").strip() else ""


def _choice(problems, field, raw, choices, label) -> str:
    if raw not in choices.values:
        problems.append((field, f"{label}を選んでください"))
    return raw


def _sector_codes(problems, raw, *, required=False) -> list[str]:
    codes = sorted({s for s in (raw or []) if s})
    unknown = set(codes) - set(Sector.objects.filter(code__in=codes).values_list("code", flat=True))
    if unknown:
        problems.append(("sectors", f"分野が正しくありません: {', '.join(sorted(unknown))}"))
    elif required and not codes:
        problems.append(("sectors", "分野を1つ以上選んでください"))
    return codes


def _prefecture(problems, raw, *, required=False):
    from chiiki.regions.models import Prefecture

    code = (raw or "").strip()
    if not code:
        if required:
            problems.append(("prefecture", "都道府県を選んでください"))
        return None
    found = Prefecture.objects.filter(pk=code.zfill(2)).first()
    if found is None:
        problems.append(("prefecture", f"都道府県コードが正しくありません: {code}"))
    return found


def _municipality(problems, raw, field="municipality"):
    from chiiki.core.codes import InvalidCode, normalize_code
    from chiiki.regions.models import Municipality

    code = (raw or "").strip()
    if not code:
        return None
    try:
        found = Municipality.objects.filter(pk=normalize_code(code)).first()
    except InvalidCode as exc:
        problems.append((field, f"団体コードが正しくありません: {exc}"))
        return None
    if found is None:
        problems.append((field, f"団体コード {code} の市区町村は登録されていません"))
    return found


ORGANISATION_FIELDS = ("name", "kind", "corporate_number", "prefecture_id", "website", "version")


def _organisation_snapshot(o: Organisation) -> dict:
    return {**history.snapshot(o, ORGANISATION_FIELDS), "sectors": sorted(o.sectors.values_list("code", flat=True))}


TAKEN_CORPORATE_NUMBER = "この法人番号の組織は既に登録されています"


def clean_organisation(data: dict, *, exclude_pk=None) -> dict:
    problems = []
    cleaned = {"name": _text(problems, "name", data.get("name"), "名称", 200),
               "kind": _choice(problems, "kind", data.get("kind"), OrganisationKind, "種別"),
               "prefecture": _prefecture(problems, data.get("prefecture")),
               "website": _optional_url(problems, "website", data.get("website"), "ウェブサイト"),
               "sectors": _sector_codes(problems, data.get("sectors"))}
    try:
        cleaned["corporate_number"] = corporate_number.clean(data.get("corporate_number") or "")
    except ValueError as exc:
        problems.append(("corporate_number", str(exc)))
    else:
        taken = Organisation.objects.filter(corporate_number=cleaned["corporate_number"]).exclude(pk=exclude_pk)
        if cleaned["corporate_number"] and taken.exists():
            problems.append(("corporate_number", TAKEN_CORPORATE_NUMBER))
    if problems:
        raise Invalid(problems)
    return cleaned


def save_organisation(actor, organisation: Organisation | None, data: dict, *, version=None, is_demo=False,
                      source: str = history.WEB) -> Organisation:
    """Create (organisation=None; a company user creating one without an organisation becomes its member) or
    update (members and the admin; `version` required)."""
    if organisation is None:
        access.require(actor, "promotion.organisation_create")
    else:
        access.require(actor, "promotion.organisation_edit", organisation)
        version = editing.require_version(version)
    cleaned = clean_organisation(data, exclude_pk=organisation.pk if organisation else None)
    sectors = cleaned.pop("sectors")
    try:
        return _write_organisation(actor, organisation, cleaned, sectors, version=version, is_demo=is_demo,
                                   source=source)
    except IntegrityError as exc:
        db.duplicate_or_raise(exc)
        # The 法人番号 check above ran before the transaction: another request registered the number in between.
        raise Invalid([("corporate_number", TAKEN_CORPORATE_NUMBER)]) from None


def _write_organisation(actor, organisation, cleaned, sectors, *, version, is_demo, source) -> Organisation:
    with transaction.atomic():
        if organisation is None:
            organisation = Organisation.objects.create(is_demo=is_demo, **cleaned)
            organisation.sectors.set(sectors)
            history.record(actor, history.CREATE, organisation, None, _organisation_snapshot(organisation),
                           prefecture=organisation.prefecture, source=source)
            user = _signed_in(actor)
            if user is not None and user.role == "company" and not _has_organisation(user):
                member = OrganisationMember.objects.create(user=user, organisation=organisation)
                history.record(actor, history.CREATE, member, None, {"user": user.pk, "organisation": organisation.pk},
                               source=source, object_repr=f"{user.get_username()} → {organisation.name}")
        else:
            current = editing.lock(Organisation.objects, organisation.pk, version)
            before = _organisation_snapshot(current)
            if editing.apply(current, ORGANISATION_FIELDS, cleaned) is None:
                if before["sectors"] == sectors:
                    return current  # nothing changed: no save, no history
                current.version += 1  # only the sectors changed
            current.save()
            current.sectors.set(sectors)
            history.record(actor, history.UPDATE, current, before, _organisation_snapshot(current),
                           prefecture=current.prefecture, source=source)
            if (before["name"], before["kind"]) != (current.name, current.kind) and current.plan_roles.exists():
                # The plan page and its API (funding's cached pages) show the organisation's name and kind. A role
                # being added meanwhile and this row's lock wait for each other (its foreign key): either it is
                # seen here or it commits after this rename and bumps funding itself.
                history.bump(FUNDING_AREA)
            organisation = current
        history.bump(AREA)
    return organisation


def _has_organisation(user) -> bool:
    """Whether the user already belongs to an organisation, with the user's row locked until the transaction ends:
    two requests attaching one user (PostgreSQL) then take turns, and the second sees the first's membership."""
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    return OrganisationMember.objects.filter(user=user).exists()


def add_organisation_member(actor, organisation: Organisation, user, *, source: str = history.WEB) -> OrganisationMember:
    """The admin (or a member) attaches a company user to the organisation; a user belongs to one organisation."""
    access.require(actor, "promotion.organisation_edit", organisation)
    if user.role != "company":
        raise Invalid([("user", "組織に所属できるのは企業の利用者です")])
    with transaction.atomic():
        if _has_organisation(user):
            raise Invalid([("user", f"{user.get_username()} は既に別の組織に所属しています")])
        member = OrganisationMember.objects.create(user=user, organisation=organisation)
        history.record(actor, history.CREATE, member, None, {"user": user.pk, "organisation": organisation.pk},
                       source=source, object_repr=f"{user.get_username()} → {organisation.name}")
        history.bump(AREA)
    return member


def _name_key(name: str) -> str:
    return "".join(unicodedata.normalize("NFKC", name or "").split()).casefold()


def link_users_by_name(actor, *, dry_run=False, source: str = history.COMMAND) -> list[tuple]:
    """Company users whose free-text organisation is the name of exactly one registered Organisation (NFKC,
    spaces and case ignored) and who belong to none yet become its members. Returns the (user, organisation) pairs
    written (with dry_run: those that would be, nothing written). Names matching several organisations are left
    for a person to decide."""
    access.require(actor, "promotion.manage")
    if dry_run:
        return _pairs_to_link()
    linked = []
    with transaction.atomic():
        # Planned inside the transaction, one run at a time: a run that waited sees the memberships the other wrote.
        db.lock_area(f"{AREA}:link")
        for user, organisation in _pairs_to_link():
            if _has_organisation(user):
                continue  # the user registered or was given an organisation since the plan was read
            member = OrganisationMember.objects.create(user=user, organisation=organisation)
            history.record(actor, history.CREATE, member, None, {"user": user.pk, "organisation": organisation.pk},
                           source=source, object_repr=f"{user.get_username()} → {organisation.name}")
            linked.append((user, organisation))
        if linked:
            history.bump(AREA)
    return linked


def _pairs_to_link() -> list[tuple]:
    from chiiki.accounts.models import Role, User

    by_name: dict[str, list[Organisation]] = {}
    for organisation in Organisation.objects.order_by("pk"):
        by_name.setdefault(_name_key(organisation.name), []).append(organisation)
    users = (User.objects.filter(role=Role.COMPANY, organisation_membership__isnull=True).exclude(organisation="")
             .order_by("pk"))
    return [(user, by_name[_name_key(user.organisation)][0]) for user in users
            if len(by_name.get(_name_key(user.organisation), [])) == 1]


COUNCIL_FIELDS = ("name", "prefecture_id", "municipality_id", "description", "website", "version")


def clean_council(data: dict) -> dict:
    problems = []
    cleaned = {"name": _text(problems, "name", data.get("name"), "名称", 200),
               "prefecture": _prefecture(problems, data.get("prefecture"), required=not data.get("municipality")),
               "municipality": _municipality(problems, data.get("municipality")),
               "description": _text(problems, "description", data.get("description"), "概要", 4000, required=False),
               "website": _optional_url(problems, "website", data.get("website"), "ウェブサイト")}
    if cleaned["municipality"] is not None:
        if cleaned["prefecture"] is not None and cleaned["prefecture"].pk != cleaned["municipality"].prefecture_id:
            problems.append(("municipality", "市区町村が都道府県に属していません"))
        cleaned["prefecture"] = cleaned["municipality"].prefecture
    if problems:
        raise Invalid(problems)
    return cleaned


def council_municipality(problems, raw):
    """The municipality a council's form names (a 5- or 6-digit code), or None; its problem appended (the form asks
    whether the user may register a council for it before the action does)."""
    return _municipality(problems, raw)


def _council_scope(municipality, prefecture):
    """What council permissions are asked about: the municipality of a municipal council, else the prefecture."""
    return municipality or prefecture


def save_council(actor, council: Council | None, data: dict, *, version=None, is_demo=False,
                 source: str = history.WEB) -> Council:
    """A council of a prefecture (its staff, the admin) or of a municipality (its staff, its prefecture, the admin)."""
    if council is not None:
        access.require(actor, "promotion.council_manage", _council_scope(council.municipality, council.prefecture))
        version = editing.require_version(version)
    cleaned = clean_council(data)
    access.require(actor, "promotion.council_manage", _council_scope(cleaned["municipality"], cleaned["prefecture"]))
    with transaction.atomic():
        if council is None:
            council = Council.objects.create(is_demo=is_demo, **cleaned)
            history.record(actor, history.CREATE, council, None, history.snapshot(council, COUNCIL_FIELDS),
                           municipality=council.municipality, prefecture=council.prefecture, source=source)
        else:
            current = editing.lock(Council.objects, council.pk, version)
            before = editing.apply(current, COUNCIL_FIELDS, cleaned)
            if before is None:
                return current  # nothing changed: no save, no history
            current.save()
            history.record(actor, history.UPDATE, current, before, history.snapshot(current, COUNCIL_FIELDS),
                           municipality=current.municipality, prefecture=current.prefecture, source=source)
            council = current
        history.bump(AREA)
    return council


def _membership_snapshot(m: CouncilMembership) -> dict:
    return {"council": m.council_id, "organisation": m.organisation_id, "role": m.role}


def add_council_member(actor, council: Council, organisation: Organisation, role: str,
                       *, source: str = history.WEB) -> CouncilMembership:
    access.require(actor, "promotion.council_manage", _council_scope(council.municipality, council.prefecture))
    if role not in CouncilRole.values:
        raise Invalid([("role", "役割を選んでください（会長・事務局・会員）")])
    try:
        with transaction.atomic():
            membership = CouncilMembership.objects.create(council=council, organisation=organisation, role=role)
            history.record(actor, history.CREATE, membership, None, _membership_snapshot(membership),
                           municipality=council.municipality, prefecture=council.prefecture, source=source,
                           object_repr=f"{council.name}: {organisation.name}（{membership.get_role_display()}）")
            history.bump(AREA)
    except IntegrityError as exc:
        db.duplicate_or_raise(exc)
        raise Invalid([("organisation", f"{organisation.name}は既にこの協議会の構成員です")]) from None
    return membership


def remove_council_member(actor, membership: CouncilMembership, *, source: str = history.WEB) -> None:
    council = membership.council
    access.require(actor, "promotion.council_manage", _council_scope(council.municipality, council.prefecture))
    with transaction.atomic():
        # Two removals at once: the second finds the row gone (404, as when sent later) and records nothing.
        if not CouncilMembership.objects.select_for_update().order_by().filter(pk=membership.pk).exists():
            raise Http404("この構成員はすでに外されています")
        history.record(actor, history.DELETE, membership, _membership_snapshot(membership), None,
                       municipality=council.municipality, prefecture=council.prefecture, source=source,
                       object_repr=f"{council.name}: {membership.organisation.name}")
        membership.delete()
        history.bump(AREA)


# ---- challenges and proposals -------------------------------------------------------------------------------------

CHALLENGE_FIELDS = ("municipality_id", "sector_id", "title", "problem", "requirements", "budget_min", "budget_max",
                    "deadline", "small_orders", "no_track_record", "pilot_first", "status", "selected_id",
                    "outcome_amount", "withdrawal_reason", "version")


def _amount(problems, field, raw, label, *, required=False):
    text = str(raw).strip().replace(",", "") if raw not in (None, "") else ""
    if not text:
        if required:
            problems.append((field, f"{label}を入力してください"))
        return None
    try:
        value = int(text)
    except ValueError:
        problems.append((field, f"{label}は円単位の整数で入力してください"))
        return None
    if not 0 <= value <= 100_000_000_000:
        problems.append((field, f"{label}は0〜1,000億円の範囲で入力してください"))
        return None
    return value


def clean_challenge(data: dict, *, new: bool) -> dict:
    problems = []
    sector = Sector.objects.filter(pk=data.get("sector") or "").first()
    if sector is None:
        problems.append(("sector", "分野を選んでください"))
    deadline = None
    try:
        deadline = dt.date.fromisoformat(str(data.get("deadline") or "").strip())
        if not FIRST_SCHEDULED_YEAR <= deadline.year <= LAST_SCHEDULED_YEAR:
            problems.append(("deadline", f"提案の締切は{FIRST_SCHEDULED_YEAR}〜{LAST_SCHEDULED_YEAR}年の日付を入力してください"))
        elif new and deadline < timezone.localdate():
            problems.append(("deadline", "提案の締切に過去の日付は指定できません"))
    except ValueError:
        problems.append(("deadline", "提案の締切は YYYY-MM-DD の形式で入力してください"))
    cleaned = {"sector": sector, "deadline": deadline,
               "title": _text(problems, "title", data.get("title"), "課題名", 200),
               "problem": _text(problems, "problem", data.get("problem"), "解決したい課題", 4000),
               "requirements": _text(problems, "requirements", data.get("requirements"), "解決策に求めること", 4000),
               "budget_min": _amount(problems, "budget_min", data.get("budget_min"), "予算の下限"),
               "budget_max": _amount(problems, "budget_max", data.get("budget_max"), "予算の上限"),
               "small_orders": _bool(data.get("small_orders")),
               "no_track_record": _bool(data.get("no_track_record")),
               "pilot_first": _bool(data.get("pilot_first"))}
    if cleaned["budget_min"] is not None and cleaned["budget_max"] is not None \
            and cleaned["budget_min"] > cleaned["budget_max"]:
        problems.append(("budget_max", "予算の上限は下限以上にしてください"))
    if problems:
        raise Invalid(problems)
    return cleaned


def save_challenge(actor, municipality, challenge: Challenge | None, data: dict, *, version=None, is_demo=False,
                   source: str = history.WEB) -> Challenge:
    access.require(actor, "promotion.challenge_manage", municipality)
    if challenge is not None:
        version = editing.require_version(version)
    cleaned = clean_challenge(data, new=challenge is None)
    with transaction.atomic():
        if challenge is None:
            challenge = Challenge.objects.create(municipality=municipality, created_by=_signed_in(actor),
                                                 is_demo=is_demo, **cleaned)
            history.record(actor, history.CREATE, challenge, None, history.snapshot(challenge, CHALLENGE_FIELDS),
                           municipality=municipality, source=source)
        else:
            current = editing.lock(Challenge.objects, challenge.pk, version)
            _require_undecided(current, "変更")
            before = editing.apply(current, CHALLENGE_FIELDS, cleaned)
            if before is None:
                return current  # nothing changed: no save, no history
            current.save()
            history.record(actor, history.UPDATE, current, before, history.snapshot(current, CHALLENGE_FIELDS),
                           municipality=municipality, source=source)
            challenge = current
        history.bump(AREA)
    return challenge


def _require_undecided(challenge: Challenge, what: str) -> None:
    """A published outcome and a withdrawal are final: what was announced stays as it was."""
    if challenge.status == ChallengeStatus.DECIDED:
        raise Invalid([("", f"結果を公表した課題は{what}できません")])
    if challenge.status == ChallengeStatus.WITHDRAWN:
        raise Invalid([("", f"取り下げた課題は{what}できません")])


def withdraw_challenge(actor, challenge: Challenge, *, reason, version, source: str = history.WEB) -> Challenge:
    """The municipality takes its 課題 back (no budget after all, solved otherwise …) with a reason shown on its page;
    proposals can no longer be sent, and each proposing organisation is told."""
    access.require(actor, "promotion.challenge_manage", challenge.municipality)
    version = editing.require_version(version)
    problems = []
    reason = _text(problems, "reason", reason, "取下げの理由", 1000)
    if problems:
        raise Invalid(problems)
    with transaction.atomic():
        current = editing.lock(Challenge.objects, challenge.pk, version)
        _require_undecided(current, "取り下げ")
        before = editing.apply(current, CHALLENGE_FIELDS, {"status": ChallengeStatus.WITHDRAWN,
                                                           "withdrawal_reason": reason})
        current.save()
        history.record(actor, history.UPDATE, current, before, history.snapshot(current, CHALLENGE_FIELDS),
                       municipality=current.municipality, source=source)
        history.bump(AREA)
        if source != history.DEMO:
            notify.challenge_withdrawn(current)
    return current


PROPOSAL_FIELDS = ("challenge_id", "organisation_id", "summary", "approach", "cost", "team", "status", "version")


PROPOSALS_CLOSED = "この課題の提案の受付は終了しています"


def _open_for_proposals(challenge: Challenge) -> bool:
    return challenge.status == ChallengeStatus.OPEN and challenge.deadline >= timezone.localdate()


def _clean_proposal(data: dict) -> tuple[list, dict]:
    problems = []
    cleaned = {"summary": _text(problems, "summary", data.get("summary"), "概要", 2000),
               "approach": _text(problems, "approach", data.get("approach"), "進め方", 4000),
               "cost": _amount(problems, "cost", data.get("cost"), "見積額", required=True),
               "team": _text(problems, "team", data.get("team"), "体制", 2000)}
    return problems, cleaned


def submit_proposal(actor, challenge: Challenge, data: dict, *, is_demo=False,
                    source: str = history.WEB) -> Proposal:
    """A company or startup user answers an open challenge on behalf of their organisation (one per organisation)."""
    access.require(actor, "promotion.proposal_submit", challenge)
    membership = getattr(actor, "organisation_membership", None)
    if membership is None:
        raise Invalid([("", "提案するには、先に所属する組織を登録してください")])
    problems, cleaned = _clean_proposal(data)
    if not _open_for_proposals(challenge):
        problems.insert(0, ("", PROPOSALS_CLOSED))
    if problems:
        raise Invalid(problems)
    try:
        with transaction.atomic():
            # select_proposal decides under this row's lock: a proposal arriving meanwhile is refused, not left
            # "submitted" on a decided challenge.
            locked = Challenge.objects.select_for_update().order_by().filter(pk=challenge.pk).first()
            if locked is None or not _open_for_proposals(locked):
                raise Invalid([("", PROPOSALS_CLOSED)])
            proposal = Proposal.objects.create(challenge=challenge, organisation_id=membership.organisation_id,
                                               submitted_by=_signed_in(actor), is_demo=is_demo, **cleaned)
            history.record(actor, history.CREATE, proposal, None, history.snapshot(proposal, PROPOSAL_FIELDS),
                           municipality=challenge.municipality, source=source)
            history.bump(AREA)
    except IntegrityError as exc:
        db.duplicate_or_raise(exc)
        raise Invalid([("", "この組織は既にこの課題に提案しています")]) from None
    return proposal


PROPOSAL_FROZEN = "提案の締切を過ぎた課題の提案は、変更も取下げもできません"


def _lock_own_proposal(actor, proposal: Proposal, version) -> Proposal:
    """The proposal locked for an edit or withdrawal by its organisation, while the challenge still takes
    proposals. The challenge row is locked first, as select_proposal does, so a decision and a change never cross."""
    access.require(actor, "promotion.proposal_change", proposal)
    version = editing.require_version(version)
    locked = Challenge.objects.select_for_update().order_by().filter(pk=proposal.challenge_id).first()
    current = editing.lock(Proposal.objects, proposal.pk, version)
    if locked is None or not _open_for_proposals(locked):
        raise Invalid([("", PROPOSAL_FROZEN)])
    return current


def update_proposal(actor, proposal: Proposal, data: dict, *, version, source: str = history.WEB) -> Proposal:
    """The proposing organisation rewrites its proposal until the deadline (the municipality reads it after)."""
    access.require(actor, "promotion.proposal_change", proposal)
    problems, cleaned = _clean_proposal(data)
    if problems:
        raise Invalid(problems)
    with transaction.atomic():
        current = _lock_own_proposal(actor, proposal, version)
        before = editing.apply(current, PROPOSAL_FIELDS, cleaned)
        if before is None:
            return current
        current.save()
        history.record(actor, history.UPDATE, current, before, history.snapshot(current, PROPOSAL_FIELDS),
                       municipality=proposal.challenge.municipality, source=source)
        history.bump(AREA)
    return current


def withdraw_proposal(actor, proposal: Proposal, *, version, source: str = history.WEB) -> Proposal:
    """The proposing organisation takes its proposal back before the deadline (it may then propose again).
    Returns the deleted row."""
    with transaction.atomic():
        current = _lock_own_proposal(actor, proposal, version)
        before = history.snapshot(current, PROPOSAL_FIELDS)
        history.record(actor, history.DELETE, current, before, None, municipality=proposal.challenge.municipality,
                       source=source)
        current.delete()
        history.bump(AREA)
    return current


def shortlist_proposal(actor, proposal: Proposal, *, shortlisted: bool, version, source: str = history.WEB) -> Proposal:
    access.require(actor, "promotion.proposals_review", proposal.challenge)
    version = editing.require_version(version)
    with transaction.atomic():
        # The challenge row first, as select_proposal and withdraw_challenge lock it: its status is then the one
        # this write is decided on, not one a decision or a withdrawal is changing meanwhile.
        challenge = Challenge.objects.select_for_update().order_by().filter(pk=proposal.challenge_id).first()
        current = editing.lock(Proposal.objects, proposal.pk, version)
        if challenge.status == ChallengeStatus.DECIDED:
            raise Invalid([("", "結果を公表した課題の提案は変更できません")])
        if challenge.status == ChallengeStatus.WITHDRAWN:
            raise Invalid([("", "取り下げた課題の提案は変更できません")])
        status = ProposalStatus.SHORTLISTED if shortlisted else ProposalStatus.SUBMITTED
        before = editing.apply(current, PROPOSAL_FIELDS, {"status": status})
        if before is None:
            return current  # nothing changed: no save, no history
        current.save()
        history.record(actor, history.UPDATE, current, before, history.snapshot(current, PROPOSAL_FIELDS),
                       municipality=current.challenge.municipality, source=source)
        history.bump(AREA)
        if source != history.DEMO:  # the demo loader's moves would only flood the console
            notify.proposal_moved(current)
    return current


def select_proposal(actor, proposal: Proposal, *, amount, version, source: str = history.WEB) -> Challenge:
    """Select one proposal and publish the outcome (selected organisation, amount); the others are not selected.
    `version` is the challenge's."""
    access.require(actor, "promotion.proposals_review", proposal.challenge)
    version = editing.require_version(version)
    problems = []
    value = _amount(problems, "amount", amount, "契約金額", required=True)
    if problems:
        raise Invalid(problems)
    with transaction.atomic():
        challenge = editing.lock(Challenge.objects, proposal.challenge_id, version)
        if challenge.status == ChallengeStatus.DECIDED:
            raise Invalid([("", "この課題の結果は既に公表されています")])
        if challenge.status == ChallengeStatus.WITHDRAWN:
            raise Invalid([("", "取り下げた課題の提案は選定できません")])
        proposals = list(Proposal.objects.select_for_update().order_by().filter(challenge=challenge))
        if not any(other.pk == proposal.pk for other in proposals):
            # Withdrawn after the reviewer's page was read (withdraw_proposal deletes it under this challenge's
            # lock, without moving the challenge's version): refused before anything changes.
            raise Invalid([("", "この提案は取り下げられました")])
        before = history.snapshot(challenge, CHALLENGE_FIELDS)
        for other in proposals:
            old = history.snapshot(other, PROPOSAL_FIELDS)
            other.status = ProposalStatus.SELECTED if other.pk == proposal.pk else ProposalStatus.NOT_SELECTED
            other.version += 1
            other.save()
            history.record(actor, history.UPDATE, other, old, history.snapshot(other, PROPOSAL_FIELDS),
                           municipality=challenge.municipality, source=source)
            if source != history.DEMO:
                notify.proposal_moved(other)
        challenge.status, challenge.selected_id, challenge.outcome_amount = ChallengeStatus.DECIDED, proposal.pk, value
        challenge.outcome_published_at = timezone.now()
        challenge.version += 1
        challenge.save()
        history.record(actor, history.UPDATE, challenge, before, history.snapshot(challenge, CHALLENGE_FIELDS),
                       municipality=challenge.municipality, source=source)
        history.bump(AREA)
    return challenge


# ---- events -------------------------------------------------------------------------------------------------------

EVENT_FIELDS = ("title", "organiser_organisation_id", "organiser_municipality_id", "organiser_prefecture_id", "format",
                "starts_at", "ends_at", "online_url", "venue", "description", "capacity", "recording_url",
                "materials_url", "version")


def _datetime(problems, field, raw, label):
    if isinstance(raw, dt.datetime):
        value = raw
    else:
        try:
            value = dt.datetime.fromisoformat(str(raw or "").strip())
        except ValueError:
            problems.append((field, f"{label}は YYYY-MM-DDTHH:MM（日本時間）の形式で入力してください"))
            return None
    if not FIRST_SCHEDULED_YEAR <= value.year <= LAST_SCHEDULED_YEAR:
        problems.append((field, f"{label}は{FIRST_SCHEDULED_YEAR}〜{LAST_SCHEDULED_YEAR}年の日時を入力してください"))
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_default_timezone())  # entered in JST (TIME_ZONE)
    # In UTC, as the database gives it back: the same instant with another offset would read as a change (a new
    # version and a history entry for an edit that changed nothing).
    return value.astimezone(dt.UTC)


def _capacity(problems, raw) -> int | None:
    """定員 in people: empty is no limit; full-width digits and thousands separators are accepted as typed."""
    text = nfkc(str(raw)).strip().replace(",", "") if raw not in (None, "") else ""
    if not text:
        return None
    if not (text.isascii() and text.isdigit()):  # int() would also take "-1", "+5" and "1_000"
        problems.append(("capacity", f"定員は1〜{MAX_CAPACITY:,}人の整数で入力してください（空欄は制限なし）"))
        return None
    # Compared by length first: int() refuses more than 4,300 digits with a ValueError (a 500).
    capacity = int(text) if len(text.lstrip("0")) <= len(str(MAX_CAPACITY)) else MAX_CAPACITY + 1
    if capacity == 0:
        problems.append(("capacity", "定員は1人以上にするか、空欄（制限なし）にしてください"))
    elif capacity > MAX_CAPACITY:  # beyond the column, the database refused it (a 500)
        problems.append(("capacity", f"定員は{MAX_CAPACITY:,}人以下にするか、空欄（制限なし）にしてください"))
    return capacity


def clean_event(actor, data: dict) -> dict:
    problems = []
    organiser = (data.get("organiser") or "").strip()  # "organisation:<id>" | "municipality:<code>" | "prefecture:<code>"
    kind, _, key = organiser.partition(":")
    cleaned = {"organiser_organisation": None, "organiser_municipality": None, "organiser_prefecture": None}
    if kind == "organisation":
        number = row_id(key)
        found = Organisation.objects.filter(pk=number).first() if number is not None else None
        if found is None or not (access.is_admin(actor) or access.can(actor, "promotion.organisation_edit", found)):
            problems.append(("organiser", "主催の組織は、所属する組織を選んでください"))
        cleaned["organiser_organisation"] = found
    elif kind == "municipality":
        found = _municipality(problems, key, field="organiser")
        if found is not None and not access.manages(actor, found):
            problems.append(("organiser", "主催の自治体は、担当する団体を選んでください"))
        cleaned["organiser_municipality"] = found
    elif kind == "prefecture":
        found = _prefecture(problems, key)
        if found is not None and not access.manages(actor, found):
            problems.append(("organiser", "主催の都道府県は、担当する都道府県を選んでください"))
        cleaned["organiser_prefecture"] = found
    else:
        problems.append(("organiser", "主催（組織または自治体）を選んでください"))
    cleaned.update({
        "title": _text(problems, "title", data.get("title"), "名称", 200),
        "format": _choice(problems, "format", data.get("format"), EventFormat, "開催形式"),
        "starts_at": _datetime(problems, "starts_at", data.get("starts_at"), "開始日時"),
        "ends_at": _datetime(problems, "ends_at", data.get("ends_at"), "終了日時"),
        "online_url": _optional_url(problems, "online_url", data.get("online_url"), "オンライン参加のURL"),
        "venue": _text(problems, "venue", data.get("venue"), "会場", 200, required=False),
        "description": _text(problems, "description", data.get("description"), "内容", 4000, required=False),
        "recording_url": _optional_url(problems, "recording_url", data.get("recording_url"), "録画のURL"),
        "materials_url": _optional_url(problems, "materials_url", data.get("materials_url"), "資料のURL"),
        "sectors": _sector_codes(problems, data.get("sectors")),
    })
    cleaned["capacity"] = _capacity(problems, data.get("capacity"))
    if cleaned["starts_at"] and cleaned["ends_at"] and cleaned["ends_at"] <= cleaned["starts_at"]:
        problems.append(("ends_at", "終了日時は開始日時より後にしてください"))
    if cleaned["format"] in (EventFormat.ONLINE, EventFormat.HYBRID) and not cleaned["online_url"]:
        problems.append(("online_url", "オンライン・ハイブリッドの催しにはオンライン参加のURLが必要です"))
    if cleaned["format"] in (EventFormat.ONSITE, EventFormat.HYBRID) and not cleaned["venue"]:
        problems.append(("venue", "会場・ハイブリッドの催しには会場が必要です"))
    if problems:
        raise Invalid(problems)
    return cleaned


def _event_snapshot(event: Event) -> dict:
    return {**history.snapshot(event, EVENT_FIELDS), "sectors": sorted(event.sectors.values_list("code", flat=True))}


def save_event(actor, event: Event | None, data: dict, *, version=None, is_demo=False,
               source: str = history.WEB) -> Event:
    if event is None:
        access.require(actor, "promotion.event_create")
    else:
        access.require(actor, "promotion.event_edit", event)
        version = editing.require_version(version)
    cleaned = clean_event(actor, data)
    sectors = cleaned.pop("sectors")
    place = cleaned["organiser_municipality"]
    with transaction.atomic():
        if event is None:
            event = Event.objects.create(created_by=_signed_in(actor), is_demo=is_demo, **cleaned)
            event.sectors.set(sectors)
            history.record(actor, history.CREATE, event, None, _event_snapshot(event), municipality=place,
                           prefecture=cleaned["organiser_prefecture"], source=source)
        else:
            current = editing.lock(Event.objects, event.pk, version)
            # Counted under the event row's lock, which register_for_event takes before it counts: a registration
            # arriving meanwhile is either counted here or refused there as full, never left beyond the capacity.
            if cleaned["capacity"] is not None and cleaned["capacity"] < current.registrations.count():
                raise Invalid([("capacity", "定員は申込済みの人数より少なくできません")])
            before = _event_snapshot(current)
            if editing.apply(current, EVENT_FIELDS, cleaned) is None:
                if before["sectors"] == sectors:
                    return current  # nothing changed: no save, no history
                current.version += 1  # only the sectors changed
            current.save()
            current.sectors.set(sectors)
            history.record(actor, history.UPDATE, current, before, _event_snapshot(current), municipality=place,
                           prefecture=cleaned["organiser_prefecture"], source=source)
            event = current
        history.bump(AREA)
    return event


FULL = "定員に達したため申し込めません"


def register_for_event(actor, event: Event, *, source: str = history.WEB) -> Registration:
    """Registration with a capacity that concurrent requests can never exceed: the event row is locked (SQLite:
    the write lock BEGIN IMMEDIATE takes) before the registrations are counted."""
    access.require(actor, "promotion.event_register", event)
    with transaction.atomic():
        locked = Event.objects.select_for_update().order_by().filter(pk=event.pk).first()
        if locked is None:
            raise Invalid([("", "このイベントは削除されました")])
        if locked.starts_at <= timezone.now():
            raise Invalid([("", "開始したイベントには申し込めません")])
        if Registration.objects.filter(event=locked, user=actor).exists():
            raise Invalid([("", "既に申し込んでいます")])
        if locked.capacity is not None and Registration.objects.filter(event=locked).count() >= locked.capacity:
            raise Conflict(FULL)
        registration = Registration.objects.create(event=locked, user=actor)
        history.record(actor, history.CREATE, registration, None, {"event": locked.pk, "user": actor.pk},
                       source=source, object_repr=f"{locked.title}: {actor.get_username()}")
        history.bump(AREA)
    return registration


def cancel_registration(actor, event: Event, *, source: str = history.WEB) -> None:
    """The registrant withdraws before the event starts: after, the organiser's list of participants stays."""
    access.require(actor, "promotion.event_register", event)
    with transaction.atomic():
        # The event row first, as register_for_event locks it: the start is read as it is now, never crossed.
        locked = Event.objects.select_for_update().order_by().filter(pk=event.pk).first()
        if locked is None:
            raise Invalid([("", "このイベントは削除されました")])
        if locked.starts_at <= timezone.now():
            raise Invalid([("", "開始したイベントの申込は取り消せません")])
        registration = Registration.objects.select_for_update().order_by().filter(event=locked, user=actor).first()
        if registration is None:
            raise Invalid([("", "申し込みはありません")])
        history.record(actor, history.DELETE, registration, {"event": event.pk, "user": actor.pk}, None,
                       source=source, object_repr=f"{event.title}: {actor.get_username()}")
        registration.delete()
        history.bump(AREA)


# ---- organisations' roles in implementation plans (funding) --------------------------------------------------------

PARTICIPATION_FIELDS = ("plan_id", "organisation_id", "role", "note", "version")
FUNDING_AREA = "funding"  # the plan page (funding) lists the roles: its cached pages must go stale too


def clean_participation(data: dict) -> dict:
    problems = []
    cleaned = {"role": _choice(problems, "role", data.get("role"), PlanRole, "役割（運営主体・連携・資金提供）"),
               "note": _text(problems, "note", data.get("note"), "担う内容", 200, required=False)}
    if problems:
        raise Invalid(problems)
    return cleaned


def _participation_repr(p: PlanParticipation) -> str:
    return f"{p.plan.title}: {p.organisation.name}（{p.get_role_display()}）"


def add_plan_participation(actor, plan, organisation: Organisation, data: dict, *, is_demo=False,
                           source: str = history.WEB) -> PlanParticipation:
    """The plan's editors (its municipality, prefecture, the admin) name an organisation's role in the plan."""
    access.require_view(actor, plan)
    access.require(actor, "promotion.plan_roles", plan)
    cleaned = clean_participation(data)
    try:
        with transaction.atomic():
            participation = PlanParticipation.objects.create(plan=plan, organisation=organisation, is_demo=is_demo,
                                                             **cleaned)
            history.record(actor, history.CREATE, participation, None,
                           history.snapshot(participation, PARTICIPATION_FIELDS), municipality=plan.municipality,
                           prefecture=plan.prefecture, source=source, object_repr=_participation_repr(participation))
            history.bump(AREA)
            history.bump(FUNDING_AREA)
    except IntegrityError as exc:
        db.duplicate_or_raise(exc)
        raise Invalid([("organisation", f"{organisation.name}は既にこの計画で同じ役割を担っています")]) from None
    return participation


def update_plan_participation(actor, participation: PlanParticipation, data: dict, *, version,
                              source: str = history.WEB) -> PlanParticipation:
    plan = participation.plan
    access.require(actor, "promotion.plan_roles", plan)
    version = editing.require_version(version)
    cleaned = clean_participation(data)
    try:
        with transaction.atomic():
            current = editing.lock(PlanParticipation.objects.select_related("plan", "organisation"),
                                   participation.pk, version)
            before = editing.apply(current, PARTICIPATION_FIELDS, cleaned)
            if before is None:
                return current  # nothing changed: no save, no history
            current.save()
            history.record(actor, history.UPDATE, current, before, history.snapshot(current, PARTICIPATION_FIELDS),
                           municipality=plan.municipality, prefecture=plan.prefecture, source=source,
                           object_repr=_participation_repr(current))
            history.bump(AREA)
            history.bump(FUNDING_AREA)
    except IntegrityError as exc:
        db.duplicate_or_raise(exc)
        raise Invalid([("role", "この組織は既にこの計画でその役割を担っています")]) from None
    return current


def remove_plan_participation(actor, participation: PlanParticipation, *, version,
                              source: str = history.WEB) -> None:
    plan = participation.plan
    access.require(actor, "promotion.plan_roles", plan)
    version = editing.require_version(version)
    with transaction.atomic():
        current = editing.lock(PlanParticipation.objects.select_related("plan", "organisation"),
                               participation.pk, version)
        history.record(actor, history.DELETE, current, history.snapshot(current, PARTICIPATION_FIELDS), None,
                       municipality=plan.municipality, prefecture=plan.prefecture, source=source,
                       object_repr=_participation_repr(current))
        current.delete()
        history.bump(AREA)
        history.bump(FUNDING_AREA)
