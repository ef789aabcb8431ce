"""PDCA pages: KPIs (public, cached for anonymous visitors), annual reviews and their actions, 制度の見直し."""

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from chiiki import access
from chiiki.core import editing, tabular
from chiiki.core.errors import Conflict, Invalid
from chiiki.core.forms import pk_or_404
from chiiki.core.models import ChangeRecord
from chiiki.core.paging import paginate
from chiiki.regions.models import Prefecture

from . import actions, measures, queries
from .forms import ActionForm, KPIForm, ProposalForm, ProposalStatusForm, ReviewForm
from .models import KPI, Action, InstitutionProposal, ProposalStatus, Review, ReviewEntry

CONFLICT_MESSAGE = Conflict.DEFAULT


def _status(form) -> int:
    """A form sent back: 409 when someone else saved first, 422 when the values were refused."""
    return 409 if getattr(form, "conflict", None) else 422 if form.errors else 200


def _managed_prefectures(user):
    """Scopes the user may manage, for the form choices: None = every scope (national included)."""
    if access.is_admin(user):
        return None
    code = access.staff_prefecture_id(user)
    return [code] if code is not None else []


def _can_manage_any(user) -> bool:
    return _managed_prefectures(user) != []


def _fmt_value(value):
    return "" if value is None else value


# ---- KPIs -----------------------------------------------------------------------------------------------------

def index(request):
    years = queries.measured_years()  # once for the list, not once per KPI
    rows = [queries.kpi_summary(kpi, years) for kpi in queries.kpis()]
    if request.GET.get("format") in ("csv", "xlsx"):
        header = ["KPI ID", "KPI名", "対象", "算定方法", "最新年度", "最新値", "単位", "目標値", "目標年度", "達成率（%）",
                  "見込み値", "見通し", "基準値", "基準時点", "基準時点の年度", "基準時点の年度の算定値", "出典"]
        return tabular.table_response(request.GET["format"], "KPI一覧", header, [[
            r["kpi"].code, r["kpi"].name, r["kpi"].prefecture.name if r["kpi"].prefecture else "全国",
            r["measure"].label, _fmt_value(r["latest_year"]),
            _fmt_value(r["latest_value"]) if r["available"] else measures.UNAVAILABLE, r["kpi"].unit,
            r["kpi"].target_value, r["kpi"].target_fiscal_year, _fmt_value(r["achievement"]),
            _fmt_value(r["outlook"].projected), r["outlook"].label, _fmt_value(r["kpi"].baseline_value),
            r["kpi"].baseline_date, _fmt_value((r["baseline"] or {}).get("fiscal_year")),
            _fmt_value((r["baseline"] or {}).get("value")), r["kpi"].source] for r in rows])
    return render(request, "pdca/index.html", {
        "rows": rows, "can_manage": _can_manage_any(request.user), "rule": queries.OUTLOOK_RULE,
        "overdue": queries.overdue_actions().count(), "latest_review": queries.reviews().first()})


def kpi_detail(request, code):
    kpi = get_object_or_404(KPI.objects.select_related("prefecture"), pk=code)
    summary = queries.kpi_summary(kpi)
    years = sorted(summary["values"])
    try:
        year = int(request.GET.get("fiscal_year") or 0)
    except ValueError:
        year = 0
    year = year if year in years else (summary["latest_year"] or 0)
    measure = summary["measure"]
    kwargs = {"sectors": kpi.sectors or None, "prefecture": kpi.prefecture_id}
    by_year = [{"year": y, "value": summary["values"][y],
                "achievement": measures.share(int(summary["values"][y] * 100), int(kpi.target_value * 100)),
                "url": measure.rows_url(y, **kwargs) if measure.rows_url else None} for y in years]
    if request.GET.get("format") in ("csv", "xlsx"):
        return tabular.table_response(request.GET["format"], f"KPI_{kpi.code}_年度別", [
            "年度", "値", "単位", "目標値", "目標年度", "達成率（%）"],
            [[r["year"], r["value"], kpi.unit, kpi.target_value, kpi.target_fiscal_year, r["achievement"]]
             for r in by_year])
    parts = queries.breakdowns(kpi, year) if summary["available"] and year else {"prefectures": [], "sectors": []}
    sector_names = dict(queries.sector_names())
    # Progress rows name their municipality count: a prefecture without municipalities has nothing to show.
    prefecture_rows = [r for r in parts["prefectures"] if r.get("municipalities", 1)]
    return render(request, "pdca/kpi_detail.html", {
        "kpi": kpi, "summary": summary, "by_year": by_year, "year": year, "years": years,
        "prefecture_rows": prefecture_rows, "counts_municipalities": "implemented" in (prefecture_rows or
                                                                                      parts["sectors"] or [{}])[0],
        "map_data": queries.prefecture_map(kpi, prefecture_rows),
        "sector_rows": parts["sectors"], "rule": queries.OUTLOOK_RULE, "unavailable": measures.UNAVAILABLE,
        "sector_labels": [sector_names.get(s, s) for s in kpi.sectors],
        "can_edit": access.can(request.user, "pdca.manage", kpi.prefecture),
        "entries": kpi.review_entries.select_related("review").order_by("-review__fiscal_year")[:10]})


