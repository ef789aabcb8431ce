"""見える化 pages (public; anonymous responses are cached by chiiki.core.cache, see apps.py) and the staff entry /
import screens."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from chiiki import access
from chiiki.core import history, tabular
from chiiki.core.codes import InvalidCode, normalize_code
from chiiki.core.errors import Conflict, Invalid
from chiiki.core.fiscal import fiscal_year_label
from chiiki.core.fragments import deferred
from chiiki.core.paging import paginate
from chiiki.core.text import fold_kana
from chiiki.regions.models import Municipality, Prefecture
from chiiki.regions.queries import get_municipality
from chiiki.roadmap.models import Sector

from . import actions, queries
from .exporting import export_municipalities_response, export_response
from .models import STAGE_ORDER, ProgressRecord, Stage
from .validation import fiscal_year_window

GROUP_BY_LABELS = {"prefecture": "都道府県", "kind": "団体区分", "population_class": "人口規模"}


def _year_from(request) -> int:
    return queries.parse_year_param(request.GET.get("fiscal_year")) or queries.default_fiscal_year()


def _sector_from(request, *, default_first=False):
    sectors = queries.sectors()
    code = request.GET.get("sector") or ""
    if code and code in {s["code"] for s in sectors}:
        return code
    return sectors[0]["code"] if (default_first and sectors) else ""


def _prefectures():
    return list(Prefecture.objects.values("code", "name"))


def _base_context(request, year, **extra):
    return {"fiscal_year": year, "fiscal_year_label": fiscal_year_label(year), "fiscal_years": queries.fiscal_years(),
            "sectors": queries.sectors(), "stages": [(s.value, s.label) for s in Stage],
            "has_demo": queries.has_demo_records(), "can_import": access.can(request.user, "progress.import_any"),
            "can_enter": _can_enter(request.user), **extra}


def _can_enter(user) -> bool:
    """The 進捗の入力 tab is for those who manage some municipality; an advisor or a company would meet a 403."""
    return user.is_authenticated and access.manages_a_place(user)


def index(request):
    year = _year_from(request)
    summary = queries.summary(year)
    totals = summary["total"]
    rows = []
    for sector in queries.sectors():
        counts = totals["sectors"][sector["code"]]
        total = sum(counts.values()) or 1
        cells = [{"stage": s, "count": counts[s], "share": round(counts[s] / total * 100, 1)} for s in STAGE_ORDER]
        implemented = counts["implemented"] + counts["self_sustaining"]
        rows.append({"sector": sector, "cells": cells, "implemented": implemented,
                     "implemented_share": round(implemented / total * 100, 1)})
    trend = queries.trend()
    # The table under the chart pairs each figure with its 年度 so it can link to its rows; the cached trend
    # itself is shared between requests and stays untouched.
    trend_table = [{**s, "cells": list(zip(trend["years"], s["implemented"], strict=True))} for s in trend["sectors"]]
    trend_any = list(zip(trend["years"], trend["any_sector"], strict=True))
    # pdca (issue 14): the KPI panel shows the national KPI rows (chiiki.pdca), each linking to its KPI page.
    from chiiki.pdca.queries import overview_kpis

    # Read only inside the page's public fragment: computed when the fragment is not yet stored.
    return render(request, "progress/index.html", _base_context(
        request, year, rows=rows, municipality_count=totals["municipalities"], trend=trend,
        trend_table=trend_table, trend_any=trend_any,
        kpi_achieved=deferred(lambda: queries.implemented_municipality_count(year)),
        kpis=deferred(lambda: overview_kpis(year))))


def map_page(request):
    year = _year_from(request)
    sector = _sector_from(request, default_first=True)
    summary = queries.summary(year, sector) if sector else None
    return render(request, "progress/map.html", _base_context(
        request, year, sector=sector, summary=summary,
        data_url=reverse("progress:map_data") + f"?fiscal_year={year}&sector={sector}"))


def map_data(request):
    """{code: {"stage", "label"}} for the choropleth (cached on the data version)."""
    year = _year_from(request)
    sector = _sector_from(request, default_first=True)
    return JsonResponse({"fiscal_year": year, "sector": sector, "values": queries.map_values(year, sector)},
                        json_dumps_params={"ensure_ascii": False})


def prefectures(request):
    year = _year_from(request)
    sector = _sector_from(request)
    rows = queries.prefecture_comparison(year, sector or None)
    if request.GET.get("format") in ("csv", "xlsx"):
        header = ["都道府県コード", "都道府県", "団体数", "実装団体数", "実装率（%）", "平均スコア",
                  f"{year}年度の未報告の団体数"]
        return tabular.table_response(request.GET["format"], f"都道府県比較_{year}年度",
                                      header, [[r["code"], r["name"], r["municipalities"], r["implemented"], r["share"],
                                                r["score"], r["unreported"]] for r in rows])
    chart = {"labels": [r["name"] for r in rows], "shares": [r["share"] for r in rows]}
    return render(request, "progress/prefectures.html", _base_context(
        request, year, sector=sector, rows=rows, chart=chart, formula=queries.SCORE_FORMULA))


def prefecture(request, code):
    pref = get_object_or_404(Prefecture, pk=code)
    year = _year_from(request)
    sectors = queries.sectors()
    tables = deferred(lambda: _prefecture_tables(pref, year))
    if request.GET.get("format") in ("csv", "xlsx") and request.GET.get("table") == "sectors":
        header = ["分野", *[queries.STAGE_LABELS[stage] for stage in STAGE_ORDER], "団体数"]
        return tabular.table_response(
            request.GET["format"], f"{pref.name}_分野別の段階_{year}年度", header,
            [[s["name"], *[n for _stage, _label, n in counts], len(tables()["members"])]
             for s, counts in tables()["breakdown"]])
    if request.GET.get("format") in ("csv", "xlsx"):
        header = ["団体コード", "団体名", "区分", *[s["name"] for s in sectors], "総合スコア"]
        return tabular.table_response(
            request.GET["format"], f"{pref.name}_進捗_{year}年度", header,
            [[e["code"], e["name"], e["kind_label"], *[label for _code, _stage, label in e["stage_list"]], e["score"]]
             for e in tables()["members"]])
    # Read only inside the page's public fragments: computed when they are not yet stored.
    return render(request, "progress/prefecture.html", _base_context(
        request, year, prefecture=pref, members=deferred(lambda: tables()["members"]),
        breakdown=deferred(lambda: tables()["breakdown"])))


def _prefecture_tables(pref, year: int) -> dict:
    sectors = queries.sectors()
    members = sorted((e for e in queries.scores(year).values() if e["prefecture"] == pref.code), key=lambda e: e["code"])
    # The prefecture's own totals (sector × stage), from the same summary the API's group_by=prefecture gives.
    group = next((g for g in queries.summary(year, group_by="prefecture")["groups"] if g["key"] == pref.code), None)
    breakdown = [(s, [(stage, queries.STAGE_LABELS[stage], group["sectors"][s["code"]][stage] if group else 0)
                      for stage in STAGE_ORDER]) for s in sectors]
    labels = queries.kind_labels()
    members = [{**entry, "kind_label": labels.get(entry["kind"], entry["kind"]),
                "stage_list": [(s["code"], entry["stages"][s["code"]], queries.STAGE_LABELS[entry["stages"][s["code"]]])
                               for s in sectors]}
               for entry in members]  # the scores are shared between requests: never change them in place
    return {"members": members, "breakdown": breakdown}


def rankings(request):
    year = _year_from(request)
    groups = queries.rankings(year)
    keys = sorted(groups, key=lambda k: (list(queries.kind_labels()).index(k.split(":")[0])
                                         if k.split(":")[0] in queries.kind_labels() else 99, k))
    own = _own_municipality_code(request.user)
    own_group = queries.scores(year).get(own, {}).get("peer_group") if own else None
    group = request.GET.get("group") or own_group or (keys[0] if keys else "")
    if group not in groups:
        group = own_group if own_group in groups else (keys[0] if keys else "")
    members = groups.get(group, [])
    prefecture = request.GET.get("prefecture") or ""
    shown = [m for m in members if not prefecture or m["prefecture"] == prefecture]
    page_number = request.GET.get("page")
    own_index = next((i for i, m in enumerate(shown) if m["code"] == own), None) if own else None
    own_entry = shown[own_index] if own_index is not None else None
    own_page = own_index // RANKING_PAGE_SIZE + 1 if own_index is not None else None
    if page_number is None and own_page:
        page_number = own_page  # open on the page that holds the officer's own municipality
    if request.GET.get("format") in ("csv", "xlsx"):
        header = ["順位", "団体コード", "団体名", "都道府県", "総合スコア", "実装分野数"]
        return tabular.table_response(request.GET["format"], f"ランキング_{year}年度",
                                      header, [[m["rank"], m["code"], m["name"], m["prefecture_name"], m["score"],
                                                len(m["implemented"])] for m in shown])
    page = paginate(shown, page_number, RANKING_PAGE_SIZE)
    # The table marks the viewer's own row: its fragment is kept per marked row, so only when the row is on this page.
    own_on_page = own if own and any(m["code"] == own for m in page.object_list) else None
    options = [{"key": k, "label": queries.peer_group_label(k), "size": len(groups[k])} for k in keys]
    return render(request, "progress/rankings.html", _base_context(
        request, year, groups=options, group=group, group_label=queries.peer_group_label(group) if group else "",
        page=page, formula=queries.SCORE_FORMULA, prefecture=prefecture, prefectures=_prefectures(), own=own,
        own_group=own_group, own_entry=own_entry, own_page=own_page, own_on_page=own_on_page))


RANKING_PAGE_SIZE = 100


def _own_municipality_code(user) -> str | None:
    """The municipality a municipal officer belongs to (the rankings open on its peer group)."""
    return access.staff_municipality_id(user)


def municipality(request, code):
    place = get_municipality(code)
    code = place.code
    year = _year_from(request)
    if request.GET.get("table") == "similar" and request.GET.get("format") in ("csv", "xlsx"):
        return tabular.table_response(
            request.GET["format"], f"{place.name}_似た団体_{year}年度",
            ["団体コード", "都道府県", "団体", "理由", "総合スコア", "この団体が未実装で実装済・自走の分野"],
            [[s["code"], s["prefecture_name"], s["name"], s["reason"], s["score"], "・".join(s["ahead_names"])]
             for s in _similar_rows(code, year)])
    # Read only inside the page's public fragments: computed when they are not yet stored.
    score = deferred(lambda: queries.scores(year).get(code))
    return render(request, "progress/municipality.html", _base_context(
        request, year, place=place, sector_rows=deferred(lambda: _sector_rows(code, year)), score=score,
        ranking=deferred(lambda: _ranking(code, year, score())),
        peer_group_label=deferred(lambda: queries.peer_group_label(score()["peer_group"]) if score() else ""),
        similar=deferred(lambda: _similar_rows(code, year)),
        can_edit=access.can(request.user, "progress.edit", place), formula=queries.SCORE_FORMULA))


def _sector_rows(code: str, year: int) -> list[dict]:
    grid = queries.cells(year, municipality=code)
    records = queries.municipality_history(code)
    return [{"sector": s, "cell": grid[(code, s["code"])], "history": records.get(s["code"], [])}
            for s in queries.sectors()]


def _ranking(code: str, year: int, score: dict | None) -> dict | None:
    if not score:
        return None
    return next((m for m in queries.rankings(year).get(score["peer_group"], []) if m["code"] == code), None)


def _similar_rows(code: str, year: int) -> list[dict]:
    similar = queries.similar_municipalities(code, year)
    sector_names = {s["code"]: s["name"] for s in queries.sectors()}
    for entry in similar:
        entry["ahead_names"] = [sector_names[c] for c in entry["ahead_in"]]
    return similar


def records(request):
    """The rows behind every number, filterable, paginated, exportable in the import format."""
    year = _year_from(request)
    stages = [s for s in request.GET.getlist("stage") for s in s.split(",") if s in Stage.values]
    typed = (request.GET.get("municipality") or "").strip()
    code_error = ""
    try:
        code = normalize_code(typed) if typed else None
    except InvalidCode as exc:
        # Said next to the field, and nothing listed: dropping the filter silently would show every row as if
        # they were this municipality's.
        code, code_error = None, str(exc)
    kinds = queries.kind_labels()
    kind = request.GET.get("kind") if request.GET.get("kind") in kinds else None
    sector = _sector_from(request) or None
    # A KPI over several sectors links with one sector= per sector: the rows of any of them.
    names = {s["code"]: s["name"] for s in queries.sectors()}
    sector_set = [c for c in dict.fromkeys(request.GET.getlist("sector")) if c in names]
    if len(sector_set) > 1:
        sector = None
    else:
        sector_set = []
    prefecture = request.GET.get("prefecture") or None
    peer_group = request.GET.get("peer_group") or None
    implemented_any = request.GET.get("implemented_any") == "1"
    unreported = request.GET.get("unreported") == "1"
    rows = [] if code_error else queries.list_cells(
        year, sector=sector, prefecture=prefecture, kind=kind, municipality=code, stages=stages,
        peer_group=peer_group, implemented_any=implemented_any, sector_set=sector_set, unreported=unreported)
    # A count of municipalities (団体数, 実装団体数, the KPI) links here with per=municipality (implemented_any
    # implies it): one row per municipality, so the list holds exactly as many rows as the number said.
    per = request.GET.get("per")
    if per not in ("cell", "municipality"):
        per = "municipality" if implemented_any else "cell"
    if per == "municipality":
        rows = queries.group_by_municipality(rows)
    fmt = request.GET.get("format")
    if fmt in ("csv", "xlsx"):
        if per == "municipality":
            return export_municipalities_response(fmt, year, rows, kinds)
        return export_response(fmt, year, rows)

    page = paginate(rows, request.GET.get("page"), 100)
    # Staff chasing 未報告 go straight to the entry page of each municipality on this page they may edit.
    shown = {row["place"]["code"] if per == "municipality" else row[0]["code"] for row in page.object_list}
    enterable = set(access.scope_managed_municipalities(
        request.user, Municipality.objects.filter(code__in=shown)).values_list("code", flat=True)) if shown else set()
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    query.pop("per", None)
    base_query = query.urlencode()
    query["per"] = per
    return render(request, "progress/records.html", _base_context(
        request, year, page=page, sector=sector or "", selected_stages=stages, prefecture=prefecture or "",
        kind=kind or "", municipality=code or typed, code_error=code_error, peer_group=peer_group or "",
        implemented_any=implemented_any, sector_set_label="・".join(names[c] for c in sector_set),
        unreported=unreported,
        kinds=list(kinds.items()), prefectures=Prefecture.objects.all(), querystring=query.urlencode(),
        base_query=base_query, per=per, enterable=enterable,
        can_delete=access.can(request.user, "progress.delete"),
        peer_group_label=queries.peer_group_label(peer_group) if peer_group and ":" in peer_group else ""))


# ---- entry (staff) --------------------------------------------------------------------------------------------

@login_required
def entry_index(request):
    managed = access.scope_managed_municipalities(request.user, Municipality.objects.select_related("prefecture"))
    count = managed.count()
    if count == 1:
        return redirect("progress:entry", code=managed.first().code)
    if count == 0:
        raise PermissionDenied("進捗を入力できる団体がありません")
    q = request.GET.get("q", "").strip()
    if q:
        managed = managed.filter(name__contains=q) | managed.filter(kana_folded__contains=fold_kana(q)) | \
            managed.filter(code__startswith=q)
    page = paginate(managed.order_by("code"), request.GET.get("page"))
    return render(request, "progress/entry_index.html", {"page": page, "q": q})


def _entry_rows(code, year, sectors=None):
    grid = queries.cells(year, municipality=code)
    return [{"sector": s, "cell": grid[(code, s["code"])]} for s in (sectors or queries.sectors())]


@login_required
def entry(request, code):
    place = get_object_or_404(Municipality.objects.select_related("prefecture"), pk=code)
    access.require(request.user, "progress.edit", place)
    year = _year_from(request)
    first, last = fiscal_year_window()
    if not first <= year <= last:
        # Offer only what can be saved: the page would show the 年度 and then refuse every row.
        default = min(max(queries.default_fiscal_year(), first), last)
        messages.warning(request, f"{year}年度の進捗は入力できません（入力できるのは{first}年度から{last}年度まで）。"
                                  f"{default}年度を表示しています。")
        return redirect(f"{reverse('progress:entry', args=[place.code])}?fiscal_year={default}")
    fmt = request.GET.get("format")
    if fmt in ("csv", "xlsx"):
        # What the page shows (every sector, carried-over stages included) in the import format: filled in offline
        # and uploaded again through the import.
        return export_response(fmt, year, queries.list_cells(year, municipality=code), name=f"進捗入力_{place.name}")
    return render(request, "progress/entry.html", _base_context(
        request, year, place=place, rows=_entry_rows(code, year)) | {"fiscal_years": list(range(first, last + 1))})


@login_required
@require_POST
def entry_save(request, code, sector):
    """htmx: save one sector row; re-render the row (with the newer value on a version conflict)."""
    place = get_object_or_404(Municipality.objects.select_related("prefecture"), pk=code)
    sector_obj = get_object_or_404(Sector, pk=sector)
    year = queries.parse_year_param(request.POST.get("fiscal_year"))
    if year is None:
        raise Http404("年度が正しくありません")
    stage = request.POST.get("stage", "")
    note = request.POST.get("note", "")
    evidence_url = request.POST.get("evidence_url", "")
    version = request.POST.get("version")
    conflict, errors, saved = None, {}, False
    try:
        _record, saved = actions.save_progress(request.user, place, sector_obj, year, stage=stage, note=note,
                                               evidence_url=evidence_url, version=version, source=history.WEB)
    except Conflict:
        conflict = {"stage": stage, "note": note, "evidence_url": evidence_url}
    except Invalid as exc:
        errors = exc.errors
    row = _entry_rows(code, year, [{"code": sector_obj.code, "name": sector_obj.name}])[0]
    context = _base_context(request, year, place=place, row=row, conflict=conflict, errors=errors, saved=saved,
                            unchanged=not saved and not conflict and not errors, posted={"stage": stage, "note": note,
                                                                                       "evidence_url": evidence_url})
    status = 409 if conflict else (422 if errors else 200)
    if request.headers.get("HX-Request"):
        # htmx swaps only 2xx responses; the re-rendered row itself carries the conflict or error message.
        status = 200
    return render(request, "progress/_entry_row.html", context, status=status)


@login_required
def record_delete(request, code, sector, fiscal_year):
    """National admin: remove a wrong record (confirm, then POST with the version seen); history keeps it."""
    records = ProgressRecord.objects.select_related("municipality__prefecture", "sector").filter(
        municipality_id=code, sector_id=sector, fiscal_year=fiscal_year)
    record = get_object_or_404(records)
    access.require(request.user, "progress.delete", record.municipality)
    back = reverse("progress:records") + f"?fiscal_year={record.fiscal_year}&municipality={code}"
    page = {"record": record, "back": back}
    if request.method == "POST":
        try:
            actions.delete_progress(request.user, record, version=request.POST.get("version"), source=history.WEB)
        except Conflict:
            # Nothing deleted: the page shows the record as it is now, with its version in the form, so deleting it
            # is a decision about what is there now.
            current = records.first()
            return render(request, "progress/record_delete.html", {
                **page, "record": current, "conflict": Conflict.BEFORE_DELETE if current else Conflict.GONE},
                status=409)
        except Invalid as exc:
            return render(request, "progress/record_delete.html",
                          {**page, "problems": [reason for _name, reason in exc.problems]}, status=422)
        messages.success(request, f"{record.municipality.name} {record.sector.name} {record.fiscal_year}年度の記録を削除しました"
                                  "（変更履歴に残っています）。")
        return redirect(back)
    return render(request, "progress/record_delete.html", page)
