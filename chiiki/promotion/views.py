"""推進体制 pages: model regions (public list + map, per-region diffusion), candidates with the score formula,
package advice and neighbours' uptake per municipality; admin screens for weights and designation; the
municipality's commitment form; the registry of organisations and councils, municipalities' challenges with
proposals, and events. Every write goes through actions; reads through queries."""

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from chiiki import access
from chiiki.core import tabular
from chiiki.core.codes import InvalidCode, typed_code
from chiiki.core.errors import Conflict, Invalid
from chiiki.core.forms import pk_or_404, save_or_refuse
from chiiki.core.paging import list_query, paginate
from chiiki.progress import queries as progress_queries
from chiiki.regions.models import Municipality, Prefecture
from chiiki.regions.queries import get_municipality

from . import actions, forms, ics, packages, queries
from .diffusion import MIN_GROUP
from .models import (
    Challenge,
    ChallengeStatus,
    Council,
    CouncilMembership,
    Event,
    EventFormat,
    Organisation,
    OrganisationKind,
    PlanParticipation,
)

EXPORT_FORMATS = ("csv", "xlsx")


def _year(request) -> int:
    return progress_queries.parse_year_param(request.GET.get("fiscal_year")) or queries.default_year()


def _sector_label(codes, names) -> str:
    return "・".join(names.get(c, c) for c in codes)


def index(request):
    years = queries.designation_years()
    year = progress_queries.parse_year_param(request.GET.get("fiscal_year"))
    regions = list(queries.model_regions(year))
    names = queries.sector_names()
    if request.GET.get("format") in EXPORT_FORMATS and request.GET.get("table") == "diffusion":
        # The national diffusion table (all designations pooled; not filtered by 指定年度, as on the page).
        return tabular.table_response(request.GET["format"], "波及_全国", DIFFUSION_HEADER,
                                      _diffusion_rows(queries.national_diffusion()["years"]))
    if request.GET.get("format") in EXPORT_FORMATS:
        header = ["団体コード", "団体名", "都道府県", "指定年度", "対象分野", "パッケージ名", "取組の紹介", "デモ"]
        return tabular.table_response(request.GET["format"], "見本となる地域", header, [
            [r.municipality_id, r.municipality.name, r.municipality.prefecture.name, r.fiscal_year,
             _sector_label([s.code for s in r.sectors.all()], names), r.package_name, r.story,
             "デモ" if r.is_demo else ""] for r in regions])
    national = queries.national_diffusion()
    page = paginate(regions, request.GET.get("page"))
    map_values = {r.municipality_id: {"label": f"見本となる地域（{r.fiscal_year}年度）", "kind": "model"}
                  for r in regions}
    return render(request, "promotion/index.html", {
        "regions": page.object_list, "page_obj": page, "count": len(regions), "years": years, "year": year,
        "sector_names": names, "national": national, "min_group": MIN_GROUP,
        "national_neighbours": queries.named(national["neighbours"]),
        "national_comparison": queries.named(national["comparison"]),
        "map_data": {"values": map_values, "focus": []},  # the whole country: where the model regions are
        "chart": _chart(national["years"]), "can_manage": access.can(request.user, "promotion.manage"),
        "cells_base": reverse("promotion:diffusion_cells") + "?",
    })


DIFFUSION_HEADER = ["年度", "隣接団体の実装割合（%）", "実装済以上の隣接セル", "隣接セル", "比較グループの実装割合（%）",
                    "実装済以上の比較セル", "比較セル", "差（ポイント）"]


def _diffusion_rows(years) -> list[list]:
    return [[r["fiscal_year"], r["neighbour_share"], r["neighbour_implemented"], r["neighbour_cells"],
             r["comparison_share"], r["comparison_implemented"], r["comparison_cells"], r["difference"]]
            for r in years]


def _chart(rows) -> dict:
    return {"labels": [f"{r['fiscal_year']}年度" for r in rows], "neighbours": [r["neighbour_share"] for r in rows],
            "comparison": [r["comparison_share"] for r in rows]}


def model_region(request, code):
    place = get_municipality(code)
    designations = list(queries.model_regions().filter(municipality=place).order_by("fiscal_year"))
    if not designations:
        raise Http404(f"{place.name}は見本となる地域に指定されていません")
    wanted = progress_queries.parse_year_param(request.GET.get("fiscal_year"))
    region = next((r for r in designations if r.fiscal_year == wanted), designations[0])
    result = queries.region_diffusion(region)
    names = queries.sector_names()
    if request.GET.get("format") in EXPORT_FORMATS:
        return tabular.table_response(request.GET["format"], f"波及_{place.name}_{region.fiscal_year}年度",
                                      DIFFUSION_HEADER, _diffusion_rows(result["years"]))
    neighbours = [{"code": c, "name": result["neighbour_names"][c], **result["changes"][c]}
                  for c in result["neighbours"]]
    map_values = {n["code"]: {"label": f"{n['name']}: {n['change']:+d}分野（{n['before']}→{n['after']}）",
                              "change": n["change"]} for n in neighbours}
    map_values[place.code] = {"label": f"{place.name}（見本となる地域）", "kind": "model"}
    return render(request, "promotion/model_region.html", {
        "place": place, "region": region, "designations": designations, "result": result, "neighbours": neighbours,
        "comparison": [{"code": c, "name": result["comparison_names"][c]} for c in result["comparison"]],
        "sector_list": [{"code": c, "name": names.get(c, c)} for c in result["sectors"]], "min_group": MIN_GROUP,
        "chart": _chart(result["years"]),
        "map_data": {"values": map_values, "focus": [place.code, *result["neighbours"]]},
        "cells_base": reverse("promotion:region_diffusion_cells", args=[place.code])
        + f"?fiscal_year={region.fiscal_year}&",
        "can_manage": access.can(request.user, "promotion.manage"),
    })


