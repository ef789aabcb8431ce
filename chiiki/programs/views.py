"""支援メニュー pages: search, detail, navigator, ICS feed, saved searches, catalog administration."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from chiiki import access
from chiiki.core.errors import Invalid
from chiiki.core.fiscal import current_fiscal_year, fiscal_year_label
from chiiki.core.forms import save_or_refuse
from chiiki.core.imports import ImportForm
from chiiki.core.paging import paginate
from chiiki.core.search import normalize
from chiiki.core.search_request import facet_panel
from chiiki.core.tabular import table_response
from chiiki.progress.models import Stage
from chiiki.progress.queries import cells
from chiiki.regions.models import Municipality
from chiiki.regions.queries import find_municipality

from . import actions, alerts, ics, search
from .catalog import HEADER, LIFECYCLE_HEADER, file_cells, lifecycle_cells, row_of
from .eligibility import FIT_LABELS, assess
from .forms import ProgramForm, SaveSearchForm
from .models import SavedSearch, SupportType
from .navigator import item_counts
from .navigator import navigator as navigate
from .queries import get_program, managed_programs
from .serialize import rules_text
from .suggestions import suggest
from .windows import parse_windows


def _user_municipality(user):
    return getattr(user, "municipality", None) if getattr(user, "is_authenticated", False) else None


def _search_or_404(request, req):
    """The search; a municipality code that does not resolve is reported and dropped (result.request)."""
    try:
        return search.run_search(req, user=request.user)
    except Http404 as exc:
        messages.error(request, str(exc))
        return search.run_search(req.without("eligible_for"), user=request.user)


EXPORT_HEADER = ["ID", "名称", "提供者", "種類", "支援の種類", "分野", "募集状況", "次の締切", "補助率", "上限額（円）",
                 "概要", "出典", "URL", *LIFECYCLE_HEADER]


def index(request):
    req, result = _run(request, search.SearchRequest.from_params(request.GET))
    fmt = request.GET.get("format", "")
    if fmt in ("csv", "xlsx"):
        snap = search.snapshot()
        rows = [
            [h.public_id, h.program.name, h.program.provider, h.program.get_kind_display(),
             h.program.get_support_type_display(),
             "全分野" if h.program.all_sectors else "・".join(snap.sector_names.get(c, c) for c in h.program.sectors),
             h.status.label, h.status.next_deadline.isoformat() if h.status.next_deadline else "",
             h.program.subsidy_rate, h.program.cap_yen, h.program.summary, h.program.source_url,
             request.build_absolute_uri(h.program.get_absolute_url()), *lifecycle_cells(h.program, h.successor)]
            for h in result.all_items
        ]
        return table_response(fmt, f"支援メニュー_{timezone.localdate():%Y%m%d}", EXPORT_HEADER, rows)
    return _search_page(request, req, result)


def _run(request, req):
    result = _search_or_404(request, req)
    return result.request, result


def _search_page(request, req, result, *, save_form=None, status=200):
    """The search page of `req`: from the GET query, or again from a refused 「検索条件を保存」 (the posted form,
    with its reasons, in place of a fresh one)."""
    for message in req.errors:  # the bad value was dropped; the API answers 422 with the same message
        messages.error(request, message)
    mine = _user_municipality(request.user)
    base_qs = req.querystring(page=False)
    sort_links = [
        (key, label, urlencode([(k, v) for k, v in req.params(page=False) if k != "sort"] + [("sort", key)]))
        for key, label in search.SORTS.items() if key != "relevance" or req.q
    ]
    snap = search.snapshot()
    sector_hint = next(((code, name) for code, name in snap.sector_names.items()
                        if req.q and normalize(req.q) == normalize(name) and code not in req.filters["sector"]), None)
    context = {
        "sector_hint": sector_hint,
        "suggestions": suggest(result, user=request.user),
        "req": req, "result": result, "facet_labels": search.FACET_LABELS,
        "facet_panel": facet_panel(req, [(name, search.FACET_LABELS[name], values)
                                         for name, values in result.facets.items()], form="programs-search"),
        "sort_links": sort_links, "base_qs": base_qs, "mine": mine,
        "mine_qs": urlencode([(k, v) for k, v in req.params(page=False) if k not in ("eligible_for", "fit")]
                             + ([("eligible_for", mine.code)] if mine else [])),
        "clear_eligible_qs": urlencode([(k, v) for k, v in req.params(page=False) if k not in ("eligible_for", "fit")]),
        "prev_qs": urlencode(req.params(page=False) + [("page", result.page - 1)]) if result.page > 1 else "",
        "next_qs": urlencode(req.params(page=False) + [("page", result.page + 1)])
        if result.page < result.num_pages else "",
        "save_form": save_form or SaveSearchForm(initial={"params": base_qs, "name": req.q or "支援メニューの検索"}),
        "can_manage": access.can(request.user, "programs.manage"),
    }
    return render(request, "programs/index.html", context, status=status)


def detail(request, public_id):
    program = get_program(public_id)
    snap = search.snapshot()
    status = search.statuses(snap, timezone.localdate()).get(program.pk)
    windows = []
    try:
        windows = parse_windows(program.windows)
    except ValueError:
        pass
    upcoming = search.upcoming_deadlines([search.Hit(program, status)], days_back=0, days_ahead=365)[:12]
    successor = search.successor_of(snap, program)
    mine = _user_municipality(request.user)
    fit = assess(program, mine) if mine else None
    sectors = list(snap.sector_names.items()) if program.all_sectors else \
        [(c, snap.sector_names.get(c, c)) for c in program.sectors]
    return render(request, "programs/detail.html", {
        "program": program, "status": status, "windows": windows, "upcoming": upcoming, "rules": rules_text(program),
        "mine": mine, "fit": fit, "sectors": sectors, "successor": successor,
        "can_manage": access.can(request.user, "programs.manage"),
        "can_history": access.can(request.user, "history.view_all"),
    })


def deadlines_ics(request):
    if request.GET.get("program"):
        program = get_program(request.GET["program"])
        status = search.statuses(search.snapshot(), timezone.localdate()).get(program.pk)
        hits = [search.Hit(program, status)]
    else:
        req = search.SearchRequest.from_params(request.GET)
        hits = search.run_search(req, user=request.user, page_size=100_000).all_items
    pairs = search.upcoming_deadlines(hits)
    body = ics.calendar(pairs)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="chiiki-deadlines.ics"'
    return response


def _recorded_stage(municipality, sector):
    """This year's stage from 見える化 (carried over from the latest record; 未着手 when none)."""
    cell = cells(current_fiscal_year(), sector=sector, municipality=municipality.code).get((municipality.code, sector))
    return cell if cell is not None and cell.record_year is not None else None


