"""Error responses for the whole site: JSON `{"detail": …}` under /api/, Japanese pages in the site layout elsewhere.

Django calls these only with DEBUG off (urls.py sets handler400/403/404/500).
"""

import logging
import uuid

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader

logger = logging.getLogger("chiiki.errors")

MESSAGES = {
    400: ("リクエストが正しくありません", "送信された内容を処理できませんでした。入力内容を確かめて、もう一度お試しください。"),
    403: ("この操作を行う権限がありません", "ログインしている利用者の役割では、このページを表示・操作できません。"
                                  "別の利用者でログインするか、所属の管理者（事務局）にお問い合わせください。"),
    404: ("ページが見つかりません", "URLが間違っているか、ページが移動・削除された可能性があります。"),
    500: ("サーバーでエラーが発生しました", "ご不便をおかけしています。時間をおいてもう一度お試しください。"
                                 "繰り返し起きる場合は、下のエラーIDを添えて事務局にお知らせください。"),
}


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def _respond(request, status: int, reference: str = ""):
    title, text = MESSAGES[status]
    if _is_api(request):
        detail = f"{title}（エラーID: {reference}）" if reference else title
        return JsonResponse({"detail": detail}, status=status, json_dumps_params={"ensure_ascii": False})
    context = {"status": status, "title": title, "text": text, "reference": reference}
    try:
        return render(request, "errors/error.html", context, status=status)
    except Exception:  # the layout itself may be what fails (e.g. the database is down): plain page
        logger.exception("error page %s could not be rendered with the layout", status)
        return HttpResponse(loader.get_template("errors/plain.html").render(context), status=status)


def bad_request(request, exception=None):
    return _respond(request, 400)


def permission_denied(request, exception=None):
    return _respond(request, 403)


def page_not_found(request, exception=None):
    return _respond(request, 404)


def server_error(request):
    reference = uuid.uuid4().hex[:12]
    logger.error("server error %s on %s %s", reference, request.method, request.path)
    return _respond(request, 500, reference)