def diffusion_cells(request, code=None):
    """The municipality × sector cells behind one figure of a diffusion table (national, or a model region's)."""
    region = None
    if code is not None:
        place = get_municipality(code)
        wanted = progress_queries.parse_year_param(request.GET.get("fiscal_year"))
        region = queries.region_of(place.code, wanted) if wanted else None
        if region is None:
            raise Http404("見本となる地域の指定年度が正しくありません")
    year = progress_queries.parse_year_param(request.GET.get("year"))
    result = queries.diffusion_cells(year, request.GET.get("group", ""), request.GET.get("implemented") == "1",
                                     region) if year else None
    if result is None:
        raise Http404("この年度・グループの数値はありません")
    what = "実装済以上のセル" if result["implemented_only"] else "セル"
    title = f"{result['group_label']}の{what}（{year}年度）"
    if request.GET.get("format") in EXPORT_FORMATS:
        prefix = f"{region.municipality.name}_" if region else "全国_"
        return tabular.table_response(
            request.GET["format"], f"波及_{prefix}{result['group_label']}_{year}年度",
            ["団体コード", "団体名", "都道府県", "分野", "段階", "記録の年度"],
            [[r["code"], r["name"], r["prefecture"], r["sector_name"], r["stage_label"], r["record_year"] or ""]
             for r in result["rows"]])
    page = paginate(result["rows"], request.GET.get("page"), 100)
    return render(request, "promotion/diffusion_cells.html", {
        "result": result, "region": region, "title": title, "page_obj": page, "rows": page.object_list,
        "export_query": list_query(request),
        "api_url": (f"/api/v1/model-regions/{region.municipality_id}/diffusion/cells" if region
                    else "/api/v1/model-regions/diffusion/cells"),
    })


def candidates(request):
    year = _year(request)
    result = queries.candidates(year)
    names = queries.sector_names()
    prefecture = request.GET.get("prefecture") or ""
    ranked = queries.ranked_candidates(result, prefecture)
    if request.GET.get("format") in EXPORT_FORMATS:
        header = ["順位", "団体コード", "団体名", "都道府県", "区分", "人口", "スコア", "実装", "前進", "コミットメント",
                  "表明日", "公開した実装計画", "実装済・自走の分野", "指定済み"]
        return tabular.table_response(request.GET["format"], f"見本となる地域の候補_{year}年度", header, [
            [i, e["code"], e["name"], e["prefecture"], e["kind_label"], e["population"], e["score"], e["implemented"],
             e["progress"], "あり" if e["commitment"] else "なし", e["commitment_date"] or "", "あり" if e["plans"] else "なし",
             _sector_label(e["implemented_sectors"], names), "指定済み" if e["designated"] else ""]
            for i, e in ranked])
    page = paginate(ranked, request.GET.get("page"))
    return render(request, "promotion/candidates.html", {
        "result": result, "page_obj": page, "rows": page.object_list, "prefecture": prefecture,
        "prefectures": Prefecture.objects.order_by("code"), "query": urlencode(
            {k: v for k, v in (("fiscal_year", year), ("prefecture", prefecture)) if v}),
        "fiscal_year": year, "fiscal_years": progress_queries.fiscal_years(), "sector_names": names,
        "can_manage": access.can(request.user, "promotion.manage"),
    })


def municipality(request, code):
    place = get_municipality(code)
    year = _year(request)
    advice = queries.package_advice(place, year)
    names = queries.sector_names()
    if request.GET.get("format") in EXPORT_FORMATS and request.GET.get("table") == "uptake":
        header = ["分野", "隣接団体コード", "隣接団体", "段階", "記録の年度"]
        return tabular.table_response(request.GET["format"], f"近隣の取組_{place.name}_{year}年度", header, [
            [u["sector_name"], u["code"], u["name"], u["stage_label"], u["fiscal_year"]]
            for u in queries.neighbour_uptake(place, year)])
    if request.GET.get("format") in EXPORT_FORMATS:
        header = ["分野の組み合わせ", "支持数（団体）", "確信度", "実装した類似団体", "この団体が未実装の分野",
                  "計画で使った支援メニュー"]
        return tabular.table_response(request.GET["format"], f"パッケージ_{place.name}_{year}年度", header, [
            [_sector_label(c["sectors"], names), c["support"],
             "; ".join(f"{_sector_label(r['if'], names)}→{names.get(r['then'], r['then'])} {r['confidence']}%"
                       for r in c["rules"]),
             "・".join(m["name"] for m in c["municipality_names"]), _sector_label(c["missing"], names),
             "; ".join(f"{p['name']}（{p['plans']}計画）" for p in c["programs"])]
            for c in advice["combinations"]])
    # Support and each confidence's base link to the municipalities counted (anchors named by the sectors, so the
    # brief on other pages can link to them too).
    combos = [{**c, "label": " ＋ ".join(names.get(x, x) for x in c["sectors"]), "anchor": packages.anchor(c),
               "missing_label": _sector_label(c["missing"], names),
               "rule_rows": [{"label": f"{_sector_label(r['if'], names)} → {names.get(r['then'], r['then'])}: "
                                       f"{r['confidence']}%", "if_label": _sector_label(r["if"], names),
                              "base": r["base"], "base_names": base}
                             for r, base in zip(c["rules"], c["base_names"], strict=True)]}
              for c in advice["combinations"]]
    return render(request, "promotion/municipality.html", {
        "place": place, "fiscal_year": year, "fiscal_years": progress_queries.fiscal_years(), "advice": advice,
        "combinations": combos, "similar": sorted(queries.similar_names(place).items()),
        "sector_names": names, "uptake": queries.neighbour_uptake(place, year),
        "commitments": queries.commitments(place),
        "designations": queries.model_regions().filter(municipality=place),
        "can_record": access.can(request.user, "promotion.record_commitment", place),
    })


