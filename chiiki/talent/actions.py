"""Every write of the talent app: permission, validation, one transaction, history, data-version bump, e-mail.

The request workflow (docs/decisions/0016-talent-dispatch.md):
下書き → 申請 (municipality) → 受付 (admin) → 候補提示 (admin) → 依頼中 (admin asks one talent) → 承諾 / 辞退 (the
talent) → 派遣中 (first visit) → 報告提出 (the talent) → 評価済 (municipality) → 完了 (admin); 取下げ (municipality)
and 不採択 (admin, with reason) from the open states.
"""

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import CharField, Exists, OuterRef, Subquery
from django.db.models.functions import Cast
from django.utils import timezone

from chiiki import access
from chiiki.core import budget, db, editing, history
from chiiki.core.errors import Conflict, Invalid
from chiiki.core.fiscal import current_fiscal_year, fiscal_year_of
from chiiki.core.models import ChangeRecord
from chiiki.core.tabular import as_read
from chiiki.core.text import control_character_problem
from chiiki.regions.models import Prefecture
from chiiki.roadmap.models import Sector

from . import indexing, notify, rules
from .models import (
    ApplicationRound,
    Capability,
    DispatchReport,
    Format,
    Kind,
    Level,
    ProfileCapability,
    Status,
    TalentProfile,
    TalentRequest,
    Visit,
    VisitMode,
)

AREA = "talent"
DELETED_LABEL = "（削除された人材）"
# What history keeps of a profile: never the name, e-mail or phone (privacy; a deleted person leaves no trace).
PROFILE_FIELDS = ("kind", "sectors", "home_prefecture_id", "online_available", "uturn_intention", "available_days",
                  "available_hours", "user_id", "version")
# What history keeps of a request: everything its municipality wrote or was told, but not the talent's name
# (talent_label; the id says who, and the name goes when the person leaves).
REQUEST_FIELDS = ("status", "sector_id", "fiscal_year", "title", "vision", "format", "plan_url", "plan_id",
                  "organisation", "preferred_from", "preferred_to", "round_id", "submitted_at", "talent_id", "reason",
                  "rating", "rating_comment", "completed_at", "version")


def _ids(values) -> list[str]:
    """Codes and ids as given (text), without NUL (PostgreSQL cannot even compare it): an id with one is unknown."""
    return [str(v).replace("\x00", "\ufffd").strip() for v in values or [] if str(v).strip()]


# What each free-text answer on a request may hold: longer text is refused, never stored cut.
TEXT_LIMITS = {"reason": ("理由", 2000), "comment": ("コメント", 2000), "done": ("実施内容", 5000),
               "handed_over_to": ("ノウハウの引継ぎ", 5000), "next_steps": ("今後の取組", 5000), "note": ("内容", 300),
               "vision": ("目指す姿", 4000)}


def _within_limits(texts: dict, problems: list) -> None:
    for name, value in texts.items():
        label, limit = TEXT_LIMITS.get(name, (name, None))
        if limit is not None and len(str(value or "").strip()) > limit:
            problems.append((name, f"{label}は{limit}文字以内で入力してください"))


def _controls(data: dict, fields, problems: list) -> None:
    """Refuse control characters in free text (chiiki.core.text): invisible on screen, NUL unstorable."""
    for name in fields:
        problem = control_character_problem(str(data.get(name) or ""))
        if problem:
            problems.append((name, problem))


# ---- Vocabulary -----------------------------------------------------------------------------------------------


def save_capability(actor, capability: Capability, *, label: str, synonyms: str, version,
                    source: str = history.WEB) -> Capability:
    """Edit one vocabulary item's label and synonyms (the id, sector and order are the reference file's)."""
    access.require(actor, "talent.manage")
    label = (label or "").strip()
    problems = []
    _controls({"label": label, "synonyms": synonyms}, ("label", "synonyms"), problems)
    if not label:
        problems.append(("label", "できることを入力してください"))
    elif len(label) > 120:
        problems.append(("label", "できることは120文字以内で入力してください"))
    synonyms = ";".join(s.strip() for s in re.split(r"[;；、,，\n]", synonyms or "") if s.strip())
    if problems:
        raise Invalid(problems)
    version = editing.require_version(version)
    taken = ("label", "同じ「できること」がすでにあります")
    try:
        with transaction.atomic():
            current = editing.lock(Capability.objects, capability.pk, version)
            if Capability.objects.filter(label=label).exclude(pk=current.pk).exists():
                raise Invalid([taken])
            before = editing.apply(current, ("label", "synonyms"), {"label": label, "synonyms": synonyms})
            if before is None:
                return current
            current.save()
            history.record(actor, history.UPDATE, current, before, {"label": label, "synonyms": synonyms},
                           source=source, object_repr=f"できること {current.pk}")
            indexing.reindex()
            history.bump(AREA)
    except IntegrityError as exc:
        db.duplicate_or_raise(exc)
        # Another item was renamed to this label at the same moment (PostgreSQL; the label is unique).
        raise Invalid([taken]) from None
    return current


def save_round(actor, fiscal_year: int, number: int, deadline: dt.date, *, version,
               source: str = history.WEB) -> ApplicationRound:
    """Set the deadline of 第`number`回 of `fiscal_year`. `version`: the version of the round the editor saw (0 when
    they saw none); a round someone else created or changed meanwhile is a Conflict, never overwritten."""
    access.require(actor, "talent.manage")
    problem = rules.round_problem(fiscal_year, number, deadline)
    if problem:
        raise Invalid([("deadline", problem)])
    version = editing.require_version(version)
    rounds = ApplicationRound.objects.filter(fiscal_year=fiscal_year, number=number)
    try:
        with transaction.atomic():
            current = rounds.select_for_update().first()
            if current is None:
                current = ApplicationRound.objects.create(fiscal_year=fiscal_year, number=number, deadline=deadline)
                history.record(actor, history.CREATE, current, None, {"deadline": deadline.isoformat()},
                               source=source)
                history.bump(AREA)
                return current
            editing.check_version(current, version)
            before = editing.apply(current, ("deadline",), {"deadline": deadline})
            if before is None:
                return current
            current.save()
            history.record(actor, history.UPDATE, current, before,
                           {"deadline": deadline.isoformat()}, source=source)
            history.bump(AREA)
    except IntegrityError as exc:
        db.duplicate_or_raise(exc)
        # Someone created the same round at the same moment (the pair is unique).
        raise Conflict(current=rounds.first()) from None
    return current


