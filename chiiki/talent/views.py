"""人材 pages. Public: the vocabulary, public profiles, anonymous demand–supply aggregates. Signed in: requests,
the dispatch workflow, own profile, analytics with names (admin and prefecture staff), roster import."""

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from chiiki import access
from chiiki.accounts.models import Role
from chiiki.core import editing, history, tabular
from chiiki.core.errors import Conflict, Invalid
from chiiki.core.fiscal import current_fiscal_year, fiscal_year_filter
from chiiki.core.forms import pk_or_404, row_id
from chiiki.core.models import ChangeRecord
from chiiki.core.paging import list_query, paginate
from chiiki.core.search_request import MAX_Q_LENGTH
from chiiki.regions.models import Prefecture
from chiiki.regions.queries import get_municipality

from . import actions, indexing, matching, queries, rules
from .forms import (
    AccountForm,
    CapabilityForm,
    ProfileForm,
    RateForm,
    ReasonForm,
    ReportForm,
    RequestForm,
    RoundForm,
    VisitForm,
)
from .models import ApplicationRound, Capability, Kind, Status, TalentProfile

CONFLICT = "ほかの利用者が先に更新しました。最新の内容を確認してから、もう一度操作してください。"
REASON_MOVES = ("reject", "decline", "withdraw")  # the moves that carry a 理由 line


def _status(request, form) -> int:
    """A form sent back: 409 when someone else saved first (what was typed is kept), 422 when refused (as the rest of
    the site, core.forms.save_or_refuse)."""
    return 409 if getattr(form, "conflict", None) else 422 if request.method == "POST" else 200


def _fmt(request) -> str | None:
    fmt = request.GET.get("format")
    return fmt if fmt in ("csv", "xlsx") else None


def _refuse_year(request, problem: str) -> int:
    """Say why the 年度 was not read; the caller lists and exports nothing (every 年度's rows under the 年度 the
    visitor typed would read as that year's). Returns the page's status."""
    messages.error(request, problem)
    return 422


# ---- Public ---------------------------------------------------------------------------------------------------


def index(request):
    year = current_fiscal_year()
    return render(request, "talent/index.html", {
        "sectors": queries.demand_supply_by_sector(year), "fiscal_year": year,
        "profile_count": TalentProfile.objects.count(), "capability_count": Capability.objects.count(),
        "completed": queries.completed_dispatches(fiscal_year=year).count(),
        "own_profile": queries.profile_of(request.user),
        "can_request": _can_request_for_own(request.user),
        "can_create_profile": access.can(request.user, "talent.create_profile"),
        "can_analytics": access.can(request.user, "talent.analytics"),
        "can_manage": access.can(request.user, "talent.manage"),
        "requests_linked": queries.request_list_covers(request.user)})


def capabilities(request):
    filters = {k: request.GET.get(k, "") for k in ("sector", "q")}
    qs = queries.capabilities(**filters)
    if _fmt(request):
        rows = [[r["id"], r["sector_name"], r["cap"].label, "・".join(r["cap"].synonym_list),
                 r["cap"].sector_models.replace(";", "・"), r["supply"], r["demand"]] for r in _capability_rows(qs)]
        return tabular.table_response(_fmt(request), "できること一覧",
                                      ["ID", "分野", "できること", "同義語", "分野別モデル", "登録人材数", "依頼数"], rows)
    page = paginate(qs, request.GET.get("page"))
    return render(request, "talent/capabilities.html", {
        "page": page, "rows": _capability_rows(page.object_list), "filters": filters,
        "sectors": queries.sector_names(), "querystring": list_query(request),
        "can_manage": access.can(request.user, "talent.manage"),
        "requests_linked": queries.request_list_covers(request.user)})


def _capability_rows(capabilities) -> list[dict]:
    """The items with their counts (supply: talents; demand: requests), counted for these items only."""
    items = list(capabilities)
    counts = {r["id"]: r for r in queries.demand_supply_by_capability(capabilities=items)}
    return [{"cap": c, **counts[c.pk]} for c in items]


def suggest(request):
    """Vocabulary items for a free-text 「○○ができる人」 (the request form's helper; htmx fragment)."""
    text = (request.GET.get("wish") or request.GET.get("q") or "")[:MAX_Q_LENGTH]  # as the search pages cut it
    return render(request, "talent/_suggestions.html", {"suggestions": indexing.suggest(text), "wish": text})