def commitments(request):
    """Every recorded 首長のコミットメント (newest first), by prefecture or municipality, with CSV/XLSX."""
    filters = {k: request.GET.get(k, "").strip() for k in ("prefecture", "municipality")}
    rows = queries.all_commitments(**filters)
    if request.GET.get("format") in EXPORT_FORMATS:
        header = ["団体コード", "都道府県", "市区町村", "表明日", "表明の内容", "文書のURL", "デモ"]
        return tabular.table_response(request.GET["format"], "首長のコミットメント", header, [
            [c.municipality_id, c.municipality.prefecture.name, c.municipality.name, c.declared_on.isoformat(),
             c.title, c.document_url, "デモ" if c.is_demo else ""] for c in rows])
    page = paginate(rows, request.GET.get("page"))
    return render(request, "promotion/commitments.html", {
        "page_obj": page, "filters": filters, "prefectures": forms.prefecture_choices(),
        "query": urlencode({k: v for k, v in filters.items() if v}),
    })


@login_required
def commitment_new(request, code):
    place = get_municipality(code)
    access.require(request.user, "promotion.record_commitment", place)
    form = forms.CommitmentForm(request.POST or None)
    if request.method == "POST" and form.submit(lambda data: actions.record_commitment(request.user, place, **data)):
        messages.success(request, "首長のコミットメントを記録しました。")
        return redirect("promotion:municipality", code=place.code)
    return render(request, "promotion/commitment_form.html", {"place": place, "form": form}, status=form.status)


@login_required
def weights_edit(request):
    access.require(request.user, "promotion.manage")
    form = forms.WeightsForm(request.POST or None, initial=forms.WeightsForm.initial_of(queries.current_weights()))
    if request.method == "POST" and form.submit(
            lambda data: actions.save_weights(request.user, data, version=data["version"]),
            stored=forms.WeightsForm.initial_of):
        messages.success(request, "候補スコアの重みを保存しました。")
        return redirect("promotion:candidates")
    return render(request, "promotion/weights_form.html", {
        "form": form, "history_url": reverse("history:index") + "?model=promotion.scoringweights",
    }, status=form.status)


@login_required
def designate(request):
    access.require(request.user, "promotion.manage")
    form = forms.DesignateForm(request.POST or None, initial={"code": request.GET.get("code", ""),
                                                              "fiscal_year": str(queries.default_year())})

    def save(data):
        try:
            place = get_municipality(data["code"])
        except Http404:
            raise Invalid([("code", "団体コードが正しくないか、登録されていません")]) from None
        return actions.designate(request.user, place, fiscal_year=data["fiscal_year"], sectors=data["sectors"],
                                 story=data["story"], package_name=data["package_name"])

    region = request.method == "POST" and form.submit(save)
    if region:
        place = region.municipality
        messages.success(request, f"{place.name}を{region.fiscal_year}年度の見本となる地域に指定しました。")
        return redirect(reverse("promotion:model_region", args=[place.code]) + f"?fiscal_year={region.fiscal_year}")
    return render(request, "promotion/designate_form.html", {"form": form}, status=form.status)


# ---- the registry, council, challenge and event screens: one form page (forms.py) ----------------------------------

def _form_page(request, form, *, title, back_url, back_label, lead="", submit_label=""):
    return render(request, "promotion/form.html", {
        "title": title, "form": form, "back_url": back_url, "back_label": back_label, "lead": lead,
        "submit_label": submit_label,
    }, status=form.status)


# ---- organisations ------------------------------------------------------------------------------------------------

def organisations(request):
    filters = {k: request.GET.get(k, "") for k in ("q", "kind", "prefecture", "sector")}
    rows = queries.organisations(**filters)
    names = queries.sector_names()
    if request.GET.get("format") in EXPORT_FORMATS:
        header = ["ID", "名称", "種別", "法人番号", "都道府県", "分野", "ウェブサイト", "デモ"]
        return tabular.table_response(request.GET["format"], "推進体制の組織", header, [
            [o.pk, o.name, o.get_kind_display(), o.corporate_number, o.prefecture.name if o.prefecture else "",
             _sector_label(sorted(s.code for s in o.sectors.all()), names), o.website, "デモ" if o.is_demo else ""]
            for o in rows])
    page = paginate(rows, request.GET.get("page"))
    return render(request, "promotion/organisations.html", {
        "page_obj": page, "filters": filters, "kinds": OrganisationKind.choices, "prefectures": forms.prefecture_choices(),
        "sectors": queries.sectors(), "can_create": access.can(request.user, "promotion.organisation_create"),
        "query": list_query(request),
    })


