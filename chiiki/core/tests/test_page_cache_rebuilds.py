"""The page cache under load and churn (docs/decisions/0014-fast-by-default.md): one rebuild per URL at a time with
the previous version served meanwhile, per-municipality invalidation, the byte bound, gzip only for what is public,
and ETag/304 answers."""

import gzip
import threading

import pytest
from django.db import connection, connections, transaction
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import include, path

import chiiki.core.cache as page_cache
import chiiki.urls
from chiiki.access import SYSTEM
from chiiki.core import history, tabular
from chiiki.core.cache import BoundedLocMemCache, declaration_for
from chiiki.progress import actions as progress_actions
from chiiki.regions.actions import update_municipality_attributes
from chiiki.regions.models import Municipality
from chiiki.roadmap.models import Sector

from .test_page_cache import PUBLIC

PROBE = "/progress/rebuild-probe/"
calls: list[int] = []
entered = threading.Event()
release = threading.Event()


def _slow_page(request):
    """A public page whose rendering waits for the test to release it, and shows the progress version it read."""
    calls.append(1)
    entered.set()
    release.wait(timeout=60)
    return HttpResponse(f"<p>progress {history.version('progress')}</p>".encode())


def _form_with_token(request):
    return HttpResponse(f'<form method="post"><input type="hidden" name="csrfmiddlewaretoken" '
                        f'value="{get_token(request)}"><button>送信</button></form>{"<p>本文</p>" * 200}')


urlpatterns = [path("progress/rebuild-probe/", _slow_page), path("progress/csrf-probe/", _form_with_token),
               path("", include(chiiki.urls))]


def _get_in_thread(results: dict, name, **headers):
    def run():
        try:
            results[name] = Client().get(PROBE, **headers).content
        finally:
            connections.close_all()  # a thread's own connection (persistent by default) must not outlive it
    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _bump(area: str):
    with transaction.atomic():
        history.bump(area)


@pytest.fixture
def probe():
    calls.clear()
    entered.clear()
    release.set()
    yield
    release.set()


@pytest.mark.urls(__name__)
@pytest.mark.django_db(transaction=True)
def test_a_stale_page_is_rebuilt_once_while_the_others_get_the_previous_version(probe):
    assert Client().get(PROBE).content == b"<p>progress 0</p>" and len(calls) == 1
    _bump("progress")
    release.clear()
    entered.clear()
    results = {}
    rebuilder = _get_in_thread(results, "rebuilder")
    assert entered.wait(timeout=30), "the first request after the write rebuilds the page"
    others = [_get_in_thread(results, i) for i in range(8)]
    for thread in others:
        thread.join(timeout=60)
    assert len(calls) == 2, "only one request rendered the stale page"
    assert [results[i] for i in range(8)] == [b"<p>progress 0</p>"] * 8
    release.set()
    rebuilder.join(timeout=60)
    assert results["rebuilder"] == b"<p>progress 1</p>"
    assert Client().get(PROBE).content == b"<p>progress 1</p>" and len(calls) == 2


@pytest.mark.urls(__name__)
@pytest.mark.django_db(transaction=True)
def test_without_a_previous_version_the_others_wait_for_the_one_rebuild(probe, monkeypatch):
    waiting, seen = threading.Condition(), set()
    real_sleep = page_cache.time.sleep

    def sleep(seconds):  # a request polling for another's rebuild
        with waiting:
            seen.add(threading.get_ident())
            waiting.notify_all()
        real_sleep(seconds)

    monkeypatch.setattr(page_cache.time, "sleep", sleep)
    # The waiters' own deadline (render it yourself after COLD_WAIT) is not under test here: on a loaded machine the
    # first waiter could reach it before the sixth has started, and render the page a second time.
    monkeypatch.setattr(page_cache, "COLD_WAIT", 300)
    release.clear()
    results = {}
    rebuilder = _get_in_thread(results, "rebuilder")
    assert entered.wait(timeout=30)
    others = [_get_in_thread(results, i) for i in range(6)]
    with waiting:
        assert waiting.wait_for(lambda: len(seen) == 6, timeout=60), "every other request waits for the rebuild"
    release.set()
    for thread in [rebuilder, *others]:
        thread.join(timeout=60)
    assert len(calls) == 1
    assert set(results.values()) == {b"<p>progress 0</p>"} and len(results) == 7


