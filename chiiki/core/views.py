from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from chiiki import access
from chiiki.core.paging import paginate

from .models import ChangeRecord


def home(request):
    return render(request, "core/home.html")


@never_cache
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # report, don't raise: the probe wants a status
        return JsonResponse({"status": "error", "database": str(exc)}, status=503)
    return JsonResponse({"status": "ok", "database": connection.vendor})


def about_data(request):
    return render(request, "core/about_data.html")


@login_required
def history(request):
    records = access.scope_history(request.user, ChangeRecord.objects.select_related("municipality", "actor"))
    model = request.GET.get("model", "")
    if model:
        records = records.filter(model=model)
    municipality = request.GET.get("municipality", "")
    if municipality:
        records = records.filter(municipality_id=municipality)
    page = paginate(records, request.GET.get("page"))
    return render(request, "core/history.html", {"page": page, "model": model, "municipality": municipality})