NAVIGATOR_HEADER = ["判定", "ID", "支援メニュー", "提供者", "種類", "支援の種類", "理由", "補助率", "申請の前提",
                    "募集状況", "URL", *LIFECYCLE_HEADER]


def navigator(request):
    snap = search.snapshot()
    mine = _user_municipality(request.user)
    raw = request.GET.get("municipality")
    if raw is None and mine is not None:
        raw = mine.code
    sector = request.GET.get("sector") or ""
    stage = request.GET.get("stage") or ""
    support_type = request.GET.get("support_type") or ""
    error, candidates, municipality, items, steps = "", [], None, [], []
    try:
        municipality, candidates = find_municipality(raw or "")
    except Http404 as exc:
        error = str(exc)
    if stage and stage not in Stage.values:
        error, stage = "進捗段階の指定が正しくありません", ""
    if support_type and support_type not in SupportType.values:
        error, support_type = "支援の種類の指定が正しくありません", ""
    if sector and sector not in snap.sector_names:
        error, sector = f"分野 {sector} は登録されていません", ""
    recorded = None
    if municipality is not None and sector:
        items, steps = navigate(municipality, sector, stage=stage, support_type=support_type)
        recorded = _recorded_stage(municipality, sector)
    by_id = {i.program.public_id: i for i in items}
    options = Municipality.objects.select_related("prefecture").order_by("code").values_list(
        "code", "prefecture__name", "name")
    counts = item_counts(items, municipality=municipality, sector=sector, stage=stage,
                         support_type=support_type) if items else []
    fmt = request.GET.get("format", "")
    if fmt in ("csv", "xlsx") and municipality is not None and sector:
        return table_response(fmt, f"支援メニューナビ_{municipality.full_name}_{snap.sector_names[sector]}",
                              NAVIGATOR_HEADER, (
            [i.fit.label, i.program.public_id, i.program.name, i.program.provider, i.program.get_kind_display(),
             i.program.get_support_type_display(), "／".join(i.fit.reasons), i.fit.rate or "",
             "／".join(i.fit.prerequisites or ()), i.status.label,
             request.build_absolute_uri(i.program.get_absolute_url()), *lifecycle_cells(i.program, i.successor)]
            for i in items))
    return render(request, "programs/navigator.html", {
        "municipality": municipality, "municipality_input": (f"{municipality.code} {municipality.full_name}"
                                                             if municipality else raw or ""),
        "candidates": candidates, "error": error, "sector": sector, "stage": stage, "support_type": support_type,
        "sectors": snap.sector_names.items(), "stages": Stage.choices, "support_types": SupportType.choices,
        "items": items, "steps": steps, "by_id": by_id, "options": options, "mine": mine, "item_counts": counts,
        "fit_labels": FIT_LABELS, "recorded": recorded,
        "recorded_qs": urlencode([("municipality", municipality.code), ("sector", sector),
                                  ("stage", recorded.stage), ("support_type", support_type)])
        if recorded is not None and municipality is not None else "",
        "current_fy": fiscal_year_label(current_fiscal_year()),
        "export_qs": urlencode([(k, v) for k, v in (("municipality", municipality.code if municipality else ""),
                                                    ("sector", sector), ("stage", stage),
                                                    ("support_type", support_type)) if v]),
        "api_url": "/api/v1/programs/navigator?" + urlencode(
            [(k, v) for k, v in (("municipality", municipality.code if municipality else ""), ("sector", sector),
                                 ("stage", stage), ("support_type", support_type)) if v]),
    })