@pytest.mark.django_db
def test_the_next_request_after_a_write_to_any_area_a_page_depends_on_renders_it_again(register, monkeypatch):
    # Counted at the rebuild itself: a page rendered from memory (the program catalog's snapshot) reads nothing
    # beyond the versions, so its query count does not show a rebuild.
    rebuilds = []
    real_rebuild = page_cache.PublicPageCacheMiddleware._rebuild
    monkeypatch.setattr(page_cache.PublicPageCacheMiddleware, "_rebuild",
                        lambda self, request, *a: rebuilds.append(request.get_full_path()) or real_rebuild(
                            self, request, *a))
    for url in PUBLIC:
        pages = declaration_for(url.split("?")[0])
        for area in {name.split("/")[0] for name in pages.depends_on}:
            assert Client().get(url).status_code == 200
            rebuilds.clear()
            with CaptureQueriesContext(connection) as hit:
                Client().get(url)
            assert len(hit) == 1 and not rebuilds, f"{url} is answered from the cache"
            _bump(area)
            assert Client().get(url).status_code == 200
            assert len(rebuilds) == 1, f"{url} after a write to {area} was rendered again"


def test_a_save_in_one_municipality_keeps_the_other_municipalities_pages(users, client_for, stored_pages):
    anonymous = client_for(None)
    other = anonymous.get("/regions/municipalities/131016/").content
    before = anonymous.get("/regions/municipalities/132012/").content.decode()
    assert stored_pages() == 2 and "0.85" not in before
    update_municipality_attributes(users["hachioji"], Municipality.objects.get(pk="132012"),
                                   {"fiscal_strength_index": "0.85"})
    with CaptureQueriesContext(connection) as hit:
        assert anonymous.get("/regions/municipalities/131016/").content == other
    assert len(hit) == 1, "the other municipality's page is still answered from the cache"
    assert "0.85" in anonymous.get("/regions/municipalities/132012/").content.decode()
    # A write to the whole area (a reference load) renders every municipality's page again.
    _bump("regions")
    with CaptureQueriesContext(connection) as after:
        assert anonymous.get("/regions/municipalities/131016/").status_code == 200
    assert len(after) > 1


def test_the_local_cache_is_bounded_in_bytes():
    bounded = BoundedLocMemCache("bound-test", {"OPTIONS": {"MAX_BYTES": 50_000, "MAX_ENTRY_BYTES": 20_000}})
    bounded.clear()
    bounded.set("large", b"x" * 30_000)
    assert bounded.get("large") is None and bounded.bytes_used == 0, "a value over the entry cap is not kept"
    bounded.set("grows", b"x" * 100)
    bounded.set("grows", b"x" * 25_000)
    assert bounded.get("grows") is None and bounded.bytes_used == 0, "nor is an older value of its key"
    for i in range(10):
        bounded.set(f"k{i}", b"y" * 15_000)
        assert bounded.bytes_used <= 50_000
    assert [i for i in range(10) if bounded.get(f"k{i}") is not None] == [7, 8, 9]
    bounded.get("k7")  # used recently: the least recently used (k8) goes first
    bounded.set("k10", b"z" * 15_000)
    assert [i for i in range(11) if bounded.get(f"k{i}") is not None] == [7, 9, 10]
    bounded.set("n", 1)
    assert bounded.incr("n", 5) == 6 and bounded.get("n") == 6
    for key in ("k7", "k9", "k10", "n"):
        bounded.delete(key)
    assert bounded.bytes_used == 0


def test_a_page_over_the_entry_cap_is_served_but_not_stored(register, stored_pages, settings):
    settings.CACHE_ENTRY_MAX_BYTES = 1024
    first = Client().get("/regions/")
    assert first.status_code == 200 and len(first.content) > 1024
    assert stored_pages() == 0
    with CaptureQueriesContext(connection) as again:
        assert Client().get("/regions/").content == first.content
    assert len(again) > 1 and stored_pages() == 0


@pytest.mark.parametrize("url", ["/progress/?fiscal_year=2026", "/regions/points.json",
                                 "/api/v1/progress/summary?fiscal_year=2026"])
