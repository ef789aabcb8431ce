import gzip
import hashlib
from functools import lru_cache

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control
from django.utils.http import quote_etag
from django.views.decorators.http import require_http_methods

from chiiki import access
from chiiki.core import editing, history
from chiiki.core.errors import Conflict, Invalid
from chiiki.core.paging import list_query, paginate
from chiiki.core.tabular import table_response
from chiiki.opendata import queries as opendata_queries

from . import actions, queries
from .forms import MunicipalityAttributesForm
from .models import BoundaryFile, Municipality, MunicipalityKind, Prefecture


def _list_filters(request):
    return {
        "q": request.GET.get("q", "").strip(),
        "prefecture": request.GET.get("prefecture", "").strip(),
        "kind": request.GET.get("kind", "").strip(),
    }


def municipality_list(request):
    """団体一覧: search, filters, pagination, CSV/XLSX export of the filtered list."""
    filters = _list_filters(request)
    rows = queries.search_municipalities(filters["q"] or None, filters["prefecture"] or None, filters["kind"] or None)
    fmt = request.GET.get("format", "")
    if fmt in ("csv", "xlsx"):
        return table_response(fmt, "団体一覧", queries.EXPORT_HEADER, queries.export_rows(rows))
    page = paginate(rows, request.GET.get("page"))
    return render(request, "regions/municipality_list.html", {
        "page": page,
        "filters": filters,
        "prefectures": Prefecture.objects.all(),
        "kinds": MunicipalityKind.choices,
        "total": Municipality.objects.count(),
        "export_query": list_query(request),
        "filtered": any(filters.values()),
    })


def prefecture_detail(request, code):
    prefecture = queries.get_prefecture(code)
    if code != prefecture.code:
        return redirect("regions:prefecture", prefecture.code, permanent=True)
    rows = queries.search_municipalities(prefecture=prefecture.code)
    fmt = request.GET.get("format", "")
    if fmt in ("csv", "xlsx"):
        return table_response(fmt, f"団体一覧_{prefecture.name}", queries.EXPORT_HEADER, queries.export_rows(rows))
    return render(request, "regions/prefecture_detail.html", {
        "prefecture": prefecture,
        "municipalities": rows,
        "kind_counts": [c for c in queries.kind_counts(rows) if c[2]],
        "count": len(rows),
    })


def municipality_detail(request, code):
    municipality = queries.get_municipality(code)
    if code != municipality.code:
        return redirect("regions:municipality", municipality.code, permanent=True)
    can_edit = access.can(request.user, "municipality.edit_attributes", municipality)
    return render(request, "regions/municipality_detail.html", {
        "municipality": municipality,
        "neighbours": queries.neighbours_of(municipality),
        "population_class": queries.population_class_label(queries.population_class(municipality.population)),
        "can_edit": can_edit,
        "form": MunicipalityAttributesForm.for_municipality(municipality) if can_edit else None,
        "flags": [("過疎地域", municipality.depopulated), ("離島地域", municipality.remote_island),
                  ("中山間地域", municipality.mountainous)],
        "computed_area": municipality.area_source == actions.COMPUTED_AREA_SOURCE,
        "can_view_history": access.can(request.user, "municipality.view_history", municipality),
        "opendata": opendata_queries.municipality_catalog(request.user, municipality),
    })


@require_http_methods(["GET", "POST"])
def municipality_edit(request, code):
    """Edit 財政力指数/過疎/離島/中山間 (municipality.edit_attributes); optimistic version check."""
    municipality = queries.get_municipality(code)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not access.can(request.user, "municipality.edit_attributes", municipality):
        raise PermissionDenied("この団体の情報を編集する権限がありません")
    if request.method == "POST":
        form = MunicipalityAttributesForm(request.POST)
        if form.is_valid():
            try:
                actions.update_municipality_attributes(request.user, municipality, form.attributes(),
                                                       form.cleaned_data["version"], source=history.WEB)
            except Conflict:
                # What was typed stays on the form, with the other person's value beside each field that differs.
                municipality.refresh_from_db()
                editing.keep_typed(form, MunicipalityAttributesForm.for_municipality(municipality).initial)
                return render(request, "regions/municipality_edit.html",
                              {"municipality": municipality, "form": form}, status=409)
            except Invalid as exc:
                for name, reason in exc.problems:
                    form.add_error(name if name in form.fields else None, reason)
            else:
                messages.success(request, f"{municipality.name}の団体情報を保存しました。")
                return redirect("regions:municipality", municipality.code)
        return render(request, "regions/municipality_edit.html", {"municipality": municipality, "form": form},
                      status=422)
    form = MunicipalityAttributesForm.for_municipality(municipality)
    return render(request, "regions/municipality_edit.html", {"municipality": municipality, "form": form})


def national_map(request):
    loaded = BoundaryFile.objects.filter(name="municipalities").exists()
    return render(request, "regions/map.html", {
        "boundaries_loaded": loaded,
        "prefectures": Prefecture.objects.all(),
        "municipality_count": Municipality.objects.count(),
    })


@lru_cache(maxsize=4)
def _gzipped(sha256: str, text: str) -> bytes:
    return gzip.compress(text.encode("utf-8"), compresslevel=6, mtime=0)


def boundary_file(request, name):
    """The stored TopoJSON (public, cacheable, ETag = sha256 of the served text)."""
    row = BoundaryFile.objects.filter(name=name).only("sha256").first()
    if row is None:
        return JsonResponse({"detail": "境界データが読み込まれていません（python manage.py load_boundaries）"},
                            status=404)
    etag = quote_etag(row.sha256)
    if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
        response = HttpResponse(status=304)
    else:
        text = BoundaryFile.objects.values_list("topojson", flat=True).get(name=name)
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            response = HttpResponse(_gzipped(row.sha256, text), content_type="application/json")
            response["Content-Encoding"] = "gzip"
        else:
            response = HttpResponse(text, content_type="application/json")
        response["Vary"] = "Accept-Encoding"
    response["ETag"] = etag
    patch_cache_control(response, public=True, max_age=3600)
    return response


def points(request):
    """Municipal offices: the map fallback when no boundaries are loaded."""
    rows = [
        {"code": code, "name": name, "prefecture": prefecture, "kind": kind, "lat": lat, "lng": lng}
        for code, name, prefecture, kind, lat, lng in Municipality.objects.order_by("code").values_list(
            "code", "name", "prefecture_id", "kind", "lat", "lng")
        if lat is not None and lng is not None
    ]
    response = JsonResponse(rows, safe=False, json_dumps_params={"ensure_ascii": False})
    response["ETag"] = quote_etag(hashlib.sha256(response.content).hexdigest())
    patch_cache_control(response, public=True, max_age=3600)
    return response
