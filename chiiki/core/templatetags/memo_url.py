"""`{% url %}` with its answers remembered per process (installed as a template builtin, so every template's
`{% url %}` is this one; ADR 0022).

Why: a dashboard links every figure to its rows, so one render reverses the same few names 100–400 times, and
Django's reverse() costs tens of microseconds each (namespace walk, candidate patterns, argument checks). For pages
that the page cache cannot answer — everything a signed-in officer sees — that was a quarter of the render.

The answer of reverse() depends only on the arguments, the URLconf, the script prefix and the current app, all of
which are in the key. Only plain str/int arguments are remembered (their str() is the URL text); anything else,
and every NoReverseMatch, goes through Django's own tag unchanged. The memo is bounded (least recently used out).
"""

from functools import lru_cache

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template import Library, defaulttags
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape

register = Library()

MEMO_SIZE = 4096  # distinct (name, arguments) per process: ≈ 1 MB at most


@lru_cache(maxsize=MEMO_SIZE)
def _reverse(view_name: str, args: tuple, kwargs: tuple, current_app, prefix: str, urlconf) -> str:
    # prefix is in the key only: reverse() reads the thread's script prefix itself.
    return reverse(view_name, urlconf=urlconf, args=args, kwargs=dict(kwargs), current_app=current_app)


def _plain(value) -> bool:
    # str subclasses (SafeString from a literal, TextChoices) equal and hash as their text; int exactly, since
    # True and 1 would share a key but not a URL.
    return isinstance(value, str) or type(value) is int


def _current_app(context):
    # The same lookup as Django's tag: an explicit current_app on the request, else the resolved namespace.
    request = getattr(context, "request", None)
    if request is None:
        return None
    if hasattr(request, "current_app"):
        return request.current_app
    match = getattr(request, "resolver_match", None)
    return match.namespace if match is not None else None


class MemoURLNode(defaulttags.URLNode):
    def render(self, context):
        view_name = self.view_name.resolve(context)
        args = tuple(arg.resolve(context) for arg in self.args)
        kwargs = tuple(sorted((key, value.resolve(context)) for key, value in self.kwargs.items()))
        if not (isinstance(view_name, str) and all(map(_plain, args)) and all(_plain(v) for _, v in kwargs)):
            return super().render(context)
        try:
            url = _reverse(view_name, args, kwargs, _current_app(context), get_script_prefix(),
                           get_urlconf() or settings.ROOT_URLCONF)
        except NoReverseMatch:
            return super().render(context)  # Django's tag decides: raise, or "" for `as var`
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser, token):
    node = defaulttags.url(parser, token)  # Django's own parsing and syntax errors
    return MemoURLNode(node.view_name, node.args, node.kwargs, node.asvar)


@receiver(setting_changed)
def _forget_on_urlconf_change(setting, **kwargs):
    # Tests swap ROOT_URLCONF; the module path in the key covers a different module, this covers a reloaded one.
    if setting == "ROOT_URLCONF":
        _reverse.cache_clear()