def test_public_pages_are_gzipped_for_clients_that_accept_it(register, url):
    plain = Client().get(url)
    assert "Content-Encoding" not in plain.headers
    for _ in range(2):  # the rebuilt answer and the stored one
        zipped = Client().get(url, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
        assert zipped["Content-Encoding"] == "gzip" and "Accept-Encoding" in zipped["Vary"]
        assert gzip.decompress(zipped.content) == plain.content
        assert int(zipped["Content-Length"]) == len(zipped.content) < len(plain.content)


@pytest.mark.urls(__name__)
def test_a_response_with_a_csrf_token_or_for_a_signed_in_user_is_never_gzipped(register, users, client_for):
    response = Client().get("/progress/csrf-probe/", HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200 and "csrfmiddlewaretoken" in response.content.decode()
    assert "Content-Encoding" not in response.headers and "ETag" not in response.headers
    staff = client_for(users["hachioji"]).get("/progress/?fiscal_year=2026", HTTP_ACCEPT_ENCODING="gzip")
    assert "ログアウト" in staff.content.decode()
    assert "Content-Encoding" not in staff.headers and "ETag" not in staff.headers


@pytest.mark.parametrize("url", ["/regions/points.json", "/progress/map-data.json?fiscal_year=2026&sector=work",
                                 "/api/v1/progress/summary?fiscal_year=2026"])
def test_public_json_answers_304_until_its_data_changes(users, client_for, url, django_assert_num_queries):
    first = Client().get(url)
    etag = first["ETag"]
    assert first.status_code == 200 and etag.startswith('W/"')
    with django_assert_num_queries(1):  # the data versions only
        unchanged = Client().get(url, HTTP_IF_NONE_MATCH=etag)
    assert unchanged.status_code == 304 and unchanged.content == b"" and unchanged["ETag"] == etag
    # A signed-in caller is never answered from the anonymous cache, validator or not.
    assert client_for(users["hachioji"]).get(url, HTTP_IF_NONE_MATCH=etag).status_code == 200
    if url.startswith("/regions/"):
        update_municipality_attributes(users["hachioji"], Municipality.objects.get(pk="132012"),
                                       {"fiscal_strength_index": "0.85"})
    else:
        progress_actions.save_progress(users["hachioji"], users["hachioji"].municipality,
                                       Sector.objects.get(pk="work"), 2026, stage="planned", version=0)
    changed = Client().get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    if not url.startswith("/regions/"):  # the points carry no 財政力指数; their ETag follows the area's version
        assert changed.content != first.content


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_large_exports_are_streamed_and_never_stored(register, stored_pages, monkeypatch, fmt):
    url = f"/api/v1/progress/export.{fmt}?fiscal_year=2026"
    built_at_once = Client().get(url)
    assert not built_at_once.streaming
    monkeypatch.setattr(tabular, "STREAM_AFTER_ROWS", 10)  # the register's 8 団体 × 8 分野 = 64 rows
    streamed = Client().get(url)
    assert streamed.streaming and streamed["Content-Disposition"] == built_at_once["Content-Disposition"]
    body = b"".join(streamed.streaming_content)
    table, expected = (tabular.read_table(data, f"export.{fmt}") for data in (body, built_at_once.content))
    assert table.header == expected.header
    assert [row.values for row in table.rows] == [row.values for row in expected.rows] and len(table.rows) == 64
    assert stored_pages() == 0


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens there once the socket is closed


def test_pages_are_served_while_redis_cannot_be_reached(register, settings, caplog):
    settings.CACHES = {"default": {"BACKEND": "chiiki.core.cache.ResilientRedisCache",
                                   "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0", "KEY_PREFIX": "chiiki-test",
                                   "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}}}
    from django.core.cache import cache

    anonymous = Client()
    for page in ("/progress/?fiscal_year=2026", "/regions/", "/api/v1/progress/summary?fiscal_year=2026"):
        response = anonymous.get(page)
        assert response.status_code == 200, page
    assert "Redis に接続できない" in caplog.text
    assert cache.get("anything", "fallback") == "fallback"
    assert cache.add("lock", "token") is True  # the page cache renders itself rather than waiting
    # A write still shows on the next request: nothing stale is served from anywhere.
    municipality = Municipality.objects.get(code="131016")
    progress_actions.save_progress(SYSTEM, municipality, Sector.objects.get(code="disaster"), 2026,
                                   stage="implemented", version=0)
    assert "実装済" in anonymous.get("/progress/municipalities/131016/?fiscal_year=2026").content.decode()


def test_the_cache_is_used_again_once_redis_answers(monkeypatch):
    from redis.exceptions import ConnectionError as RedisConnectionError

    from chiiki.core.cache import ResilientRedisCache

    backend = ResilientRedisCache("redis://127.0.0.1:6379/0", {})
    calls = []

    def flaky_get(key, default=None, version=None):
        calls.append(key)
        if len(calls) == 1:
            raise RedisConnectionError("down")
        return "stored"

    monkeypatch.setattr("django.core.cache.backends.redis.RedisCache.get",
                        lambda self, key, default=None, version=None: flaky_get(key, default, version))
    clock = [1000.0]
    monkeypatch.setattr(page_cache.time, "monotonic", lambda: clock[0])
    assert backend.get("k", "miss") == "miss"  # the failure
    assert backend.get("k", "miss") == "miss"  # left alone: Redis is not asked
    assert len(calls) == 1
    clock[0] += ResilientRedisCache.RETRY_AFTER + 1
    assert backend.get("k", "miss") == "stored"
    assert len(calls) == 2