def _kpi_data(form) -> dict:
    data = dict(form.cleaned_data)
    data.pop("version", None)
    return data


@login_required
def kpi_new(request):
    allowed = _managed_prefectures(request.user)
    if allowed == []:
        access.require(request.user, "pdca.manage", None)
    form = KPIForm(request.POST or None, prefectures=allowed)
    if request.method == "POST" and form.is_valid():
        try:
            kpi, _ = actions.save_kpi(request.user, None, _kpi_data(form), version=0)
        except Invalid as exc:
            form.attach(exc)
        except Conflict:
            form.add_error(None, CONFLICT_MESSAGE)
        else:
            messages.success(request, f"KPI「{kpi.name}」を登録しました。")
            return redirect("pdca:kpi", code=kpi.code)
    return render(request, "pdca/kpi_form.html", {"form": form, "kpi": None}, status=422 if form.errors else 200)


@login_required
def kpi_edit(request, code):
    kpi = get_object_or_404(KPI, pk=code)
    access.require(request.user, "pdca.manage", kpi.prefecture)
    form = KPIForm(request.POST or None, initial=_kpi_initial(kpi), prefectures=_managed_prefectures(request.user),
                   editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            kpi, changed = actions.save_kpi(request.user, kpi, _kpi_data(form),
                                            version=form.cleaned_data.get("version"))
        except Invalid as exc:
            form.attach(exc)
        except Conflict as exc:
            editing.keep_typed(form, exc.current and _kpi_initial(exc.current))
        else:
            messages.success(request, "KPIを更新しました。" if changed else "変更はありませんでした。")
            return redirect("pdca:kpi", code=kpi.code)
    return render(request, "pdca/kpi_form.html", {"form": form, "kpi": kpi}, status=_status(form))


def _kpi_initial(kpi) -> dict:
    return {"name": kpi.name, "unit": kpi.unit, "measure": kpi.measure, "sectors": kpi.sectors,
            "target_value": kpi.target_value, "target_fiscal_year": kpi.target_fiscal_year,
            "baseline_value": kpi.baseline_value if kpi.baseline_value is not None else "",
            "baseline_date": kpi.baseline_date, "source": kpi.source, "prefecture": kpi.prefecture_id or "",
            "order": kpi.order, "version": kpi.version}


# ---- reviews --------------------------------------------------------------------------------------------------

def reviews(request):
    """The reviews with their counts; ?overdue=1 (optionally &review=<pk>) lists instead the open actions past
    their due date — the rows behind 「期限を過ぎた未完了の対応 N件」. ?format=csv|xlsx exports what is shown."""
    if request.GET.get("overdue") == "1":
        return _overdue_actions(request)
    rows = list(queries.reviews_with_counts())
    if request.GET.get("format") in ("csv", "xlsx"):
        return tabular.table_response(request.GET["format"], "年次レビュー一覧", [
            "ID", "年度", "対象", "名称", "スナップショット取得日時", "KPI数", "対応数", "期限切れの対応数"], [[
                r.pk, r.fiscal_year, r.prefecture.name if r.prefecture else "全国", r.title,
                timezone.localtime(r.snapshot_at).strftime("%Y-%m-%d %H:%M"), r.entry_count, r.action_count,
                r.overdue_count] for r in rows])
    return render(request, "pdca/reviews.html", {
        "page": paginate(rows, request.GET.get("page"), 50), "can_manage": _can_manage_any(request.user)})


def _overdue_actions(request):
    raw = (request.GET.get("review") or "").strip()
    review = get_object_or_404(queries.reviews(), pk=pk_or_404(raw)) if raw else None
    scope = (request.GET.get("scope") or "").strip()  # NATIONAL or a prefecture code: whose reviews
    scope_name = None
    if scope == queries.NATIONAL:
        scope_name = "全国"
    elif scope:
        scope_name = get_object_or_404(Prefecture, pk=scope).name
    rows = list(queries.overdue_actions(review.pk if review else None, scope or None))
    if request.GET.get("format") in ("csv", "xlsx"):
        name = "期限切れの対応" + (f"_レビュー{review.pk}" if review else "") + (f"_{scope_name}" if scope_name else "")
        return tabular.table_response(request.GET["format"], name, [
            "ID", "レビュー", "年度", "対象", "対応内容", "担当組織", "期限", "状況", "関連KPI"], [[
                a.pk, a.review.title, a.review.fiscal_year,
                a.review.prefecture.name if a.review.prefecture else "全国", a.title, a.owner_organisation,
                a.due_date.isoformat(), a.get_status_display(), a.kpi.name if a.kpi else ""] for a in rows])
    query = "overdue=1" + (f"&review={review.pk}" if review else "") + (f"&scope={scope}" if scope else "")
    return render(request, "pdca/overdue_actions.html", {
        "page": paginate(rows, request.GET.get("page"), 50), "review": review, "scope_name": scope_name,
        "count": len(rows), "export_query": query})


@login_required
def review_new(request):
    allowed = _managed_prefectures(request.user)
    if allowed == []:
        access.require(request.user, "pdca.manage", None)
    form = ReviewForm(request.POST or None, prefectures=allowed)
    if request.method == "POST" and form.is_valid():
        try:
            review = actions.open_review(request.user, **form.cleaned_data)
        except Invalid as exc:
            form.attach(exc)
        else:
            messages.success(request, f"「{review.title}」を作成し、KPIの値を記録しました。")
            return redirect("pdca:review", pk=review.pk)
    return render(request, "pdca/review_form.html", {"form": form}, status=422 if form.errors else 200)


def _cell_number(value):
    """A stored Decimal as the page shows it (2.00 → 2, 1200.30 → 1200.3); blank for none."""
    if value is None:
        return None
    value = Decimal(str(value))
    return int(value) if value == value.to_integral_value() else float(value)


def _entry_row(entry, live, sent=None, live_url=None):
    """An assessment row; `sent` (a refused post) keeps what was typed: its error, or after a conflict the other
    person's text and the stored version."""
    sent = sent or {}
    return {"entry": entry, "live": live, "live_url": live_url, "form_error": sent.get("error"),
            "posted": sent.get("posted"),
            "kept": "posted" in sent, "theirs": sent.get("theirs"), "version": sent.get("version", entry.version)}


def _action_initial(a) -> dict:
    return {"title": a.title, "owner_organisation": a.owner_organisation, "due_date": a.due_date.isoformat(),
            "kpi": a.kpi_id or "", "status": a.status, "result": a.result, "version": a.version}


def review_detail(request, pk, *, entry_forms=None, action_forms=None, new_action_form=None, status=200,
                  conflict=None):
    review = get_object_or_404(Review.objects.select_related("prefecture"), pk=pk)
    today = timezone.localdate()
    entries = list(review.entries.select_related("kpi", "kpi__prefecture"))
    live, live_urls = {}, {}
    for entry in entries:
        by_year = queries.values(entry.kpi, [review.fiscal_year])
        live[entry.pk] = None if by_year is None else by_year.get(review.fiscal_year)
        # The live value leads to its rows like the KPI page's; the frozen one cannot (the rows have moved on).
        measure = queries.measure_of(entry.kpi)
        if live[entry.pk] is not None and measure.rows_url:
            live_urls[entry.pk] = measure.rows_url(review.fiscal_year, sectors=entry.kpi.sectors or None,
                                                   prefecture=entry.kpi.prefecture_id)
    if request.GET.get("table") == "entries" and request.GET.get("format") in ("csv", "xlsx"):
        return tabular.table_response(request.GET["format"], f"レビュー{review.pk}_KPIの評価", [
            "KPIコード", "KPI名（当時）", "単位", "記録した値", "現在の値", "目標値（当時）", "目標年度（当時）",
            "見込み値（当時）", "見通し（当時）", "評価"], [[
                e.kpi_id, e.kpi_name, e.unit, _cell_number(e.value), _cell_number(live[e.pk]),
                _cell_number(e.target_value), e.target_fiscal_year, _cell_number(e.projected_value), e.outlook,
                e.assessment] for e in entries])
    can_manage = access.can(request.user, "pdca.manage", review.prefecture)
    action_list = queries.actions_of(review)
    previous = queries.previous_review(review)
    if request.GET.get("format") in ("csv", "xlsx"):
        return tabular.table_response(request.GET["format"], f"レビュー{review.pk}_対応", [
            "ID", "対応内容", "担当組織", "期限", "状況", "期限切れ", "関連KPI", "結果"], [[
                a.pk, a.title, a.owner_organisation, a.due_date.isoformat(), a.get_status_display(),
                "期限切れ" if a.is_overdue(today) else "", a.kpi.name if a.kpi else "", a.result] for a in action_list])
    entry_forms = entry_forms or {}  # entry pk → what was sent (see _entry_row)
    action_forms = action_forms or {}
    return render(request, "pdca/review_detail.html", {
        "review": review, "entries": [_entry_row(e, live[e.pk], entry_forms.get(e.pk), live_urls.get(e.pk))
                                       for e in entries],
        "actions": [{"action": a, "overdue": a.is_overdue(today), "form": action_forms.get(a.pk) or ActionForm(
            initial=_action_initial(a), review=review, prefix=f"action-{a.pk}")} for a in action_list],
        "conflict": conflict,  # {"message", "href"}: someone else saved first; focus goes there
        "new_action_form": new_action_form or ActionForm(review=review, prefix="new"),
        "previous": previous, "previous_actions": [{"action": a, "overdue": a.is_overdue(today)}
                                                   for a in queries.actions_of(previous)] if previous else [],
        "can_manage": can_manage, "unavailable": measures.UNAVAILABLE}, status=status)


@login_required
@require_POST
def entry_save(request, pk, entry_pk):
    entry = get_object_or_404(ReviewEntry.objects.select_related("review", "review__prefecture"), pk=entry_pk,
                              review_id=pk)
    typed = request.POST.get("assessment", "")
    try:
        actions.save_assessment(request.user, entry, assessment=typed, version=request.POST.get("version"))
    except Invalid as exc:
        # Sent back with what was typed (not the stored text): bad input must not cost the user their words.
        return review_detail(request, pk, status=422, entry_forms={
            entry.pk: {"error": "; ".join(r for _f, r in exc.problems), "posted": typed}})
    except Conflict as exc:
        # Neither is a conflict lost: the typed text stays in the field, the other person's is shown beside it.
        stored = exc.current or entry
        theirs = editing.differences({"assessment": typed}, {"assessment": stored.assessment}).get("assessment")
        return review_detail(request, pk, status=409, entry_forms={
            entry.pk: {"posted": typed, "theirs": theirs, "version": stored.version}},
            conflict={"message": editing.SAVED_FIRST, "href": f"#assessment-{entry.pk}"})
    else:
        messages.success(request, f"「{entry.kpi_name}」の評価を保存しました。")
    return redirect("pdca:review", pk=pk)


@login_required
@require_POST
def action_new(request, pk):
    review = get_object_or_404(Review.objects.select_related("prefecture"), pk=pk)
    access.require(request.user, "pdca.manage", review.prefecture)
    form = ActionForm(request.POST, review=review, prefix="new")
    form.is_valid()
    try:
        actions.add_action(request.user, review, form.cleaned_data)
    except Invalid as exc:
        form.attach(exc)
        return review_detail(request, pk, new_action_form=form, status=422)
    messages.success(request, "対応を追加しました。")
    return redirect("pdca:review", pk=pk)


@login_required
@require_POST
def action_save(request, pk, action_pk):
    action = get_object_or_404(Action.objects.select_related("review", "review__prefecture"), pk=action_pk,
                               review_id=pk)
    access.require(request.user, "pdca.manage", action.review.prefecture)
    form = ActionForm(request.POST, review=action.review, prefix=f"action-{action.pk}")
    form.is_valid()
    try:
        actions.update_action(request.user, action, form.cleaned_data, version=form.cleaned_data.get("version"))
    except Invalid as exc:
        form.attach(exc)
        return review_detail(request, pk, action_forms={action.pk: form}, status=422)
    except Conflict as exc:
        editing.keep_typed(form, exc.current and _action_initial(exc.current))
        return review_detail(request, pk, action_forms={action.pk: form}, status=409)  # message in the form
    else:
        messages.success(request, f"対応「{action.title}」を更新しました。")
    return redirect("pdca:review", pk=pk)


# ---- 制度の見直し --------------------------------------------------------------------------------------------

def proposals(request):
    status = request.GET.get("status") if request.GET.get("status") in ProposalStatus.values else None
    rows = queries.proposals(status)
    if request.GET.get("format") in ("csv", "xlsx"):
        return tabular.table_response(request.GET["format"], "制度の見直しの提案", [
            "ID", "提案日", "件名", "対象の制度・ルール", "関連する支援メニュー", "提案者の所属", "状況", "理由", "課題", "根拠"], [[
                p.pk, timezone.localtime(p.created_at).date().isoformat(), p.title, p.rule_concerned,
                p.program.public_id if p.program else "", p.proposer_label, p.get_status_display(), p.status_reason,
                p.problem, "\n".join(p.evidence_links)] for p in rows])
    return render(request, "pdca/proposals.html", {
        "page": paginate(rows, request.GET.get("page"), 50), "status": status or "",
        "statuses": ProposalStatus.choices, "can_propose": access.can(request.user, "pdca.propose")})


@login_required
def proposal_new(request):
    access.require(request.user, "pdca.propose")
    form = ProposalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            proposal = actions.submit_proposal(request.user, form.cleaned_data)
        except Invalid as exc:
            form.attach(exc)
        else:
            messages.success(request, "提案を受け付けました。")
            return redirect("pdca:proposal", pk=proposal.pk)
    return render(request, "pdca/proposal_form.html", {"form": form}, status=422 if form.errors else 200)


def proposal_detail(request, pk, *, status_form=None, status=200):
    proposal = get_object_or_404(InstitutionProposal.objects.select_related("program"), pk=pk)
    changes = ChangeRecord.objects.filter(model=InstitutionProposal._meta.label_lower,
                                          object_id=str(proposal.pk)).order_by("at", "id")
    labels = dict(ProposalStatus.choices)
    timeline = []
    for change in changes:
        before = (change.before or {}).get("status")
        after = (change.after or {}).get("status")
        if change.action == ChangeRecord.Action.CREATE or before != after:
            timeline.append({"at": change.at, "status": labels.get(after, after),
                             "reason": (change.after or {}).get("status_reason", "")})
    can_judge = access.can(request.user, "pdca.judge_proposal", proposal)
    form = status_form or (ProposalStatusForm(initial=_proposal_initial(proposal)) if can_judge else None)
    return render(request, "pdca/proposal_detail.html", {"proposal": proposal, "timeline": timeline,
                                                         "form": form}, status=status)


def _proposal_initial(proposal) -> dict:
    return {"status": proposal.status, "status_reason": proposal.status_reason, "version": proposal.version}


@login_required
@require_POST
def proposal_status(request, pk):
    proposal = get_object_or_404(InstitutionProposal, pk=pk)
    access.require(request.user, "pdca.judge_proposal", proposal)
    form = ProposalStatusForm(request.POST)
    form.is_valid()
    try:
        actions.set_proposal_status(request.user, proposal, status=form.cleaned_data.get("status") or "",
                                    reason=form.cleaned_data.get("status_reason") or "",
                                    version=form.cleaned_data.get("version"))
    except Invalid as exc:
        form.attach(exc)
        return proposal_detail(request, pk, status_form=form, status=422)
    except Conflict as exc:
        editing.keep_typed(form, exc.current and _proposal_initial(exc.current))
        return proposal_detail(request, pk, status_form=form, status=409)
    else:
        messages.success(request, "状況を更新しました。")
    return redirect("pdca:proposal", pk=pk)


def municipality_report(request, code):
    """議会向け 1ページ報告 (PDF) at /progress/municipalities/<code>/report.pdf."""
    from django.http import HttpResponse

    from chiiki.progress import queries as progress_queries
    from chiiki.regions.queries import get_municipality

    from . import report

    place = get_municipality(code)
    year = progress_queries.parse_year_param(request.GET.get("fiscal_year")) or progress_queries.default_fiscal_year()
    response = HttpResponse(report.pdf(place, year), content_type="application/pdf")
    response["Content-Disposition"] = f"inline; filename=\"report-{place.code}-{year}.pdf\""
    response["Cache-Control"] = "no-cache"  # the report caches itself on all its data versions (report.py)
    return response
