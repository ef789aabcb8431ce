"""Funding pages: plan list / page / editing (one row per form, htmx), funding lines, fund flow, 財源の崖."""

from collections import defaultdict
from typing import Any, NamedTuple

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from chiiki import access
from chiiki.core import editing, history
from chiiki.core.codes import InvalidCode, typed_code
from chiiki.core.errors import Conflict, Invalid
from chiiki.core.fiscal import InvalidFiscalYear, current_fiscal_year, fiscal_year_filter, parse_fiscal_year
from chiiki.core.forms import posted_key, row_id, save_or_refuse
from chiiki.core.paging import list_query, paginate
from chiiki.core.tabular import table_response
from chiiki.regions.models import Municipality, Prefecture
from chiiki.regions.queries import get_municipality
from chiiki.roadmap.models import Sector

from . import actions, queries
from .forms import (
    CampaignReportForm,
    LineForm,
    ParticipantsForm,
    PlanFilterForm,
    PlanForm,
    PledgeForm,
    PledgeStateForm,
    ProjectAddForm,
    StatusForm,
    TaxSettingForm,
    YearForm,
    kpis_from_text,
    kpis_to_text,
    line_choices,
    owner_of,
)
from .models import FundingLine, FundingState, ImplementationPlan, PlanStatus, PlanYear, SourceKind

PAGE_SIZE = 50


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _municipality_param(raw) -> tuple[str, str]:
    """The 団体コード typed in the query string as stored ("" if none) and what is wrong with it ("" if nothing)."""
    try:
        return typed_code(raw), ""
    except InvalidCode as exc:
        return "", str(exc)


# ---- Plan list -------------------------------------------------------------------------------------------------


def _filtered_plans(user, filters: dict):
    """The plans of the plan list for its form's cleaned filters (the 財源 of the list select them too), before
    the risk filter (`flag`, which only with_flags knows)."""
    return queries.filter_plans(queries.visible_plans(user), prefecture=filters.get("prefecture") or "",
                                municipality=filters.get("municipality") or "", sector=filters.get("sector") or "",
                                status=filters.get("status") or "", started_by=filters.get("started_by"),
                                min_years=filters.get("min_years"), published_by=filters.get("published_by"))


# The line list's parameters naming the plan list's filters (plans-status=…): the lines of the plans that list shows.
PLAN_LIST_PREFIX = "plans"


def plan_list(request):
    form = PlanFilterForm(request.GET or None)
    refused = form.is_bound and not form.is_valid()
    filters = {} if refused else getattr(form, "cleaned_data", {})
    qs = _filtered_plans(request.user, filters)
    if refused:
        # Said next to the field, and nothing listed or exported: dropping only the mistyped filter would show
        # (and export) every plan as if the others had narrowed it.
        qs = qs.none()
    plans, computed = queries.with_flags(qs, filters.get("flag") or "")
    fmt = request.GET.get("format")
    if fmt in ("csv", "xlsx"):
        return table_response(fmt, "実装計画", queries.PLAN_EXPORT_HEADER, queries.plan_export_rows(plans, computed))
    page = paginate(plans, request.GET.get("page"), PAGE_SIZE)
    rows = [(plan, computed.get(plan.pk, [])) for plan in page.object_list]
    query = {k: v for k, v in request.GET.items() if k not in ("page", "format") and v}
    return render(request, "funding/plan_list.html", {
        "form": form, "page": page, "rows": rows, "query": urlencode(query),
        # Every filter of the list, as typed: the line list selects the lines of exactly the plans shown here (a
        # municipality's wide-area plans included), and refuses what this page refuses.
        "lines_query": urlencode({f"{PLAN_LIST_PREFIX}-{k}": v for k, v in query.items() if k in form.fields}),
        "can_create": bool(request.user.is_authenticated and _can_create(request.user)),
    })


def _can_create(user) -> bool:
    from .forms import owner_choices

    return bool(owner_choices(user))


# ---- Plan page and row editing --------------------------------------------------------------------------------


def _visible_plan(request, pk) -> ImplementationPlan:
    try:
        plan = queries.plan_detail(pk)
    except ImplementationPlan.DoesNotExist:
        raise Http404("実装計画が見つかりません") from None
    access.require_view(request.user, plan)
    return plan


class _Sent(NamedTuple):
    """The post a refused write came from: the name of its form on the page (a prefix, or "participants" / "status"
    for the two forms without one), what was typed, the refused fields, and whether someone else saved first."""

    form: str
    data: Any
    invalid: frozenset = frozenset()
    conflict: bool = False


def _plan_form(form_class, name: str, initial: dict, sent: _Sent | None, *, prefixed: bool = True, **kwargs):
    """The stored values, or, for the one form a refused post came from, what was typed (bad input loses nothing):
    its bad fields marked, or after a conflict the stored value beside each field that differs and the stored
    version, so saving again is a deliberate overwrite."""
    prefix = name if prefixed else None
    if sent is None or sent.form != name:
        return form_class(initial=initial, prefix=prefix, **kwargs)
    form = form_class(sent.data, prefix=prefix, **kwargs)
    for field in sent.invalid:
        if field in form.fields:
            form.fields[field].widget.attrs.update({"aria-invalid": "true", "aria-describedby": "plan-errors"})
    if sent.conflict:
        editing.keep_typed(form, initial)
    return form


def _plan_context(request, plan, *, notice: str = "", error: str = "", problems=(), sent: _Sent | None = None,
                  error_href: str = ""):
    plan = queries.plan_detail(plan.pk)  # fresh rows after a write
    table = queries.year_source_table(plan)
    can_edit = access.can(request.user, "funding.plan_edit", plan)
    flags = queries.plan_flags(plan.pk)
    flagged_rows = defaultdict(list)
    for flag in flags:
        for row in flag.rows:
            flagged_rows[(row.kind, row.id)].append(flag.label)
    years = []
    choices = line_choices(plan)  # once per page, not once per line form
    for year in plan.years.all():
        lines = [(line, _plan_form(LineForm, f"line{line.pk}", _line_initial(line), sent, choices=choices),
                  flagged_rows.get(("line", line.pk), [])) for line in year.lines.all()]
        years.append({"year": year, "lines": lines, "flags": flagged_rows.get(("year", year.pk), []),
                      "form": _plan_form(YearForm, f"year{year.pk}", _year_initial(year), sent),
                      "new_line": _plan_form(LineForm, f"newline{year.pk}", {"state": FundingState.PLANNED}, sent,
                                             choices=choices)})
    next_year = max((y["year"].fiscal_year for y in years), default=plan.start_year - 1) + 1
    return {
        "plan": plan, "table": table, "chart": queries.chart_data(table), "flags": flags, "years": years,
        "plan_sectors": [plan.sector_id, *plan.further_sectors],  # 「似た事例」 in any of the plan's sectors
        "can_edit": can_edit, "notice": notice, "error": error, "problems": problems, "error_href": error_href,
        "new_year": _plan_form(YearForm, "newyear", {"fiscal_year": next_year, "phase": "operation", "total_cost": 0},
                               sent),
        "participants_form": _plan_form(ParticipantsForm, "participants", _participants_initial(plan), sent,
                                        prefixed=False),
        # Marked by hand: these two forms' inputs are written out in the template, not rendered by their widgets.
        "participants_refused": sent.invalid if sent and sent.form == "participants" else (),
        "status_refused": sent.invalid if sent and sent.form == "status" else (),
        "status_form": _plan_form(StatusForm, "status", {"status": plan.status, "reason": plan.status_reason,
                                                         "version": plan.version}, sent, prefixed=False),
        "statuses": PlanStatus.choices,
        "history_url": reverse("history:index") + "?" + urlencode({"model": "funding.implementationplan",
                                                                   "object_id": plan.pk}),
    }


