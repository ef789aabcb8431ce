"""The public API: one NinjaAPI under /api/v1; each app contributes a router."""

from django.core.exceptions import PermissionDenied
from django.db import OperationalError
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer, django_auth

from chiiki.accounts.models import ApiToken
from chiiki.core import db


class ApiTokenAuth(HttpBearer):
    def authenticate(self, request, token):
        # chiiki.accounts.middleware.ApiTokenMiddleware has already checked the bearer token on /api/.
        user = getattr(request, "api_token_user", None) or ApiToken.authenticate(token)
        if user is not None:
            request.user = user
        return user


# Writes accept a bearer token or a signed-in session (with its CSRF check).
WRITE_AUTH = [ApiTokenAuth(), django_auth]

api = NinjaAPI(
    title="Chiiki API（地域IoT実装推進プラットフォーム）",
    version="1.0.0",
    description=(
        "全国の都道府県・市区町村、分野、進捗状況、支援メニューを提供するオープンAPIです。"
        "読み取りは認証不要、書き込みは `Authorization: Bearer <token>` またはログイン中のセッションが必要です。"
    ),
    urls_namespace="api",
)


@api.exception_handler(Http404)
def not_found(request, exc):
    detail = str(exc) if str(exc) and str(exc) != "No Page matches the given query." else "見つかりません"
    return api.create_response(request, {"detail": detail}, status=404)


@api.exception_handler(PermissionDenied)
def forbidden(request, exc):
    return api.create_response(request, {"detail": str(exc) or "この操作を行う権限がありません"}, status=403)


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    return api.create_response(request, {"detail": "認証が必要です（APIトークンまたはログイン）"}, status=401)


@api.exception_handler(HttpError)
def http_error(request, exc):
    detail = exc.message
    if exc.status_code == 403 and detail == "CSRF check Failed":  # ninja's session auth, in English
        detail = "CSRFトークンがありません。ログイン中のセッションで書き込むときは X-CSRFToken ヘッダーが必要です"
    return api.create_response(request, {"detail": detail}, status=exc.status_code)


@api.exception_handler(NinjaValidationError)
def validation_error(request, exc):
    return api.create_response(request, {"detail": exc.errors}, status=422)


@api.exception_handler(db.Busy)
@api.exception_handler(OperationalError)
def database_busy(request, exc):
    """A write that lost a lock race (SQLite busy timeout, PostgreSQL deadlock…): 409, nothing was written."""
    if not db.is_contention(exc):
        raise exc  # a real database failure stays a 500
    return api.create_response(request, {"detail": db.BUSY_MESSAGE}, status=409)


def _mount():
    from chiiki.accounts.api import router as accounts_router
    from chiiki.programs.api import router as programs_router
    from chiiki.progress.api import router as progress_router
    from chiiki.regions.api import router as regions_router

    api.add_router("", regions_router)
    api.add_router("/progress", progress_router)
    api.add_router("/programs", programs_router)
    api.add_router("", accounts_router)


_mount()