def organisation(request, pk):
    org = get_object_or_404(Organisation.objects.select_related("prefecture"), pk=pk)
    can_edit = access.can(request.user, "promotion.organisation_edit", org)
    # Its members (and the admin) follow every proposal the organisation sent; others see only published outcomes.
    if can_edit and request.GET.get("format") in ("csv", "xlsx"):  # every proposal, not only the page's
        return tabular.table_response(request.GET["format"], f"提案_組織{org.pk}", [
            "課題", "団体コード", "団体", "締切", "見積額（円）", "状態", "結果"], [
            [p.challenge.title, p.challenge.municipality_id, p.challenge.municipality.name, p.challenge.deadline,
             p.cost, p.get_status_display(), "公表済み" if p.challenge.status == ChallengeStatus.DECIDED else ""]
            for p in queries.organisation_proposals(request.user, org)])
    which = request.GET.get("proposals", "")
    which = which if which in queries.PROPOSAL_FILTERS else ""
    proposals = (paginate(queries.filtered_organisation_proposals(request.user, org, which), request.GET.get("page"))
                 if can_edit else None)
    return render(request, "promotion/organisation.html", {
        "proposals": proposals, "proposal_filter": queries.PROPOSAL_FILTERS.get(which, ""),
        "org": org, "sector_names": queries.sector_names(),
        "councils": org.council_memberships.select_related("council").order_by("council__name"),
        "outcomes": Challenge.objects.filter(selected__organisation=org).select_related("municipality"),
        "plan_roles": queries.organisation_plans(request.user, org),
        "can_edit": can_edit,
    })


@login_required
def organisation_edit(request, pk=None):
    org = get_object_or_404(Organisation, pk=pk) if pk else None
    access.require(request.user, "promotion.organisation_edit" if org else "promotion.organisation_create", org)
    form = forms.OrganisationForm(request.POST or None, initial=forms.OrganisationForm.initial_of(org) if org else None)
    saved = request.method == "POST" and form.submit(
        lambda data: actions.save_organisation(request.user, org, data, version=data["version"]),
        stored=forms.OrganisationForm.initial_of)
    if saved:
        messages.success(request, f"組織「{saved.name}」を保存しました。")
        return redirect(saved.get_absolute_url())
    return _form_page(request, form, title="組織を編集" if org else "組織を登録",
                      back_url=reverse("promotion:organisations"), back_label="組織",
                      lead="企業の利用者が登録すると、その組織の所属になります（提案はその組織として行います）。")


# ---- councils -----------------------------------------------------------------------------------------------------

def councils(request):
    prefecture = request.GET.get("prefecture", "")
    rows = queries.councils(prefecture=prefecture)
    if request.GET.get("format") in EXPORT_FORMATS:
        header = ["ID", "名称", "都道府県", "市区町村", "構成員数", "ウェブサイト", "デモ"]
        return tabular.table_response(request.GET["format"], "協議会", header, [
            [c.pk, c.name, c.prefecture.name, c.municipality.name if c.municipality else "", c.member_count, c.website,
             "デモ" if c.is_demo else ""] for c in rows])
    page = paginate(rows, request.GET.get("page"))
    return render(request, "promotion/councils.html", {
        "page_obj": page, "prefecture": prefecture, "prefectures": forms.prefecture_choices(),
        "can_create": request.user.is_authenticated and access.can(
            request.user, "promotion.council_manage", request.user.municipality or request.user.prefecture),
        "query": list_query(request),
    })


def council(request, pk):
    c = get_object_or_404(Council.objects.select_related("prefecture", "municipality"), pk=pk)
    if request.method == "GET" and request.GET.get("format") in EXPORT_FORMATS:
        header = ["協議会ID", "協議会", "役割", "組織ID", "組織", "種別", "法人番号", "所在都道府県", "加入日時", "デモ"]
        return tabular.table_response(request.GET["format"], f"協議会の構成員_{c.name}", header, [
            [c.pk, c.name, m.get_role_display(), m.organisation_id, m.organisation.name,
             m.organisation.get_kind_display(), m.organisation.corporate_number,
             m.organisation.prefecture.name if m.organisation.prefecture_id else "",
             timezone.localtime(m.created_at).strftime("%Y-%m-%d %H:%M"), "デモ" if m.organisation.is_demo else ""]
            for m in queries.council_members(c)])
    can_manage = access.can(request.user, "promotion.council_manage", c.municipality or c.prefecture)
    adding = request.method == "POST" and not request.POST.get("remove")
    form = forms.CouncilMemberForm(request.POST if adding else None) if can_manage or adding else None
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(reverse("accounts:login") + f"?next={c.get_absolute_url()}")
        if not adding:
            membership = get_object_or_404(CouncilMembership, council=c,
                                           organisation_id=pk_or_404(request.POST["remove"]))
            actions.remove_council_member(request.user, membership)
            messages.success(request, "構成員を外しました。")
            return redirect(c.get_absolute_url())
        saved = form.submit(lambda data: actions.add_council_member(
            request.user, c, form.organisation_of(data), data["role"]))
        if saved:
            messages.success(request, f"{saved.organisation.name}を構成員に加えました。")
            return redirect(c.get_absolute_url())
    return render(request, "promotion/council.html", {
        "council": c, "members": queries.council_members(c), "can_manage": can_manage, "form": form,
    }, status=form.status if form is not None else 200)