def _participants_initial(plan):
    return {"participants": " ".join(sorted(m.code for m in plan.participants.all())), "version": plan.version}


def _year_initial(year):
    return {"fiscal_year": year.fiscal_year, "phase": year.phase, "activities": year.activities,
            "total_cost": year.total_cost, "version": year.version}


def _line_initial(line):
    return {"source_kind": line.source_kind, "program": line.program.public_id if line.program_id else "",
            "campaign": line.campaign_id or "", "donation_project": line.donation_project_id or "", "label": line.label, "amount": line.amount, "state": line.state,
            "version": line.version}


def plan_detail(request, pk):
    plan = _visible_plan(request, pk)
    return render(request, "funding/plan_detail.html", _plan_context(request, plan))


def plan_page(request, plan, *, status: int, **extra):
    """The plan page for a form another app puts on it (promotion's organisation roles), refused: `extra` carries
    that app's bound form into its section, so what was typed is kept."""
    return render(request, "funding/plan_detail.html", {**_plan_context(request, plan), **extra}, status=status)


def _after_write(request, plan, notice: str):
    if _is_htmx(request):
        return render(request, "funding/plan_detail.html", _plan_context(request, plan, notice=notice))
    messages.success(request, notice)
    return redirect(plan.get_absolute_url() + "#plan-editor")


# After a conflict the typed values stay in their form, the other person's beside them (editing.keep_typed).
TYPED_KEPT = ("ほかの利用者が先に更新しました。あなたの入力は消さずに残しています。各項目の「ほかの人が保存した内容」と見比べてください。"
              "このまま保存すると、あなたの入力で上書きします。")


def _failed(request, plan, exc, form: str, *, href: str = ""):
    """The plan page again with what went wrong, the form named `form` (its prefix, or "participants" / "status")
    keeping what was typed; htmx swaps only 2xx answers, so those get 200."""
    if isinstance(exc, Conflict):
        error, problems, status = TYPED_KEPT, (), 409
        sent = _Sent(form, request.POST, conflict=True)
        if request.POST.get("delete"):  # confirmed on an older page: the row as it is now, deleted again on purpose
            error, sent = Conflict.BEFORE_DELETE if exc.current is not None else Conflict.GONE, None
    else:
        error, problems, status = "入力内容に誤りがあります。保存していません。", [r for _f, r in exc.problems], 422
        sent = _Sent(form, request.POST, frozenset(field for field, _r in exc.problems))
    return _failed_page(request, plan, error=error, problems=problems, sent=sent, status=status,
                        href=href if sent is not None else "")


def _failed_page(request, plan, *, status: int, href: str = "", **context):
    return render(request, "funding/plan_detail.html", _plan_context(request, plan, error_href=href, **context),
                  status=200 if _is_htmx(request) else status)


def _moved(data, old: str, new: str) -> QueryDict:
    """What was typed in the form `old` as if typed in the form `new` (the add form that re-creates a removed row)."""
    moved = QueryDict(mutable=True)
    for key, values in data.lists():
        if key.startswith(old + "-") and not key.endswith("-version"):
            moved.setlist(new + key[len(old):], values)
    return moved


def _typed_lines(data, prefix: str, choices: dict) -> list[str]:
    """A refused line's typed values as text (「項目: 値」), for when no form on the page can hold them."""
    form = LineForm(data, prefix=prefix, choices=choices)
    shown = []
    for name, field in form.fields.items():
        value = form[name].value()
        if name == "version" or value in (None, ""):
            continue
        labels = {str(k): str(v) for k, v in getattr(field, "choices", ())}
        shown.append(f"{field.label}: {labels.get(str(value), value)}")
    return shown


def _year_gone(request, plan, year_id):
    """A 年度 someone else deleted: what was typed moves to 「年度を追加」, to be added again on purpose."""
    return _failed_page(request, plan, status=409, href="#add-year", sent=_Sent(
        "newyear", _moved(request.POST, f"year{year_id}", "newyear")),
        error="この年度はほかの利用者が削除しました。あなたの入力は「年度を追加」に残しています。"
              "もう一度作る場合は「年度を追加する」を押してください。")


def _line_gone(request, plan, line_id, year_id):
    """A funding line someone else deleted: what was typed moves to its 年度's 「財源を追加」; when that 年度 is gone
    too, the page lists what was typed."""
    year = PlanYear.objects.filter(pk=year_id, plan=plan).first()
    if year is None:
        return _failed_page(request, plan, status=409, sent=None,
                            problems=_typed_lines(request.POST, f"line{line_id}", line_choices(plan)),
                            error="この財源とその年度はほかの利用者が削除しました。保存していません。あなたの入力は次のとおりです。")
    return _failed_page(request, plan, status=409, href=f"#add-line-{year.pk}", sent=_Sent(
        f"newline{year.pk}", _moved(request.POST, f"line{line_id}", f"newline{year.pk}")),
        error=f"この財源はほかの利用者が削除しました。あなたの入力は「{year.fiscal_year}年度に財源を追加」に残しています。"
              "もう一度作る場合は「追加する」を押してください。")


def _editable_plan(request, pk) -> ImplementationPlan:
    plan = _visible_plan(request, pk)
    access.require(request.user, "funding.plan_edit", plan)
    return plan


@require_POST
def year_add(request, pk):
    plan = _editable_plan(request, pk)
    form = YearForm(request.POST, prefix="newyear")
    form.is_valid()
    data = {k: request.POST.get(f"newyear-{k}", "") for k in ("fiscal_year", "phase", "activities", "total_cost")}
    try:
        year = actions.add_year(request.user, plan, **data)
    except Invalid as exc:
        return _failed(request, plan, exc, "newyear", href="#add-year")
    return _after_write(request, plan, f"{year.fiscal_year}年度を追加しました")


@require_POST
def year_edit(request, pk, year_id):
    plan = _editable_plan(request, pk)
    year = PlanYear.objects.select_related("plan").filter(pk=year_id, plan=plan).first()
    if year is None:
        if request.POST.get("delete") or queries.deleted_row_of_plan(PlanYear, year_id, plan) is None:
            raise Http404("年度が見つかりません")
        return _year_gone(request, plan, year_id)
    prefix = f"year{year.pk}-"
    data = {k: request.POST.get(prefix + k, "") for k in ("fiscal_year", "phase", "activities", "total_cost")}
    try:
        if request.POST.get("delete"):
            actions.delete_year(request.user, year, version=request.POST.get(prefix + "version"))
            return _after_write(request, plan, f"{year.fiscal_year}年度を削除しました")
        saved = actions.update_year(request.user, year, version=request.POST.get(prefix + "version"), **data)
    except Conflict as exc:
        if exc.current is None and not request.POST.get("delete"):
            return _year_gone(request, plan, year.pk)
        return _failed(request, plan, exc, f"year{year.pk}", href=f"#year-{year.pk}")
    except Invalid as exc:
        return _failed(request, plan, exc, f"year{year.pk}")
    return _after_write(request, plan, f"{saved.fiscal_year}年度を保存しました")