def profiles(request):
    filters = {k: request.GET.get(k, "") for k in ("q", "capability", "sector", "kind", "prefecture", "online")}
    qs = queries.profiles(**filters)
    if _fmt(request):
        kinds = dict(Kind.choices)
        return tabular.table_response(_fmt(request), "人材一覧", ["ID", "表示名", "種別", "活動拠点", "オンライン", "できること"], [
            [p.pk, p.display_name, kinds.get(p.kind, p.kind), p.home_prefecture.name if p.home_prefecture else "",
             "可" if p.online_available else "", "・".join(s.capability.label for s in p.skills.all())] for p in qs])
    return render(request, "talent/profiles.html", {
        "page": paginate(qs, request.GET.get("page"), 30), "filters": filters, "kinds": Kind.choices,
        "capabilities": Capability.objects.all(), "prefectures": Prefecture.objects.order_by("code"),
        "sectors": queries.sector_names(), "querystring": list_query(request),
        "can_import": access.can(request.user, "talent.manage")})


def profile(request, pk):
    item = get_object_or_404(TalentProfile.objects.select_related("home_prefecture"), pk=pk)
    return render(request, "talent/profile.html", {
        "profile": item, "skills": item.skills.select_related("capability"),
        "served": item.prefectures_served.all(), "uturn": item.uturn_prefectures.all(),
        "sector_names": queries.sector_names(),
        "show_contact": access.can(request.user, "talent.view_contact", item),
        "can_edit": access.can(request.user, "talent.edit_profile", item),
        "can_manage": access.can(request.user, "talent.manage")})


def analytics(request):
    """Demand and supply. Everyone sees aggregates; names (dispatches per talent) and the rows behind the waiting
    times only admin and prefecture staff. Every table downloads as CSV/XLSX (?table=…&format=…)."""
    year, year_problem = fiscal_year_filter(request.GET.get("fiscal_year"))
    named = access.can(request.user, "talent.analytics")
    if year_problem:
        # No figure of any 年度, nor a download; what is not counted by 年度 (unmet requests, gains) stays. The typed
        # 年度 goes to the map as typed, so analytics_map refuses it too rather than colouring every 年度's figures.
        status = _refuse_year(request, year_problem)
        return render(request, "talent/analytics.html", {
            "fiscal_year": quote(request.GET["fiscal_year"]), "years": queries.fiscal_years(), "named": named,
            "year_problem": year_problem,
            "unmet": len(queries.unmet_request_ids()), "waiting": {"count": 0, "bands": []},
            "gains": queries.capability_gains(), "requests_linked": queries.request_list_covers(request.user)},
            status=status)
    by_cap = queries.demand_supply_by_capability(year)
    by_pref = queries.demand_supply_by_prefecture(year)
    by_sector = queries.demand_supply_by_sector(year)
    waiting = queries.waiting_times(year)
    gains = queries.capability_gains()
    per_talent = queries.dispatches_per_talent(year) if named else None
    table, fmt = request.GET.get("table"), _fmt(request)
    if fmt:
        exports = {
            "capability": ("需給_できること別", ["ID", "分野", "できること", "依頼数", "登録人材数"],
                           [[r["id"], r["sector_name"], r["label"], r["demand"], r["supply"]] for r in by_cap]),
            "prefecture": ("需給_都道府県別", ["都道府県コード", "都道府県", "依頼数", "対応できる人材数"],
                           [[r["code"], r["name"], r["demand"], r["supply"]] for r in by_pref]),
            "sector": ("需給_分野別", ["分野コード", "分野", "依頼数", "人材数"],
                       [[r["code"], r["name"], r["demand"], r["supply"]] for r in by_sector]),
            "waiting": ("申請から派遣までの日数", ["日数", "件数"],
                        [[b["label"], b["count"]] for b in waiting["bands"]]),
            "gains": ("職員が自らできるようになったこと", ["年度", "ID", "できること", "件数"],
                      [[g["fiscal_year"], g["capability"], g["label"], g["count"]] for g in gains]),
        }
        if named:
            exports["per_talent"] = ("人材ごとの派遣件数", ["人材ID", "人材", "派遣（承諾以降）"],
                                     [[r["talent_id"], r["name"], r["dispatches"]] for r in per_talent])
        if table not in exports:
            raise Http404("表が見つかりません")
        title, header, rows = exports[table]
        return tabular.table_response(fmt, title, header, rows)
    peak = max([r["demand"] for r in by_cap] + [r["supply"] for r in by_cap] + [1])
    for r in by_cap:
        r["demand_heat"] = min(5, round(5 * r["demand"] / peak)) if r["demand"] else 0
        r["supply_heat"] = min(5, round(5 * r["supply"] / peak)) if r["supply"] else 0
    return render(request, "talent/analytics.html", {
        "fiscal_year": year, "years": queries.fiscal_years(),
        "by_capability": by_cap, "by_prefecture": [r for r in by_pref if r["demand"] or r["supply"]],
        "by_sector": by_sector, "unmet": len(queries.unmet_request_ids()), "waiting": waiting, "gains": gains,
        "per_talent": per_talent[:20] if named else None, "named": named,
        "longest_openable": queries.can_open_request(request.user, waiting["longest"]),
        "year_query": f"&fiscal_year={year}" if year else "", "querystring": list_query(request),
        # The figures count every request; they link to the request list only where it shows this user the same
        # rows: everywhere for the admin, a prefecture's own row for its staff.
        "requests_linked": queries.request_list_covers(request.user),
        "linked_prefecture": next((r["code"] for r in by_pref
                                   if queries.request_list_covers(request.user, r["code"])), None)})


