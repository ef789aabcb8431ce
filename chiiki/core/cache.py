"""Whole-response cache for anonymous reads of public pages, keyed on the data versions they depend on.

An app declares its public pages once, in its AppConfig.ready():

    cache_public("/regions/", depends_on=("regions", "boundaries"), exclude=(r"/regions/boundaries/",))

PublicPageCacheMiddleware sits right after WhiteNoise, so a hit skips sessions, CSRF, auth and URL resolving and
costs one small query (the versions) and one cache read. The key holds the versions of the declared areas
(chiiki.core.history.bump raises one inside every write transaction), so the request after a write misses in
every worker and shows the new data. The key also holds the local date (deadline states and the current 年度
change at midnight), scheme and host (absolute URLs) and the full path.

Only GET/HEAD requests without a session cookie, a pending flash message or an Authorization header are
served or stored. A response is stored only when it is a plain 200 that sets no cookie: Django sets the CSRF
cookie exactly when the page used a CSRF token, so a page whose body carries a per-visitor token (or any other
per-visitor state) is never stored. See docs/decisions/0008-public-page-cache.md.
"""

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

TIMEOUT = 3600
KEY_PREFIX = "page:"


@dataclass(frozen=True)
class PublicPages:
    """Anonymous GET/HEAD responses under `prefix` (minus paths matching `exclude`) depend only on the data
    versions named in `depends_on`."""

    prefix: str
    depends_on: tuple[str, ...]
    exclude: re.Pattern | None = None

    def covers(self, path: str) -> bool:
        return path.startswith(self.prefix) and not (self.exclude is not None and self.exclude.match(path))


_declared: list[PublicPages] = []


def cache_public(prefix: str, *, depends_on: tuple[str, ...], exclude: tuple[str, ...] = ()) -> PublicPages:
    """Declare public pages: `prefix` is a URL path prefix, `depends_on` the DataVersion names (history.bump
    areas) whose writes change them, `exclude` regular expressions (matched from the start of the path) for
    pages under the prefix that must never be cached (per-user screens, forms, downloads)."""
    if not depends_on:
        raise ValueError(f"cache_public({prefix!r}): depends_on names no data version")
    pages = PublicPages(prefix, tuple(depends_on), re.compile("|".join(f"(?:{e})" for e in exclude)) if exclude else None)
    _declared.append(pages)
    _declared.sort(key=lambda p: -len(p.prefix))  # the most specific declaration decides
    return pages


def declaration_for(path: str) -> PublicPages | None:
    for pages in _declared:
        if path.startswith(pages.prefix):
            return pages if pages.covers(path) else None
    return None


@lru_cache(maxsize=32)
def _versions_sql(count: int) -> str:
    table = connection.ops.quote_name(apps.get_model("core", "DataVersion")._meta.db_table)
    return f"SELECT name, version FROM {table} WHERE name IN ({', '.join(['%s'] * count)})"


def versions(names: tuple[str, ...]) -> str:
    """The current versions of `names`, joined with dots ("3.0.12"); a name never bumped counts as 0."""
    # Raw SQL: this runs on every anonymous public request (the cache key); the ORM costs ~7× more here.
    with connection.cursor() as cursor:
        cursor.execute(_versions_sql(len(names)), names)
        found = dict(cursor.fetchall())
    return ".".join(str(found.get(name, 0)) for name in names)


def _cacheable_request(request) -> bool:
    return (request.method in ("GET", "HEAD")
            and settings.SESSION_COOKIE_NAME not in request.COOKIES
            and "messages" not in request.COOKIES  # a pending flash message must be rendered, not a cached page
            and "HTTP_AUTHORIZATION" not in request.META)


def _storable(response) -> bool:
    if response.status_code != 200 or response.streaming:
        return False
    # Any cookie is per-visitor state. In particular Django sets the CSRF cookie whenever get_token() ran, i.e.
    # whenever the body embeds a CSRF token: storing that body would hand one visitor's token to everyone.
    if response.cookies:
        return False
    if response.get("Content-Disposition", "").startswith("attachment"):
        return False  # exports: large, rarely repeated
    cache_control = response.get("Cache-Control", "")
    if any(word in cache_control for word in ("private", "no-store", "no-cache")):
        return False
    # The key ignores request headers: a response that varies on anything but cookies (handled above) would be
    # served in the wrong variant.
    vary = {h.strip().lower() for h in response.get("Vary", "").split(",") if h.strip()}
    return vary <= {"cookie"}


def page_key(request, pages: PublicPages) -> str:
    # The date as the views see it (timezone.localdate). The raw Host header rather than get_host() (~8 µs per
    # hit): a host that fails validation gets a 400 from CommonMiddleware, which is never stored, so a key made
    # from it can never hit.
    raw = (f"{versions(pages.depends_on)}|{timezone.localdate().isoformat()}|{request.method}|{request.scheme}://"
           f"{request.META.get('HTTP_HOST', '')}{request.get_full_path()}")
    return KEY_PREFIX + hashlib.sha256(raw.encode()).hexdigest()


class PublicPageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        pages = declaration_for(request.path) if _cacheable_request(request) else None
        if pages is None:
            return self.get_response(request)
        key = page_key(request, pages)
        cached = cache.get(key)
        if cached is not None:
            return cached
        response = self.get_response(request)
        if _storable(response):
            cache.set(key, response, TIMEOUT)
        return response