def _line_values(request, prefix: str, plan) -> dict:
    values = {k: request.POST.get(f"{prefix}-{k}", "") for k in ("source_kind", "amount", "state", "label")}
    program_id = request.POST.get(f"{prefix}-program") or ""
    campaign_id = request.POST.get(f"{prefix}-campaign") or ""
    from chiiki.programs.models import SupportProgram

    from .models import Campaign
    values["program"] = SupportProgram.objects.filter(public_id=posted_key(program_id)).first() if program_id else None
    values["campaign"] = Campaign.objects.filter(pk=row_id(campaign_id) or 0).first()
    from .models import RevitalisationProject

    project_id = request.POST.get(f"{prefix}-donation_project") or ""
    values["donation_project"] = RevitalisationProject.objects.select_related("plan").filter(
        pk=row_id(project_id) or 0).first()
    return values


@require_POST
def line_add(request, pk, year_id):
    plan = _editable_plan(request, pk)
    year = PlanYear.objects.select_related("plan").filter(pk=year_id, plan=plan).first()
    if year is None and queries.deleted_row_of_plan(PlanYear, year_id, plan) is None:
        raise Http404("年度が見つかりません")
    try:
        if year is None:
            raise Conflict(actions.YEAR_GONE)
        line = actions.add_line(request.user, year, **_line_values(request, f"newline{year.pk}", plan))
    except Conflict:  # only a 年度 deleted meanwhile: no form on the page is left for the line, so it is listed
        return _failed_page(request, plan, status=409, sent=None,
                            problems=_typed_lines(request.POST, f"newline{year_id}", line_choices(plan)),
                            error="この年度はほかの利用者が削除しました。財源は保存していません。あなたの入力は次のとおりです。")
    except Invalid as exc:
        return _failed(request, plan, exc, f"newline{year.pk}")
    return _after_write(request, plan, f"{year.fiscal_year}年度に財源（{line.get_source_kind_display()}）を追加しました")


@require_POST
def line_edit(request, pk, line_id):
    plan = _editable_plan(request, pk)
    line = FundingLine.objects.select_related("plan_year__plan").filter(pk=line_id, plan_year__plan=plan).first()
    if line is None:
        gone = None if request.POST.get("delete") else queries.deleted_row_of_plan(FundingLine, line_id, plan)
        if gone is None:
            raise Http404("財源が見つかりません")
        return _line_gone(request, plan, line_id, gone.get("plan_year_id"))
    prefix = f"line{line.pk}"
    version = request.POST.get(f"{prefix}-version")
    try:
        if request.POST.get("delete"):
            actions.delete_line(request.user, line, version=version)
            return _after_write(request, plan, "財源を削除しました")
        actions.update_line(request.user, line, version=version, **_line_values(request, prefix, plan))
    except Conflict as exc:
        if exc.current is None and not request.POST.get("delete"):
            return _line_gone(request, plan, line.pk, line.plan_year_id)
        return _failed(request, plan, exc, prefix, href=f"#line-{line.pk}")
    except Invalid as exc:
        return _failed(request, plan, exc, prefix)
    return _after_write(request, plan, f"{line.plan_year.fiscal_year}年度の財源を保存しました")


@require_POST
def plan_participants(request, pk):
    """The participating municipalities of a wide-area plan, replaced by the codes in the form."""
    plan = _editable_plan(request, pk)
    found, problems = queries.municipalities_from_codes(request.POST.get("participants", ""))
    try:
        if problems:
            raise Invalid([("participants", p) for p in problems])
        actions.set_participants(request.user, plan, found, version=request.POST.get("version"))
    except (Invalid, Conflict) as exc:
        return _failed(request, plan, exc, "participants", href="#plan-participants")
    return _after_write(request, plan, "参加団体を保存しました")


@require_POST
def plan_status(request, pk):
    plan = _editable_plan(request, pk)
    try:
        saved = actions.set_status(request.user, plan, request.POST.get("status", ""),
                                   version=request.POST.get("version"), reason=request.POST.get("reason", ""))
    except (Invalid, Conflict) as exc:
        return _failed(request, plan, exc, "status", href="#plan-status")
    return _after_write(request, saved, f"状態を「{saved.get_status_display()}」にしました")


# ---- Plan create / edit ---------------------------------------------------------------------------------------


def _plan_values(data) -> dict:
    return {"title": data.get("title", ""), "vision": data.get("vision", ""), "start_year": data.get("start_year", ""),
            "operator_kind": data.get("operator_kind", ""), "operator_name": data.get("operator_name", ""),
            "operator_corporate_number": data.get("operator_corporate_number", ""),
            "sector_models": data.getlist("sector_models"), "further_sectors": data.getlist("further_sectors"),
            "kpis": kpis_from_text(data.get("kpis", ""))}


def _put_errors(form, exc: Invalid, *, once: bool = False):
    """The action's reasons on their fields. `once`: a field the form already refused shows one message, the
    action's (it names the problem exactly: a NUL, a length, an empty required field in the same words)."""
    replaced = set()
    for name, reason in exc.problems:
        if once and name in form.fields and form.has_error(name) and name not in replaced:
            # Built as add_error builds it: without field_id the list loses the id the widget's aria-describedby names.
            form.errors[name] = form.error_class([reason], renderer=form.renderer, field_id=form[name].auto_id)
            replaced.add(name)
            continue
        form.add_error(name if name in form.fields else None, reason)


def _judged(form, exc: Invalid | None = None):
    """The action read the whole post (it refused `exc`, or only the version): its verdict is the only one. Django's
    own checks would refuse some values it accepts (a date typed 2026/6/1, a plan past the 500 listed), so a saved
    form could show an error, or a field two."""
    form.errors.clear()
    for name, reason in exc.problems if exc is not None else ():
        form.add_error(name if name in form.fields else None, reason)


def _participants(raw: str, form) -> tuple[list, list[str]]:
    """The municipalities named by code in a wide-area plan's participant field, and the problems (also put on
    the form)."""
    found, problems = queries.municipalities_from_codes(raw)
    if found and not request_owner_is_prefecture(form):
        problems.append("参加団体は都道府県の広域計画にだけ指定できます")
    for problem in problems:
        form.add_error("participants", problem)
    return found, problems


def request_owner_is_prefecture(form) -> bool:
    return str(form.data.get("owner", "")).startswith("p:")


@login_required
def plan_new(request):
    form = PlanForm(request.POST if request.method == "POST" else None, user=request.user)
    if not form.fields["owner"].choices[1:]:
        raise PermissionDenied("実装計画を作成する権限がありません")
    status = 200
    if request.method == "POST":
        owner = owner_of(request.POST.get("owner", ""))
        sector = Sector.objects.filter(pk=posted_key(request.POST.get("sector"))).first()
        if owner is None and not form.has_error("owner"):  # not already refused as empty
            form.add_error("owner", "策定団体を選んでください")
        if sector is None and not form.has_error("sector"):
            form.add_error("sector", "分野を選んでください")
        participants, participant_errors = _participants(request.POST.get("participants", ""), form)
        if owner is not None and sector is not None and not participant_errors:
            try:
                plan = actions.create_plan(request.user, owner, sector=sector, participants=participants,
                                           **_plan_values(request.POST))
            except Invalid as exc:
                _put_errors(form, exc, once=True)
            else:
                messages.success(request, f"「{plan.title}」を下書きとして作成しました。年度ごとの財源を入力してください")
                return redirect(plan.get_absolute_url())
        status = 422
    return render(request, "funding/plan_form.html", {"form": form, "plan": None}, status=status)


