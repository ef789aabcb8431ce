"""Every write of PDCA data: permission (chiiki.access), validation, one transaction, history, data-version bump."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from chiiki import access
from chiiki.core import db, editing, history
from chiiki.core.errors import Conflict, Invalid
from chiiki.regions.models import Prefecture
from chiiki.roadmap.models import Sector

from . import measures, queries, validation
from .models import KPI, Action, ActionStatus, InstitutionProposal, ProposalStatus, Review, ReviewEntry

AREA = "pdca"
KPI_FIELDS = ("name", "unit", "target_value", "target_fiscal_year", "baseline_value", "baseline_date", "source",
              "measure", "sectors", "prefecture_id", "order")
ACTION_FIELDS = ("title", "owner_organisation", "due_date", "status", "result", "kpi_id")
PROPOSAL_FIELDS = ("title", "problem", "rule_concerned", "program_id", "evidence_links", "status", "status_reason")


def _collect(checks) -> dict:
    """Run (field, clean, raw) checks; Invalid naming every bad field."""
    cleaned, problems = {}, []
    for name, clean, raw in checks:
        try:
            cleaned[name] = clean(raw)
        except ValueError as exc:
            problems.append((name.removesuffix("_id"), str(exc)))  # the input field (kpi, not kpi_id)
    if problems:
        raise Invalid(problems)
    return cleaned


def _prefecture(code) -> Prefecture | None:
    if not code:
        return None
    found = Prefecture.objects.filter(pk=code).first()
    if found is None:
        raise ValueError(f"都道府県コードが正しくありません: {code}")
    return found


# ---- KPIs -----------------------------------------------------------------------------------------------------

def clean_kpi(data: dict) -> dict:
    cleaned = _collect([
        ("name", lambda v: validation.text(v, label="KPI名", max_length=200), data.get("name")),
        ("unit", lambda v: validation.text(v, label="単位", max_length=20), data.get("unit")),
        ("target_value", lambda v: validation.decimal(v, label="目標値", positive=True), data.get("target_value")),
        ("target_fiscal_year", lambda v: validation.fiscal_year(v, label="目標年度"), data.get("target_fiscal_year")),
        ("baseline_value", lambda v: validation.decimal(v, label="基準値", required=False), data.get("baseline_value")),
        ("baseline_date", lambda v: validation.text(v, label="基準時点", max_length=20, required=False),
         data.get("baseline_date")),
        ("source", lambda v: validation.text(v, label="出典", max_length=300, required=False), data.get("source")),
        ("measure", _clean_measure, data.get("measure")),
        ("prefecture", _prefecture, data.get("prefecture")),
        ("order", validation.order, data.get("order")),
    ])
    sectors = [s for s in (data.get("sectors") or []) if s]
    measure = measures.get(cleaned["measure"])
    known = set(Sector.objects.values_list("code", flat=True))
    unknown = [s for s in sectors if s not in known]
    if unknown:
        raise Invalid([("sectors", f"分野コードが正しくありません: {', '.join(unknown)}")])
    if measure.sectors == "required" and not sectors:
        raise Invalid([("sectors", "この算定方法では対象分野を1つ以上選んでください")])
    if measure.sectors == "none" and sectors:
        raise Invalid([("sectors", "この算定方法では対象分野を指定できません")])
    cleaned["sectors"] = sorted(set(sectors), key=sectors.index)
    cleaned["prefecture_id"] = cleaned.pop("prefecture").pk if cleaned["prefecture"] else None
    return cleaned


def _clean_measure(raw) -> str:
    if raw not in measures.MEASURES:
        raise ValueError("算定方法を一覧から選んでください")
    return raw


def _kpi_snapshot(kpi) -> dict:
    return {name: history.jsonable(getattr(kpi, name)) for name in (*KPI_FIELDS, "version")}


def save_kpi(actor, kpi: KPI | None, data: dict, *, version, source: str = history.WEB) -> tuple[KPI, bool]:
    """Create (kpi None, version 0, data["code"]) or update a KPI. National KPIs: national admins; a prefecture's
    KPIs: its staff too. Raises Invalid, Conflict."""
    cleaned = clean_kpi(data)
    target_prefecture = Prefecture.objects.filter(pk=cleaned["prefecture_id"]).first()
    access.require(actor, "pdca.manage", target_prefecture)
    version = editing.require_version(version)
    try:
        return _write_kpi(actor, kpi, data, cleaned, target_prefecture, version=version, source=source)
    except IntegrityError as exc:
        db.duplicate_or_raise(exc)
        # Two requests created the same KPI ID at once: the second insert meets the primary key (PostgreSQL).
        raise Invalid([("code", f"KPI ID {validation.code(data.get('code'))} はすでに使われています")]) from None


def _write_kpi(actor, kpi, data, cleaned, target_prefecture, *, version, source) -> tuple[KPI, bool]:
    with transaction.atomic():
        if kpi is None:
            try:
                code = validation.code(data.get("code"))
            except ValueError as exc:
                raise Invalid([("code", str(exc))]) from None
            if version != 0:
                raise Conflict(current=KPI.objects.filter(pk=code).first())
            if KPI.objects.filter(pk=code).exists():
                raise Invalid([("code", f"KPI ID {code} はすでに使われています")])
            kpi = KPI.objects.create(code=code, version=1, **cleaned)
            history.record(actor, history.CREATE, kpi, None, _kpi_snapshot(kpi), prefecture=target_prefecture,
                           source=source)
        else:
            access.require(actor, "pdca.manage", kpi.prefecture)
            current = editing.lock(KPI.objects.all(), kpi.pk, version)
            before = editing.apply(current, KPI_FIELDS, cleaned)
            if before is None:
                return current, False
            before["version"] = current.version - 1
            current.save()
            kpi = current
            history.record(actor, history.UPDATE, kpi, before, _kpi_snapshot(kpi), prefecture=target_prefecture,
                           source=source)
        history.bump(AREA)
    return kpi, True


# ---- reviews --------------------------------------------------------------------------------------------------

def _frozen(value):
    """A figure as a review can keep it (validation.MAX_VALUE): none beyond that (a projection far ahead, sums of
    the largest amounts), rather than refusing to open the review."""
    return None if value is not None and abs(value) > validation.MAX_VALUE else value


def open_review(actor, *, fiscal_year, prefecture: str | None = None, title: str = "", summary: str = "",
                source: str = history.WEB, is_demo: bool = False) -> Review:
    """Open the review of a 年度: freeze every KPI of its scope (value of that 年度, outlook, formula) now."""
    cleaned = _collect([
        ("fiscal_year", validation.fiscal_year, fiscal_year), ("prefecture", _prefecture, prefecture),
        ("summary", lambda v: validation.text(v, label="総括", max_length=5000, required=False), summary),
        ("title", lambda v: validation.text(v, label="名称", max_length=200, required=False), title),
    ])
    pref = cleaned["prefecture"]
    access.require(actor, "pdca.manage", pref)
    year = cleaned["fiscal_year"]
    scope = f"{pref.name}" if pref else "全国"
    try:
        with transaction.atomic():
            if Review.objects.filter(fiscal_year=year, prefecture=pref).exists():
                raise Invalid([("fiscal_year", f"{year}年度の{scope}のレビューはすでにあります")])
            review = Review.objects.create(
                fiscal_year=year, prefecture=pref, title=cleaned["title"] or f"{year}年度 {scope}KPIレビュー",
                summary=cleaned["summary"], snapshot_at=timezone.now(), is_demo=is_demo,
                created_by=actor if getattr(actor, "is_authenticated", False) else None)
            years = [y for y in queries.measured_years() if y <= year] or [year]
            entries = []
            for kpi in queries.kpis(pref.code if pref else None):
                by_year = queries.values(kpi, years)
                look = queries.outlook(kpi, by_year)
                value = by_year.get(year) if by_year is not None else None
                entries.append(ReviewEntry(
                    review=review, kpi=kpi, kpi_name=kpi.name, unit=kpi.unit, value=_frozen(value),
                    target_value=kpi.target_value, target_fiscal_year=kpi.target_fiscal_year,
                    projected_value=_frozen(look.projected), outlook=look.label,
                    formula=look.formula if _frozen(look.projected) == look.projected
                    else f"{look.formula}（見込み値は記録できる桁数を超えるため記録していません）"))
            ReviewEntry.objects.bulk_create(entries)
            history.record(actor, history.CREATE, review, None,
                           {"fiscal_year": year, "prefecture": pref.pk if pref else None, "title": review.title,
                            "kpis": [e.kpi_id for e in entries]}, prefecture=pref, source=source)
            history.bump(AREA)
            return review
    except IntegrityError as exc:
        db.duplicate_or_raise(exc)
        raise Invalid([("fiscal_year", f"{year}年度の{scope}のレビューはすでにあります")]) from None


def save_assessment(actor, entry: ReviewEntry, *, assessment: str, version, source: str = history.WEB) -> ReviewEntry:
    """The assessment text of one KPI in a review (the frozen figures never change)."""
    review = entry.review
    access.require(actor, "pdca.manage", review.prefecture)
    cleaned = _collect([("assessment", lambda v: validation.text(v, label="評価", max_length=5000, required=False),
                         assessment)])
    version = editing.require_version(version)
    with transaction.atomic():
        current = editing.lock(ReviewEntry.objects.all(), entry.pk, version)
        before = editing.apply(current, ("assessment",), cleaned)
        if before is None:
            return current
        before["version"] = current.version - 1
        current.save(update_fields=["assessment", "version"])
        history.record(actor, history.UPDATE, current, before,
                       {"assessment": current.assessment, "version": current.version}, prefecture=review.prefecture,
                       source=source, object_repr=f"{review.title}: {current.kpi_name}")
        history.bump(AREA)
        return current


def clean_action(data: dict, review: Review) -> dict:
    cleaned = _collect([
        ("title", lambda v: validation.text(v, label="対応内容", max_length=300), data.get("title")),
        ("owner_organisation", lambda v: validation.text(v, label="担当組織", max_length=200),
         data.get("owner_organisation")),
        ("due_date", lambda v: validation.date(v, label="期限"), data.get("due_date")),
        ("status", _clean_action_status, data.get("status") or ActionStatus.NOT_STARTED),
        ("result", lambda v: validation.text(v, label="結果", max_length=5000, required=False), data.get("result")),
        ("kpi_id", lambda v: _review_kpi(review, v), data.get("kpi")),
    ])
    if cleaned["status"] == ActionStatus.DONE and not cleaned["result"]:
        raise Invalid([("result", "完了にするときは結果を入力してください")])
    return cleaned


def _review_kpi(review: Review, code) -> str | None:
    if code and not review.entries.filter(kpi_id=code).exists():
        raise ValueError("このレビューの対象のKPIを選んでください")
    return code or None


def _clean_action_status(raw) -> str:
    if raw not in ActionStatus.values:
        raise ValueError("状況は 未着手・対応中・完了・中止 のいずれかです")
    return raw


def _action_snapshot(action) -> dict:
    return {name: history.jsonable(getattr(action, name)) for name in (*ACTION_FIELDS, "version")}


def add_action(actor, review: Review, data: dict, *, source: str = history.WEB) -> Action:
    access.require(actor, "pdca.manage", review.prefecture)
    cleaned = clean_action(data, review)
    with transaction.atomic():
        action = Action.objects.create(review=review, version=1, **cleaned)
        history.record(actor, history.CREATE, action, None, _action_snapshot(action), prefecture=review.prefecture,
                       source=source)
        history.bump(AREA)
        return action


def update_action(actor, action: Action, data: dict, *, version, source: str = history.WEB) -> Action:
    review = action.review
    access.require(actor, "pdca.manage", review.prefecture)
    cleaned = clean_action(data, review)
    version = editing.require_version(version)
    with transaction.atomic():
        current = editing.lock(Action.objects.all(), action.pk, version)
        before = editing.apply(current, ACTION_FIELDS, cleaned)
        if before is None:
            return current
        before["version"] = current.version - 1
        current.save()
        history.record(actor, history.UPDATE, current, before, _action_snapshot(current),
                       prefecture=review.prefecture, source=source)
        history.bump(AREA)
        return current


# ---- 制度の見直し --------------------------------------------------------------------------------------------

def _proposal_snapshot(proposal) -> dict:
    return {name: history.jsonable(getattr(proposal, name)) for name in (*PROPOSAL_FIELDS, "version")}


def _program(public_id):
    from chiiki.programs.models import SupportProgram

    if not public_id:
        return None
    found = SupportProgram.objects.filter(public_id=public_id).first()
    if found is None:
        raise ValueError(f"支援メニューのIDが見つかりません: {public_id}")
    return found


def _proposer_label(actor) -> str:
    if getattr(actor, "municipality_id", None):
        return actor.municipality.name
    if getattr(actor, "prefecture_id", None):
        return actor.prefecture.name
    return getattr(actor, "organisation", "") or actor.get_role_display()


def submit_proposal(actor, data: dict, *, source: str = history.WEB, is_demo: bool = False) -> InstitutionProposal:
    """Anyone signed in may propose; the proposal starts at 受付."""
    access.require(actor, "pdca.propose")
    cleaned = _collect([
        ("title", lambda v: validation.text(v, label="件名", max_length=200), data.get("title")),
        ("problem", lambda v: validation.text(v, label="課題", max_length=5000), data.get("problem")),
        ("rule_concerned", lambda v: validation.text(v, label="対象の制度・ルール", max_length=300),
         data.get("rule_concerned")),
        ("program", _program, data.get("program")),
        ("evidence_links", validation.links, data.get("evidence_links")),
    ])
    with transaction.atomic():
        proposal = InstitutionProposal.objects.create(
            **cleaned, proposer=actor if getattr(actor, "is_authenticated", False) else None,
            proposer_label=_proposer_label(actor) if getattr(actor, "is_authenticated", False) else "システム",
            is_demo=is_demo, version=1)
        history.record(actor, history.CREATE, proposal, None, _proposal_snapshot(proposal), source=source)
        history.bump(AREA)
        return proposal


def set_proposal_status(actor, proposal: InstitutionProposal, *, status: str, reason: str = "", version,
                        source: str = history.WEB) -> InstitutionProposal:
    """受付 → 検討中 → 反映済 / 見送り (見送り needs its reason). National admins only."""
    access.require(actor, "pdca.judge_proposal", proposal)
    if status not in ProposalStatus.values:
        raise Invalid([("status", "状況は 受付・検討中・反映済・見送り のいずれかです")])
    cleaned = _collect([("status_reason", lambda v: validation.text(v, label="理由", max_length=5000, required=False),
                         reason)])
    if status == ProposalStatus.DECLINED and not cleaned["status_reason"]:
        raise Invalid([("status_reason", "見送りにするときは理由を入力してください")])
    version = editing.require_version(version)
    with transaction.atomic():
        current = editing.lock(InstitutionProposal.objects.all(), proposal.pk, version)
        before = editing.apply(current, PROPOSAL_FIELDS, {"status": status, **cleaned})
        if before is None:
            return current
        before["version"] = current.version - 1
        current.save()
        history.record(actor, history.UPDATE, current, before, _proposal_snapshot(current), source=source)
        history.bump(AREA)
        return current
