"""`{% public_fragment "name" value… %}…{% endpublic_fragment %}`: the public part of a page, rendered once per data
state and shared by every visitor, signed in or not (issue 10: a signed-in officer's dashboard was 0.05× a static
file because every request rendered hundreds of figures and links again).

The page cache (chiiki.core.cache) answers anonymous requests only. A signed-in page differs from the anonymous one in
its header and in a few controls (the entry tab, the edit button), not in its tables. Those tables go inside this
tag: their HTML is kept under the data versions that the page's `cache_public` declaration names, the date, the path
and the values listed in the tag (the query parameters the view read, such as the 年度). A write bumps a version,
so the next request renders the fragment again; a URL with other, unread parameters shares it.

The fragment renders as for an anonymous visitor: `user` is anonymous inside it, `perms` grants nothing, the
context processors' per-visitor values are masked, and a CSRF token or a read of `request` is an error. What a view
passes per visitor (can_edit, the viewer's own municipality) is not masked: it stays outside the fragment, or is
listed in the tag so that each value has its own fragment. On a path with no declaration (a per-user screen) the
fragment is rendered every time, never stored. See docs/decisions/0024-public-fragments.md.
"""

import hashlib

from django import template
from django.contrib.auth.context_processors import PermWrapper
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.urls import get_script_prefix
from django.utils.safestring import mark_safe

from chiiki.core.cache import TIMEOUT, declaration_for, page_state

register = template.Library()

KEY_PREFIX = "fragment:"


class CSRFTokenInPublicFragment(template.TemplateSyntaxError):
    pass


class _NoToken:
    """Stands for csrf_token inside a fragment: a form that posts is per-visitor and cannot be shared."""

    def __bool__(self):
        raise CSRFTokenInPublicFragment("a public fragment must not contain a form with a CSRF token")

    __str__ = __bool__


class RequestInPublicFragment(template.TemplateSyntaxError):
    pass


class _NoRequest:
    """Stands for `request` inside a fragment: what the fragment shows must come from the values listed in the tag
    (a link built from request.GET would carry the first visitor's query string to everyone)."""

    def __getattr__(self, name):
        raise RequestInPublicFragment(f"a public fragment must not read request.{name}: list the value in the tag")


def fragment_key(request, pages, name: str, values: list) -> str:
    parts = repr((name, get_script_prefix(), request.path, page_state(request, pages), values))
    return KEY_PREFIX + hashlib.sha256(parts.encode()).hexdigest()


class PublicFragmentNode(template.Node):
    def __init__(self, nodelist, name, vary_on):
        self.nodelist, self.name, self.vary_on = nodelist, name, vary_on

    def render(self, context):
        request = getattr(context, "request", None)
        pages = declaration_for(request.path) if request is not None else None
        anonymous = AnonymousUser()
        # The context processors' per-visitor values too (MANAGES_A_PLACE reads the signed-in user, messages are
        # the visitor's own). A view's own per-visitor values (can_edit, own) must stay outside or be listed.
        with context.push(user=anonymous, perms=PermWrapper(anonymous), csrf_token=_NoToken(), request=_NoRequest(),
                          MANAGES_A_PLACE=False, messages=()):
            if pages is None:
                return self.nodelist.render(context)
            key = fragment_key(request, pages, self.name.resolve(context), [v.resolve(context) for v in self.vary_on])
            html = cache.get(key)
            if html is None:
                html = str(self.nodelist.render(context))
                cache.set(key, html, timeout=TIMEOUT)
        return mark_safe(html)


@register.tag
def public_fragment(parser, token):
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError("public_fragment needs a name")
    nodelist = parser.parse(("endpublic_fragment",))
    parser.delete_first_token()
    return PublicFragmentNode(nodelist, parser.compile_filter(bits[1]), [parser.compile_filter(b) for b in bits[2:]])