@login_required
def plan_edit(request, pk):
    plan = _editable_plan(request, pk)
    status = 200
    if request.method == "POST":
        form = PlanForm(request.POST, editing=True)
        sector = Sector.objects.filter(pk=posted_key(request.POST.get("sector"))).first()
        try:
            if sector is None:
                raise Invalid([("sector", "分野を選んでください")])
            saved = actions.update_plan(request.user, plan, version=request.POST.get("version"), sector=sector,
                                        **_plan_values(request.POST))
        except Invalid as exc:
            _put_errors(form, exc, once=True)
            status = 422
        except Conflict as exc:
            # What was typed stays, the stored value beside each field that differs, the version the stored one's.
            _judged(form)
            editing.keep_typed(form, exc.current and _plan_initial(exc.current))
            status = 409
        else:
            messages.success(request, "計画を保存しました")
            return redirect(saved.get_absolute_url())
    else:
        form = PlanForm(editing=True, initial=_plan_initial(plan))
    return render(request, "funding/plan_form.html", {"form": form, "plan": plan}, status=status)


def _plan_initial(plan) -> dict:
    return {"title": plan.title, "sector": plan.sector_id, "sector_models": plan.sector_models,
            "further_sectors": plan.further_sectors, "vision": plan.vision, "start_year": plan.start_year,
            "operator_kind": plan.operator_kind, "operator_name": plan.operator_name,
            "operator_corporate_number": plan.operator_corporate_number, "kpis": kpis_to_text(plan.kpis),
            "version": plan.version}


@require_POST
@login_required
def plan_from_package(request):
    """「この組み合わせで計画を作る」 on the navigator: a draft plan with the package's years and programs."""
    municipality = get_municipality(request.POST.get("municipality", ""))
    sector = get_object_or_404(Sector, pk=posted_key(request.POST.get("sector")))
    plan = actions.create_plan_from_package(request.user, municipality, sector, source=history.WEB)
    messages.success(request, "3か年パッケージから実装計画の下書きを作成しました。事業費と財源の金額を入力してください")
    return redirect(plan.get_absolute_url())


# ---- Funding lines, fund flow, 財源の崖 ------------------------------------------------------------------------


def _plan_list_filter(request) -> tuple[PlanFilterForm | None, dict | None, list[str]]:
    """The plan list's filters the line list was given (plans-…, from that list's 財源 links): the form, what the
    page says it lists (the conditions in words, the way back, the hidden inputs keeping them), and the problems."""
    g = request.GET
    params = [(k, v) for k, v in g.items() if k.startswith(PLAN_LIST_PREFIX + "-")]
    if not params:
        return None, None, []
    form = PlanFilterForm(g, prefix=PLAN_LIST_PREFIX)
    if not form.is_valid():
        return form, None, [f"実装計画の一覧の条件「{form.fields[name].label}」: {error}"
                            for name, errors in form.errors.items() for error in errors]
    conditions = []
    for name, field in form.fields.items():
        value = form.cleaned_data.get(name)
        if value in (None, ""):
            continue
        if name == "municipality":
            place = Municipality.objects.filter(pk=value).first()
            conditions.append(f"団体: {place.full_name if place else value}（参加する広域計画を含む）")
        elif name in ("started_by", "published_by"):
            conditions.append(f"{field.label}: {value}年度")
        else:
            conditions.append(f"{field.label}: {dict(getattr(field, 'choices', ())).get(value, value)}")
    back = urlencode({k[len(PLAN_LIST_PREFIX) + 1:]: v for k, v in params if v})
    return form, {"conditions": conditions, "params": params,
                  "url": reverse("funding:plans") + (f"?{back}" if back else "")}, []


def line_list(request):
    g = request.GET
    plan_list_form, plan_list_filter, plan_list_errors = _plan_list_filter(request)
    plan, (fiscal_year, year_error) = row_id(g.get("plan")), fiscal_year_filter(g.get("fiscal_year"))
    municipality, code_error = _municipality_param(g.get("municipality"))
    program, other_than_program = g.get("program", "")[:60], g.get("other_than_program", "")[:60]
    qs = queries.filter_lines(queries.visible_lines(request.user), source_kind=g.get("source_kind", ""),
                              sector=g.get("sector", ""), fiscal_year=fiscal_year, state=g.get("state", ""),
                              prefecture=g.get("prefecture", ""), municipality=municipality,
                              plan=plan, program=program, other_than_program=other_than_program,
                              secured=bool(g.get("secured")), exclude_rejected=bool(g.get("exclude_rejected")),
                              public_only=bool(g.get("public")))
    refused = [e for e in (year_error, code_error, *plan_list_errors) if e]
    for error in refused:
        messages.error(request, error)
    if refused:
        # Said, with nothing listed or totalled (the API answers 422): dropped, the typed 年度 or 団体コード would
        # head every year's or every municipality's lines, and an export of this URL would hold them all.
        qs = qs.none()
    elif plan_list_form is not None:
        # The plans the list shows (all its pages), not the line filters of the same names: a municipality's
        # list holds the wide-area plans it takes part in, and its status filter leaves the owner's drafts out.
        qs = queries.lines_of_plans(qs, _filtered_plans(request.user, plan_list_form.cleaned_data),
                                    plan_list_form.cleaned_data.get("flag") or "")
    fmt = g.get("format")
    if fmt in ("csv", "xlsx") and not refused:
        return table_response(fmt, "財源", queries.LINE_EXPORT_HEADER, queries.line_export_rows(qs))
    notes = queries.line_list_notes(
        request.user, plan=plan, fiscal_year=fiscal_year, program=program, other_than_program=other_than_program,
        narrowed=plan_list_form is not None or any(g.get(k) for k in queries.NARROWING_LINE_FILTERS),
        exclude_rejected=bool(g.get("exclude_rejected")))
    return render(request, "funding/line_list.html", {
        **notes, "plan_list_filter": plan_list_filter, "totals": queries.line_totals(qs),
        "page": paginate(queries.listed_lines(qs), g.get("page"), PAGE_SIZE),
        "query": list_query(request),
        "source_kinds": SourceKind.choices, "states": FundingState.choices, "sectors": Sector.objects.all(),
        "prefectures": Prefecture.objects.order_by("code"), "filters": g,
        "can_import": access.can(request.user, "funding.import")}, status=422 if refused else 200)