def analytics_map(request):
    """The demand–supply map's values per prefecture (the table on the page is the same figures)."""
    year, year_problem = fiscal_year_filter(request.GET.get("fiscal_year"))
    if year_problem:
        return JsonResponse({"detail": year_problem}, status=422, json_dumps_params={"ensure_ascii": False})
    return JsonResponse({"fiscal_year": year, "prefectures": {
        r["code"]: {"name": r["name"], "demand": r["demand"], "supply": r["supply"]}
        for r in queries.demand_supply_by_prefecture(year)}}, json_dumps_params={"ensure_ascii": False})


DISPATCH_COLUMNS = ["ID", "年度", "団体コード", "団体", "都道府県", "分野", "求めた人", "状態", "人材", "完了日",
                    "職員ができるようになったこと"]


def _gained_labels(dispatch) -> list[str]:
    report = getattr(dispatch, "report", None) if hasattr(dispatch, "report") else None
    return [c.label for c in report.gained.all()] if report else []


def dispatches(request):
    """派遣の実績: every dispatch from 承諾 on, public (the KPI 「完了した人材派遣の件数」 links here)."""
    filters = {k: request.GET.get(k, "") for k in ("status", "prefecture", "sector", "municipality", "gained")}
    year, year_problem = fiscal_year_filter(request.GET.get("fiscal_year"))
    place = get_municipality(filters["municipality"]) if filters["municipality"] else None
    try:
        qs = queries.listed_dispatches(fiscal_year=year, **(filters | {"municipality": place}))
    except queries.UnknownDispatchStatus as exc:
        raise Http404(str(exc)) from None
    status = 200
    if year_problem:
        qs, status = qs.none(), _refuse_year(request, year_problem)  # the download too: the page says why
    elif _fmt(request):
        return tabular.table_response(_fmt(request), "人材派遣の実績", DISPATCH_COLUMNS, [
            [d.pk, d.fiscal_year, d.municipality_id, d.municipality.name, d.municipality.prefecture.name,
             d.sector.name, d.title, d.get_status_display(), d.talent_label,
             timezone.localtime(d.completed_at).date().isoformat() if d.completed_at else "",
             "・".join(_gained_labels(d))] for d in qs])
    page = paginate(qs, request.GET.get("page"), 30)
    for d in page.object_list:
        d.gained_labels = _gained_labels(d)
    years = queries.fiscal_years()
    return render(request, "talent/dispatches.html", {
        "page": page, "filters": filters, "fiscal_year": year,
        "years": years if year is None or year in years else sorted([*years, year], reverse=True),
        "statuses": queries.DISPATCH_STATUSES, "sectors": queries.sector_names(),
        "prefectures": Prefecture.objects.order_by("code"),
        "place": place, "gained": Capability.objects.filter(pk=filters["gained"]).first() if filters["gained"] else None,
        "openable": queries.visible_request_ids(request.user, qs.filter(pk__in=[d.pk for d in page.object_list]))
        if request.user.is_authenticated else set(),
        "querystring": list_query(request)}, status=status)


