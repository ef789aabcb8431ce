"""Whole-response cache for anonymous reads of the public 見える化 pages and progress API reads.

Placed right after WhiteNoise so a hit skips sessions, CSRF, auth and URL resolving — the page then costs little
more than a static file. The key contains the progress/regions data versions (bumped inside every write
transaction), so the request after a write always misses and sees the new numbers. Only requests without a
session cookie or Authorization header are served or stored, and only responses that set no cookie are stored.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache

CACHED_PREFIXES = ("/progress/", "/api/v1/progress")
EXCLUDED_PREFIXES = ("/progress/entry/", "/progress/import/")
TIMEOUT = 3600


def _cacheable_request(request) -> bool:
    path = request.path
    return (request.method in ("GET", "HEAD") and path.startswith(CACHED_PREFIXES)
            and not path.startswith(EXCLUDED_PREFIXES)
            and settings.SESSION_COOKIE_NAME not in request.COOKIES
            and "messages" not in request.COOKIES  # a pending flash message must be rendered, not a cached page
            and "HTTP_AUTHORIZATION" not in request.META)


class PublicProgressCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _cacheable_request(request):
            return self.get_response(request)
        from .queries import data_version

        key = "progress:response:" + hashlib.sha256(
            f"{data_version()}|{request.method}|{request.get_full_path()}".encode()).hexdigest()
        cached = cache.get(key)
        if cached is not None:
            return cached
        response = self.get_response(request)
        # A response that sets a cookie carries per-visitor state and is never stored. In particular Django
        # sets the CSRF cookie whenever the page used a CSRF token: stripping the cookie (as this once did)
        # still stored the first visitor's token in the body and handed it to everyone (login CSRF).
        if response.status_code == 200 and not response.streaming and not response.cookies:
            cache.set(key, response, TIMEOUT)
        return response