# ---- Saved searches and alerts ------------------------------------------------------------------------------


SAVED_HEADER = ["名前", "条件", "メール通知", "作成日", "URL"]


@login_required
def saved_list(request):
    searches = list(access.scope_owned(request.user, SavedSearch.objects.all()).filter(owner=request.user))
    for saved in searches:
        saved.description = search.describe(search.SearchRequest.from_querystring(saved.params))
    fmt = request.GET.get("format", "")
    if fmt in ("csv", "xlsx"):  # the rows of the page: only the user's own searches
        index_url = request.build_absolute_uri(reverse("programs:index"))
        return table_response(fmt, "保存した検索", SAVED_HEADER, (
            [s.name, s.description, "有効" if s.alerts else "停止中", f"{timezone.localtime(s.created_at):%Y-%m-%d}",
             f"{index_url}?{s.params}" if s.params else index_url] for s in searches))
    return render(request, "programs/saved.html", {"searches": searches, "closing_days": alerts.CLOSING_DAYS,
                                                   "can_save": access.can(request.user, "programs.save_search")})


@login_required
@require_POST
def saved_create(request):
    """Saved: to the list of saved searches. Refused: the search page again (its query and results, the page the
    form was sent from), with the typed name still in the box and the reason beside it; nothing is written."""
    form = SaveSearchForm(request.POST)
    saved, status = save_or_refuse(form, lambda: actions.save_search(
        request.user, name=form.cleaned_data["name"], params=form.cleaned_data["params"],
        alerts=form.cleaned_data["alerts"]))
    if saved is None:
        query = QueryDict(request.POST.get("params", ""), mutable=True)
        if request.POST.get("page"):
            query["page"] = request.POST["page"]
        req, result = _run(request, search.SearchRequest.from_params(query))
        return _search_page(request, req, result, save_form=form, status=status)
    messages.success(request, "検索条件を保存しました" + ("（メール通知: 有効）" if form.cleaned_data["alerts"] else ""))
    return redirect("programs:saved")


