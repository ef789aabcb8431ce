import logging

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render

from chiiki.core import db

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
