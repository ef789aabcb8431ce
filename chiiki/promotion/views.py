"""推進体制 pages: model regions (public list + map, per-region diffusion), candidates with the score formula,
package advice and neighbours' uptake per municipality; admin screens for weights and designation; the
municipality's commitment form. Every write goes through actions; reads through queries."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from chiiki import access
from chiiki.core import tabular
from chiiki.core.errors import Conflict, Invalid
from chiiki.core.paging import paginate
from chiiki.progress import queries as progress_queries
from chiiki.regions.queries import get_municipality

from . import actions, queries
from .diffusion import MIN_GROUP

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
        "map_data": {"values": map_values, "focus": [r.municipality_id for r in regions]},
        "chart": _chart(national["years"]), "can_manage": access.can(request.user, "promotion.manage"),
    })


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
        header = ["年度", "隣接団体の実装割合（%）", "実装済以上の隣接セル", "隣接セル", "比較グループの実装割合（%）",
                  "実装済以上の比較セル", "比較セル", "差（ポイント）"]
        return tabular.table_response(request.GET["format"], f"波及_{place.name}_{region.fiscal_year}年度", header, [
            [r["fiscal_year"], r["neighbour_share"], r["neighbour_implemented"], r["neighbour_cells"],
             r["comparison_share"], r["comparison_implemented"], r["comparison_cells"], r["difference"]]
            for r in result["years"]])
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
        "can_manage": access.can(request.user, "promotion.manage"),
    })


def candidates(request):
    year = _year(request)
    result = queries.candidates(year)
    names = queries.sector_names()
    items = result["items"]
    if request.GET.get("format") in EXPORT_FORMATS:
        header = ["順位", "団体コード", "団体名", "都道府県", "区分", "人口", "スコア", "実装", "前進", "コミットメント",
                  "表明日", "実装済・自走の分野", "指定済み"]
        return tabular.table_response(request.GET["format"], f"見本となる地域の候補_{year}年度", header, [
            [i, e["code"], e["name"], e["prefecture"], e["kind_label"], e["population"], e["score"], e["implemented"],
             e["progress"], "あり" if e["commitment"] else "なし", e["commitment_date"] or "",
             _sector_label(e["implemented_sectors"], names), "指定済み" if e["designated"] else ""]
            for i, e in enumerate(items, start=1)])
    page = paginate(items, request.GET.get("page"))
    start = page.start_index()
    return render(request, "promotion/candidates.html", {
        "result": result, "page_obj": page, "rows": [(start + i, e) for i, e in enumerate(page.object_list)],
        "fiscal_year": year, "fiscal_years": progress_queries.fiscal_years(), "sector_names": names,
        "can_manage": access.can(request.user, "promotion.manage"),
    })


def municipality(request, code):
    place = get_municipality(code)
    year = _year(request)
    advice = queries.package_advice(place, year)
    names = queries.sector_names()
    if request.GET.get("format") in EXPORT_FORMATS:
        header = ["分野の組み合わせ", "支持数（団体）", "確信度", "実装した類似団体", "この団体が未実装の分野"]
        return tabular.table_response(request.GET["format"], f"パッケージ_{place.name}_{year}年度", header, [
            [_sector_label(c["sectors"], names), c["support"],
             "; ".join(f"{_sector_label(r['if'], names)}→{names.get(r['then'], r['then'])} {r['confidence']}%"
                       for r in c["rules"]),
             "・".join(m["name"] for m in c["municipality_names"]), _sector_label(c["missing"], names)]
            for c in advice["combinations"]])
    combos = [{**c, "label": " ＋ ".join(names.get(x, x) for x in c["sectors"]),
               "missing_label": _sector_label(c["missing"], names),
               "rule_labels": [f"{_sector_label(r['if'], names)} → {names.get(r['then'], r['then'])}: "
                               f"{r['confidence']}%（{c['support']}/{r['base']}）" for r in c["rules"]]}
              for c in advice["combinations"]]
    return render(request, "promotion/municipality.html", {
        "place": place, "fiscal_year": year, "fiscal_years": progress_queries.fiscal_years(), "advice": advice,
        "combinations": combos,
        "sector_names": names, "uptake": queries.neighbour_uptake(place, year),
        "commitments": queries.commitments(place),
        "designations": queries.model_regions().filter(municipality=place),
        "can_record": access.can(request.user, "promotion.record_commitment", place),
    })


@login_required
def commitment_new(request, code):
    place = get_municipality(code)
    access.require(request.user, "promotion.record_commitment", place)
    errors, values = {}, {"declared_on": "", "title": "", "document_url": ""}
    if request.method == "POST":
        values = {name: request.POST.get(name, "") for name in values}
        try:
            actions.record_commitment(request.user, place, **values)
        except Invalid as exc:
            errors = exc.errors
        else:
            messages.success(request, "首長のコミットメントを記録しました。")
            return redirect("promotion:municipality", code=place.code)
    return render(request, "promotion/commitment_form.html", {"place": place, "values": values, "errors": errors},
                  status=422 if errors else 200)


@login_required
def weights_edit(request):
    access.require(request.user, "promotion.manage")
    current = queries.current_weights()
    values = {name: getattr(current, name) for name in actions.WEIGHT_FIELDS}
    errors, version = {}, current.version
    if request.method == "POST":
        values = {name: request.POST.get(name, "") for name in actions.WEIGHT_FIELDS}
        version = request.POST.get("version", "")
        try:
            actions.save_weights(request.user, values, version=version)
        except Invalid as exc:
            errors = exc.errors
        except Conflict:
            errors = {"": Conflict.DEFAULT}
            version = queries.current_weights().version
        else:
            messages.success(request, "候補スコアの重みを保存しました。")
            return redirect("promotion:candidates")
    return render(request, "promotion/weights_form.html", {
        "values": values, "errors": errors, "version": version, "labels": actions.WEIGHT_LABELS,
        "history_url": reverse("history:index") + "?model=promotion.scoringweights",
    }, status=422 if errors else 200)


@login_required
def designate(request):
    access.require(request.user, "promotion.manage")
    values = {"code": request.GET.get("code", ""), "fiscal_year": str(queries.default_year()), "sectors": [],
              "story": "", "package_name": ""}
    errors = {}
    if request.method == "POST":
        values = {"code": request.POST.get("code", ""), "fiscal_year": request.POST.get("fiscal_year", ""),
                  "sectors": request.POST.getlist("sectors"), "story": request.POST.get("story", ""),
                  "package_name": request.POST.get("package_name", "")}
        try:
            place = get_municipality(values["code"].strip())
        except Http404:
            place = None
        if place is None:
            errors = {"code": "団体コードが正しくないか、登録されていません"}
        else:
            try:
                region = actions.designate(request.user, place, fiscal_year=values["fiscal_year"],
                                           sectors=values["sectors"], story=values["story"],
                                           package_name=values["package_name"])
            except Invalid as exc:
                errors = exc.errors
            else:
                messages.success(request, f"{place.name}を{region.fiscal_year}年度の見本となる地域に指定しました。")
                return redirect(reverse("promotion:model_region", args=[place.code])
                                + f"?fiscal_year={region.fiscal_year}")
    return render(request, "promotion/designate_form.html", {
        "values": values, "errors": errors, "sectors": queries.sectors(),
    }, status=422 if errors else 200)