def _own_search(request, pk):
    saved = get_object_or_404(SavedSearch, pk=pk)
    access.require_view(request.user, saved)
    return saved


@login_required
@require_POST
def saved_alerts(request, pk):
    saved = _own_search(request, pk)
    enable = request.POST.get("alerts") == "on"
    try:
        actions.set_alerts(request.user, saved, enable)
    except Invalid as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"「{saved.name}」のメール通知を{'有効' if enable else '停止'}にしました")
    return redirect("programs:saved")


@login_required
@require_POST
def saved_delete(request, pk):
    saved = _own_search(request, pk)
    actions.delete_search(request.user, saved)
    messages.success(request, f"「{saved.name}」を削除しました")
    return redirect("programs:saved")


@csrf_exempt  # one-click unsubscribe (RFC 8058): the signed token is the credential
def unsubscribe(request, token):
    """GET shows what the link would stop and asks (mail scanners follow links); POST stops the alerts."""
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    try:
        saved = alerts.read_token(token)
    except alerts.ExpiredToken:
        return render(request, "programs/unsubscribed.html", {"expired": True, "days": alerts.UNSUBSCRIBE_DAYS},
                      status=410)
    if saved is None:
        return render(request, "programs/unsubscribed.html", {"invalid": True}, status=404)
    if request.method == "GET":
        return render(request, "programs/unsubscribed.html", {"saved": saved, "confirm": True})
    actions.unsubscribe(saved)
    return render(request, "programs/unsubscribed.html", {"saved": saved})


# ---- Catalog administration ---------------------------------------------------------------------------------


def _require_manage(request):
    if not request.user.is_authenticated:
        raise Http404("見つかりません")
    access.require(request.user, "programs.manage")


MANAGE_FILTERS = ("q", "edited")


def _managed_programs(request):
    filters = {k: request.GET.get(k, "") for k in MANAGE_FILTERS}
    return filters, managed_programs(**filters)


def manage(request):
    _require_manage(request)
    filters, programs = _managed_programs(request)
    querystring = urlencode({k: v for k, v in filters.items() if v})
    return render(request, "programs/manage.html", {
        "page": paginate(programs, request.GET.get("page")), "filters": filters, "querystring": querystring,
        "form": ImportForm()})


def manage_export(request):
    """The catalog file (the import's columns), of the rows the management list shows with the same filters:
    the import updates by ID and never deletes, so a filtered file re-imports safely. Each row carries its
    program's version: the import refuses a row that would undo an edit made since the download."""
    _require_manage(request)
    fmt = request.GET.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        raise Http404("形式は csv または xlsx です")
    rows = [file_cells(p) for p in _managed_programs(request)[1]]
    return table_response(fmt, f"support_programs_{timezone.localdate():%Y%m%d}", HEADER, rows)


def edit(request, public_id=None):
    _require_manage(request)
    program = get_program(public_id) if public_id else None
    status = 200
    if request.method == "POST":
        form = ProgramForm(request.POST, current=row_of(program) if program else None)
        saved, status = save_or_refuse(form, lambda: actions.save_program(
            request.user, program, form.row(), version=form.cleaned_data.get("version")))
        if saved is not None:
            messages.success(request, f"「{saved.name}」を保存しました")
            return redirect(saved.get_absolute_url())
    else:
        initial = row_of(program) if program else {"sectors": "all", "area_logic": "all"}
        if program:
            initial["version"] = program.version
        form = ProgramForm(initial=initial)
    return render(request, "programs/edit.html", {"form": form, "program": program}, status=status)
