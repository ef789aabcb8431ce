from django.conf import settings

from .fiscal import current_fiscal_year


def site(request):
    return {
        "SITE_NAME": "地域IoT実装推進プラットフォーム",
        "SITE_SHORT_NAME": "Chiiki",
        "DEMO_MODE": settings.DEBUG,
        "CURRENT_FISCAL_YEAR": current_fiscal_year(),
        "MAP_CREDIT": "「国土数値情報（行政区域データ）」（国土交通省）を加工して作成",
    }