def municipality(request, code):
    place = get_municipality(code)
    dispatches = queries.municipality_dispatches(place)
    page = paginate(dispatches, request.GET.get("page"), 30)
    return render(request, "talent/municipality.html", {
        "place": place, "page": page, "gains": queries.capability_gains(municipality=place),
        "openable": queries.visible_request_ids(request.user, dispatches.filter(
            pk__in=[d.pk for d in page.object_list])) if request.user.is_authenticated else set()})


# ---- Profiles: self-edit, admin --------------------------------------------------------------------------------


@login_required
def my_profile(request):
    own = queries.profile_of(request.user)
    if own is not None:
        return redirect("talent:profile", own.pk)
    if access.can(request.user, "talent.create_profile"):
        return redirect("talent:profile_new")
    raise PermissionDenied("人材として登録できるのはアドバイザー・企業のアカウントです")


@login_required
def profile_new(request):
    access.require(request.user, "talent.create_profile")
    form = ProfileForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = actions.create_profile(request.user, form.data_for_action(), source=history.WEB)
        except Invalid as exc:
            form.add_problems(exc.problems)
        else:
            messages.success(request, "プロフィールを登録しました。")
            return redirect("talent:profile", created.pk)
    return render(request, "talent/profile_form.html", {"form": form, "profile": None},
                  status=422 if request.method == "POST" else 200)


@login_required
def profile_edit(request, pk):
    item = get_object_or_404(TalentProfile, pk=pk)
    access.require(request.user, "talent.edit_profile", item)
    form = ProfileForm(request.POST or None, initial=ProfileForm.initial_of(item),
                       skills=list(item.skills.select_related("capability")))
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_profile(request.user, item, form.data_for_action(item),
                                   version=form.cleaned_data["version"])
        except Invalid as exc:
            form.add_problems(exc.problems)
        except Conflict as exc:
            editing.keep_typed(form, exc.current and ProfileForm.initial_of(exc.current))
        else:
            messages.success(request, "プロフィールを保存しました。")
            return redirect("talent:profile", pk)
    return render(request, "talent/profile_form.html", {"form": form, "profile": item}, status=_status(request, form))


@login_required
def profile_account(request, pk):
    """The national admin links the profile to the advisor or company account that edits it (or unlinks it)."""
    access.require(request.user, "talent.manage")
    item = get_object_or_404(TalentProfile.objects.select_related("user"), pk=pk)
    form = AccountForm(request.POST or None, initial=_account_initial(item))
    if request.method == "POST" and form.is_valid():
        try:
            actions.link_account(request.user, item, form.cleaned_data["username"],
                                 version=form.cleaned_data["version"])
        except Invalid as exc:
            form.add_problems(exc.problems)
        except Conflict as exc:
            editing.keep_typed(form, exc.current and _account_initial(exc.current))
        else:
            messages.success(request, "アカウントの結び付けを保存しました。" if form.cleaned_data["username"]
                             else "アカウントの結び付けを解除しました。")
            return redirect("talent:profile", pk)
    return render(request, "talent/profile_account.html", {"form": form, "profile": item,
                                                         "history": _account_history(item)},
                  status=_status(request, form))


def _account_initial(item) -> dict:
    return {"username": item.user.username if item.user else "", "version": item.version}


def _account_history(item) -> list[dict]:
    """The changes of the profile's linked account, newest first (usernames looked up now, never stored)."""
    from chiiki.accounts.models import User

    rows = [(r, (r.before or {}).get("user_id"), (r.after or {}).get("user_id")) for r in ChangeRecord.objects.filter(
        model="talent.talentprofile", object_id=str(item.pk)).order_by("-at", "-id")[:200]]
    rows = [(r, a, b) for r, a, b in rows if a != b][:20]
    names = dict(User.objects.filter(pk__in={x for _, a, b in rows for x in (a, b) if x}).values_list(
        "pk", "username"))
    return [{"at": r.at, "actor": r.actor_label, "before": names.get(a, "（削除済み）") if a else "未設定",
             "after": names.get(b, "（削除済み）") if b else "未設定"} for r, a, b in rows]


