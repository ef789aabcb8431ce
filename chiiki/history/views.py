"""変更履歴 pages: the change records within the user's scope, filterable and exportable."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from chiiki.core.models import ChangeRecord
from chiiki.core.paging import paginate
from chiiki.core.tabular import table_response

from . import queries


@login_required
def index(request):
    """Change records within the user's scope, filtered; ?format=csv|xlsx exports the filtered list."""
    filters = queries.parse_filters(request.user, request.GET)
    records = queries.filtered_records(request.user, filters)
    fmt = request.GET.get("format", "")
    if fmt in ("csv", "xlsx"):
        filename = f"変更履歴_{timezone.localdate():%Y%m%d}"
        return table_response(fmt, filename, queries.EXPORT_HEADER, queries.export_rows(records, request.user))
    page = paginate(records, request.GET.get("page"))
    memo = queries.names_for(request.user)  # names of related objects, read once per page
    rows = [
        {"record": record, "changes": queries.diff(record, memo), "model_name": queries.model_label(record.model),
         "source": queries.SOURCE_LABELS.get(record.source, record.source)}
        for record in page.object_list
    ]
    return render(request, "history/index.html", {
        "page": page,
        "rows": rows,
        "filters": filters,
        "export_query": urlencode(filters.as_query()),
        "model_choices": queries.model_choices(request.user),
        "action_choices": ChangeRecord.Action.choices,
        "scope_label": queries.scope_label(request.user),
    })


@login_required
def detail(request, pk: int):
    record = get_object_or_404(queries.scoped_records(request.user), pk=pk)
    return render(request, "history/detail.html", {
        "record": record,
        "changes": queries.diff(record, queries.names_for(request.user)),
        "model_name": queries.model_label(record.model),
        "source_label": queries.SOURCE_LABELS.get(record.source, record.source),
        "same_object_query": urlencode({"model": record.model, "object_id": record.object_id}),
    })
