"""Whole-response cache for anonymous reads of public pages, keyed on the data versions they depend on.

An app declares its public pages once, in its AppConfig.ready():

    cache_public("/regions/", depends_on=("regions", "boundaries"), exclude=(r"/regions/boundaries/",))

PublicPageCacheMiddleware sits right after WhiteNoise, so a hit skips sessions, CSRF, auth and URL resolving and
costs one small query (the versions) and one cache read. Each URL has one entry: its latest response with the
*state* it was built at (the versions of the declared areas, read before the view ran, and the local date:
deadline states and the current 年度 change at midnight). chiiki.core.history.bump raises a version inside every
write transaction, so after a write the entry no longer matches and the next request rebuilds it.

Rebuilds (docs/decisions/0014-fast-by-default.md): one request per URL at a time takes a lock (`cache.add`) and
renders the page; requests for the same URL meanwhile get the previous response (stale-while-revalidate), or, when
there is none, wait for the rebuild. A page whose area is partitioned (`regions/{part}`) depends on the version of
its own part, so a save in one municipality does not throw away the pages of the others.

What is served to all is public by construction, so it is also compressed (gzip, stored beside the plain body)
and carries an ETag derived from its state; a request whose If-None-Match names the current state gets 304
without a cache read.

Only GET/HEAD requests without a session cookie, a pending flash message or an Authorization header are
served or stored. A response is stored only when it is a plain 200 that sets no cookie: Django sets the CSRF
cookie exactly when the page used a CSRF token, so a page whose body carries a per-visitor token (or any other
per-visitor state) is never stored, compressed or given an ETag. See docs/decisions/0008-public-page-cache.md.
"""

import gzip
import hashlib
import logging
import pickle
import re
import threading
import time
import uuid
from collections import OrderedDict
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from django.apps import apps
from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from django.db import connection, transaction
from django.http import HttpResponse, HttpResponseNotModified
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

TIMEOUT = 3600  # an entry (a URL's latest response) is dropped this long after it was stored
LOCK_TIMEOUT = 60  # a rebuild whose request died holds its URL at most this long
COLD_WAIT = 10  # seconds a request with nothing to show waits for another request's rebuild of its URL
POLL = 0.02
KEY_PREFIX = "page:"
LOCK_PREFIX = "pagelock:"
PART = "{part}"

# Compressed at store time (once per state), served to clients that accept gzip.
_COMPRESSIBLE = ("text/", "application/json", "application/javascript", "application/xml", "image/svg+xml")
_MIN_COMPRESS = 200
# zlib's fast levels (1–3). A page is compressed again on the first request after every write it depends on — in
# the survey rush, every few seconds. On a 150 KB JSON answer level 3 took 0.40 ms against level 6's 1.05 ms
# (Django's compress_string) for 10.0 KB against 7.4 KB; nginx compresses at level 1 by default.
GZIP_LEVEL = 3
_ACCEPTS_GZIP = re.compile(r"\bgzip\b")
# Headers rebuilt for each answer rather than stored.
_PER_ANSWER = {"content-length", "content-encoding", "etag"}


@dataclass(frozen=True)
class PublicPages:
    """Anonymous GET/HEAD responses under `prefix` (minus paths matching `exclude`) depend only on the data
    versions named in `depends_on`; `area/{part}` names the version of the part that `part` (a regular
    expression with one group, matched from the start of the path after the prefix) picks out of the path."""

    prefix: str
    depends_on: tuple[str, ...]
    exclude: re.Pattern | None = None
    part: re.Pattern | None = None
    exact: bool = False  # the one page at `prefix` itself, not the pages under it

    def covers(self, path: str) -> bool:
        if self.exact:
            return path == self.prefix
        return path.startswith(self.prefix) and not (self.exclude is not None and self.exclude.match(path))

    def version_names(self, path: str) -> tuple[str, ...]:
        """The DataVersion names the page at `path` depends on. A partitioned area counts with its whole-area
        epoch (`area/*`, bumped by writes that touch all of it) and the part's own version; a path the part
        pattern does not match depends on the whole area."""
        found = self.part.match(path, len(self.prefix)) if self.part is not None else None
        names: list[str] = []
        for name in self.depends_on:
            area = name.removesuffix("/" + PART)
            if area == name:
                names.append(name)
            elif found:
                names += [f"{area}/*", f"{area}/{found.group(1)}"]
            else:
                names.append(area)
        return tuple(names)