@login_required
def council_new(request):
    form = forms.CouncilForm(request.POST or None, user=request.user,
                             initial={"prefecture": request.user.prefecture_id or "",
                                      "municipality": request.user.municipality_id or ""})
    saved = request.method == "POST" and form.submit(lambda data: actions.save_council(request.user, None, data))
    if saved:
        messages.success(request, f"「{saved.name}」を登録しました。")
        return redirect(saved.get_absolute_url())
    return _form_page(request, form, title="協議会を登録", back_url=reverse("promotion:councils"),
                      back_label="協議会")


# ---- challenges ---------------------------------------------------------------------------------------------------

def _challenge_filters(request) -> tuple[dict, str]:
    """The list's filters and what is wrong with them ("" if nothing): a date that cannot be read is said, with
    nothing listed, as the API answers 422 — dropped, it would list every deadline as if before the typed one."""
    raw, deadline, error = request.GET.get("deadline_before", ""), None, ""
    if raw:
        try:
            deadline = dt.date.fromisoformat(raw)
        except ValueError:
            error = f"締切（この日まで）は YYYY-MM-DD の形式の日付で指定してください（入力: {raw[:30]}）"
    municipality = request.GET.get("municipality", "")
    try:
        municipality = typed_code(municipality)  # as stored: the heading names the municipality of 13201 too
    except InvalidCode as exc:  # as the API answers: said, nothing listed
        error = error or str(exc)
    status = request.GET.get("status", "")
    return {"sector": request.GET.get("sector", ""), "prefecture": request.GET.get("prefecture", ""),
            "municipality": municipality, "deadline_before": deadline,
            "startup_friendly": request.GET.get("startup_friendly") == "1",
            "status": status if status in queries.status_filters(request.user) else "open"}, error


def challenges(request):
    filters, error = _challenge_filters(request)
    rows = queries.challenges(**filters, viewer=request.user)
    if error:
        messages.error(request, error)
        rows = rows.none()
    # 提案数: for those who review proposals (the challenge's municipality, the admin), on their challenges only;
    # to everyone else a challenge's proposals, and so their number, are confidential until the outcome.
    user = request.user
    show_proposals = queries.reviews_proposals(user)
    rows = queries.with_visible_proposal_counts(user, rows)
    if request.GET.get("format") in EXPORT_FORMATS and not error:  # refused: the page says why, not a file
        header = ["ID", "団体コード", "団体", "分野", "課題名", "予算の下限（円）", "予算の上限（円）", "締切", "状態",
                  "少額・分割発注", "実績要件なし", "実証から開始"] + (["提案数"] if show_proposals else [])
        names = queries.sector_names()
        return tabular.table_response(request.GET["format"], "自治体の課題", header, [
            [c.pk, c.municipality_id, c.municipality.name, names.get(c.sector_id, c.sector_id), c.title, c.budget_min,
             c.budget_max, c.deadline, c.get_current_status_display(),
             *("○" if flag else "" for flag in (c.small_orders, c.no_track_record, c.pilot_first)),
             *([queries.visible_proposal_count(user, c)] if show_proposals else [])]
            for c in rows])
    page = paginate(rows, request.GET.get("page"))
    if show_proposals:
        page.object_list = list(page.object_list)
        for c in page.object_list:
            c.proposals_visible = queries.proposals_visible(user, c)
    decided = queries.challenges(status=ChallengeStatus.DECIDED).order_by("-outcome_published_at")[:10]
    # Where to post a challenge: one link for an officer of one municipality, else a chooser of every municipality
    # the user manages (a prefecture's, or all for the secretariat), grouped by prefecture.
    post_choices = forms.municipality_choices(request.user) if request.user.is_authenticated else []
    post_only = (Municipality.objects.only("code", "name").get(code=post_choices[0][1][0][0])
                 if len(post_choices) == 1 and len(post_choices[0][1]) == 1 else None)
    return render(request, "promotion/challenges.html", {
        "page_obj": page, "filters": filters, "sectors": queries.sectors(), "prefectures": forms.prefecture_choices(),
        "statuses": queries.status_filters(request.user),
        "status_label": queries.CHALLENGE_STATUS_FILTERS[filters["status"]],
        "municipality": Municipality.objects.filter(code=filters["municipality"]).first()
        if filters["municipality"] else None,
        "decided": decided, "post_choices": post_choices, "post_only": post_only, "query": list_query(request), "show_proposals": show_proposals,
    }, status=422 if error else 200)


