"""One pagination shape for pages and the API."""

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from ninja import Field, Schema

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


def page_size_of(raw, default: int = DEFAULT_PAGE_SIZE) -> int:
    try:
        size = int(raw)
    except (TypeError, ValueError):
        return default
    return max(1, min(size, MAX_PAGE_SIZE))


def paginate(items, page, page_size: int = DEFAULT_PAGE_SIZE):
    paginator = Paginator(items, page_size)
    try:
        return paginator.page(page or 1)
    except PageNotAnInteger:
        return paginator.page(1)
    except EmptyPage:
        return paginator.page(paginator.num_pages)


# ---- Bounded bare lists in the API ------------------------------------------------------------------------------
# Some endpoints publish a bare JSON array (clients depend on that shape), so the paging travels in the query
# string and the headers instead of the body: `limit`/`offset` in, `X-Total-Count` and an RFC 8288 `Link` out.

LIST_LIMIT = 100
MAX_LIST_LIMIT = 500
MAX_OFFSET = 2_147_483_647  # beyond a database integer: 422, never a database error


class Window(Schema):
    """The `limit`/`offset` query parameters of a bare-list endpoint (use as `window: Query[Window]`)."""

    limit: int = Field(LIST_LIMIT, ge=1, le=MAX_LIST_LIMIT,
                       description=f"返す件数（1〜{MAX_LIST_LIMIT}、既定 {LIST_LIMIT}）。全件数は X-Total-Count ヘッダー")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="先頭から飛ばす件数（次・前のページは Link ヘッダー）")


def window_openapi() -> dict:
    """`openapi_extra` of a bare-list endpoint: declares the headers window_of sets."""
    return {"responses": {200: {"headers": {
        "X-Total-Count": {"description": "条件に合う全件数（limit・offset に関係なく）", "required": True,
                          "schema": {"type": "integer", "minimum": 0}},
        "Link": {"description": 'RFC 8288: 次の範囲（rel="next"）・前の範囲（rel="prev"）のURL。ほかの条件はそのまま',
                 "schema": {"type": "string"}},
    }}}}


def window_of(request, response, rows, window: Window):
    """The rows `window` asks for, with `X-Total-Count` and `Link` (rel="next"/"prev") set on `response`.

    `rows` is a queryset (counted, then sliced with LIMIT/OFFSET in the database) or a list already computed."""
    total = len(rows) if isinstance(rows, list) else rows.count()
    start, size = window.offset, window.limit
    response["X-Total-Count"] = str(total)
    links = []
    if start + size < total:
        links.append((start + size, "next"))
    if start > 0:
        links.append((max(0, min(start, total) - size), "prev"))
    if links:
        response["Link"] = ", ".join(f'<{_with_window(request, size, offset)}>; rel="{rel}"' for offset, rel in links)
    return list(rows[start:start + size])


def _with_window(request, limit: int, offset: int) -> str:
    params = request.GET.copy()
    params["limit"], params["offset"] = str(limit), str(offset)
    return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")


def list_query(request) -> str:
    """A list's query string for its CSV/XLSX, calendar and API links: every filter as typed (a repeated one with
    all its values), without page= and format= (an export holds every page) and without blanks."""
    params = request.GET.copy()
    for key in ("page", "format"):
        params.pop(key, None)
    for key in list(params):
        values = [value for value in params.getlist(key) if value != ""]
        if values:
            params.setlist(key, values)
        else:
            del params[key]
    return params.urlencode()
