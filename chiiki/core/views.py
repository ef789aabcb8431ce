from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from chiiki.core import history_queries
from chiiki.core.paging import paginate
from chiiki.core.tabular import table_response

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
    """Change records within the user's scope, filtered; ?format=csv|xlsx exports the filtered list."""
    filters = history_queries.parse_filters(request.user, request.GET)
    records = history_queries.filtered_records(request.user, filters)
    fmt = request.GET.get("format", "")
    if fmt in ("csv", "xlsx"):
        filename = f"変更履歴_{timezone.localdate():%Y%m%d}"
        return table_response(fmt, filename, history_queries.EXPORT_HEADER, history_queries.export_rows(records))
    page = paginate(records, request.GET.get("page"))
    rows = [
        {"record": record, "changes": history_queries.diff(record), "model_name": history_queries.model_label(record.model),
         "source": history_queries.SOURCE_LABELS.get(record.source, record.source)}
        for record in page.object_list
    ]
    return render(request, "core/history.html", {
        "page": page,
        "rows": rows,
        "filters": filters,
        "export_query": urlencode(filters.as_query()),
        "model_choices": history_queries.model_choices(request.user),
        "action_choices": ChangeRecord.Action.choices,
        "scope_label": history_queries.scope_label(request.user),
    })


@login_required
def history_detail(request, pk: int):
    record = get_object_or_404(history_queries.scoped_records(request.user), pk=pk)
    return render(request, "core/history_detail.html", {
        "record": record,
        "changes": history_queries.diff(record),
        "model_name": history_queries.model_label(record.model),
        "source_label": history_queries.SOURCE_LABELS.get(record.source, record.source),
        "same_object_query": urlencode({"model": record.model, "object_id": record.object_id}),
    })