def challenges_ics(request):
    filters, error = _challenge_filters(request)
    if error:
        return HttpResponse(error, status=422, content_type="text/plain; charset=utf-8")
    response = HttpResponse(ics.challenge_deadlines(queries.challenges(**filters, viewer=request.user)),
                            content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="challenges.ics"'
    return response


def challenge(request, pk):
    c = get_object_or_404(queries.challenges(status="all"), pk=pk)
    user = request.user
    proposals = list(queries.visible_proposals(user, c))
    can_review = access.can(user, "promotion.proposals_review", c)
    membership = getattr(user, "organisation_membership", None) if user.is_authenticated else None
    if request.method == "GET" and request.GET.get("format") in EXPORT_FORMATS:
        # The reviewers' list of every proposal: confidential until the outcome, so never for anyone else.
        access.require(user, "promotion.proposals_review", c)
        header = ["提案ID", "組織", "状態", "概要", "進め方", "見積額（円）", "体制", "提出日時"]
        return tabular.table_response(request.GET["format"], f"提案_{c.title}", header, [
            [p.pk, p.organisation.name, p.get_status_display(), p.summary, p.approach, p.cost, p.team,
             timezone.localtime(p.created_at).strftime("%Y-%m-%d %H:%M")] for p in proposals])
    refused, status = None, None  # refused: the inline form sent and refused (it says why, beside its proposal)
    action = request.POST.get("action")
    proposal_form = forms.ProposalForm(request.POST if action == "propose" else None)

    def select_form(p, data=None):  # one per proposal, its fields' ids apart from the others'
        return forms.SelectProposalForm(data, auto_id=f"%s-{p.pk}",
                                        initial={"amount": p.cost, "proposal": p.pk, "version": c.version})

    def shortlist_form(p, data=None):
        return forms.ShortlistForm(data, auto_id=f"shortlist-%s-{p.pk}", initial={"proposal": p.pk,
                                                                                   "version": p.version})

    own = next((p for p in proposals if membership is not None and p.organisation_id == membership.organisation_id
                and access.can(user, "promotion.proposal_change", p)), None)
    own_form = forms.OwnProposalForm(request.POST if action == "edit_proposal" else None, auto_id="own-%s",
                                     initial=forms.OwnProposalForm.initial_of(own) if own else None)
    withdraw_form = forms.WithdrawProposalForm(request.POST if action == "withdraw_proposal" else None,
                                               auto_id="withdraw-%s",
                                               initial=forms.WithdrawProposalForm.initial_of(own) if own else None)
    select_forms = {p.pk: select_form(p) for p in proposals} if can_review else {}
    shortlist_forms = {p.pk: shortlist_form(p) for p in proposals} if can_review else {}
    if request.method == "POST" and not user.is_authenticated:
        return redirect(reverse("accounts:login") + f"?next={c.get_absolute_url()}")
    if request.method == "POST" and action in ("shortlist", "unshortlist", "select"):
        # Reviewing is the challenge's municipality's (and the admin's): anyone else is refused before the proposals,
        # which they cannot see, are looked up.
        access.require(user, "promotion.proposals_review", c)
        proposal = next((p for p in proposals if str(p.pk) == request.POST.get("proposal")), None)
        if proposal is None:
            raise Http404("見つかりません")
    if request.method == "POST" and action == "propose":
        if proposal_form.submit(lambda data: actions.submit_proposal(user, c, data)):
            messages.success(request, "提案を提出しました。結果の公表まで、提案の内容は課題を出した団体と事務局だけが見られます。")
            return redirect(c.get_absolute_url())
    elif request.method == "POST" and action in ("edit_proposal", "withdraw_proposal"):
        if own is None:  # no proposal of the user's organisation here (withdrawn meanwhile, or none ever)
            raise Http404("見つかりません")
        if action == "edit_proposal" and own_form.submit(
                lambda data: actions.update_proposal(user, own, data, version=data["version"]),
                stored=forms.OwnProposalForm.initial_of):
            messages.success(request, "提案を修正しました。")
            return redirect(c.get_absolute_url() + "#own-proposal")
        if action == "withdraw_proposal" and withdraw_form.submit(
                lambda data: actions.withdraw_proposal(user, own, version=data["version"]),
                stored=forms.WithdrawProposalForm.initial_of):
            messages.success(request, "提案を取り下げました。締切までは、もう一度提案できます。")
            return redirect(c.get_absolute_url())
        refused = own_form if action == "edit_proposal" else withdraw_form
    elif request.method == "POST" and action == "select":
        form = refused = select_forms[proposal.pk] = select_form(proposal, request.POST)
        if form.submit(lambda data: actions.select_proposal(user, proposal, amount=data["amount"],
                                                            version=data["version"]),
                       stored=forms.SelectProposalForm.initial_of):
            messages.success(request, f"{proposal.organisation.name}の提案を選定し、結果を公表しました。")
            return redirect(c.get_absolute_url())
    elif request.method == "POST" and action in ("shortlist", "unshortlist"):
        form = refused = shortlist_forms[proposal.pk] = shortlist_form(proposal, request.POST)
        if form.submit(lambda data: actions.shortlist_proposal(user, proposal, shortlisted=action == "shortlist",
                                                               version=data["version"]),
                       stored=forms.ShortlistForm.initial_of):
            messages.success(request, "提案の状態を更新しました。")
            return redirect(c.get_absolute_url())
        if form.conflict:  # show the proposals as they are now, so each button offers what can still be done
            proposals = list(queries.visible_proposals(user, c))
    elif request.method == "POST":
        messages.error(request, "操作が正しくありません。ページを読み込み直してから、もう一度操作してください。")
        status = 400  # no such button on the page
    can_propose = (membership is not None and access.can(user, "promotion.proposal_submit", c)
                   and c.status == ChallengeStatus.OPEN
                   and c.deadline >= timezone.localdate()
                   and not any(p.organisation_id == membership.organisation_id for p in proposals))
    can_change_own = own is not None and c.status == ChallengeStatus.OPEN and c.deadline >= timezone.localdate()
    return render(request, "promotion/challenge.html", {
        "c": c, "proposals": proposals, "can_review": can_review, "can_propose": can_propose,
        "own": own, "can_change_own": can_change_own, "own_form": own_form, "withdraw_form": withdraw_form,
        "own_refused_closed": refused is not None and refused in (own_form, withdraw_form) and not can_change_own,
        "membership": membership, "proposal_form": proposal_form,
        "reviewed": [(p, select_forms.get(p.pk), shortlist_forms.get(p.pk)) for p in proposals], "refused": refused,
        "outcome": queries.public_outcome(c),
        "needs_organisation": membership is None and access.can(user, "promotion.proposal_submit", c),
        "sector_name": queries.sector_names().get(c.sector_id, c.sector_id),
        "can_edit": access.can(user, "promotion.challenge_manage", c.municipality)
        and c.status not in (ChallengeStatus.DECIDED, ChallengeStatus.WITHDRAWN),
    }, status=status or (refused or proposal_form).status)


@login_required
def challenge_new(request):
    place = get_municipality(request.GET.get("municipality") or request.POST.get("municipality") or "0")
    access.require(request.user, "promotion.challenge_manage", place)
    form = forms.ChallengeForm(request.POST or None, initial={"municipality": place.code})
    saved = request.method == "POST" and form.submit(
        lambda data: actions.save_challenge(request.user, place, None, data))
    if saved:
        messages.success(request, "課題を掲載しました。")
        return redirect(saved.get_absolute_url())
    return _form_page(request, form, title=f"課題を掲載（{place.name}）", back_url=reverse("promotion:challenges"),
                      back_label="自治体の課題",
                      lead="企業・スタートアップからの提案を募ります。スタートアップが参加しやすい条件には印をつけてください。")


def _managed_challenge(request, pk) -> Challenge:
    c = get_object_or_404(Challenge.objects.select_related("municipality"), pk=pk)
    access.require(request.user, "promotion.challenge_manage", c.municipality)
    return c


def _challenge_form(request, pk, form_class, act, *, success, title, lead, submit_label=""):
    """A managed challenge's edit or withdrawal: the form, the action on the challenge, back to its page."""
    c = _managed_challenge(request, pk)
    form = form_class(request.POST or None, initial=form_class.initial_of(c))
    saved = request.method == "POST" and form.submit(lambda data: act(c, data), stored=form_class.initial_of)
    if saved:
        messages.success(request, success)
        return redirect(saved.get_absolute_url())
    return _form_page(request, form, title=title(c), back_url=c.get_absolute_url(), back_label=c.title, lead=lead,
                      submit_label=submit_label)


@login_required
def challenge_edit(request, pk):
    return _challenge_form(
        request, pk, forms.ChallengeEditForm,
        lambda c, data: actions.save_challenge(request.user, c.municipality, c, data, version=data["version"]),
        success="課題を更新しました。", title=lambda c: f"課題を編集（{c.municipality.name}）",
        lead="提案を受け付けている間に、内容・予算・締切を直せます。結果を公表した課題と取り下げた課題は変更できません。")


@login_required
def challenge_withdraw(request, pk):
    return _challenge_form(
        request, pk, forms.WithdrawChallengeForm,
        lambda c, data: actions.withdraw_challenge(request.user, c, reason=data["reason"], version=data["version"]),
        success="課題を取り下げました。提案していた組織にはメールで知らせます。", title=lambda c: f"課題を取り下げる（{c.title}）",
        lead="取り下げると提案の受付を終え、理由を課題のページに表示します。提案していた組織にはメールで知らせます。取下げは元に戻せません。",
        submit_label="課題を取り下げる")


# ---- events -------------------------------------------------------------------------------------------------------

def _event_place(request):
    """The municipality whose flags order the list: ?municipality=, else the signed-in officer's own."""
    code = request.GET.get("municipality", "")
    if code:
        try:
            return get_municipality(code)
        except Http404:
            return None
    user = request.user
    return user.municipality if user.is_authenticated and user.municipality_id else None


def _listed_events(request, place):
    """The events the list shows for this query string: its page, exports and calendar file alike."""
    # ?registered=1: the events the user registered for (マイページ's list); anonymous users have none to filter.
    registered = request.GET.get("registered") == "1" and request.user.is_authenticated
    rows = queries.events(sector=request.GET.get("sector", ""), fmt=request.GET.get("format_", ""),
                          upcoming=request.GET.get("past") != "1", online_first=queries.online_first_for(place),
                          prefecture=request.GET.get("prefecture", ""),
                          registered_by=request.user if registered else None)
    return rows, registered


def events(request):
    place = _event_place(request)
    online_first = queries.online_first_for(place)
    prefecture = request.GET.get("prefecture", "")
    rows, registered = _listed_events(request, place)
    if request.GET.get("format") in EXPORT_FORMATS:
        header = ["ID", "名称", "主催", "開催形式", "開始（日本時間）", "終了（日本時間）", "会場", "定員", "申込数", "録画", "資料"]
        return tabular.table_response(request.GET["format"], "イベント・説明会", header, [
            [e.pk, e.title, e.organiser_name, e.get_format_display(),
             timezone.localtime(e.starts_at).strftime("%Y-%m-%d %H:%M"),
             timezone.localtime(e.ends_at).strftime("%Y-%m-%d %H:%M"), e.venue, e.capacity, e.registered,
             e.recording_url, e.materials_url] for e in rows])
    page = paginate(rows, request.GET.get("page"))
    return render(request, "promotion/events.html", {
        "page_obj": page, "place": place, "online_first": online_first, "sectors": queries.sectors(),
        "formats": EventFormat.choices, "sector": request.GET.get("sector", ""), "fmt": request.GET.get("format_", ""),
        "past": request.GET.get("past") == "1", "can_create": access.can(request.user, "promotion.event_create"),
        "query": list_query(request), "prefecture": prefecture, "prefectures": forms.prefecture_choices(),
        "registered": registered, "registered_days": queries.REGISTERED_EVENT_DAYS,
    })


def events_ics(request):
    rows, _registered = _listed_events(request, _event_place(request))
    response = HttpResponse(ics.event_calendar(rows), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="events.ics"'
    return response


def event(request, pk):
    e = get_object_or_404(Event.objects.select_related("organiser_organisation", "organiser_municipality__prefecture",
                                                        "organiser_prefecture"), pk=pk)
    user = request.user
    registered = user.is_authenticated and e.registrations.filter(user=user).exists()
    errors, conflict = {}, False
    if request.method == "POST":
        if not user.is_authenticated:
            return redirect(reverse("accounts:login") + f"?next={e.get_absolute_url()}")
        try:
            if request.POST.get("action") == "cancel":
                actions.cancel_registration(user, e)
                messages.success(request, "申込を取り消しました。")
            else:
                actions.register_for_event(user, e)
                messages.success(request, "参加を申し込みました。")
        except Invalid as exc:
            errors = exc.errors
        except Conflict as exc:  # full: another registration took the last seat first (the page now says 満員)
            errors, conflict = {"": str(exc)}, True
        else:
            return redirect(e.get_absolute_url())
    can_edit = access.can(user, "promotion.event_edit", e)
    # The organiser sees who registered (and exports it); everyone else only the count.
    registrations = queries.registrations_of(e) if can_edit else None
    if request.GET.get("format") in EXPORT_FORMATS:
        if registrations is None:
            raise Http404("申込者の一覧は主催者だけが見られます")
        return tabular.table_response(request.GET["format"], f"申込者_{e.title}", queries.REGISTRATION_HEADER,
                                      queries.registration_rows(registrations))
    count = len(registrations) if registrations is not None else e.registrations.count()
    return render(request, "promotion/event.html", {
        "e": e, "registered": registered, "count": count, "errors": errors, "registrations": registrations,
        "full": e.capacity is not None and count >= e.capacity,
        "sector_names": queries.sector_names(), "can_edit": can_edit,
        "started": e.starts_at <= timezone.now(), "may_join": bool(e.online_url) and access.can(user, "promotion.event_join", e),
    }, status=409 if conflict else 422 if errors else 200)


@login_required
def event_calendar(request, pk):
    """The event with its join link, as a calendar file for one who registered (or its organiser)."""
    e = get_object_or_404(Event.objects.select_related("organiser_organisation", "organiser_municipality__prefecture",
                                                        "organiser_prefecture"), pk=pk)
    access.require(request.user, "promotion.event_join", e)
    return ics.personal_response(ics.event_with_join_link(e), f"event-{e.pk}.ics")


@login_required
def event_edit(request, pk=None):
    e = get_object_or_404(Event, pk=pk) if pk else None
    access.require(request.user, "promotion.event_edit" if e else "promotion.event_create", e)
    form = forms.EventForm(request.POST or None, user=request.user, event=e,
                           initial=forms.EventForm.initial_of(e) if e else {"format": EventFormat.ONLINE})
    saved = request.method == "POST" and form.submit(
        lambda data: actions.save_event(request.user, e, data, version=data["version"]), stored=forms.EventForm.initial_of)
    if saved:
        messages.success(request, f"「{saved.title}」を保存しました。")
        return redirect(saved.get_absolute_url())
    return _form_page(request, form, title="イベントを編集" if e else "イベントを登録",
                      back_url=reverse("promotion:events"), back_label="イベント・説明会")


# ---- organisations' roles in implementation plans (shown on the funding plan page) ---------------------------------

def _plan_page(plan) -> str:
    return plan.get_absolute_url() + "#plan-organisations"


def _visible_plan(request, pk):
    from chiiki.funding.models import ImplementationPlan

    plan = get_object_or_404(ImplementationPlan.objects.select_related("municipality", "prefecture"), pk=pk)
    access.require_view(request.user, plan)
    return plan


@login_required
@require_POST
def plan_organisation_add(request, pk):
    from chiiki.funding.views import plan_page

    plan = _visible_plan(request, pk)
    access.require(request.user, "promotion.plan_roles", plan)
    form = forms.PlanOrganisationForm(request.POST)
    saved = form.submit(lambda data: actions.add_plan_participation(
        request.user, plan, form.organisation_of(data), {"role": data["role"], "note": data["note"]}))
    if saved:
        messages.success(request, f"{saved.organisation.name}を計画の{saved.get_role_display()}として加えました。")
        return redirect(_plan_page(plan))
    return plan_page(request, plan, status=form.status, plan_organisation_form=form)


@login_required
@require_POST
def plan_organisation_remove(request, pk):
    from chiiki.funding.views import plan_page

    participation = get_object_or_404(PlanParticipation.objects.select_related("plan", "organisation"), pk=pk)
    access.require_view(request.user, participation.plan)
    form = forms.PlanOrganisationRemoveForm(request.POST)
    _nothing, status = save_or_refuse(form, lambda: actions.remove_plan_participation(
        request.user, participation, version=form.cleaned_data["version"]))
    if status != 200:  # the plan page as it is now: the rows another editor changed, with the reason
        return plan_page(request, participation.plan, status=status, plan_organisation_refused=form)
    messages.success(request, f"{participation.organisation.name}を計画から外しました。")
    return redirect(_plan_page(participation.plan))
