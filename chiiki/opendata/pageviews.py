"""Dataset page views, counted for owners without a database write per request.

Anonymous dataset pages are answered by the page cache (chiiki.core.cache) before any view runs, so the count is
taken in a middleware that sits outside the cache: after the response, a 200 or 304 for /opendata/dataset/<name>/
adds one to an in-process counter keyed (dataset name, month). Nothing about the visitor is kept; known bots (by
User-Agent, actions.is_bot) are not counted. The counter is written in batches through actions.record_page_views
— when FLUSH_EVERY views are pending or FLUSH_SECONDS have passed since the last write, when an owner opens the
usage page, and at interpreter exit (gunicorn workers leave through sys.exit on a graceful shutdown, so atexit
runs). A failed write puts the counts back for the next batch.
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import re
import threading
import time
from collections import Counter

from django.conf import settings
from django.utils import timezone

log = logging.getLogger(__name__)

PATH = re.compile(r"/opendata/dataset/(?P<name>[a-z0-9_-]{2,100})/")
COUNTED_STATUSES = (200, 304)  # a page shown, or shown again from the browser's copy after a revalidation


def _flush_every() -> int:
    return int(getattr(settings, "OPENDATA_VIEW_FLUSH_EVERY", 100))


def _flush_seconds() -> float:
    return float(getattr(settings, "OPENDATA_VIEW_FLUSH_SECONDS", 60))


class ViewCounter:
    def __init__(self):
        self._lock = threading.Lock()
        self._pending: Counter = Counter()
        self._last = time.monotonic()

    def add(self, name: str, month: dt.date) -> None:
        with self._lock:
            self._pending[(name, month)] += 1
            due = (sum(self._pending.values()) >= _flush_every()
                   or time.monotonic() - self._last >= _flush_seconds())
        if due:
            self.flush()

    def pending(self) -> int:
        with self._lock:
            return sum(self._pending.values())

    def flush(self) -> int:
        """Write what is pending; returns how many views were written."""
        with self._lock:
            batch, self._pending = self._pending, Counter()
            self._last = time.monotonic()
        if not batch:
            return 0
        from . import actions

        try:
            actions.record_page_views(batch)
        except Exception:  # the database is away: keep the counts for the next batch rather than lose them
            log.exception("dataset page views could not be written; kept for the next batch")
            with self._lock:
                self._pending.update(batch)
            return 0
        return sum(batch.values())


COUNTER = ViewCounter()
atexit.register(COUNTER.flush)


class DatasetPageViewMiddleware:
    """Counts dataset page views, including those the anonymous page cache answers (it sits outside it)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method == "GET" and response.status_code in COUNTED_STATUSES:
            match = PATH.fullmatch(request.path_info)
            if match:
                from .actions import is_bot

                if not is_bot(request.headers.get("User-Agent", "")):
                    COUNTER.add(match["name"], timezone.localdate().replace(day=1))
        return response