_declared: list[PublicPages] = []
_partitioned: set[str] = set()


def cache_public(prefix: str, *, depends_on: tuple[str, ...], exclude: tuple[str, ...] = (),
                 part: str | None = None, exact: bool = False) -> PublicPages:
    """Declare public pages: `prefix` is a URL path prefix, `depends_on` the DataVersion names (history.bump
    areas) whose writes change them, `exclude` regular expressions (matched from the start of the path) for
    pages under the prefix that must never be cached (per-user screens, forms, downloads). `part`: a regular
    expression whose group names the part of a partitioned area (`"regions/{part}"` in depends_on) the page
    shows; writes to that one part bump it with `history.bump(area, part=…)`. `exact`: only the page at `prefix`
    itself (a page that shows more than the pages under it, such as a dashboard with figures from other apps)."""
    if not depends_on:
        raise ValueError(f"cache_public({prefix!r}): depends_on names no data version")
    partitioned = {name.removesuffix("/" + PART) for name in depends_on if name.endswith("/" + PART)}
    if bool(partitioned) != (part is not None):
        raise ValueError(f"cache_public({prefix!r}): `part` and an `area/{{part}}` dependency go together")
    pages = PublicPages(prefix, tuple(depends_on),
                        re.compile("|".join(f"(?:{e})" for e in exclude)) if exclude else None,
                        re.compile(part) if part is not None else None, exact)
    _declared.append(pages)
    _declared.sort(key=lambda p: (-len(p.prefix), not p.exact))  # the most specific declaration decides
    _partitioned.update(partitioned)
    return pages


def is_partitioned(area: str) -> bool:
    """True when some public page depends on single parts of `area` (history.bump then keeps `area/*` too)."""
    return area in _partitioned


def declaration_for(path: str) -> PublicPages | None:
    for pages in _declared:
        if pages.exact and path != pages.prefix:
            continue
        if path.startswith(pages.prefix):
            return pages if pages.covers(path) else None
    return None


@lru_cache(maxsize=32)
def _versions_sql(count: int) -> str:
    table = connection.ops.quote_name(apps.get_model("core", "DataVersion")._meta.db_table)
    return f"SELECT name, version FROM {table} WHERE name IN ({', '.join(['%s'] * count)})"


def versions(names: tuple[str, ...]) -> str:
    """The current versions of `names`, joined with dots ("3.0.12"); a name never bumped counts as 0.
    Read once per request: a name this request already read keeps the value it read (a page asks for them from
    several queries; one request sees one state, and a subset of an earlier read costs no query)."""
    memo = _memo()
    if memo is None:
        return _read_versions(names)
    known = memo.setdefault("versions", {})
    # Only the names not read yet: a value read earlier keys what the request built from it, so it never moves to
    # a later write the request's data did not see.
    missing = tuple(dict.fromkeys(name for name in names if name not in known))
    if missing:
        known.update(zip(missing, _read_versions(missing).split("."), strict=True))
    return ".".join(known[name] for name in names)


def _read_versions(names: tuple[str, ...]) -> str:
    # Raw SQL: this runs on every anonymous public request (the cache key); the ORM costs ~7× more here.
    with connection.cursor() as cursor:
        cursor.execute(_versions_sql(len(names)), names)
        found = dict(cursor.fetchall())
    return ".".join(str(found.get(name, 0)) for name in names)


# ---- what this request already read ------------------------------------------------------------------------------
# A page asks for the same small facts from several places (the sectors, the latest 年度, the data versions): each
# was a query per call, 28 queries for a municipality's progress page. Within one request they are read once.
# Every data-version bump forgets them, so a request that writes and then reads sees its own write.

_request_memo: ContextVar[dict | None] = ContextVar("chiiki_request_memo", default=None)


def per_request(key, compute):
    """compute() once per request for `key` (outside a request: every time). The value is shared within the
    request: read-only."""
    memo = _memo()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


# A request that bumped a data version has read its own write, uncommitted: the versions it read since then (and
# what this process remembered from them) must go if that transaction rolls back. Django calls on_commit hooks but
# has no rollback hook; a rollback discards the hooks registered inside it, so a hook of ours that is neither run
# (which would have cleared the memo) nor still waiting says the write was rolled back.
_PENDING_WRITES = "pending-writes"


