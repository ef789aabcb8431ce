"""One pagination shape for pages and the API."""

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator

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