def flows(request):
    g = request.GET
    prefecture = g.get("prefecture", "")
    municipality = g.get("municipality", "")
    scope_name, error, error_field = "全国", "", ""
    # A mistyped filter is said on the form (Japanese) with nothing totalled, rather than a bare 404 page.
    if municipality:
        try:
            place = get_municipality(municipality)
        except Http404 as exc:
            error, error_field = str(exc), "municipality"
        else:
            scope_name, municipality = place.full_name, place.code
    elif prefecture:
        found = Prefecture.objects.filter(pk=prefecture).first()
        if found is None:
            error, error_field = f"都道府県コード {prefecture} は登録されていません", "prefecture"
        else:
            scope_name = found.name
    rows = [] if error else queries.flows(group_by=("source_kind", "sector", "fiscal_year"), prefecture=prefecture,
                                          municipality=municipality)
    fmt = g.get("format")
    sector_names = dict(Sector.objects.values_list("code", "name"))
    if fmt in ("csv", "xlsx"):
        header = ["財源の種類", "分野", "年度", "計画額（円）", "確定額（円）", "受領額（円）", "財源の件数"]
        return table_response(fmt, f"お金の流れ_{scope_name}", header, (
            [SourceKind(r["source_kind"]).label, sector_names.get(r["sector"], r["sector"]), r["fiscal_year"],
             r["planned"], r["secured"], r["received"], r["lines"]] for r in rows))
    base = {k: v for k, v in (("prefecture", prefecture), ("municipality", municipality)) if v}
    by_source = defaultdict(lambda: {"planned": 0, "secured": 0, "received": 0})
    by_pair = defaultdict(lambda: {"planned": 0, "secured": 0, "received": 0})
    years = sorted({r["fiscal_year"] for r in rows})
    by_year_source = defaultdict(int)
    for r in rows:
        for key in ("planned", "secured", "received"):
            by_source[r["source_kind"]][key] += r[key]
            by_pair[(r["source_kind"], r["sector"])][key] += r[key]
        by_year_source[(r["fiscal_year"], r["source_kind"])] += r["planned"]
    kinds = [k for k in SourceKind if k.value in by_source]

    def link(**extra):
        # The page counts public plans only; the list shows the signed-in owner's drafts unless told not to.
        return reverse("funding:lines") + "?" + urlencode({**base, "exclude_rejected": 1, "public": 1, **extra})

    source_rows = [{"kind": k, **by_source[k.value], "url": link(source_kind=k.value),
                    "secured_url": link(source_kind=k.value, secured=1),
                    "received_url": link(source_kind=k.value, state=FundingState.RECEIVED)} for k in kinds]
    pair_rows = [{"kind": SourceKind(kind), "sector": sector_names.get(sector, sector), **values,
                  "url": link(source_kind=kind, sector=sector),
                  "secured_url": link(source_kind=kind, sector=sector, secured=1),
                  "received_url": link(source_kind=kind, sector=sector, state=FundingState.RECEIVED)}
                 for (kind, sector), values in sorted(by_pair.items(), key=lambda item: -item[1]["planned"])]
    chart = {"labels": [f"{y}年度" for y in years],
             "datasets": [{"label": str(k.label), "data": [by_year_source[(y, k.value)] for y in years]}
                          for k in kinds]}
    from .flowchart import layout

    diagram = layout([{"kind": str(r["kind"].label), "sector": r["sector"], "planned": r["planned"], "url": r["url"]}
                      for r in pair_rows])
    return render(request, "funding/flows.html", {
        "scope_name": scope_name, "diagram": diagram, "source_rows": source_rows, "pair_rows": pair_rows, "chart": chart,
        "total": {key: sum(r[key] for r in source_rows) for key in ("planned", "secured", "received")},
        "query": urlencode(base), "prefectures": Prefecture.objects.order_by("code"), "prefecture": prefecture,
        "municipality": municipality, "error": error, "error_field": error_field, "all_lines_url": link(),
        "all_secured_url": link(secured=1), "all_received_url": link(state=FundingState.RECEIVED)})


def cliffs(request):
    year, year_error = fiscal_year_filter(request.GET.get("fiscal_year"))
    sort = request.GET.get("sort", "")
    sort = sort if sort in queries.CLIFF_SORTS else ""  # the form offers only these; anything else: the default
    if year_error:
        # Said with nothing listed (the API answers 422), the form keeping what was typed: the default 年度 in its
        # place would answer for a 年度 no one asked about.
        messages.error(request, year_error)
        year, found = request.GET["fiscal_year"], []
    else:
        # Default: support that ends next 年度 — the plans to act on now, before the money stops.
        year = year or current_fiscal_year() + 1
        found = queries.national_cliffs(year, sort)
    fmt = request.GET.get("format")
    if fmt in ("csv", "xlsx") and not year_error:
        header = ["計画ID", "計画名", "団体", "支援メニュー", "支援の最終年度", "最終年度の額（円）", "翌年度の代わりの財源（円）",
                  "途切れる額（円）"]
        return table_response(fmt, f"財源の崖_{year}年度", header, (
            [p.pk, p.title, p.owner_name, c.program.name, c.last_year, c.ending, c.replacement, c.at_risk]
            for p, c in found))
    page = paginate(found, request.GET.get("page"), PAGE_SIZE)
    # Every filter the page reads (not its page number): the export links hold the rows in the page's order.
    query = urlencode({k: v for k, v in (("fiscal_year", year), ("sort", sort)) if v})
    return render(request, "funding/cliffs.html", {"page": page, "fiscal_year": year, "query": query},
                  status=422 if year_error else 200)



# ---- Crowdfunding campaigns ------------------------------------------------------------------------------------


class _ListedCampaigns(NamedTuple):
    """The campaigns the list shows for a query string, (campaign, Progress) each, the 年度 they received donations
    in, and what is wrong with its 寄附を受けた年度 and its 団体コード ("" if nothing)."""

    rows: list
    received_year: int | None
    year_error: str
    code_error: str


def _listed_campaigns(request) -> _ListedCampaigns:
    """The rows of the campaign list for this query string: its page, exports and calendar alike. A filter that
    cannot be read leaves every campaign out: dropped, it would list every campaign as if it had narrowed them."""
    from . import campaigns as rules

    g = request.GET
    received_year, year_error = None, ""
    if g.get("received_year"):
        try:
            received_year = parse_fiscal_year(g["received_year"])
        except InvalidFiscalYear as exc:
            year_error = str(exc)
    municipality, code_error = _municipality_param(g.get("municipality"))
    qs = queries.filter_campaigns(queries.campaigns(), prefecture=g.get("prefecture", ""),
                                  municipality=municipality, received_year=received_year)
    if year_error or code_error:
        qs = qs.none()
    rows = queries.campaign_rows(qs, timezone.localdate())
    status = g.get("status", "")
    if status in rules.STATUS_LABELS:
        rows = [(c, p) for c, p in rows if p.status == status]
    return _ListedCampaigns(rows, received_year, year_error, code_error)


def campaign_list(request):
    from . import campaigns as rules

    g = request.GET
    rows, received_year, year_error, code_error = _listed_campaigns(request)
    # 寄附を受けた年度 is said next to its field; the list has no 団体コード field (links bring the code), so that
    # one is said above it.
    if code_error:
        messages.error(request, code_error)
    year_total = None
    if received_year:
        in_year = queries.raised_in([c.pk for c, _ in rows], received_year)
        for c, _ in rows:
            c.raised_in_year = in_year.get(c.pk, 0)
        year_total = sum(in_year.values())
    fmt = g.get("format")
    if fmt in ("csv", "xlsx"):
        header = ["ID", "プロジェクト名", "団体コード", "団体", "目標金額（円）", "寄附額（円）", "件数", "状態", "募集開始日",
                  "募集終了日", "方式", "寄附ページ"] + ([f"{received_year}年度の寄附額（円）"] if received_year else [])
        return table_response(fmt, "クラウドファンディング", header, (
            [c.pk, c.title, c.municipality_id, c.municipality.full_name, c.target_amount, p.raised, p.count,
             p.status_label, c.start_date, c.end_date, c.get_model_display(), c.donation_url]
            + ([c.raised_in_year] if received_year else []) for c, p in rows))
    page = paginate(rows, g.get("page"), PAGE_SIZE)
    query = list_query(request)
    can_create = bool(request.user.is_authenticated and access.scope_managed_municipalities(
        request.user, Municipality.objects.all()).exists())
    return render(request, "funding/campaign_list.html", {
        "page": page, "query": query, "statuses": rules.STATUS_LABELS.items(), "filters": g,
        "received_year": received_year, "year_total": year_total, "year_error": year_error,
        "prefectures": Prefecture.objects.order_by("code"), "can_create": can_create,
        "can_import": access.can(request.user, "funding.import")})


