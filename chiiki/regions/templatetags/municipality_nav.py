"""{% municipality_nav municipality "info" %}: the municipality hub's sub-navigation (basic information, progress,
navigator, history), one include shared by every page about one municipality."""

from django import template
from django.urls import reverse
from django.utils.http import urlencode

from chiiki import access

register = template.Library()

TABS = [("info", "基本情報"), ("progress", "進捗"), ("navigator", "支援メニューナビ"),
        ("promotion", "推進体制・パッケージ"),  # promotion
        ("history", "変更履歴")]


@register.inclusion_tag("components/municipality_nav.html", takes_context=True)
def municipality_nav(context, municipality, current: str):
    request = context.get("request")
    user = getattr(request, "user", None)
    code = municipality.code
    urls = {
        "info": reverse("regions:municipality", args=[code]),
        "progress": reverse("progress:municipality", args=[code]),
        "navigator": reverse("programs:navigator") + "?" + urlencode({"municipality": code}),
        "promotion": reverse("promotion:municipality", args=[code]),  # promotion
    }
    # History only for those who may read this municipality's records (the history page 404s otherwise).
    if user is not None and access.can(user, "municipality.view_history", municipality):
        urls["history"] = reverse("history:index") + "?" + urlencode({"municipality": code})
    items = [{"key": key, "label": label, "url": urls[key], "current": key == current}
             for key, label in TABS if key in urls]
    return {"items": items, "municipality": municipality}
