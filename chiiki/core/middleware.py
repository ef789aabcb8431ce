import logging

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render

from chiiki.core import db, errors_views

logger = logging.getLogger(__name__)


class ContentSecurityPolicyMiddleware:
    """Adds the Content-Security-Policy header (on under production settings)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.CSP_ENABLED and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = settings.CONTENT_SECURITY_POLICY
        return response


class DatabaseBusyMiddleware:
    """A view's write that lost a lock race (chiiki.core.db.is_contention) is answered 409 with a Japanese
    message instead of 500: nothing was written and trying again works. The API answers the same through its
    own exception handler (chiiki/api.py)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not db.is_contention(exception):
            return None
        logger.warning("write lost a lock race on %s %s: %s", request.method, request.path, exception)
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": db.BUSY_MESSAGE}, status=409, json_dumps_params={"ensure_ascii": False})
        return render(request, "core/busy.html", {"message": db.BUSY_MESSAGE}, status=409)


def refuses_nul_itself(view):
    """Marks a view that answers NUL in its own protocol's shape (the CKAN API): NulInRequestLineMiddleware
    leaves it alone."""
    view.refuses_nul_itself = True
    return view


class NulInRequestLineMiddleware:
    """NUL (%00) in the path or the query string is refused before the view runs: a page answers 404 (a path
    with NUL names nothing) or 400, the API 422 naming the parameter. PostgreSQL refuses NUL in any query, so
    a filter or code that a view only looked up answered 500 there, and no link or form of ours makes one.
    Posted bodies are the forms' and the API parser's to refuse: they keep the typed values on the page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if getattr(view_func, "refuses_nul_itself", False):
            return None
        if "\x00" in request.path:
            return errors_views.page_not_found(request)
        names = [name for name, values in request.GET.lists() if "\x00" in name or any("\x00" in v for v in values)]
        if names:
            return errors_views.nul_in_query(request, names)
        return None
