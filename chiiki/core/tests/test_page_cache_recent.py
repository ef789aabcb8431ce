"""What a worker remembers between cache hits (chiiki.core.cache, ADR 0014): the data versions for
PAGE_CACHE_VERSIONS_TTL seconds, and recently served pages in front of a shared cache. A hit then costs no query
and no round trip; a write in this process is seen at once; a write in another worker at most the TTL later; and
nothing is ever stored under a state that is not current."""

import pytest
from django.core.cache import cache
from django.test import Client

import chiiki.core.cache as page_cache
from chiiki.core.models import DataVersion
from chiiki.progress import actions as progress_actions
from chiiki.roadmap.models import Sector

pytestmark = pytest.mark.django_db

URL = "/progress/municipalities/132012/"


@pytest.fixture
def remembered(settings):
    settings.PAGE_CACHE_VERSIONS_TTL = 3600
    return settings


@pytest.fixture
def clock(monkeypatch):
    """time.monotonic as the cache module sees it, moved forward by the test."""
    now = [1000.0]
    monkeypatch.setattr(page_cache.time, "monotonic", lambda: now[0])
    return now


def _other_worker_writes(names=("progress", "regions")):
    """A write committed by another worker: its versions move, but this process was not told."""
    for name in names:
        DataVersion.objects.update_or_create(name=name, defaults={"version": 1000})


def test_a_hit_costs_no_query_while_the_versions_are_fresh(register, remembered, django_assert_num_queries):
    first = Client().get(URL)
    assert first.status_code == 200
    with django_assert_num_queries(0):
        again = Client().get(URL)
    assert again.content == first.content


def test_a_write_in_this_process_is_seen_by_the_next_request(users, remembered):
    before = Client().get(URL).content.decode()
    progress_actions.save_progress(users["hachioji"], users["hachioji"].municipality, Sector.objects.get(pk="work"),
                                   2026, stage="implemented", note="庁内で実装を確認", version=0)
    after = Client().get(URL).content.decode()
    assert "庁内で実装を確認" not in before and "庁内で実装を確認" in after


def test_another_workers_write_shows_once_the_versions_are_older_than_the_ttl(register, remembered, clock,
                                                                             django_assert_num_queries):
    remembered.PAGE_CACHE_VERSIONS_TTL = 1
    first = Client().get(URL)
    _other_worker_writes()
    clock[0] += 0.5
    with django_assert_num_queries(0):  # within the TTL: the previous page, as documented
        assert Client().get(URL).content == first.content
    clock[0] += 0.6
    key = page_cache.page_key(Client().get(URL).wsgi_request)
    entry = cache.get(key)
    assert entry is not None and "1000" in entry.state  # rebuilt and stored under the current versions


def test_a_miss_is_stored_under_the_current_versions_not_the_remembered_ones(register, remembered):
    response = Client().get(URL)
    key = page_cache.page_key(response.wsgi_request)
    _other_worker_writes()
    cache.clear()  # e.g. evicted: this process still remembers the old versions
    page_cache._recent_entries.clear()
    Client().get(URL)
    assert "1000" in cache.get(key).state


def test_pages_served_recently_are_answered_without_the_shared_cache(register, remembered, settings,
                                                                     django_assert_num_queries):
    # A shared cache that keeps nothing stands in for a Redis round trip: the page still comes from memory.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    first = Client().get(URL)
    assert first.status_code == 200 and page_cache._recent_entries
    with django_assert_num_queries(0):
        assert Client().get(URL).content == first.content


