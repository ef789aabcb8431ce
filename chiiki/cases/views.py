"""事例ライブラリ pages: search (public, cached for anonymous visitors), detail, editing, import, export."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render

from chiiki import access
from chiiki.core import editing, tabular
from chiiki.core.errors import Conflict, Invalid
from chiiki.core.search_request import facet_panel
from chiiki.regions.models import Municipality

from . import actions, queries
from .forms import CaseForm
from .imports import CASES
from .models import Case, FundingKind
from .search import SORTS, SearchRequest, labels, search
from .validation import COLUMNS


def export_rows(cases):
    for case in cases:
        yield [case.pk, case.version, case.municipality_id, ";".join(p.code for p in case.partners.all()), case.title,
               case.summary, ";".join(case.sectors), ";".join(case.sector_models),
               ";".join(dict(FundingKind.choices)[k] for k in case.funding_kinds),
               ";".join(p.public_id for p in case.programs.all()), "はい" if case.sharing_economy else "いいえ",
               "\n".join(f"{o['indicator']}|{o['unit']}|{o['before']}|{o['after']}|{o['fiscal_year']}"
                         for o in case.outcomes),
               "" if case.cost is None else case.cost, case.operator, case.lessons, case.contact_organisation,
               case.source_url, case.get_status_display()]


def index(request):
    req = SearchRequest.from_params(request.GET)
    result = search(req, queryset=queries.visible(request.user))
    if request.GET.get("format") in ("csv", "xlsx"):
        return tabular.table_response(request.GET["format"], "事例", [h for _f, h in COLUMNS],
                                      export_rows(result.all_items))
    base = req.querystring(page=False)
    pairs = [(k, v) for k, v in req.params(page=False) if k != "sort"]
    sort_links = [(key, label, urlencode([*pairs, ("sort", key)])) for key, label in SORTS.items()
                  if key != "relevance" or req.q]
    pages = max(1, -(-result.count // req.page_size))
    page = min(req.page, pages)
    return render(request, "cases/index.html", {
        "req": req, "result": result, "sort_links": sort_links, "base_qs": base,
        "facet_panel": facet_panel(req, [(f.name, f.label, result.facets[f.name]) for f in req.spec.filters],
                                   form="cases-search"),
        "can_create": access.is_admin(request.user) or access.can(request.user, "cases.import") or bool(
            request.user.is_authenticated and getattr(request.user, "municipality_id", None)),
        "can_import": access.can(request.user, "cases.import"), "page": page, "pages": pages,
        "prev_qs": urlencode([*req.params(page=False), ("page", page - 1)]) if page > 1 else "",
        "next_qs": urlencode([*req.params(page=False), ("page", page + 1)]) if page < pages else ""})


def detail(request, pk):
    case = get_object_or_404(Case.objects.select_related("municipality", "municipality__prefecture"), pk=pk)
    access.require_view(request.user, case)
    names = labels()
    return render(request, "cases/detail.html", {
        "case": case, "sector_pairs": [(s, names["sector"].get(s, s)) for s in case.sectors],
        "funding_pairs": [(k, names["funding"].get(k, k)) for k in case.funding_kinds],
        "can_edit": access.can(request.user, "cases.edit", case.municipality),
        "similar": queries.similar_cases(case.municipality, sectors=case.sectors)})


@login_required
def edit(request, pk=None):
    case = None
    if pk is not None:
        case = get_object_or_404(Case, pk=pk)
        access.require(request.user, "cases.edit", case.municipality)
        initial = CaseForm.initial_of(case)
    else:
        own = getattr(request.user, "municipality_id", None)
        if own is None:
            access.require(request.user, "cases.import")
        initial = {"municipality": own or "", "version": 0}
        if own is not None:
            access.require(request.user, "cases.edit", Municipality.objects.get(pk=own))
    form = CaseForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version") or 0
        try:
            saved, changed = actions.save_case(request.user, case, data, version=version)
        except Invalid as exc:
            form.attach(exc)
        except Conflict as exc:
            editing.keep_typed(form, exc.current and CaseForm.initial_of(exc.current))
        else:
            messages.success(request, "事例を保存しました。" if changed else "変更はありませんでした。")
            return redirect("cases:detail", pk=saved.pk)
    # 409 when someone else saved first (what was typed is kept), 422 when the values were refused.
    return render(request, "cases/edit.html", {"form": form, "case": case},
                  status=409 if form.conflict else 422 if form.errors else 200)


urls_import = CASES.urls("import/")