# ---- Profiles -------------------------------------------------------------------------------------------------

_PHONE = re.compile(r"^[0-9０-９+()\-ー－ ]{0,30}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _decimal(raw, field: str, label: str, problems: list, maximum: Decimal) -> Decimal:
    try:
        value = Decimal(str(raw if raw not in (None, "") else 0))
    except InvalidOperation:
        problems.append((field, f"{label}は数値で入力してください"))
        return Decimal(0)
    if not value.is_finite() or value < 0 or value > maximum:
        problems.append((field, f"{label}は0〜{maximum}で入力してください"))
    return value


def _prefectures(codes, field: str, problems: list) -> list[Prefecture]:
    codes = [c.zfill(2) for c in _ids(codes)]
    found = {p.code: p for p in Prefecture.objects.filter(code__in=codes)}
    unknown = [c for c in codes if c not in found]
    if unknown:
        problems.append((field, f"都道府県コードが正しくありません: {', '.join(unknown)}"))
    return [found[c] for c in dict.fromkeys(codes) if c in found]


def clean_profile(data: dict) -> dict:
    """The profile's values as they will be stored; raises Invalid naming every bad field."""
    problems: list[tuple[str, str]] = []
    _controls(data, ("display_name", "public_profile", "email", "phone"), problems)
    name = (data.get("display_name") or "").strip()
    if not name:
        problems.append(("display_name", "表示名を入力してください"))
    elif len(name) > 100:
        problems.append(("display_name", "表示名は100文字以内で入力してください"))
    kind = data.get("kind") or ""
    if kind not in Kind.values:
        problems.append(("kind", "種別を選んでください"))
    sectors = list(dict.fromkeys(_ids(data.get("sectors"))))
    known_sectors = set(Sector.objects.values_list("code", flat=True))
    if set(sectors) - known_sectors:
        problems.append(("sectors", f"分野が正しくありません: {', '.join(sorted(set(sectors) - known_sectors))}"))
    home = _prefectures([data["home_prefecture"]] if data.get("home_prefecture") else [], "home_prefecture",
                        problems)
    served = _prefectures(data.get("prefectures_served"), "prefectures_served", problems)
    uturn = _prefectures(data.get("uturn_prefectures"), "uturn_prefectures", problems)
    days = _decimal(data.get("available_days"), "available_days", "対応できる日数", problems, Decimal(366))
    hours = _decimal(data.get("available_hours"), "available_hours", "対応できる時間", problems, Decimal(2000))
    email = (data.get("email") or "").strip()
    email_max = TalentProfile._meta.get_field("email").max_length
    if email and not _EMAIL.match(email):
        problems.append(("email", "メールアドレスの形式が正しくありません"))
    elif len(email) > email_max:  # the pattern and the form allow up to 320: beyond the column, a 500 on PostgreSQL
        problems.append(("email", f"メールアドレスは{email_max}文字以内で入力してください"))
    phone = (data.get("phone") or "").strip()
    if not _PHONE.match(phone):
        problems.append(("phone", "電話番号は数字とハイフンで30文字以内で入力してください"))
    text = (data.get("public_profile") or "").strip()
    if len(text) > 2000:
        problems.append(("public_profile", "公開プロフィールは2000文字以内で入力してください"))
    skills = []
    capabilities = {c.pk: c for c in Capability.objects.all()}
    seen = set()
    for item in data.get("skills") or []:
        cap_id = (_ids([item.get("capability") or ""]) or [""])[0]
        if cap_id not in capabilities:
            problems.append(("skills", f"できることのIDが正しくありません: {cap_id}"))
            continue
        if cap_id in seen:
            continue
        seen.add(cap_id)
        try:
            level = int(item.get("level") or Level.ABLE)
        except (TypeError, ValueError):
            level = 0
        if level not in Level.values:
            problems.append(("skills", f"{cap_id} の自己評価は1〜3で指定してください"))
            continue
        evidence = (item.get("evidence") or "").strip()
        if control_character_problem(evidence):
            problems.append(("skills", f"{cap_id} の根拠: {control_character_problem(evidence)}"))
        elif len(evidence) > 300:
            problems.append(("skills", f"{cap_id} の根拠は300文字以内で入力してください"))
        skills.append((capabilities[cap_id], level, evidence[:300]))
    if not skills and not problems:
        problems.append(("skills", "できることを1つ以上選んでください"))
    if problems:
        raise Invalid(problems)
    return {"display_name": name, "kind": kind, "sectors": sectors, "home_prefecture": home[0] if home else None,
            "prefectures_served": served, "uturn_prefectures": uturn, "online_available": bool(data.get(
                "online_available")), "uturn_intention": bool(data.get("uturn_intention")),
            "available_days": days, "available_hours": hours, "email": email, "phone": phone,
            "public_profile": text, "skills": skills}


def _profile_snapshot(profile: TalentProfile) -> dict:
    snap = history.snapshot(profile, PROFILE_FIELDS)
    snap["capabilities"] = sorted(profile.skills.values_list("capability_id", flat=True))
    return snap


def _write_profile(profile: TalentProfile, cleaned: dict) -> None:
    for name in ("display_name", "kind", "sectors", "home_prefecture", "online_available", "uturn_intention",
                 "available_days", "available_hours", "email", "phone", "public_profile"):
        setattr(profile, name, cleaned[name])
    profile.save()
    profile.prefectures_served.set(cleaned["prefectures_served"])
    profile.uturn_prefectures.set(cleaned["uturn_prefectures"])
    profile.skills.all().delete()
    ProfileCapability.objects.bulk_create(
        [ProfileCapability(profile=profile, capability=c, level=level, evidence=evidence)
         for c, level, evidence in cleaned["skills"]])


def create_profile(actor, data: dict, *, user=None, external_id=None, is_demo=False,
                   source: str = history.WEB) -> TalentProfile:
    """A new profile. An advisor or company user creates their own (linked to them); the admin anyone's."""
    access.require(actor, "talent.create_profile")
    cleaned = clean_profile(data)
    if not access.is_admin(actor):
        user = actor  # nobody but the admin creates a profile for someone else
        if TalentProfile.objects.filter(user=actor).exists():
            raise Invalid([("", "あなたのプロフィールはすでにあります。編集してください")])
    try:
        with transaction.atomic():
            profile = TalentProfile(user=user, external_id=external_id, is_demo=is_demo)
            _write_profile(profile, cleaned)
            history.record(actor, history.CREATE, profile, None, _profile_snapshot(profile), source=source)
            history.bump(AREA)
    except IntegrityError:
        # A second submission of the same person's profile that passed the check above before the first committed.
        if user is not None and TalentProfile.objects.filter(user=user).exists():
            raise Invalid([("", "あなたのプロフィールはすでにあります。編集してください")]) from None
        raise
    return profile


def update_profile(actor, profile: TalentProfile, data: dict, *, version, source: str = history.WEB) -> TalentProfile:
    access.require(actor, "talent.edit_profile", profile)
    cleaned = clean_profile(data)
    version = editing.require_version(version)
    with transaction.atomic():
        current = editing.lock(TalentProfile.objects, profile.pk, version)
        if _same_profile(current, {**cleaned, "user": None}):
            return current  # nothing changed: no new version, no history
        before = _profile_snapshot(current)
        current.version += 1
        _write_profile(current, cleaned)
        history.record(actor, history.UPDATE, current, before, _profile_snapshot(current), source=source)
        history.bump(AREA)
    return current


def link_account(actor, profile: TalentProfile, username: str | None, *, version,
                 source: str = history.WEB) -> TalentProfile:
    """The national admin links an existing profile to the account (role advisor or company) that will edit it,
    or unlinks it (blank username). One account edits at most one profile."""
    from chiiki.accounts.models import Role, User

    access.require(actor, "talent.manage")
    username = (username or "").strip()
    version = editing.require_version(version)
    user = None
    if username:
        user = User.objects.filter(username=username.replace("\x00", "\ufffd")).first()
        if user is None or not user.is_active:
            raise Invalid([("username", f"アカウント {username} がありません（無効なアカウントも結び付けられません）")])
        if user.role not in (Role.ADVISOR, Role.COMPANY):
            raise Invalid([("username", "結び付けられるのはアドバイザーまたは企業のアカウントです")])
    with transaction.atomic():
        current = editing.lock(TalentProfile.objects, profile.pk, version)
        if user is not None:
            # The account's row is the lock: two profiles linked to one account at once take turns (PostgreSQL), so
            # the second sees the first link instead of meeting the one-profile-per-account constraint (a 500).
            User.objects.select_for_update().filter(pk=user.pk).first()
            other = TalentProfile.objects.filter(user=user).exclude(pk=current.pk).first()
            if other is not None:
                raise Invalid([("username", f"アカウント {username} はすでに別の人材（#{other.pk}）に結び付いています")])
        before = editing.apply(current, ("user_id",), {"user": user})
        if before is None:
            return current  # already so: no new version, no history
        current.save()
        history.record(actor, history.UPDATE, current, before, {"user_id": current.user_id}, source=source,
                       object_repr=f"{current} のアカウントの結び付け")  # no username: history outlives people
        history.bump(AREA)
    return current


def delete_profile(actor, profile: TalentProfile, *, version, source: str = history.WEB) -> None:
    """The person leaves: the profile and its contact details go; past requests keep an anonymised name."""
    access.require(actor, "talent.edit_profile", profile)
    version = editing.require_version(version)
    with transaction.atomic():
        current = editing.lock(TalentProfile.objects, profile.pk, version)
        before = _profile_snapshot(current)
        # The requests that named the person keep an anonymised name and no link: a change to each, recorded.
        named = list(TalentRequest.objects.select_for_update(of=("self",)).select_related("municipality")
                     .filter(talent=current).order_by("pk"))
        for request in named:
            if request.status in TALENT_LEFT_STATES:
                _talent_left(actor, request, source)
        TalentRequest.objects.filter(pk__in=[r.pk for r in named]).update(talent=None, talent_label=DELETED_LABEL)
        history.record_many(history.change_record(
            actor, history.UPDATE, request, {"talent_id": current.pk}, {"talent_id": None}, source=source,
            municipality=request.municipality, object_repr=_request_repr(request)) for request in named)
        history.record(actor, history.DELETE, current, before, None, source=source)
        current.delete()
        history.bump(AREA)


# What the person still had to do on a request (answer, visit, report) nobody else may do for them, so such a
# request goes back to the secretariat as 辞退, whose next step is to ask someone else (or 不採択, or the
# municipality withdraws). Visits already made stay on it and count towards the case's limit with the next talent.
# A reported request needs the talent no more (評価・完了 are others' steps) and keeps its state.
TALENT_LEFT_STATES = (Status.ASKED, Status.ACCEPTED, Status.DISPATCHING)
TALENT_LEFT_REASON = "依頼した人材の登録が削除されました"


def _talent_left(actor, request: TalentRequest, source: str) -> None:
    """`request` (locked) back to the secretariat as 辞退: a move of its own, recorded and told like the others."""
    before = _request_snapshot(request)
    request.status, request.reason = Status.DECLINED, TALENT_LEFT_REASON
    request.version += 1
    request.save(update_fields=["status", "reason", "version", "updated_at"])
    _record(actor, history.UPDATE, request, before, source)
    if source != history.DEMO:
        notify.send(request, Status.DECLINED.label, notify.recipients(request, admins=True, municipality=True),
                    f"理由: {TALENT_LEFT_REASON}")


# ---- Requests -------------------------------------------------------------------------------------------------


def plans_for(municipality, user):
    """Implementation plans a request of `municipality` may name: its own and the wide-area plans it takes part in,
    except discontinued ones (funding app), and only those `user` may see: a participant may not see the
    prefecture's draft, so it is neither offered (its title) nor accepted."""
    from django.db.models import Q

    from chiiki.funding.models import PlanStatus
    from chiiki.funding.queries import visible_plans

    return (visible_plans(user).filter(Q(municipality=municipality) | Q(participants=municipality))
            .exclude(status=PlanStatus.DISCONTINUED).distinct().order_by("-start_year", "pk"))


def _too_long(model, name: str, value: str, label: str, problems: list) -> None:
    """Refuse what the column cannot hold (a 500 on PostgreSQL; SQLite would keep it all)."""
    limit = model._meta.get_field(name).max_length
    if len(value) > limit:
        problems.append((name, f"{label}は{limit}文字以内で入力してください"))


def clean_request(data: dict, municipality=None, user=None, kept_plan_id=None) -> dict:
    """The request's values as they will be stored; `user` is who writes it (the plans they may name).
    `kept_plan_id`: the plan the request already names, kept even when `user` may not see it."""
    problems: list[tuple[str, str]] = []
    _controls(data, ("title", "vision", "plan_url", "organisation"), problems)
    title = (data.get("title") or "").strip()
    if not title:
        problems.append(("title", "求める人（○○ができる人）を入力してください"))
    elif len(title) > 200:
        problems.append(("title", "求める人は200文字以内で入力してください"))
    vision = (data.get("vision") or "").strip()
    if not vision:
        problems.append(("vision", "目指す姿を入力してください（目指す姿のない依頼は人材と結び付けられません）"))
    else:
        _within_limits({"vision": vision}, problems)
    sector = Sector.objects.filter(pk=(_ids([data.get("sector") or ""]) or [""])[0]).first()
    if sector is None:
        problems.append(("sector", "分野を選んでください"))
    caps = {c.pk: c for c in Capability.objects.all()}
    required = [caps[c] for c in dict.fromkeys(_ids(data.get("required"))) if c in caps]
    desired = [caps[c] for c in dict.fromkeys(_ids(data.get("desired"))) if c in caps and c not in
               {r.pk for r in required}]
    unknown = [c for c in [*_ids(data.get("required")), *_ids(data.get("desired"))] if c not in caps]
    if unknown:
        problems.append(("required", f"できることのIDが正しくありません: {', '.join(unknown)}"))
    elif not required:
        problems.append(("required", "必須のできることを1つ以上選んでください"))
    fmt = data.get("format") or Format.MIXED
    if fmt not in Format.values:
        problems.append(("format", "実施形態は 現地・オンライン・併用 のいずれかです"))
    dates = {}
    for name in ("preferred_from", "preferred_to"):
        raw = data.get(name)
        if raw in (None, ""):
            dates[name] = None
        elif isinstance(raw, dt.date):
            dates[name] = raw
        else:
            try:
                dates[name] = dt.date.fromisoformat(str(raw))
            except ValueError:
                problems.append((name, "日付は YYYY-MM-DD で入力してください"))
                dates[name] = None
    if dates.get("preferred_from") and dates.get("preferred_to") and dates["preferred_from"] > dates["preferred_to"]:
        problems.append(("preferred_to", "希望時期の終わりが始まりより前です"))
    plan_url = (data.get("plan_url") or "").strip()
    if plan_url and not re.match(r"^https?://\S+$", plan_url):
        problems.append(("plan_url", "実装計画のURLは http:// または https:// で始めてください"))
    else:
        _too_long(TalentRequest, "plan_url", plan_url, "実装計画のURL", problems)
    organisation = (data.get("organisation") or "").strip()
    _too_long(TalentRequest, "organisation", organisation, "推薦する団体", problems)
    plan = None
    raw_plan = data.get("plan")
    if raw_plan not in (None, ""):
        try:
            if kept_plan_id is not None and int(raw_plan) == kept_plan_id:
                from chiiki.funding.models import ImplementationPlan

                plan = ImplementationPlan.objects.filter(pk=kept_plan_id).first()
            else:
                plan = (plans_for(municipality, user).filter(pk=int(raw_plan)).first()
                        if municipality is not None and user is not None else None)
        except (TypeError, ValueError, OverflowError):
            plan = None
        if plan is None:
            problems.append(("plan", "実装計画は、この団体の計画（参加している広域の計画を含む）から選んでください"))
    if problems:
        raise Invalid(problems)
    return {"title": title, "vision": vision, "sector": sector, "required": required, "desired": desired,
            "format": fmt, "plan_url": plan_url, "plan": plan, "organisation": organisation, **dates}


def _request_snapshot(request: TalentRequest) -> dict:
    snap = history.snapshot(request, REQUEST_FIELDS)
    snap["required"] = sorted(request.required.values_list("pk", flat=True))
    snap["desired"] = sorted(request.desired.values_list("pk", flat=True))
    return snap


def _request_repr(request: TalentRequest) -> str:
    return f"派遣依頼 #{request.pk} {request.municipality.name}「{request.title}」"


def _record(actor, action, request, before, source):
    history.record(actor, action, request, before, _request_snapshot(request), municipality=request.municipality,
                   source=source, object_repr=_request_repr(request))


# The request's own fields a draft edit sets (the capabilities are many-to-many and compared apart).
_EDIT_FIELDS = ("title", "vision", "sector", "format", "plan_url", "plan", "organisation", "preferred_from",
                "preferred_to")
_EDIT_SNAPSHOT = tuple(f"{name}_id" if name in ("sector", "plan") else name for name in _EDIT_FIELDS)


def _write_request(request: TalentRequest, cleaned: dict) -> None:
    for name in _EDIT_FIELDS:
        setattr(request, name, cleaned[name])
    request.save()
    request.required.set(cleaned["required"])
    request.desired.set(cleaned["desired"])


def create_request(actor, municipality, data: dict, *, fiscal_year: int | None = None, is_demo=False,
                   source: str = history.WEB) -> TalentRequest:
    access.require(actor, "talent.request", municipality)
    cleaned = clean_request(data, municipality, actor)
    with transaction.atomic():
        request = TalentRequest(municipality=municipality, fiscal_year=fiscal_year or current_fiscal_year(),
                                created_by=actor if getattr(actor, "is_authenticated", False) else None,
                                is_demo=is_demo)
        _write_request(request, cleaned)
        _record(actor, history.CREATE, request, None, source)
        history.bump(AREA)
    return request


def update_request(actor, request: TalentRequest, data: dict, *, version, source: str = history.WEB) -> TalentRequest:
    """Edit a draft (after 申請 the request is the national office's to handle; withdraw and write a new one)."""
    access.require(actor, "talent.request", request)
    cleaned = clean_request(data, request.municipality, actor, kept_plan_id=request.plan_id)
    version = editing.require_version(version)
    with transaction.atomic():
        current = _locked(request, version)
        if current.status != Status.DRAFT:
            raise Invalid([("status", "編集できるのは下書きの依頼だけです")])
        before = _request_snapshot(current)
        if editing.apply(current, _EDIT_SNAPSHOT, {name: cleaned[name] for name in _EDIT_FIELDS}) is None and (
                before["required"], before["desired"]) == (sorted(c.pk for c in cleaned["required"]),
                                                           sorted(c.pk for c in cleaned["desired"])):
            return current  # nothing changed: no new version, no history
        if current.version == version:  # only the capabilities changed: apply() left the version as it was
            current.version += 1
        _write_request(current, cleaned)
        _record(actor, history.UPDATE, current, before, source)
        history.bump(AREA)
    return current


def _locked(request: TalentRequest, version: int) -> TalentRequest:
    """The request locked and checked against the version the editor saw (chiiki.core.editing)."""
    return editing.lock(TalentRequest.objects.select_related("municipality", "talent"), request.pk, version)


# Transition name → (rule, states it may start from, state it ends in). Who may move it is the rule's business.
TRANSITIONS = {
    "submit": ("talent.request", (Status.DRAFT,), Status.SUBMITTED),
    "receive": ("talent.manage", (Status.SUBMITTED,), Status.RECEIVED),
    "propose": ("talent.manage", (Status.RECEIVED,), Status.PROPOSED),
    "ask": ("talent.manage", (Status.RECEIVED, Status.PROPOSED, Status.DECLINED), Status.ASKED),
    "accept": ("talent.respond", (Status.ASKED,), Status.ACCEPTED),
    "decline": ("talent.respond", (Status.ASKED,), Status.DECLINED),
    "report": ("talent.respond", (Status.DISPATCHING,), Status.REPORTED),
    "rate": ("talent.request", (Status.REPORTED,), Status.RATED),
    "complete": ("talent.manage", (Status.RATED,), Status.COMPLETED),
    "withdraw": ("talent.request", (Status.DRAFT, Status.SUBMITTED, Status.RECEIVED, Status.PROPOSED, Status.ASKED,
                                    Status.DECLINED), Status.WITHDRAWN),
    "reject": ("talent.manage", (Status.SUBMITTED, Status.RECEIVED, Status.PROPOSED, Status.DECLINED),
               Status.REJECTED),
}
TRANSITION_LABELS = {"submit": "申請する", "receive": "受け付ける", "propose": "候補を提示する", "ask": "この人材に依頼する",
                     "accept": "承諾する", "decline": "辞退する", "report": "報告を提出する", "rate": "評価する",
                     "complete": "完了にする", "withdraw": "取り下げる", "reject": "不採択にする"}
# Who hears of each move.
_NOTIFY = {"submit": dict(admins=True), "receive": dict(municipality=True), "propose": dict(municipality=True),
           "ask": dict(talent=True), "accept": dict(admins=True, municipality=True), "decline": dict(admins=True),
           "report": dict(admins=True, municipality=True), "rate": dict(admins=True, talent=True),
           "complete": dict(municipality=True, talent=True), "withdraw": dict(admins=True, talent=True),
           "reject": dict(municipality=True)}


# The talent's own moves: with no talent named (their profile deleted), nobody's, not even the admin's for them.
TALENT_MOVES = ("accept", "decline", "report")
NO_TALENT = ("talent", "依頼している人材がいません")


def allowed_transitions(user, request: TalentRequest) -> list[str]:
    """The moves the user may make now (for buttons; the actions check again)."""
    return [name for name, (rule, sources, _to) in TRANSITIONS.items()
            if request.status in sources and access.can(user, rule, request)
            and not (name in TALENT_MOVES and request.talent_id is None)
            and not (name == "ask" and rules.limit_used_up(request.visits.all()))]


def transition(actor, request: TalentRequest, name: str, *, version, reason: str = "", talent=None, rating=None,
               comment: str = "", report: dict | None = None, now: dt.datetime | None = None,
               source: str = history.WEB) -> TalentRequest:
    """Move a request one step; every step checks its rule, its starting state and the scheme's rules."""
    try:
        rule, sources, target = TRANSITIONS[name]
    except KeyError:
        raise Invalid([("transition", f"操作が正しくありません: {name}")]) from None
    access.require(actor, rule, request)
    reason = (reason or "").strip()
    problems: list = []
    texts = {"reason": reason, "comment": comment, **{k: v for k, v in (report or {}).items() if k != "gained"}}
    _controls(texts, ("reason", "comment", "done", "handed_over_to", "next_steps"), problems)
    _within_limits(texts, problems)
    if problems:
        raise Invalid(problems)
    version = editing.require_version(version)
    with transaction.atomic():
        if name == "ask" and talent is not None:
            # The person may have left since the page read them (delete_profile): locked before the request, in
            # delete_profile's order, so either the ask finds them gone or their leaving finds the request 依頼中.
            talent = TalentProfile.objects.select_for_update().filter(pk=talent.pk).first()
            if talent is None:
                raise Invalid([("talent", "この人材の登録は削除されました")])
        current = _locked(request, version)
        if current.status not in sources:
            raise Invalid([("status", f"「{Status(current.status).label}」の依頼は「{TRANSITION_LABELS[name]}」"
                                      f"ことができません")])
        if name in TALENT_MOVES and current.talent_id is None:
            raise Invalid([NO_TALENT])
        access.require(actor, rule, current)  # the talent asked may have changed since the page was read
        before = _request_snapshot(current)
        note = ""
        if name == "submit":
            round_ = rules.open_round(now)
            if round_ is None:
                raise Invalid([("round", "受付中の募集回がありません（4月〜12月の各回、締切日の15時まで受け付けます）")])
            current.round = round_
            # Rounds run April–December, so a draft begun in January–March (or after the last deadline) goes into
            # next 年度's first round: the request is that round's 年度 — the year its visits must fall in, the KPI
            # counts and the once-per-年度 rule reads at 依頼 (a draft holds no talent yet) — not its draft's.
            current.fiscal_year = round_.fiscal_year
            current.submitted_at = now or timezone.now()
            note = f"募集回: {round_}"
        elif name == "ask":
            if talent is None:
                raise Invalid([("talent", "依頼する人材を選んでください")])
            # Visits a departed talent made stay on the request (TALENT_LEFT_STATES): with none left to make, the
            # next talent could accept but never visit or report, and the request would never move again.
            problem = rules.limit_used_up(current.visits.all())
            if problem:
                raise Invalid([("visits", problem)])
            problem = rules.same_project_problem(current, talent)
            if problem:
                raise Invalid([("talent", problem)])
            current.talent, current.talent_label, current.reason = talent, talent.display_name, ""
        elif name in ("decline", "withdraw", "reject"):
            if not reason and name != "withdraw":
                raise Invalid([("reason", "理由を入力してください")])
            current.reason = reason
            note = f"理由: {reason}" if reason else ""
        elif name == "report":
            _write_report(actor, current, report or {}, source)
        elif name == "rate":
            try:
                value = int(rating)
            except (TypeError, ValueError):
                value = 0
            if not 1 <= value <= 5:
                raise Invalid([("rating", "評価は1〜5で選んでください")])
            current.rating, current.rating_comment = value, (comment or "").strip()
        elif name == "complete":
            current.completed_at = now or timezone.now()
        current.status = target
        current.version += 1
        current.save()
        _record(actor, history.UPDATE, current, before, source)
        history.bump(AREA)
        if source != history.DEMO:  # the demo loader's dozens of moves would only flood the console
            notify.send(current, Status(target).label, notify.recipients(current, **_NOTIFY[name]), note)
    return current


def _write_report(actor, request: TalentRequest, data: dict, source: str) -> None:
    problems = []
    done = (data.get("done") or "").strip()
    handed = (data.get("handed_over_to") or "").strip()
    if not done:
        problems.append(("done", "実施内容を入力してください"))
    if not handed:
        problems.append(("handed_over_to", "誰に何を引き継いだか（ノウハウの引継ぎ）を入力してください"))
    caps = {c.pk: c for c in Capability.objects.filter(pk__in=_ids(data.get("gained")))}
    unknown = [c for c in _ids(data.get("gained")) if c not in caps]
    if unknown:
        problems.append(("gained", f"できることのIDが正しくありません: {', '.join(unknown)}"))
    if problems:
        raise Invalid(problems)
    report = DispatchReport.objects.create(request=request, done=done, handed_over_to=handed,
                                           next_steps=(data.get("next_steps") or "").strip())
    report.gained.set(caps.values())
    history.record(actor, history.CREATE, report, None, {
        "done": report.done, "handed_over_to": report.handed_over_to, "next_steps": report.next_steps,
        "gained": sorted(caps)}, municipality=request.municipality, source=source,
        object_repr=f"{_request_repr(request)} の報告")


MAX_PARTICIPANTS = 100_000


def add_visit(actor, request: TalentRequest, *, date, hours, mode: str, participants=0, note: str = "", version,
              source: str = history.WEB) -> Visit:
    """Log a visit (the talent, or the admin for them). The first visit starts the dispatch (承諾 → 派遣中)."""
    access.require(actor, "talent.respond", request)
    problems = []
    if isinstance(date, str):
        try:
            date = dt.date.fromisoformat(date)
        except ValueError:
            problems.append(("date", "日付は YYYY-MM-DD で入力してください"))
    if date is None:
        problems.append(("date", "日付を入力してください"))
    elif isinstance(date, dt.date) and date > (today := rules.today()):
        # A visit starts the dispatch and sets the report's due date: one dated ahead would hide an overdue report.
        problems.append(("date", f"訪問日は今日（{today.year}年{today.month}月{today.day}日）までの日付を入力してください"))
    try:
        hours = Decimal(str(hours))
        if not hours.is_finite() or hours <= 0 or hours > 24:
            problems.append(("hours", "時間は0より大きく24以下で入力してください"))
    except InvalidOperation:
        problems.append(("hours", "時間は数値で入力してください"))
    _controls({"note": note}, ("note",), problems)
    _within_limits({"note": note}, problems)
    if mode not in VisitMode.values:
        problems.append(("mode", "形態は 現地 または オンライン です"))
    try:
        participants = int(participants or 0)
        if not 0 <= participants <= MAX_PARTICIPANTS:  # beyond the column, the database refused it (a 500)
            raise ValueError
    except (TypeError, ValueError):
        problems.append(("participants", f"参加者数は0〜{MAX_PARTICIPANTS:,}の整数で入力してください"))
    if problems:
        raise Invalid(problems)
    version = editing.require_version(version)
    with transaction.atomic():
        current = _locked(request, version)
        if current.status not in (Status.ACCEPTED, Status.DISPATCHING):
            raise Invalid([("status", "訪問を記録できるのは承諾後・報告提出前の依頼です")])
        if current.talent_id is None:
            raise Invalid([NO_TALENT])
        if fiscal_year_of(date) != current.fiscal_year:
            raise Invalid([("date", f"訪問日が依頼の年度（{current.fiscal_year}年度）に入っていません")])
        problem = rules.visit_problem(list(current.visits.all()), date, hours, mode)
        if problem:
            raise Invalid([("date", problem)])
        before = _request_snapshot(current)
        visit = Visit.objects.create(request=current, date=date, hours=hours, mode=mode, participants=participants,
                                     note=(note or "").strip())
        started = current.status == Status.ACCEPTED
        if started:
            current.status = Status.DISPATCHING
        current.version += 1
        current.save()
        history.record(actor, history.CREATE, visit, None, history.snapshot(visit, ("date", "hours", "mode",
                                                                                      "participants")),
                       municipality=current.municipality, source=source,
                       object_repr=f"訪問 {date.isoformat()}（{_request_repr(current)}）")
        if started:
            _record(actor, history.UPDATE, current, before, source)
        if started and source != history.DEMO:
            notify.send(current, Status.DISPATCHING.label, notify.recipients(current, admins=True, municipality=True))
        history.bump(AREA)
    return visit



# ---- Roster import (national admin): CSV/XLSX, all or nothing, every bad row named --------------------------------

ROSTER_COLUMNS = ["名簿ID", "版", "表示名", "種別", "分野", "活動拠点", "対応都道府県", "オンライン", "I・Uターン希望先",
                  "できること", "対応日数", "対応時間", "メール", "電話", "公開プロフィール", "アカウント"]
ROSTER_REQUIRED = ["名簿ID", "表示名", "種別", "できること"]
_KIND_BY_LABEL = {label: value for value, label in Kind.choices} | {value: value for value in Kind.values}
ROSTER_STALE = "人材の登録がほかで更新されています（最新の内容と版を読み込み直してください）"
ROSTER_EDITED = ("この人材は前回の名簿の取込の後に、人材のページなどで更新されています"
                 "（上書きするには、名簿の出力で得た版を版の列に入れてください）")
ROSTER_NOT_IMPORTED = ("この人材は名簿の取込ではなく、人材のページなどで登録されています"
                       "（上書きするには、名簿の出力で得た版を版の列に入れてください）")
# The sources of a roster import's history: the import page's, and the action's own (a run without the page).
ROSTER_SOURCES = (history.IMPORT, history.WEB_IMPORT)
_ROSTER_TEXT = ("display_name", "public_profile", "email", "phone")
_YES = {"1", "はい", "可", "○", "true", "yes", "y"}
_NO = {"", "0", "いいえ", "不可", "×", "false", "no", "n"}
# Import columns → the form's field names (for naming the column of a problem).
_FIELD_COLUMN = {"display_name": "表示名", "kind": "種別", "sectors": "分野", "home_prefecture": "活動拠点",
                 "prefectures_served": "対応都道府県", "uturn_prefectures": "I・Uターン希望先", "skills": "できること",
                 "available_days": "対応日数", "available_hours": "対応時間", "email": "メール", "phone": "電話",
                 "public_profile": "公開プロフィール"}


def _split(value: str) -> list[str]:
    return [v.strip() for v in re.split(r"[;；、,，]", value or "") if v.strip()]


def roster_rows():
    """The roster of every profile with a 名簿ID in the import's columns and cell formats (what the import reads
    back unchanged), with the 版 a row needs to change a profile edited on its page. Read in chunks: streamed."""
    from chiiki.accounts.models import Role

    kinds = dict(Kind.choices)
    sector_names = dict(Sector.objects.values_list("code", "name"))

    def names(prefectures):
        return ";".join(p.name for p in sorted(prefectures, key=lambda p: p.code))

    def number(value: Decimal) -> str:
        return f"{value.normalize():f}"

    profiles = (TalentProfile.objects.filter(external_id__isnull=False).select_related("home_prefecture", "user")
                .prefetch_related("prefectures_served", "uturn_prefectures", "skills").order_by("external_id"))
    for p in profiles.iterator(chunk_size=500):
        # Only an account the import can link again: another (since deactivated) would refuse the row, and a
        # blank cell leaves the link as it is.
        account = p.user.username if p.user is not None and p.user.is_active and p.user.role in (
            Role.ADVISOR, Role.COMPANY) else ""
        yield [p.external_id, p.version, p.display_name, kinds.get(p.kind, p.kind),
               ";".join(sector_names.get(code, code) for code in p.sectors),
               p.home_prefecture.name if p.home_prefecture else "", names(p.prefectures_served.all()),
               "可" if p.online_available else "不可", names(p.uturn_prefectures.all()),
               ";".join(f"{s.capability_id}:{s.level}" for s in sorted(p.skills.all(), key=lambda s: s.capability_id)),
               number(p.available_days), number(p.available_hours), p.email, p.phone, p.public_profile, account]


def roster_row_data(row, prefecture_by_name: dict[str, str], sector_by_name: dict[str, str]) -> tuple[dict, list]:
    """One roster row as profile data (clean_profile's shape) plus the problems only the file format can have."""
    problems = []

    def prefs(column):
        codes = []
        for item in _split(row.get(column)):
            code = prefecture_by_name.get(item) or (item.zfill(2) if item.isdigit() else None)
            if code is None:
                problems.append((column, f"都道府県が正しくありません: {item}", item))
            else:
                codes.append(code)
        return codes

    kind_raw = row.get("種別").strip()
    online_raw = row.get("オンライン").strip().lower()
    if online_raw not in _YES | _NO:
        problems.append(("オンライン", "オンラインは「可」か「不可」で入力してください", online_raw))
    skills = []
    for item in _split(row.get("できること")):
        cap_id, _, level = item.partition(":")
        skills.append({"capability": cap_id.strip(), "level": level.strip() or Level.ABLE})
    home = prefs("活動拠点")
    data = {"display_name": row.get("表示名"), "kind": _KIND_BY_LABEL.get(kind_raw, kind_raw),
            "sectors": [sector_by_name.get(s, s) for s in _split(row.get("分野"))],
            "home_prefecture": home[0] if home else None, "prefectures_served": prefs("対応都道府県"),
            "uturn_prefectures": prefs("I・Uターン希望先"), "online_available": online_raw in _YES,
            "available_days": row.get("対応日数"), "available_hours": row.get("対応時間"), "email": row.get("メール"),
            "phone": row.get("電話"), "public_profile": row.get("公開プロフィール"), "skills": skills}
    data["uturn_intention"] = bool(data["uturn_prefectures"])
    return data, problems


def import_roster(actor, table, *, dry_run: bool = False, source: str = history.IMPORT):
    """Create or update profiles by 名簿ID; any bad row and nothing is written (every bad row is named). A row with
    a 版 changes a profile only at that version (optimistic lock, as a page edit); a row without one (the official
    roster as published) only a profile nothing but roster imports has changed since it was last imported."""
    from chiiki.core.imports import ImportResult  # core.imports imports views machinery; keep actions light

    access.require(actor, "talent.manage")
    # Importer.run passes "" when not told: the history must still say a roster import wrote it, as the next
    # import without 版 asks it.
    source = source or history.IMPORT
    result = ImportResult(dry_run=dry_run, rows=len(table.rows))
    missing = [c for c in ROSTER_REQUIRED if c not in table.header]
    if missing:
        result.reject(None, "", f"必須の列がありません: {', '.join(missing)}")
        return result
    prefecture_by_name = dict(Prefecture.objects.values_list("name", "code"))
    sector_by_name = dict(Sector.objects.values_list("name", "code"))
    parsed, seen, accounts = [], {}, {}
    linked = dict(TalentProfile.objects.filter(user__isnull=False).values_list("user__username", "external_id"))
    for row in table.rows:
        budget.check()
        external_id = row.get("名簿ID").strip()
        if not external_id:
            result.reject(row.number, "名簿ID", "名簿IDが空です")
            continue
        if len(external_id) > 40:
            result.reject(row.number, "名簿ID", "名簿IDは40文字以内です", external_id)
            continue
        if external_id in seen:
            result.reject(row.number, "名簿ID", f"名簿ID {external_id} が重複しています（{seen[external_id]}行目）",
                          external_id)
            continue
        seen[external_id] = row.number
        data, problems = roster_row_data(row, prefecture_by_name, sector_by_name)
        version = None
        if row.get("版").strip():
            try:
                version = editing.parse_version(row.get("版").strip())
            except ValueError as exc:
                problems.append(("版", str(exc), row.get("版").strip()))
        for column, reason, value in problems:
            result.reject(row.number, column, reason, value)
        try:
            cleaned = clean_profile(data)
        except Invalid as exc:
            for field_name, reason in exc.problems:
                result.reject(row.number, _FIELD_COLUMN.get(field_name, field_name), reason)
            continue
        cleaned["user"] = _roster_account(row, external_id, accounts, linked, result)
        if not problems:
            parsed.append((row.number, external_id, version, cleaned))
    if not result.ok:
        return result

    def write():
        result.created = result.updated = result.unchanged = 0
        with transaction.atomic():
            # One roster import at a time: a second one reads the profiles the first created (PostgreSQL).
            db.lock_area(f"{AREA}:roster")
            existing = {p.external_id: p for p in TalentProfile.objects.select_for_update().filter(
                external_id__in=[e for _, e, _, _ in parsed]).prefetch_related("skills")}
            # The versions are compared with the profiles as they are now, locked: one saved on its page after the
            # preview refuses the whole file at its commit, naming the row, before anything is written.
            plans, unversioned = [], []
            for number, external_id, version, cleaned in parsed:
                profile = existing.get(external_id)
                if profile is not None:
                    # The roster has no column for a capability's evidence (根拠): one kept keeps what its page wrote,
                    # so an exported roster imported back changes nothing.
                    kept = {s.capability_id: s.evidence for s in profile.skills.all()}
                    cleaned = {**cleaned, "skills": [(c, level, evidence or kept.get(c.pk, ""))
                                                     for c, level, evidence in cleaned["skills"]]}
                    # A file's cells are read with full-width digits and spaces made half-width: text the page
                    # saved with them reads back the same, and is kept as saved rather than rewritten.
                    cleaned |= {name: getattr(profile, name) for name in _ROSTER_TEXT
                                if cleaned[name] == as_read(getattr(profile, name))}
                same = profile is not None and _same_profile(profile, cleaned)
                if profile is None:
                    if version:  # read from a profile deleted since: the person left, never bring them back
                        result.reject(number, "版", f"名簿ID {external_id} の人材はほかで削除されています"
                                                   "（新しく登録するときは版を空欄にしてください）", str(version))
                elif same:
                    pass  # a row that changes nothing overwrites nothing, whatever version it was read at
                elif version is None:
                    unversioned.append((number, profile))
                elif version != profile.version:
                    result.reject(number, "版", ROSTER_STALE, str(version))
                plans.append((external_id, profile, cleaned, same))
            _refuse_edited_since_import(unversioned, result)
            if not result.ok:
                return
            for external_id, profile, cleaned, same in plans:
                if profile is None:
                    result.created += 1
                    if not dry_run:
                        profile = TalentProfile(external_id=external_id, user=cleaned["user"])
                        _write_profile(profile, cleaned)
                        history.record(actor, history.CREATE, profile, None, _profile_snapshot(profile),
                                       source=source)
                    continue
                if same:
                    result.unchanged += 1
                    continue
                before = _profile_snapshot(profile)
                result.updated += 1
                if not dry_run:
                    profile.version += 1
                    if cleaned["user"] is not None:
                        profile.user = cleaned["user"]
                    _write_profile(profile, cleaned)
                    history.record(actor, history.UPDATE, profile, before, _profile_snapshot(profile),
                                   source=source)
            if not dry_run and result.changes:
                history.bump(AREA)
                result.committed = True

    # A profile created with the same 名簿ID (or account) by a writer outside the lock: plan again.
    db.retry(write, also=(IntegrityError,))
    return result


def _refuse_edited_since_import(unversioned: list, result) -> None:
    """A row without 版 is the roster as published, which knows nothing of the profile's page: it may change only a
    profile whose last change was a roster import. One query for all (the profiles' last history records)."""
    if not unversioned:
        return
    records = ChangeRecord.objects.filter(model=TalentProfile._meta.label_lower, object_id=Cast(OuterRef("pk"),
                                                                                                 CharField()))
    last = {pk: (source, imported) for pk, source, imported in TalentProfile.objects.filter(
        pk__in=[p.pk for _, p in unversioned]).annotate(
        last_source=Subquery(records.order_by("-at", "-id").values("source")[:1]),
        imported=Exists(records.filter(source__in=ROSTER_SOURCES))).values_list("pk", "last_source", "imported")}
    for number, profile in unversioned:
        source, imported = last[profile.pk]
        if source not in ROSTER_SOURCES:
            result.reject(number, "版", ROSTER_EDITED if imported else ROSTER_NOT_IMPORTED)


def _roster_account(row, external_id: str, accounts: dict, linked: dict, result):
    """The 「アカウント」 column: the username of the advisor or company account that will edit this profile.
    Blank leaves the profile's link as it is."""
    from chiiki.accounts.models import Role, User

    username = row.get("アカウント").strip()
    if not username:
        return None
    if username in accounts:
        result.reject(row.number, "アカウント", f"アカウント {username} が重複しています（{accounts[username]}行目）",
                      username)
        return None
    accounts[username] = row.number
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        result.reject(row.number, "アカウント", f"アカウント {username} がありません", username)
    elif user.role not in (Role.ADVISOR, Role.COMPANY):
        result.reject(row.number, "アカウント", "結び付けられるのはアドバイザーまたは企業のアカウントです", username)
    elif linked.get(username) not in (None, external_id):
        result.reject(row.number, "アカウント", f"アカウント {username} は別の人材（名簿ID {linked[username] or 'なし'}）に"
                                             "結び付いています", username)
    else:
        return user
    return None


def _same_profile(profile: TalentProfile, cleaned: dict) -> bool:
    if cleaned["user"] is not None and profile.user_id != cleaned["user"].pk:
        return False
    scalar = all(getattr(profile, name) == cleaned[name] for name in (
        "display_name", "kind", "sectors", "home_prefecture", "online_available", "uturn_intention",
        "available_days", "available_hours", "email", "phone", "public_profile"))
    skills = {(s.capability_id, s.level, s.evidence) for s in profile.skills.all()}
    return (scalar and skills == {(c.pk, level, evidence) for c, level, evidence in cleaned["skills"]}
            and set(profile.prefectures_served.values_list("pk", flat=True)) == {p.pk for p in
                                                                                 cleaned["prefectures_served"]}
            and set(profile.uturn_prefectures.values_list("pk", flat=True)) == {p.pk for p in
                                                                                cleaned["uturn_prefectures"]})
