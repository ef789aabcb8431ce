from django.conf import settings

from chiiki import access

from .fiscal import current_fiscal_year


def site(request):
    return {
        "SITE_NAME": "地域IoT実装推進プラットフォーム",
        "SITE_SHORT_NAME": "Chiiki",
        "DEMO_MODE": settings.DEBUG,
        "CURRENT_FISCAL_YEAR": current_fiscal_year(),
        # A callable, so only the pages that ask read the user (anonymous cached pages never do).
        "MANAGES_A_PLACE": lambda: access.manages_a_place(request.user),
        "MAP_CREDIT": "「国土数値情報（行政区域データ）」（国土交通省）を加工して作成",
    }