def campaign_detail(request, pk):
    from .models import Campaign

    campaign = get_object_or_404(Campaign.objects.select_related("municipality__prefecture", "plan"), pk=pk)
    if request.GET.get("format") in ("csv", "xlsx"):  # the 寄附額の推移 table, as the page shows it
        return table_response(request.GET["format"], f"寄附額の推移_クラウドファンディング{campaign.pk}", ["受付日", "寄附額（円）", "累計（円）"],
                              queries.raised_over_time(campaign))
    return _campaign_page(request, campaign)


def _campaign_page(request, campaign, *, status=200, report_form=None):
    """The campaign page; after a refused report, with that form bound (what was typed, the reasons beside it)."""
    from .models import Campaign

    pk = campaign.pk
    [(campaign, progress)] = queries.campaign_rows(Campaign.objects.filter(pk=pk).select_related(
        "municipality__prefecture", "plan"), timezone.localdate())
    series = queries.raised_over_time(campaign)
    can_edit = access.can(request.user, "funding.campaign_edit", campaign)
    return render(request, "funding/campaign_detail.html", {
        "campaign": campaign, "progress": progress, "series": series, "can_edit": can_edit,
        "plan_visible": campaign.plan is not None and access.can_view(request.user, campaign.plan),
        "reports": campaign.reports.all(),
        "report_form": report_form or CampaignReportForm(initial={"posted_on": timezone.localdate().isoformat()}),
        "chart": {"labels": [str(day) for day, _a, _r in series], "datasets": [
            {"label": "累計寄附額", "data": [running for _d, _a, running in series]}]}}, status=status)


def _campaign_values(data) -> dict:
    from .models import ImplementationPlan

    plan_id = data.get("plan") or ""
    return {"title": data.get("title", ""), "use_of_funds": data.get("use_of_funds", ""),
            "target_amount": data.get("target_amount", ""), "start_date": data.get("start_date", ""),
            "end_date": data.get("end_date", ""), "model": data.get("model", ""),
            "minimum_donation": data.get("minimum_donation", ""), "gift_description": data.get("gift_description", ""),
            "gift_tier": data.get("gift_tier", ""), "gift_cost": data.get("gift_cost", ""),
            "donation_url": data.get("donation_url", ""),
            "plan": ImplementationPlan.objects.filter(pk=row_id(plan_id) or 0).first()}


@login_required
def campaign_new(request):
    from .forms import CampaignForm

    # Bound on every POST, an empty one too: an unbound form cannot take the refusals below.
    form = CampaignForm(request.POST if request.method == "POST" else None, user=request.user)
    if not form.fields["municipality"].choices[1:]:
        raise PermissionDenied("クラウドファンディングを登録する権限がありません")
    status = 200
    if request.method == "POST":
        municipality = Municipality.objects.select_related("prefecture").filter(
            pk=posted_key(request.POST.get("municipality"))).first()
        if municipality is None:
            if not form.has_error("municipality"):
                form.add_error("municipality", "実施団体を選んでください")
        else:
            try:
                campaign = actions.create_campaign(request.user, municipality, **_campaign_values(request.POST))
            except Invalid as exc:
                _judged(form, exc)
            else:
                messages.success(request, f"「{campaign.title}」を登録しました")
                return redirect(campaign.get_absolute_url())
        status = 422
    return render(request, "funding/campaign_form.html", {"form": form, "campaign": None}, status=status)


@login_required
def campaign_edit(request, pk):
    from .forms import CampaignForm
    from .models import Campaign

    campaign = get_object_or_404(Campaign.objects.select_related("municipality"), pk=pk)
    access.require(request.user, "funding.campaign_edit", campaign)
    status = 200
    if request.method == "POST":
        form = CampaignForm(request.POST, user=request.user, campaign=campaign)
        try:
            saved = actions.update_campaign(request.user, campaign, version=request.POST.get("version"),
                                            **_campaign_values(request.POST))
        except Invalid as exc:
            _judged(form, exc)
            status = 422
        except Conflict as exc:
            # What was typed stays, the stored value beside each field that differs, the version the stored one's.
            _judged(form)
            editing.keep_typed(form, exc.current and _campaign_initial(exc.current))
            status = 409
        else:
            messages.success(request, "保存しました")
            return redirect(saved.get_absolute_url())
    else:
        form = CampaignForm(user=request.user, campaign=campaign, initial=_campaign_initial(campaign))
    return render(request, "funding/campaign_form.html", {"form": form, "campaign": campaign}, status=status)


def _campaign_initial(campaign) -> dict:
    return {**{name: getattr(campaign, name) for name in ("title", "use_of_funds", "target_amount", "start_date",
                                                          "end_date", "model", "minimum_donation",
                                                          "gift_description", "gift_tier", "gift_cost",
                                                          "donation_url", "version")},
            "plan": campaign.plan_id or ""}


@require_POST
def campaign_report(request, pk):
    from .models import Campaign

    campaign = get_object_or_404(Campaign.objects.select_related("municipality__prefecture", "plan"), pk=pk)
    form = CampaignReportForm(request.POST)
    if form.submit(lambda data: actions.add_campaign_report(request.user, campaign, posted_on=data["posted_on"],
                                                            text=data["text"])):
        messages.success(request, "活動報告を掲載しました")
        return redirect(campaign.get_absolute_url() + "#reports")
    return _campaign_page(request, campaign, status=form.status, report_form=form)


