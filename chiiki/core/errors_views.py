"""Error responses for the whole site: JSON `{"detail": …}` under /api/, Japanese pages in the site layout elsewhere.

Django calls the handlers only with DEBUG off (urls.py sets handler400/403/404/500). 405 has no handler in Django
(views answer an empty HttpResponseNotAllowed), so ErrorPageMiddleware fills those in; CSRF failures come through
settings.CSRF_FAILURE_VIEW. An htmx request whose session has ended gets a short fragment instead of the login
page (see session_ended_fragment), so the row it targeted stays intact.
"""

import logging
import uuid
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render, resolve_url
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme

logger = logging.getLogger("chiiki.errors")

MESSAGES = {
    400: ("リクエストが正しくありません", "送信された内容を処理できませんでした。入力内容を確かめて、もう一度お試しください。"),
    403: ("この操作を行う権限がありません", "ログインしている利用者の役割では、このページを表示・操作できません。"
                                  "別の利用者でログインするか、所属の管理者（事務局）にお問い合わせください。"),
    404: ("ページが見つかりません", "URLが間違っているか、ページが移動・削除された可能性があります。"),
    405: ("この方法ではページを開けません", "このページはフォームの送信など、決まった操作からだけ使えます。"
                                 "前のページに戻って、画面のボタンやリンクから操作してください。"),
    500: ("サーバーでエラーが発生しました", "ご不便をおかけしています。時間をおいてもう一度お試しください。"
                                 "繰り返し起きる場合は、下のエラーIDを添えて事務局にお知らせください。"),
}
CSRF_MESSAGE = ("フォームの有効期限が切れました", "ページを開いてから時間がたったか、別の画面でログアウト・ログインしたため、"
                "送信を受け付けられませんでした（入力内容は保存されていません）。前のページに戻り、ページを再読み込みしてから"
                "もう一度送信してください。")
SESSION_ENDED = "ログインの有効期限が切れたため、保存していません。"


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def _back_url(request) -> str:
    """The page the visitor came from, if it is on this site (a link back that works without JavaScript)."""
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()},
                                                   require_https=request.is_secure()):
        parts = urlsplit(referer)
        back = parts.path + (f"?{parts.query}" if parts.query else "")
        if back != request.get_full_path():
            return back
    return ""


def _respond(request, status: int, reference: str = "", message: tuple[str, str] | None = None):
    title, text = message or MESSAGES[status]
    if _is_api(request):
        detail = f"{title}（エラーID: {reference}）" if reference else title
        return JsonResponse({"detail": detail}, status=status, json_dumps_params={"ensure_ascii": False})
    context = {"status": status, "title": title, "text": text, "reference": reference,
               "back_url": _back_url(request), "contact_email": settings.CONTACT_EMAIL, "csrf": message is CSRF_MESSAGE,
               "login_next": request.get_full_path() if request.method == "GET" else _back_url(request)}
    try:
        return render(request, "errors/error.html", context, status=status)
    except Exception:  # the layout itself may be what fails (e.g. the database is down): plain page
        logger.exception("error page %s could not be rendered with the layout", status)
        return HttpResponse(loader.get_template("errors/plain.html").render(context), status=status)


def bad_request(request, exception=None):
    return _respond(request, 400)


def nul_in_query(request, names: list[str]):
    """NUL in the query string (NulInRequestLineMiddleware): the API names each parameter (422, as for a bad
    filter value), a page explains what to fix (400)."""
    shown = [name.replace("\x00", "") or "（名前なし）" for name in names]
    reason = "制御文字（U+0000 NUL）が含まれています。URLから取り除いてから、もう一度お試しください"
    if _is_api(request):
        return JsonResponse({"detail": {name: reason for name in shown}}, status=422,
                            json_dumps_params={"ensure_ascii": False})
    return _respond(request, 400, message=(
        "URLに使えない文字が含まれています",
        f"URLの条件（{'、'.join(shown)}）に制御文字（NUL）が含まれているため、処理できませんでした。"
        "リンクやURLを確かめて、画面の検索・絞り込みからもう一度お試しください。"))


def permission_denied(request, exception=None):
    return _respond(request, 403)


def page_not_found(request, exception=None):
    return _respond(request, 404)


def method_not_allowed(request, allowed: str = ""):
    response = _respond(request, 405)
    if allowed:
        response["Allow"] = allowed
    return response


def csrf_failure(request, reason=""):
    # The reason (e.g. "CSRF token missing.") is for the log: django.security.csrf already records it.
    return _respond(request, 403, message=CSRF_MESSAGE)


def server_error(request):
    reference = uuid.uuid4().hex[:12]
    logger.error("server error %s on %s %s", reference, request.method, request.path)
    return _respond(request, 500, reference)


def _current_page(request) -> str:
    """The page an htmx request was sent from (HX-Current-URL), as a local path; the request's own path otherwise."""
    current = request.headers.get("HX-Current-URL", "")
    if current and url_has_allowed_host_and_scheme(current, allowed_hosts={request.get_host()},
                                                   require_https=request.is_secure()):
        parts = urlsplit(current)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return request.get_full_path()


def session_ended_fragment(request) -> HttpResponse:
    """401 for an htmx request without a session: a message with a login link back to the page the visitor is on.
    static/js/chiiki.js puts it into the target's status area instead of swapping the login page into the row."""
    login = resolve_url(settings.LOGIN_URL) + "?" + urlencode({"next": _current_page(request)})
    html = loader.render_to_string("errors/session_ended.html", {"message": SESSION_ENDED, "login_url": login})
    response = HttpResponse(html, status=401)
    response["WWW-Authenticate"] = 'Session realm="chiiki"'
    return response


class ErrorPageMiddleware:
    """Gives the bodiless answers Django produces outside the handlers a page: 405 from require_POST & co., and a
    login redirect answered to htmx (which would otherwise follow it and swap the login page into a table row)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 405 and not response.content and not _is_api(request):
            return method_not_allowed(request, response.get("Allow", ""))
        if request.headers.get("HX-Request") and response.status_code == 302 and _is_login_redirect(response):
            return session_ended_fragment(request)
        return response


def _is_login_redirect(response) -> bool:
    return urlsplit(response.get("Location", "")).path == resolve_url(settings.LOGIN_URL)


class ClientErrorTracebackFilter(logging.Filter):
    """django.request logs a 403 (and other 4xx raised as exceptions) with the exception attached, which prints a
    traceback for an ordinary refusal. Keep the one-line warning, drop the traceback; 5xx keep theirs."""

    def filter(self, record):
        status = getattr(getattr(record, "response", None), "status_code", None) or getattr(record, "status_code", 0)
        if record.exc_info and status and status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