def _delete_page(request, profile, *, status=200, **extra):
    skills = profile.skills.select_related("capability") if profile else ()
    return render(request, "talent/profile_delete.html", {"profile": profile, "skills": skills, **extra}, status=status)


@login_required
def profile_delete(request, pk):
    item = get_object_or_404(TalentProfile, pk=pk)
    access.require(request.user, "talent.edit_profile", item)
    if request.method == "POST":
        try:
            actions.delete_profile(request.user, item, version=request.POST.get("version"))
        except Conflict:
            # Nothing deleted: the page shows the profile as it is now, with its version in the form, so deleting it
            # is a decision about what is there now.
            current = TalentProfile.objects.select_related("home_prefecture").filter(pk=pk).first()
            return _delete_page(request, current, status=409,
                                conflict=Conflict.BEFORE_DELETE if current else Conflict.GONE)
        except Invalid as exc:  # a version that is no number: the page again, as talent answers a refused form
            return _delete_page(request, item, status=422, problems=[reason for _name, reason in exc.problems])
        messages.success(request, "プロフィールを削除しました。過去の派遣記録には名前を残していません。")
        return redirect("talent:index")
    return _delete_page(request, item)


# ---- Requests ------------------------------------------------------------------------------------------------


@login_required
def requests(request):
    f = {k: request.GET.get(k, "") for k in ("status", "sector", "capability", "municipality", "prefecture", "gained")}
    year_raw = request.GET.get("fiscal_year", "")
    year, year_problem = fiscal_year_filter(request.GET.get("fiscal_year"))
    numbers = {k: row_id(request.GET.get(k)) for k in ("talent", "wait_min", "wait_max", "round")}
    qs = queries.requests_for(request.user, fiscal_year=year,
                              overdue=request.GET.get("overdue") == "1", unmet=request.GET.get("unmet") == "1",
                              demand=request.GET.get("demand") == "1", application_round=numbers["round"],
                              **{k: v for k, v in numbers.items() if k != "round"}, **f)
    status = 200
    if year_problem:
        qs, status = qs.none(), _refuse_year(request, year_problem)  # the download too: the page says why
    elif _fmt(request):
        return tabular.table_response(
            _fmt(request), "派遣依頼一覧",
            ["ID", "年度", "団体コード", "団体", "分野", "求める人", "状態", "人材", "評価", "申請日", "初回の派遣日",
             "申請から派遣までの日数"],
            [[r.pk, r.fiscal_year, r.municipality_id, r.municipality.name, r.sector.name, r.title,
              r.get_status_display(), r.talent_label, r.rating or "",
              timezone.localtime(r.submitted_at).date().isoformat() if r.submitted_at else "",
              r.first_visit.isoformat() if r.first_visit else "",
              _blank(queries.waiting_days(r.submitted_at, r.first_visit))] for r in qs])
    page = paginate(qs, request.GET.get("page"), 30)
    for r in page.object_list:
        r.is_overdue = r.status == Status.DISPATCHING and rules.is_overdue(r.last_visit)
        r.waited = queries.waiting_days(r.submitted_at, r.first_visit)
    return render(request, "talent/requests.html", {
        "page": page, "filters": f, "numbers": numbers, "fiscal_year": year_raw, "statuses": Status.choices,
        "sectors": queries.sector_names(), "querystring": list_query(request),
        "overdue": request.GET.get("overdue") == "1", "unmet": request.GET.get("unmet") == "1",
        "demand": request.GET.get("demand") == "1",
        "application_round": ApplicationRound.objects.filter(pk=numbers["round"]).first() if numbers["round"] else None,
        "can_create": _can_request_for_own(request.user), "scope_label": queries.request_scope_label(request.user)},
        status=status)


def _blank(value):
    return "" if value is None else value


def _can_request_for_own(user) -> bool:
    """Whether the request form opens for the user: it writes for the officer's own municipality only, so a national
    admin (who has none) is not offered a link that answers 403."""
    municipality = getattr(user, "municipality", None)
    return municipality is not None and access.can(user, "talent.request", municipality)


def _own_municipality(user):
    municipality = getattr(user, "municipality", None)
    if municipality is None or not access.can(user, "talent.request", municipality):
        raise PermissionDenied("派遣依頼を作成できるのは市区町村の職員です")
    return municipality


