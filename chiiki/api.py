"""The public API: one NinjaAPI under /api/v1; each app contributes a router (authentication: accounts.auth)."""

import functools
import logging
import re
import uuid

from django.apps import apps as django_apps
from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, TooManyFieldsSent
from django.db import OperationalError, transaction
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from django.template.defaultfilters import filesizeformat
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser

from chiiki.accounts.api import router as accounts_router
from chiiki.cases.api import router as cases_router  # pdca (issue 14): 事例ライブラリ
from chiiki.core import db
from chiiki.core.errors import Conflict, Invalid, japanese_validation_errors, japanese_validation_message
from chiiki.core.schemas import ErrorOut
from chiiki.core.text import unstorable_character_problem, without_unstorable_characters
from chiiki.funding.api import router as funding_router  # funding
from chiiki.opendata.api import router as opendata_router  # opendata (issue 15)
from chiiki.pdca.api import router as pdca_router  # pdca
from chiiki.programs.api import router as programs_router
from chiiki.progress.api import router as progress_router
from chiiki.promotion.api import router as promotion_router
from chiiki.regions.api import router as regions_router
from chiiki.roadmap.api import router as roadmap_router
from chiiki.talent.api import router as talent_router  # talent (人材)

ERROR_DESCRIPTIONS = {
    400: "リクエスト本文の形式が正しくありません",
    401: "認証が必要です（APIトークンまたはログイン中のセッション）。無効なトークンは読み取りでも 401 です",
    403: "権限がありません（またはセッションのCSRFトークンがありません）",
    404: "見つかりません",
    409: "ほかの更新と重なったため保存できませんでした（何も変更していません）。もう一度お試しください",
    413: "リクエスト本文が大きすぎます",
    422: "パラメーターまたは本文が正しくありません",
}


URI_TOO_LONG = "URL（クエリ文字列を含む）が長すぎます（リクエスト行は 4,094 バイトまで。条件を減らしてください）"


class ChiikiAPI(NinjaAPI):
    """NinjaAPI whose OpenAPI document declares every error status an operation can answer (body: ErrorOut).

    Every operation can answer 422 (its parameters are validated) and 401 (a bearer token that is unknown,
    revoked or whose user is inactive is refused on every endpoint, reads included); one with path parameters
    404; one with security 403 and 409 (a write that lost a lock race, chiiki.core.db). Statuses an endpoint
    declares itself keep its schema (endpoints use core.schemas.ErrorOut, or e.g. 409 with the current record).
    """

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schema.setdefault("components", {}).setdefault("schemas", {})["ErrorOut"] = ErrorOut.model_json_schema()
        error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
        for path, operations in schema["paths"].items():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                statuses = {401, 422}
                if "{" in path:
                    statuses.add(404)
                if operation.get("security"):
                    statuses |= {403, 409}
                if "requestBody" in operation:
                    statuses |= {400, 413}
                for status in sorted(statuses):
                    if str(status) not in responses and status not in responses:
                        responses[str(status)] = {"description": ERROR_DESCRIPTIONS[status], "content": error}
                # Answered by gunicorn before the application runs (limit_request_line), so no JSON body.
                responses.setdefault("414", {"description": URI_TOO_LONG})
        return schema


def _unstorable_problems(value, path: str = "") -> list[tuple[str, str]]:
    """(field, reason) for every string in a parsed body holding NUL or a lone surrogate: no database takes either
    in any query, so an action that only looks a value up (a code, a choice) failed with a 500 instead of its own
    refusal. Keys are checked as values are."""
    if isinstance(value, str):
        problem = unstorable_character_problem(value)
        return [(path, problem)] if problem else []
    if isinstance(value, dict):
        return [p for key, item in value.items()
                for p in _unstorable_problems(key, path or str(key)) + _unstorable_problems(item, path or str(key))]
    if isinstance(value, list):
        return [p for item in value for p in _unstorable_problems(item, path)]
    return []


def _storable(value):
    if isinstance(value, str):
        return without_unstorable_characters(value)
    if isinstance(value, dict):
        return {_storable(key): _storable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_storable(item) for item in value]
    return value


class ChiikiParser(Parser):
    """ninja's parser, refusing NUL and lone surrogates in a request body (JSON or form fields) with the actions'
    message (422).

    The refusal waits for the operation (refuse_nul_with_the_rest): the body goes on without them, so the action
    can say what else is wrong in the same answer."""

    def parse_body(self, request):
        data = super().parse_body(request)
        if problems := _unstorable_problems(data):
            request.chiiki_nul_problems = problems
            return _storable(data)
        return data

    def parse_querydict(self, data, list_fields, request):
        parsed = super().parse_querydict(data, list_fields, request)
        # Query strings never get here with NUL: core.middleware.NulInRequestLineMiddleware refuses them first.
        if data is request.POST and (problems := _unstorable_problems(parsed)):
            request.chiiki_nul_problems = problems
            return _storable(parsed)
        return parsed


class _DryRun(Exception):
    pass


def refuse_nul_with_the_rest(view):
    """An operation whose body held NUL runs with the NUL removed and everything it wrote rolled back: the answer
    is 422 with the NUL beside its field and the action's other problems (too long, required…) at once."""

    @functools.wraps(view)
    def run(request, *args, **kwargs):
        problems = getattr(request, "chiiki_nul_problems", None)
        if not problems:
            return view(request, *args, **kwargs)
        refused = {name for name, _reason in problems}
        try:
            with transaction.atomic():
                view(request, *args, **kwargs)
                raise _DryRun
        except Invalid as exc:
            problems = problems + [(name, reason) for name, reason in exc.problems if name not in refused]
        except Exception:  # noqa: BLE001, S110 - anything else is said once the NUL is removed, as before
            pass
        raise Invalid(problems)

    return run