def test_the_pages_kept_in_memory_are_bounded_in_bytes(register, remembered, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    codes = ("132012", "131016", "011002", "012025", "013315", "134023", "322016", "325252")
    assert Client().get(f"/regions/municipalities/{codes[0]}/").status_code == 200
    one_page = page_cache._recent_bytes[0]
    settings.PAGE_CACHE_LOCAL_MAX_BYTES = 5 * one_page  # room for about five of the eight pages
    for code in codes[1:]:
        assert Client().get(f"/regions/municipalities/{code}/").status_code == 200
    kept = page_cache._recent_entries
    assert 0 < len(kept) < len(codes)
    assert page_cache._recent_bytes[0] == sum(len(e.body) + len(e.gzipped or b"") for e in kept.values())
    assert page_cache._recent_bytes[0] <= 5 * one_page
    assert page_cache.page_key(Client().get(f"/regions/municipalities/{codes[-1]}/").wsgi_request) in kept


def test_the_embedded_cache_is_not_kept_twice(register, remembered, settings):
    settings.CACHES = {"default": {"BACKEND": "chiiki.core.cache.BoundedLocMemCache", "LOCATION": "embedded-test"}}
    assert Client().get(URL).status_code == 200
    assert not page_cache._recent_entries


# ---- query results and small facts (chiiki.core.cache.versioned / per_request) -------------------------------------

SCORED = "/progress/municipalities/132012/?fiscal_year=2026"


def _signed_in(client_for, users):
    return client_for(users["hachioji"])  # never answered from the page cache


def test_a_page_reads_the_data_versions_once(users, client_for):
    client = _signed_in(client_for, users)
    client.get(SCORED)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(SCORED).status_code == 200
    reads = [q["sql"] for q in queries.captured_queries if "core_dataversion" in q["sql"]]
    sectors = [q["sql"] for q in queries.captured_queries if 'FROM "roadmap_sector"' in q["sql"]]
    assert len({sql for sql in reads}) == len(reads)  # each set of names once, not once per query helper
    assert len(sectors) <= 1


@pytest.mark.parametrize("url", ["/progress/", "/progress/entry/132012/"])
def test_a_page_reads_the_first_fiscal_year_once(users, client_for, url):
    # The default 年度 and the list of 年度 both start from the first 年度 with a record.
    client = _signed_in(client_for, users)
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    def first_year_reads(captured):
        return [q["sql"] for q in captured if 'FROM "progress_progressrecord" ORDER BY' in q["sql"] and "LIMIT 1" in q["sql"]]

    assert first_year_reads(queries.captured_queries) == []  # kept per data version: unchanged data, no read
    progress_actions.save_progress(users["hachioji"], users["hachioji"].municipality, Sector.objects.get(pk="work"),
                                   2026, stage="planned", version=0)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    assert len(first_year_reads(queries.captured_queries)) == 1  # after a write: read again, once


def test_query_results_are_reused_until_a_write_and_never_changed_by_a_page(users, client_for, monkeypatch):
    client = _signed_in(client_for, users)
    computed = []
    from chiiki.progress import queries as progress_queries

    real = progress_queries.stage_grid
    monkeypatch.setattr(progress_queries, "stage_grid", lambda *a, **k: computed.append(a) or real(*a, **k))
    first = client.get(SCORED)
    before = len(computed)
    shared_reads = []
    real_get = cache.get
    monkeypatch.setattr(cache, "get", lambda key, *a, **k: shared_reads.append(key) or real_get(key, *a, **k))
    again = client.get(SCORED)
    assert not [key for key in shared_reads if key.startswith("progress:")]  # kept as objects in this worker
    # score and ranking are deferred (computed when the page's public fragment is rendered): read them.
    assert again.context["score"]() == first.context["score"]()
    assert again.context["ranking"]() == first.context["ranking"]()
    assert len(computed) == before  # scores and rankings were not recomputed
    client.get("/progress/prefectures/13/?fiscal_year=2026")
    assert all("kind_label" not in entry for entry in progress_queries.scores(2026).values())
    progress_actions.save_progress(users["hachioji"], users["hachioji"].municipality, Sector.objects.get(pk="work"),
                                   2026, stage="self_sustaining", version=0)
    after = client.get(SCORED).content.decode()
    assert len(computed) > before and "自走" in after


def test_a_request_that_writes_then_reads_sees_its_own_write(users, client_for):
    """The entry page's save answers with the row as saved (the request's memory is dropped by the write)."""
    client = _signed_in(client_for, users)
    page = client.get("/progress/entry/132012/?fiscal_year=2026")
    assert page.status_code == 200
    response = client.post("/progress/entry/132012/work/", {"fiscal_year": 2026, "stage": "piloting", "note": "",
                                                            "evidence_url": "", "version": 0},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "実証中" in response.content.decode()


def test_clearing_the_cache_forgets_what_the_worker_kept(register, remembered, settings):
    """A cleared shared cache (e.g. after a restore) must not be answered from the worker's own copy."""
    settings.CACHES = {"default": {"BACKEND": "chiiki.core.cache.ResilientRedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens: every read misses
                                   "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}}}
    assert Client().get(URL).status_code == 200
    assert page_cache._recent_entries
    cache.clear()
    assert not page_cache._recent_entries and not page_cache._recent_versions


def test_a_version_read_earlier_in_a_request_keeps_its_value_when_more_names_are_read(db):
    """A fragment asked for more names than its page declared: reading them must not move the names the view had
    already built from (what it stored under them would be older than their key says)."""
    from chiiki.core.cache import _request_memo, versions
    from chiiki.core.models import DataVersion

    token = _request_memo.set({})
    try:
        regions = versions(("regions",))
        DataVersion.objects.update_or_create(name="regions", defaults={"version": int(regions) + 5})  # elsewhere
        DataVersion.objects.update_or_create(name="promotion", defaults={"version": 7})
        assert versions(("promotion", "regions")) == f"7.{regions}"
        assert versions(("regions",)) == regions
    finally:
        _request_memo.reset(token)
    assert versions(("regions",)) == str(int(regions) + 5)  # the next request reads it again


def test_a_request_keys_its_fragments_with_the_date_it_started_on(db, monkeypatch):
    """A signed-in request that spans midnight: its fragments are keyed after the view computed its values, so
    they must carry the date the page's state was first read with, not the new day's."""
    import datetime as dt

    from django.test import RequestFactory
    from django.utils import timezone

    from chiiki.core.cache import _request_memo, declaration_for, page_state

    request = RequestFactory().get("/progress/")
    pages = declaration_for("/progress/")
    token = _request_memo.set({})
    try:
        monkeypatch.setattr(timezone, "localdate", lambda *a: dt.date(2027, 3, 31))
        before = page_state(request, pages)
        monkeypatch.setattr(timezone, "localdate", lambda *a: dt.date(2027, 4, 1))
        assert page_state(request, pages) == before and before.endswith("|2027-03-31")
    finally:
        _request_memo.reset(token)
    assert page_state(request, pages).endswith("|2027-04-01")  # the next request


def test_a_page_too_large_to_store_reads_its_versions_before_the_view(register, remembered, settings):
    """A page the cache only marks (too large to store) is rendered for every visitor; with the versions this
    worker remembers, its public fragments would otherwise read them after the view had read its data."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.CACHE_ENTRY_MAX_BYTES = 1024
    assert Client().get(URL).status_code == 200  # rendered, and marked as not stored
    with CaptureQueriesContext(connection) as queries:
        assert Client().get(URL).status_code == 200
    assert "core_dataversion" in queries.captured_queries[0]["sql"]