@login_required
def request_new(request):
    municipality = _own_municipality(request.user)
    if request.method == "POST" and "look" in request.POST:
        # 「できることの候補を見る」 (or Enter in a field) sends the whole form: shown again as typed with the
        # suggestions for the wish, neither saved nor checked (nothing to correct yet).
        wish = request.POST.get("wish", "").strip()[:MAX_Q_LENGTH]
        typed = _as_typed(RequestForm(request.POST, municipality=municipality, user=request.user))
        typed["title"] = typed.get("title") or wish
        form = RequestForm(initial=typed, municipality=municipality, user=request.user)
        return render(request, "talent/request_form.html", {
            "form": form, "item": None, "suggestions": indexing.suggest(wish), "wish": wish, "place": municipality})
    wish = (request.POST if request.method == "POST" else request.GET).get("wish", "")
    form = RequestForm(request.POST or None, initial={"wish": wish, "title": wish}, municipality=municipality,
                       user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            created = actions.create_request(request.user, municipality, form.data_for_action())
        except Invalid as exc:
            form.add_problems(exc.problems)
        else:
            messages.success(request, "派遣依頼を下書きとして保存しました。内容を確かめて「申請する」を押してください。")
            return redirect("talent:request", created.pk)
    suggestions = indexing.suggest(wish[:MAX_Q_LENGTH])  # the field's max_length too; a longer ?wish= is cut
    return render(request, "talent/request_form.html", {"form": form, "item": None, "suggestions": suggestions,
                                                        "wish": wish, "place": municipality},
                  status=422 if request.method == "POST" else 200)


@login_required
def request_edit(request, pk):
    item = queries.get_request(request.user, pk)
    access.require(request.user, "talent.request", item)
    form = RequestForm(request.POST or None, initial=_request_initial(item), municipality=item.municipality,
                       user=request.user, kept_plan_id=item.plan_id)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_request(request.user, item, form.data_for_action(), version=form.cleaned_data["version"])
        except Invalid as exc:
            form.add_problems(exc.problems)
        except Conflict as exc:
            editing.keep_typed(form, exc.current and _request_initial(exc.current))
        else:
            messages.success(request, "派遣依頼を保存しました。")
            return redirect("talent:request", pk)
    return render(request, "talent/request_form.html", {"form": form, "item": item, "suggestions": [],
                                                        "place": item.municipality},
                  status=_status(request, form))


def _as_typed(form) -> dict:
    """A bound form's values as typed (lists for several choices), to show it again unbound: without errors."""
    return {name: field.widget.value_from_datadict(form.data, form.files, form.add_prefix(name))
            for name, field in form.fields.items()}


def _request_initial(item) -> dict:
    return {"title": item.title, "sector": item.sector_id, "vision": item.vision, "format": item.format,
            "required": list(item.required.values_list("pk", flat=True)),
            "desired": list(item.desired.values_list("pk", flat=True)), "preferred_from": item.preferred_from,
            "preferred_to": item.preferred_to, "plan_url": item.plan_url, "organisation": item.organisation,
            "plan": str(item.plan_id or ""), "version": item.version}


@login_required
def request_detail(request, pk, *, sent=None, status=200):
    """`sent`: a small form (visit_form, report_form or rate_form) sent back with what was typed."""
    item = queries.get_request(request.user, pk)
    user = request.user
    reason_forms = (sent or {}).get("reason_forms", {})
    moves = [(name, actions.TRANSITION_LABELS[name], reason_forms.get(name) or (
        ReasonForm(move=name) if name in REASON_MOVES else None))
        for name in actions.allowed_transitions(user, item) if name not in ("ask", "report", "rate")]
    show_candidates = access.can(user, "talent.manage") and item.status in (
        Status.RECEIVED, Status.PROPOSED, Status.DECLINED) or (
        item.status == Status.PROPOSED and access.can(user, "talent.request", item))
    visits = queries.visits_of(item)
    last = visits[-1].date if visits else None
    # Visits and the report are the named talent's (the admin's only on their behalf): none without one.
    can_respond = item.talent_id is not None and access.can(user, "talent.respond", item)
    records = history_of(item, user)
    required, desired = matching.request_items(item)  # read once: matching below scores with the same items
    return render(request, "talent/request.html", {
        "item": item, "moves": moves, "required": list(required.values()), "desired": list(desired.values()),
        "candidates": matching.candidates(item, limit=20) if show_candidates else None, "formula": matching.FORMULA,
        "can_ask": "ask" in actions.allowed_transitions(user, item),
        "used_up": rules.limit_used_up(visits) if show_candidates else None,  # why no candidate can be asked
        "visits": visits, "due": rules.report_due(last), "overdue": queries.overdue(item),
        "visit_form": VisitForm(initial={"version": item.version}) if can_respond and item.status in (
            Status.ACCEPTED, Status.DISPATCHING) else None,
        "report_form": ReportForm(initial={"version": item.version}) if can_respond and item.status ==
        Status.DISPATCHING else None,
        "rate_form": RateForm(initial={"version": item.version}) if item.status == Status.REPORTED and access.can(
            user, "talent.request", item) else None,
        "report": getattr(item, "report", None) if item.status in (Status.REPORTED, Status.RATED, Status.COMPLETED)
        else None,
        "show_contact": item.talent is not None and access.can(user, "talent.view_contact", item.talent),
        "plan_visible": item.plan is not None and access.can_view(user, item.plan),
        "can_edit": item.status == Status.DRAFT and access.can(user, "talent.request", item),
        "history": records, "max_days": rules.MAX_DAYS, "max_hours": rules.MAX_ONLINE_HOURS, **(sent or {})},
        status=status)


def history_of(item, viewer):
    """The request's status steps. Who took a step is named only to those who may read the municipality's history
    (admins, its prefecture and its own staff); a talent asked later sees roles, not the account names of another
    talent who declined it or of the officers (personal data, as ADR 0016 keeps names out of the records)."""
    labels = dict(Status.choices)
    rows = ChangeRecord.objects.filter(model="talent.talentrequest", object_id=str(item.pk))
    named = set(access.scope_history(viewer, rows).values_list("pk", flat=True))
    roles = dict(Role.choices)

    def actor(r):
        if r.pk in named:
            return r.actor_label
        if r.actor_id is not None and r.actor_id == viewer.pk:
            return "あなた"
        if r.actor_id is None:  # the system's step, or a person's whose account was deleted since
            return "システム" if r.actor_label == history.actor_label(None) else "削除されたアカウント"
        return roles.get(r.actor.role, "")

    return [{"at": r.at, "actor": actor(r), "source": history.SOURCES.get(r.source, r.source),
             "before": labels.get((r.before or {}).get("status"), ""), "after": labels.get((r.after or {}).get(
                 "status"), "")} for r in rows.select_related("actor").order_by("at", "id")]


@login_required
@require_POST
def request_move(request, pk, name):
    """One workflow step (a button, with a 理由 line for reject / decline / withdraw). Refused or in conflict, the page
    comes back with the message and the typed 理由 still in its line (and quoted, should that step be gone)."""
    item = queries.get_request(request.user, pk)
    if name not in actions.TRANSITIONS:
        raise Http404("操作が見つかりません")
    talent = None
    if name == "ask":
        talent = get_object_or_404(TalentProfile, pk=pk_or_404(request.POST.get("talent")))
    reason = request.POST.get("reason", "")
    try:
        actions.transition(request.user, item, name, version=request.POST.get("version"), reason=reason,
                           talent=talent, rating=request.POST.get("rating"), comment=request.POST.get("comment", ""))
    except (Invalid, Conflict) as exc:
        conflict = isinstance(exc, Conflict)
        problems = [CONFLICT] if conflict else [r for _f, r in exc.problems]
        sent = {"move_refused": {"name": name, "reason": reason, "problems": problems}}
        if name in REASON_MOVES:
            # The typed 理由 stays in its line; a problem with it goes beside it, the rest (state, version) on top.
            form = ReasonForm(request.POST, move=name)
            form.is_valid()
            if not conflict:
                form.add_problems([(f, r) for f, r in exc.problems if f == "reason"])
                problems[:] = [r for f, r in exc.problems if f != "reason"]
            sent["reason_forms"] = {name: form}
        return request_detail(request, pk, status=409 if conflict else 422, sent=sent)
    messages.success(request, f"「{actions.TRANSITION_LABELS[name]}」を記録しました。")
    return redirect("talent:request", item.pk)


def _form_posted(request, pk, name, form_class, act, success: str):
    """The request page's small forms (visit_form, report_form, rate_form): run act(item, cleaned_data); a refusal
    or a conflict shows the page again with what was typed still in the form (a report is long to write again)."""
    item = queries.get_request(request.user, pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            act(item, form.cleaned_data)
        except Invalid as exc:
            form.add_problems(exc.problems)
        except Conflict as exc:
            editing.keep_typed(form, exc.current and {"version": exc.current.version})
        else:
            messages.success(request, success)
            return redirect("talent:request", item.pk)
    return request_detail(request, pk, sent={name: form}, status=_status(request, form))


@login_required
@require_POST
def request_visit(request, pk):
    return _form_posted(request, pk, "visit_form", VisitForm, lambda item, data: actions.add_visit(
        request.user, item, date=data["date"], hours=data["hours"], mode=data["mode"],
        participants=data["participants"], note=data["note"], version=data["version"]), "訪問を記録しました。")


@login_required
@require_POST
def request_report(request, pk):
    return _form_posted(request, pk, "report_form", ReportForm, lambda item, data: actions.transition(
        request.user, item, "report", version=data["version"], report=data), "報告を提出しました。")


@login_required
@require_POST
def request_rate(request, pk):
    return _form_posted(request, pk, "rate_form", RateForm, lambda item, data: actions.transition(
        request.user, item, "rate", version=data["version"], rating=data["rating"], comment=data["comment"]),
        "評価を記録しました。")


# ---- Admin: vocabulary, rounds ---------------------------------------------------------------------------------


@login_required
def capability_edit(request, pk):
    access.require(request.user, "talent.manage")
    item = get_object_or_404(Capability, pk=pk)
    form = CapabilityForm(request.POST or None, initial=_capability_initial(item))
    if request.method == "POST" and form.is_valid():
        try:
            actions.save_capability(request.user, item, label=form.cleaned_data["label"],
                                    synonyms=form.cleaned_data["synonyms"], version=form.cleaned_data["version"])
        except Invalid as exc:
            form.add_problems(exc.problems)
        except Conflict as exc:
            editing.keep_typed(form, exc.current and _capability_initial(exc.current))
        else:
            messages.success(request, f"「{form.cleaned_data['label']}」を保存しました。")
            # Filtered to its sector, so the item is on the first page the list opens on.
            return redirect(reverse("talent:capabilities") + f"?sector={item.sector}#{pk}")
    return render(request, "talent/capability_form.html", {"form": form, "item": item},
                  status=_status(request, form))


def _capability_initial(item) -> dict:
    return {"label": item.label, "synonyms": item.synonyms, "version": item.version}


@login_required
def rounds(request):
    access.require(request.user, "talent.manage")
    # 「締切を変更」 opens the form on one round, with the version its change must start from.
    round_id = row_id(request.GET.get("round"))
    changing = ApplicationRound.objects.filter(pk=round_id).first() if round_id else None
    initial = _round_initial(changing) if changing else {"fiscal_year": current_fiscal_year(), "version": 0}
    form = RoundForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            actions.save_round(request.user, d["fiscal_year"], d["number"], d["deadline"], version=d["version"])
        except Invalid as exc:
            form.add_problems(exc.problems)
        except Conflict as exc:
            editing.keep_typed(form, exc.current and _round_initial(exc.current))
            changing = exc.current  # the form now changes that round, from its version
        else:
            messages.success(request, "募集回を保存しました。")
            return redirect("talent:rounds")
    rounds = ApplicationRound.objects.annotate(request_count=Count("requests"))
    return render(request, "talent/rounds.html", {"form": form, "rounds": rounds, "changing": changing,
                                                  "open": rules.open_round()},
                  status=_status(request, form))


def _round_initial(round_) -> dict:
    return {"fiscal_year": round_.fiscal_year, "number": round_.number, "deadline": round_.deadline,
            "version": round_.version}


@login_required
def roster_export(request):
    """The roster in the import's format, each row with its profile's 版: edited and imported again, a row changes
    its profile only if nobody saved it meanwhile; unchanged, it changes nothing."""
    access.require(request.user, "talent.manage")
    fmt = request.GET.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        raise Http404("形式は csv または xlsx です")
    return tabular.table_response(fmt, f"人材名簿_{timezone.localdate():%Y%m%d}", actions.ROSTER_COLUMNS,
                                  actions.roster_rows())