logger = logging.getLogger("chiiki.api")

api = ChiikiAPI(
    parser=ChiikiParser(),
    title="Chiiki API（地域IoT実装推進プラットフォーム）",
    version="1.0.0",
    description=(
        "全国の都道府県・市区町村、分野、進捗状況、支援メニューを提供するオープンAPIです。"
        "読み取りは認証不要、書き込みは `Authorization: Bearer <token>` またはログイン中のセッションが必要です。"
    ),
    urls_namespace="api",
)


# get_object_or_404's own message ("No Sector matches the given query.") names the model in English.
_DJANGO_NOT_FOUND = re.compile(r"No (\w+) matches the given query\.")


def _not_found_detail(message: str) -> str:
    found = _DJANGO_NOT_FOUND.fullmatch(message)
    if found is None:
        return message or "見つかりません"
    names = {model._meta.object_name: str(model._meta.verbose_name) for model in django_apps.get_models()}
    name = names.get(found.group(1))
    return f"{name}が見つかりません" if name and name != found.group(1).lower() else "見つかりません"


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"detail": _not_found_detail(str(exc))}, status=404)


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
    elif exc.status_code == 400 and isinstance(exc.__cause__, Invalid):  # ChiikiParser's refusal, wrapped by ninja
        return invalid(request, exc.__cause__)
    elif exc.status_code == 400 and detail.startswith("Cannot parse request body"):  # ninja's body parser
        detail = "リクエスト本文を読み取れません（JSONの形式を確認してください）"
    return api.create_response(request, {"detail": detail}, status=exc.status_code)


@api.exception_handler(Conflict)
def conflict(request, exc):
    return api.create_response(request, {"detail": str(exc)}, status=409)


@api.exception_handler(Invalid)
def invalid(request, exc):
    return api.create_response(request, {"detail": exc.errors}, status=422)


@api.exception_handler(NinjaValidationError)
def validation_error(request, exc):
    if problems := getattr(request, "chiiki_nul_problems", None):
        # The NUL beside its field and the body's other problems (a number given as text…) in the same answer, in
        # the shape the NUL refusal has (field → reason), so a client fixes everything in one round.
        refused = {name for name, _reason in problems}
        rest = [(field, japanese_validation_message(error)) for error in exc.errors if isinstance(error, dict)
                if (field := _field_of(error)) not in refused]
        return invalid(request, Invalid(problems + rest))
    return api.create_response(request, {"detail": japanese_validation_errors(exc.errors)}, status=422)


def _field_of(error: dict) -> str:
    """The body field a pydantic error is about: the last name in its loc (["body", "payload", "hours"] → hours,
    ["body", "payload", "sectors", 0] → sectors)."""
    return next((part for part in reversed(error.get("loc") or ()) if isinstance(part, str)), "")


@api.exception_handler(MultiPartParserError)
def malformed_body(request, exc):
    return api.create_response(request, {"detail": "リクエスト本文の形式が正しくありません（multipart/form-data）"},
                               status=400)


@api.exception_handler(RequestDataTooBig)
def body_too_big(request, exc):
    """Django refuses to read a body beyond DATA_UPLOAD_MAX_MEMORY_SIZE (files go through the import uploads)."""
    limit = filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    return api.create_response(request, {"detail": f"リクエスト本文が大きすぎます（{limit}まで）。内容を分けて送ってください"},
                               status=413)


@api.exception_handler(TooManyFieldsSent)
def too_many_fields(request, exc):
    return api.create_response(request, {"detail": f"項目が多すぎます（{settings.DATA_UPLOAD_MAX_NUMBER_FIELDS:,}項目まで）"},
                               status=400)


@api.exception_handler(Exception)
def server_error(request, exc):
    """Anything unexpected: logged with its traceback, answered as JSON (never an HTML or text traceback)."""
    reference = uuid.uuid4().hex[:12]
    logger.exception("API error %s on %s %s", reference, request.method, request.path)
    return api.create_response(
        request, {"detail": f"サーバーでエラーが発生しました。時間をおいてもう一度お試しください（エラーID: {reference}）"},
        status=500)


@api.exception_handler(db.Busy)
@api.exception_handler(OperationalError)
def database_busy(request, exc):
    """A write that lost a lock race (SQLite busy timeout, PostgreSQL deadlock…): 409, nothing was written."""
    if not db.is_contention(exc):
        return server_error(request, exc)  # a real database failure stays a 500
    return api.create_response(request, {"detail": db.BUSY_MESSAGE}, status=409)


api.add_decorator(refuse_nul_with_the_rest)

api.add_router("", regions_router)
api.add_router("", roadmap_router)
api.add_router("/progress", progress_router)
api.add_router("/programs", programs_router)
api.add_router("", accounts_router)
api.add_router("/opendata", opendata_router)  # opendata (issue 15)
api.add_router("", pdca_router)  # pdca: /kpis, /reviews, /actions, /proposals
api.add_router("/cases", cases_router)  # pdca (issue 14): 事例ライブラリ
api.add_router("", promotion_router)  # promotion: 見本となる地域, diffusion, package advice
api.add_router("", talent_router)  # talent (人材): /capabilities, /talent/…
api.add_router("", funding_router)  # funding: /plans, /funding/flows, /funding/cliffs