class _ForgetOnCommit:
    def __call__(self):
        forget_recent()


def note_write() -> None:
    """The current transaction moved a data version (chiiki.core.history.bump): forget what this request and
    process read once it commits, or, on the next read of the request, once it has rolled back."""
    hook = _ForgetOnCommit()
    memo = _request_memo.get()
    if memo is not None and connection.in_atomic_block:  # otherwise on_commit runs it at once
        memo.setdefault(_PENDING_WRITES, []).append(hook)
    transaction.on_commit(hook)


def _writing() -> bool:
    """This request's own write is not committed yet (what it reads now may still be rolled back)."""
    memo = _memo()
    return bool(memo and memo.get(_PENDING_WRITES))


def _memo() -> dict | None:
    """This request's memory, emptied first if a write it read from has since been rolled back."""
    memo = _request_memo.get()
    if memo and _PENDING_WRITES in memo:
        waiting = {id(hook) for _savepoints, hook, *_rest in connection.run_on_commit}
        if any(id(hook) not in waiting for hook in memo[_PENDING_WRITES]):
            forget_recent()
    return memo


class RequestMemoMiddleware:
    """Gives each request its own `per_request` memory (first in the chain, so the page cache uses it too)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request_memo.set({})
        try:
            return self.get_response(request)
        finally:
            _request_memo.reset(token)


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
    if response.has_header("Content-Encoding"):
        return False  # already encoded by the view; we would store one variant for every client
    cache_control = response.get("Cache-Control", "")
    if any(word in cache_control for word in ("private", "no-store", "no-cache")):
        return False
    # The key ignores request headers: a response that varies on anything but cookies (handled above) would be
    # served in the wrong variant.
    vary = {h.strip().lower() for h in response.get("Vary", "").split(",") if h.strip()}
    return vary <= {"cookie"}


# Statuses that say nothing lasting about the page (a lost lock race, a crash): the previous version stays.
def _transient(response) -> bool:
    return response.status_code >= 500 or response.status_code == 409


class Entry(NamedTuple):
    """A URL's latest response and the state it was built at. `body is None` records that the page at this
    state is not stored (per-visitor, not a 200, too large): requests render it without waiting for a lock."""

    state: str
    etag: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None
    gzipped: bytes | None = None

    def answer(self, request) -> HttpResponse:
        gzip = self.gzipped is not None and _ACCEPTS_GZIP.search(request.META.get("HTTP_ACCEPT_ENCODING", ""))
        response = HttpResponse(self.gzipped if gzip else self.body)
        for name, value in self.headers:
            response[name] = value
        response["Content-Length"] = str(len(response.content))
        response["ETag"] = self.etag
        if gzip:
            response["Content-Encoding"] = "gzip"
        if self.gzipped is not None:
            patch_vary_headers(response, ("Accept-Encoding",))
        return response


def _entry(response, state: str, etag: str) -> Entry:
    body = response.content
    gzipped = None
    content_type = response.get("Content-Type", "")
    if len(body) >= _MIN_COMPRESS and content_type.startswith(_COMPRESSIBLE):
        gzipped = gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)
        if len(gzipped) >= len(body):
            gzipped = None
    if len(body) + len(gzipped or b"") > settings.CACHE_ENTRY_MAX_BYTES:
        return Entry(state)
    headers = tuple((name, value) for name, value in response.items() if name.lower() not in _PER_ANSWER)
    return Entry(state, etag, headers, body, gzipped)


def _etag(state: str, request) -> str:
    # The body is a function of the state and the URL (that is what the cache relies on); GET and HEAD share it,
    # the plain and the gzip variants share it as a weak validator.
    raw = f"{state}|{request.scheme}://{request.META.get('HTTP_HOST', '')}{request.get_full_path()}"
    return f'W/"{hashlib.sha256(raw.encode()).hexdigest()[:32]}"'


def _matches(etag: str, request) -> bool:
    header = request.META.get("HTTP_IF_NONE_MATCH")
    return bool(header) and etag in {t.strip() for t in header.split(",")}


# ---- what this process saw recently -------------------------------------------------------------------------------
# A hit used to cost a versions query (and, with Redis, a round trip for the entry) even when nothing had changed.
# Each worker therefore remembers the versions it read for PAGE_CACHE_VERSIONS_TTL seconds and, with a shared
# cache, the entries it served last (bounded in bytes). Only a *hit* is confirmed from this memory: anything else
# (a miss, a state that differs) re-reads the versions from the database before rendering or storing, and a write
# in this process forgets the memory at once. So a page is at most that many seconds behind a write made in
# another worker, and never stored under a stale state (docs/decisions/0014-fast-by-default.md).

_recent_lock = threading.Lock()
_recent_versions: dict[tuple[str, ...], tuple[float, str]] = {}
_recent_entries: OrderedDict[str, Entry] = OrderedDict()
_recent_bytes = [0]


def recent_versions(names: tuple[str, ...]) -> tuple[str, bool]:
    """`versions(names)` as read at most PAGE_CACHE_VERSIONS_TTL seconds ago in this process, and whether that
    came from memory (False: read from the database just now)."""
    ttl = settings.PAGE_CACHE_VERSIONS_TTL
    now = time.monotonic()
    seen = _recent_versions.get(names)
    if seen is not None and seen[0] > now:
        return seen[1], True
    value = versions(names)
    if ttl > 0 and not _writing():
        _recent_versions[names] = (now + ttl, value)
    return value, False


def forget_recent() -> None:
    """Drop what this process remembers (called by every data-version bump, and between tests)."""
    memo = _request_memo.get()
    if memo:
        memo.clear()
    with _recent_lock:
        _recent_versions.clear()
        _recent_entries.clear()
        _recent_bytes[0] = 0
        _recent_values.clear()
        _latest_values.clear()


# Query results keyed by the data versions they were computed at (so never stale). The shared cache returns a new
# unpickled copy on every read: ~14 ms for a year's scores of 1,741 municipalities, several times per page. This
# process keeps the last few as objects; the bound is a count because they are few and of known kinds. One
# municipality progress page alone uses 9 (scores, rankings, demo flag, package group, plans' programs, package advice
# at both levels, neighbours' uptake, similar cases): fewer slots would evict the first ones before the next request.
# Measured (pickled) sizes: scores and rankings ≈ 0.4 MB each for a year, everything else ≤ 20 KB.
RECENT_VALUES = 16
_recent_values: OrderedDict[str, object] = OrderedDict()


def versioned(key: str, compute, timeout: int = 3600):
    """The value for `key` (which must contain the data versions it depends on): from this process's memory,
    else the shared cache, else compute() (stored in both). The object is shared between requests: read-only."""
    if _writing():
        return compute()  # keyed by versions that may yet be rolled back: kept nowhere
    value = _recent_values.get(key)
    if value is not None:
        with _recent_lock:
            if key in _recent_values:
                _recent_values.move_to_end(key)
        return value
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout=timeout)
    with _recent_lock:
        _recent_values[key] = value
        while len(_recent_values) > RECENT_VALUES:
            _recent_values.popitem(last=False)
    return value


# Small facts every page of an area reads (its sectors, its first and last 年度): one value per name, as of the
# latest version seen, outside the bounded slots above (they must not push out the large values).
_latest_values: dict[str, tuple[str, object]] = {}


def latest(name: str, version: str, compute):
    """compute() as of `version` (the data versions it depends on), kept in this process until the version moves.
    Small values only: one is kept per name. Shared between requests: read-only."""
    found = _latest_values.get(name)
    if found is None or found[0] != version:
        found = (version, compute())
        _latest_values[name] = found
    return found[1]


def _remembered_entry(key: str, state: str):
    entry = _recent_entries.get(key)
    if entry is None or entry.state != state:
        return None
    with _recent_lock:
        if key in _recent_entries:
            _recent_entries.move_to_end(key)
    return entry


def _remember_entry(key: str, entry) -> None:
    limit = settings.PAGE_CACHE_LOCAL_MAX_BYTES
    size = len(entry.body or b"") + len(entry.gzipped or b"")
    if not _local_memory_wanted() or entry.body is None or size > limit // 4:
        return
    with _recent_lock:
        previous = _recent_entries.pop(key, None)
        if previous is not None:
            _recent_bytes[0] -= len(previous.body or b"") + len(previous.gzipped or b"")
        while _recent_entries and _recent_bytes[0] + size > limit:
            _old_key, old = _recent_entries.popitem(last=False)
            _recent_bytes[0] -= len(old.body or b"") + len(old.gzipped or b"")
        _recent_entries[key] = entry
        _recent_bytes[0] += size


def _local_memory_wanted() -> bool:
    # The embedded cache already lives in this process; keeping its entries twice would only cost memory.
    return settings.PAGE_CACHE_LOCAL_MAX_BYTES > 0 and not isinstance(caches["default"], LocMemCache)


def page_key(request) -> str:
    # The raw Host header rather than get_host() (~8 µs per hit): a host that fails validation gets a 400 from
    # CommonMiddleware, which is never stored, so a key made from it can never hit.
    raw = f"{request.method}|{request.scheme}://{request.META.get('HTTP_HOST', '')}{request.get_full_path()}"
    return KEY_PREFIX + hashlib.sha256(raw.encode()).hexdigest()


def page_state(request, pages: PublicPages) -> str:
    """The versions the page at this path depends on and the date as the views see it (timezone.localdate)."""
    return f"{versions(pages.version_names(request.path))}|{_today().isoformat()}"


def _today():
    # Once per request, like the versions: a fragment keyed after midnight would otherwise store what the view
    # computed for the day before under the new day.
    return per_request("page-date", timezone.localdate)


def recent_page_state(request, pages: PublicPages) -> tuple[str, bool]:
    """`page_state` from the versions this process read recently (only to confirm a hit), and whether it was."""
    found, remembered = recent_versions(pages.version_names(request.path))
    return f"{found}|{_today().isoformat()}", remembered


class PublicPageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        pages = declaration_for(request.path) if _cacheable_request(request) else None
        if pages is None:
            if (declared := declaration_for(request.path)) is not None:
                # A signed-in page's public fragments (ADR 0024) are stored under this state: read it before the
                # view reads any data, as for a stored page, so a fragment never holds data older than its key
                # (whatever the method: a view that answers a POST with the page renders its fragments too).
                page_state(request, declared)
            return self.get_response(request)
        key = page_key(request)
        state, remembered = recent_page_state(request, pages)
        etag = _etag(state, request)
        if _matches(etag, request):
            # Only a stored (public) response ever carried this ETag, and the state it names is current.
            response = HttpResponseNotModified()
            response["ETag"] = etag
            return response
        entry = _remembered_entry(key, state) or cache.get(key)
        if entry is not None and entry.state == state:
            if entry.body is None:
                if remembered:  # read them before the view, as for any page rendered here (its fragments key on them)
                    page_state(request, pages)
                return self.get_response(request)
            _remember_entry(key, entry)
            return entry.answer(request)
        # Not a hit on what this process remembers: decide on the versions as they are now.
        fresh = page_state(request, pages) if remembered else state
        if fresh != state:
            state, etag = fresh, _etag(fresh, request)
            if _matches(etag, request):
                response = HttpResponseNotModified()
                response["ETag"] = etag
                return response
            if entry is not None and entry.state == state:
                return entry.answer(request) if entry.body is not None else self.get_response(request)
        lock, token = LOCK_PREFIX + key, uuid.uuid4().hex
        if cache.add(lock, token, LOCK_TIMEOUT):
            try:
                return self._rebuild(request, key, state, etag)
            finally:
                if cache.get(lock) == token:  # not another request's lock after ours timed out
                    cache.delete(lock)
        if entry is not None and entry.body is not None:
            return entry.answer(request)  # the previous version while another request rebuilds it
        return self._wait(request, key, lock, state, etag)

    def _wait(self, request, key: str, lock: str, state: str, etag: str):
        """Nothing to show yet: wait for the rebuild under way, then answer from it (or render, if it stored
        nothing or took too long)."""
        deadline = time.monotonic() + COLD_WAIT
        while time.monotonic() < deadline:
            time.sleep(POLL)
            entry = cache.get(key)
            if entry is not None and entry.state == state:
                return entry.answer(request) if entry.body is not None else self.get_response(request)
            if cache.get(lock) is None:
                break
        return self._rebuild(request, key, state, etag)

    def _rebuild(self, request, key: str, state: str, etag: str):
        response = self.get_response(request)
        if _storable(response):
            entry = _entry(response, state, etag)
            cache.set(key, entry, TIMEOUT)
            if entry.body is not None:
                _remember_entry(key, entry)
                return entry.answer(request)
        elif not _transient(response):
            cache.set(key, Entry(state), TIMEOUT)
        return response


# ---- the embedded cache, bounded in bytes -----------------------------------------------------------------------

_usage: dict[str, list[int]] = {}


class BoundedLocMemCache(LocMemCache):
    """Django's per-process LocMemCache, bounded by the bytes it holds rather than by its number of entries.

    OPTIONS: MAX_BYTES (total of the stored, pickled values; the least recently used go first) and
    MAX_ENTRY_BYTES (a larger value is not stored, and any previous value of its key is dropped).
    """

    def __init__(self, name, params):
        options = dict(params.get("OPTIONS") or {})
        self.max_bytes = int(options.pop("MAX_BYTES", 64 * 1024 * 1024))
        self.max_entry_bytes = int(options.pop("MAX_ENTRY_BYTES", 1024 * 1024))
        options.setdefault("MAX_ENTRIES", 1_000_000)  # bytes are the bound, not the count
        super().__init__(name, {**params, "OPTIONS": options})
        self._used = _usage.setdefault(name, [0])

    @property
    def bytes_used(self) -> int:
        return self._used[0]

    def _set(self, key, value, timeout=DEFAULT_TIMEOUT):
        self._delete(key)
        size = len(value)
        if size > self.max_entry_bytes:
            return
        while self._cache and self._used[0] + size > self.max_bytes:
            self._pop_least_recent()
        super()._set(key, value, timeout)
        self._used[0] += size

    def _pop_least_recent(self):
        key, value = self._cache.popitem()  # LocMemCache keeps the most recently used first
        del self._expire_info[key]
        self._used[0] -= len(value)

    def _cull(self):
        if self._cull_frequency == 0:
            self._cache.clear()
            self._expire_info.clear()
            self._used[0] = 0
            return
        for _ in range(len(self._cache) // self._cull_frequency):
            self._pop_least_recent()

    def _delete(self, key):
        value = self._cache.get(key)
        if not super()._delete(key):
            return False
        self._used[0] -= len(value)
        return True

    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        with self._lock:
            if self._has_expired(key):
                self._delete(key)
                raise ValueError(f"Key '{key}' not found")
            expires = self._expire_info[key]
            new_value = pickle.loads(self._cache[key]) + delta  # noqa: S301 - our own pickles
            self._set(key, pickle.dumps(new_value, self.pickle_protocol))
            if key in self._expire_info:
                self._expire_info[key] = expires
        return new_value

    def clear(self):
        with self._lock:
            self._cache.clear()
            self._expire_info.clear()
            self._used[0] = 0
        forget_recent()  # what this process remembered of the cache goes with it


# ---- the shared cache, when Redis is down -----------------------------------------------------------------------

class ResilientRedisCache(RedisCache):
    """Django's RedisCache that degrades to "no cache" while Redis cannot be reached, instead of failing requests.

    Every read is a miss, writes are dropped, and `add` succeeds (so the page cache renders the page itself rather
    than waiting for a rebuild no one can publish). After a failure Redis is left alone for RETRY_AFTER seconds,
    so a server that does not answer costs one timeout per worker per interval, not one per request.
    """

    RETRY_AFTER = 10.0

    def __init__(self, server, params):
        super().__init__(server, params)
        self._down_until = 0.0

    def _call(self, method: str, fallback, *args, **kwargs):
        if time.monotonic() < self._down_until:
            return fallback
        try:
            return getattr(super(), method)(*args, **kwargs)
        except RedisError as exc:
            self._down_until = time.monotonic() + self.RETRY_AFTER
            logger.warning("Redis に接続できないため、%.0f秒間キャッシュを使わずに応答します: %s", self.RETRY_AFTER, exc)
            return fallback

    def get(self, key, default=None, version=None):
        return self._call("get", default, key, default, version)

    def get_many(self, keys, version=None):
        return self._call("get_many", {}, keys, version)

    def has_key(self, key, version=None):
        return self._call("has_key", False, key, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", True, key, value, timeout, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set", None, key, value, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", [], data, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", False, key, timeout, version)

    def delete(self, key, version=None):
        return self._call("delete", False, key, version)

    def delete_many(self, keys, version=None):
        return self._call("delete_many", None, keys, version)

    def clear(self):
        forget_recent()  # the pages this worker kept in front of Redis go with it
        return self._call("clear", None)