def campaigns_ics(request):
    from django.http import HttpResponse

    from .ics import campaign_calendar

    listed = _listed_campaigns(request)
    error = listed.year_error or listed.code_error
    if error:  # as the list: nothing, and why (an empty calendar would look like no campaign ending)
        return HttpResponse(error, status=422, content_type="text/plain; charset=utf-8")
    response = HttpResponse(campaign_calendar(c for c, _p in listed.rows),
                            content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="campaigns.ics"'
    return response


# ---- 企業版ふるさと納税 ------------------------------------------------------------------------------------------


def _yen_param(raw):
    from . import validation

    try:
        return validation.clean_yen(raw) if raw not in (None, "") else None
    except ValueError:
        return None


def project_list(request):
    g = request.GET
    year = current_fiscal_year()
    qs = queries.filter_projects(queries.projects(), prefecture=g.get("prefecture", ""), sector=g.get("sector", ""),
                                 in_force_year=None if g.get("all") else year)
    rows = queries.project_rows(qs, min_remaining=_yen_param(g.get("min_remaining")))
    fmt = g.get("format")
    if fmt in ("csv", "xlsx"):
        header = ["事業ID", "事業名", "団体", "分野", "地域再生計画", "計画期間", "目標額（円）", "申出・受領額（円）", "残り（円）"]
        return table_response(fmt, "企業版ふるさと納税の事業", header, (
            [p.pk, p.name, p.plan.owner_name, p.sector.name, p.plan.name, f"{p.plan.start_year}〜{p.plan.end_year}",
             p.target_amount, pledged, remaining] for p, pledged, _received, remaining in rows))
    page = paginate(rows, g.get("page"), PAGE_SIZE)
    return render(request, "funding/project_list.html", {
        "page": page, "filters": g, "fiscal_year": year, "sectors": Sector.objects.all(),
        "pledges_linked": queries.projects_with_pledges_linked(request.user, [p.pk for p, *_ in page.object_list]),
        "prefectures": Prefecture.objects.order_by("code"),
        "query": list_query(request),
        "can_plan": request.user.is_authenticated and access.role_of(request.user) in (
            "municipal_staff", "prefecture_staff", "national_admin"),
        "is_admin": access.is_admin(request.user)})


def _company_of(user):
    from .models import Company

    return Company.objects.select_related("head_office").filter(owner=user).first() if user.is_authenticated else None


def project_detail(request, pk):
    project = get_object_or_404(queries.projects(), pk=pk)
    return _project_page(request, project)


def _project_page(request, project, *, status=200, pledge_form=None, add_form=None):
    """The project page; after a refused pledge or project, with that form bound (what was typed, the reasons)."""
    from . import corporate

    pk = project.pk
    [(project, pledged, received, remaining)] = queries.project_rows(queries.projects().filter(pk=pk))
    year = fiscal_year_filter(request.GET.get("fiscal_year"))[0] or current_fiscal_year()
    amount = _yen_param(request.GET.get("amount"))
    estimate = corporate.relief(amount, year) if amount else None
    company = _company_of(request.user)
    can_pledge = access.can(request.user, "funding.pledge", company) if company else False
    pledges_linked = pk in queries.projects_with_pledges_linked(request.user, [pk])
    return render(request, "funding/project_detail.html", {
        "pledges_linked": pledges_linked,
        "project": project, "pledged": pledged, "received": received, "remaining": remaining,
        "fiscal_year": year, "amount": amount or "", "estimate": estimate, "company": company,
        "can_pledge": can_pledge, "can_register": access.can(request.user, "funding.company_register"),
        "can_edit": access.can(request.user, "funding.revitalisation_edit", project),
        "pledge_form": pledge_form or PledgeForm(initial={
            "amount": amount or "", "fiscal_year": year,
            "idempotency_key": f"{request.user.pk}-{project.pk}-{timezone.now().timestamp():.0f}"}),
        "add_form": add_form or ProjectAddForm(),
        "min_pledge": corporate.MIN_PLEDGE, "end_year": corporate.credit_end_year()}, status=status)


@require_POST
@login_required
def pledge_create(request, pk):
    project = get_object_or_404(queries.projects(), pk=pk)
    company = _company_of(request.user)
    if company is None:
        raise PermissionDenied("先に企業を登録してください")
    form = PledgeForm(request.POST)
    made = form.submit(lambda data: actions.pledge(
        request.user, company, project, amount=data["amount"], fiscal_year=data["fiscal_year"],
        no_return_declared=data["no_return_declared"], idempotency_key=data["idempotency_key"]))
    if made is None:
        return _project_page(request, project, status=form.status, pledge_form=form)
    messages.success(request, "寄附を申し出ました。受領されると状態が「受領」になります")
    return redirect(made[0].get_absolute_url())


@login_required
def company_new(request):
    access.require(request.user, "funding.company_register")
    problems, values = [], {}
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in ("name", "corporate_number", "head_office")}
        head = None
        try:
            head = get_municipality(values["head_office"]) if values["head_office"] else None
        except Http404 as exc:
            problems.append(("head_office", str(exc)))
        if not problems:
            try:
                actions.register_company(request.user, name=values["name"], corporate_number=values["corporate_number"],
                                         head_office=head)
            except Invalid as exc:
                problems = exc.problems
            else:
                messages.success(request, "企業を登録しました")
                return redirect(request.GET.get("next") or reverse("funding:projects"))
    return render(request, "funding/company_form.html", {**_refused(problems), "values": values},
                  status=422 if problems else 200)


def _refused(problems) -> dict:
    """A hand-written form's refusal: every reason for the summary, and by field (`invalid`), so each refused input
    is marked and described by its own message."""
    invalid = defaultdict(list)
    for name, reason in problems:
        invalid[name].append(reason)
    return {"errors": [reason for _f, reason in problems], "invalid": dict(invalid)}


PLEDGE_EXPORT_HEADER = ["申出番号", "企業", "法人番号", "事業", "団体", "年度", "寄附額（円）", "状態", "受領日", "申出日時"]


@login_required
def pledge_list(request):
    from .models import PledgeState

    pledges = queries.visible_pledges(request.user)
    g = request.GET
    # ?project=… with active=1 (申出・受領) or state=received: the rows behind a project page's figures.
    project = None
    if (project_id := row_id(g.get("project"))) is not None:
        project = queries.projects().filter(pk=project_id).first()
        pledges = pledges.filter(project_id=project_id)
    if g.get("state") in PledgeState.values:
        pledges = pledges.filter(state=g["state"])
    if g.get("active"):
        pledges = pledges.exclude(state=PledgeState.CANCELLED)
    fmt = request.GET.get("format")
    if fmt in ("csv", "xlsx"):
        return table_response(fmt, "企業版ふるさと納税の申出", PLEDGE_EXPORT_HEADER, (
            [p.pk, p.company.name, p.company.corporate_number, p.project.name, p.project.plan.owner_name,
             p.fiscal_year, p.amount, p.get_state_display(), p.received_on.isoformat() if p.received_on else "",
             timezone.localtime(p.created_at).strftime("%Y-%m-%d %H:%M")] for p in pledges.iterator()))
    page = paginate(pledges, request.GET.get("page"), PAGE_SIZE)
    query = list_query(request)
    return render(request, "funding/pledge_list.html", {
        "page": page, "company": _company_of(request.user), "project": project, "query": query,
        "state_label": dict(PledgeState.choices).get(g.get("state", ""), ""), "active": bool(g.get("active"))})


def _visible_pledge(request, pk):
    from .models import CorporateDonationPledge

    found = CorporateDonationPledge.objects.select_related(
        "company__head_office__prefecture", "project__plan__municipality", "project__plan__prefecture").filter(pk=pk).first()
    if found is None or not access.can(request.user, "funding.pledge_view", found):
        raise Http404("申出が見つかりません")
    return found


def pledge_detail(request, pk):
    return _pledge_page(request, _visible_pledge(request, pk))


def _pledge_page(request, found, *, status=200, state_form=None):
    from . import corporate

    return render(request, "funding/pledge_detail.html", {
        "pledge": found, "estimate": corporate.relief(found.amount, found.fiscal_year), "state_form": state_form,
        "can_receive": access.can(request.user, "funding.pledge_receive", found),
        "can_cancel": access.can(request.user, "funding.pledge_cancel", found)}, status=status)


@require_POST
def pledge_state(request, pk):
    found = _visible_pledge(request, pk)
    form = PledgeStateForm(request.POST)
    saved, status = save_or_refuse(form, lambda: actions.set_pledge_state(
        request.user, found, form.cleaned_data["state"], version=form.cleaned_data["version"]))
    if saved is None:  # the pledge as it is now (another officer may have received or cancelled it)
        return _pledge_page(request, _visible_pledge(request, pk), status=status, state_form=form)
    messages.success(request, "申出の状態を変更しました")
    return redirect(found.get_absolute_url())


@login_required
def revitalisation_new(request):
    """A 地域再生計画 with its first project (more projects from the project page)."""
    choices = [(value, label) for value, label in _owner_choices(request.user)]
    if not choices:
        raise PermissionDenied("地域再生計画を登録する権限がありません")
    problems, values = [], {}
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in ("owner", "name", "approved_on", "start_year", "end_year",
                                                       "project_name", "sector", "target_amount", "description")}
        owner = owner_of(values["owner"])
        if owner is None:
            problems.append(("owner", "策定団体を選んでください"))
        else:
            try:
                with transaction.atomic():
                    plan = actions.create_revitalisation_plan(
                        request.user, owner, name=values["name"], approved_on=values["approved_on"] or None,
                        start_year=values["start_year"], end_year=values["end_year"])
                    try:
                        project = actions.add_revitalisation_project(
                            request.user, plan, name=values["project_name"], target_amount=values["target_amount"],
                            sector=Sector.objects.filter(pk=posted_key(values["sector"])).first(),
                            description=values["description"])
                    except Invalid as exc:
                        # The project's "name" is this form's project_name ("name" is the plan's).
                        raise Invalid([("project_name" if field == "name" else field, reason)
                                       for field, reason in exc.problems]) from None
            except Invalid as exc:
                problems = exc.problems
            else:
                messages.success(request, "地域再生計画と事業を登録しました")
                return redirect(project.get_absolute_url())
    return render(request, "funding/revitalisation_form.html", {
        **_refused(problems), "values": values, "owners": choices, "sectors": Sector.objects.all()},
        status=422 if problems else 200)


@login_required
def revitalisation_edit(request, pk):
    """Change a 地域再生計画: name, 認定日 and period (a 変更認定), with the version the editor saw."""
    from .models import RevitalisationPlan

    plan = get_object_or_404(RevitalisationPlan.objects.select_related("municipality", "prefecture"), pk=pk)
    access.require(request.user, "funding.revitalisation_edit", plan)

    def shown(p):
        return {"name": p.name, "approved_on": p.approved_on.isoformat() if p.approved_on else "",
                "start_year": p.start_year, "end_year": p.end_year, "version": p.version}

    errors, invalid, status, values, theirs = [], {}, 200, shown(plan), {}
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in ("name", "approved_on", "start_year", "end_year", "version")}
        try:
            actions.update_revitalisation_plan(request.user, plan, version=values["version"], name=values["name"],
                                               approved_on=values["approved_on"] or None,
                                               start_year=values["start_year"], end_year=values["end_year"])
        except Invalid as exc:
            refused, status = _refused(exc.problems), 422
            errors, invalid = refused["errors"], refused["invalid"]
        except Conflict as exc:
            errors, values, theirs = _kept(values, exc.current and shown(exc.current))
            status = 409
        else:
            messages.success(request, "地域再生計画を保存しました")
            first = plan.projects.order_by("pk").first()
            return redirect(first.get_absolute_url() if first else reverse("funding:projects"))
    return render(request, "funding/revitalisation_edit.html", {
        "plan": plan, "values": values, "errors": errors, "invalid": invalid, "theirs": theirs,
        "projects": plan.projects.order_by("pk"),
        "history_url": reverse("history:index") + "?" + urlencode({"model": "funding.revitalisationplan",
                                                                   "object_id": plan.pk})}, status=status)


def _kept(values: dict, stored: dict | None, choices: dict | None = None) -> tuple[list[str], dict, dict]:
    """After a conflict on a hand-written form: the message, what was typed with the stored version (saving again is a
    deliberate overwrite), and the stored value of each field that differs. `stored` None: the row is gone."""
    if stored is None:
        return [Conflict.GONE + "保存していません。あなたの入力は下に残しています。"], values, {}
    typed = {name: value for name, value in values.items() if name != "version"}
    return [TYPED_KEPT], {**values, "version": stored["version"]}, editing.differences(typed, stored, choices)


def _owner_choices(user):
    from .forms import owner_choices

    return owner_choices(user)


@login_required
def tax_settings(request):
    from . import corporate
    from .models import TaxCreditSetting

    access.require(request.user, "funding.tax_settings")
    setting = TaxCreditSetting.objects.order_by("pk").first()
    form = TaxSettingForm(initial={"credit_end_year": corporate.credit_end_year(),
                                   "version": setting.version if setting else 1})
    if request.method == "POST":
        form = TaxSettingForm(request.POST)
        # After a conflict the form keeps the typed year, shows the one saved meanwhile, and carries its version
        # (saving again is a deliberate overwrite).
        if form.submit(lambda data: actions.set_credit_end_year(request.user, data["credit_end_year"],
                                                                version=data["version"]),
                       stored=TaxSettingForm.initial_of):
            messages.success(request, "税額控除の適用期限を保存しました")
            return redirect("funding:tax_settings")
    return render(request, "funding/tax_settings.html", {"end_year": corporate.credit_end_year(), "form": form},
                  status=form.status)


@login_required
def project_edit(request, pk):
    """Change or remove a project (事業) of a 地域再生計画, with the version the editor saw."""
    project = get_object_or_404(queries.projects(), pk=pk)
    access.require(request.user, "funding.revitalisation_edit", project.plan)

    def shown(p):
        return {"name": p.name, "sector": p.sector_id or "", "target_amount": p.target_amount,
                "description": p.description, "version": p.version}

    errors, status, values, invalid, theirs = [], 200, shown(project), set(), {}
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in ("name", "sector", "target_amount", "description", "version")}
        try:
            if "delete" in request.POST:
                actions.delete_revitalisation_project(request.user, project, version=values["version"])
            else:
                actions.update_revitalisation_project(
                    request.user, project, version=values["version"], name=values["name"],
                    sector=Sector.objects.filter(pk=posted_key(values["sector"])).first(),
                    target_amount=values["target_amount"], description=values["description"])
        except Invalid as exc:
            errors, status = [reason for _f, reason in exc.problems], 422
            invalid = {name for name, _reason in exc.problems}  # marked aria-invalid; focus goes to the first
        except Conflict as exc:
            if "delete" in request.POST:  # confirmed on an older page: the project as it is now, deleted again on purpose
                project.refresh_from_db()
                errors, status, values = [Conflict.BEFORE_DELETE], 409, shown(project)
            else:
                errors, values, theirs = _kept(values, exc.current and shown(exc.current),
                                               {"sector": [(s.code, s.name) for s in Sector.objects.all()]})
                status = 409
        else:
            if "delete" in request.POST:
                messages.success(request, "事業を削除しました")
                return redirect(reverse("funding:revitalisation_edit", args=[project.plan_id]))
            messages.success(request, "事業を保存しました")
            return redirect(project.get_absolute_url())
    return render(request, "funding/project_edit.html", {
        "project": project, "values": values, "errors": errors, "invalid": invalid, "theirs": theirs,
        "sectors": Sector.objects.order_by("order"),
        "history_url": reverse("history:index") + "?" + urlencode({"model": "funding.revitalisationproject",
                                                                   "object_id": project.pk})}, status=status)


@require_POST
def project_add(request, pk):
    """Another project of the same 地域再生計画 (from a project page of that plan)."""
    project = get_object_or_404(queries.projects(), pk=pk)
    form = ProjectAddForm(request.POST)
    added = form.submit(lambda data: actions.add_revitalisation_project(
        request.user, project.plan, name=data["name"], sector=Sector.objects.filter(pk=posted_key(data["sector"])).first(),
        target_amount=data["target_amount"], description=data["description"]))
    if added is None:
        return _project_page(request, project, status=form.status, add_form=form)
    messages.success(request, "事業を追加しました")
    return redirect(added.get_absolute_url())
