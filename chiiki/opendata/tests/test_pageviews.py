"""Dataset page views: counted per request outside the page cache, bots excluded, written in batches, shown to
owners by month, and not lost when the process ends normally."""

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

from django.conf import settings as django_settings
from django.utils import timezone

from chiiki.opendata import actions, queries
from chiiki.opendata.models import Usage, UsageKind

BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"
PAGE = "/opendata/dataset/hachioji-aed/"


def _views(dataset) -> int:
    return sum(Usage.objects.filter(dataset=dataset, kind=UsageKind.VIEW).values_list("count", flat=True))


def test_cached_pages_are_counted_without_a_write_per_request(users, catalog, client_for, view_counter, settings,
                                                              stored_pages):
    settings.OPENDATA_VIEW_FLUSH_EVERY = 1000
    anonymous = client_for(None)
    first = anonymous.get(PAGE, HTTP_USER_AGENT=BROWSER)
    assert first.status_code == 200 and stored_pages() >= 1
    assert anonymous.get(PAGE, HTTP_USER_AGENT=BROWSER).status_code == 200  # from the page cache
    # A revalidation the cache answers with 304 before any view runs is a view too.
    assert anonymous.get(PAGE, HTTP_USER_AGENT=BROWSER, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    # Not counted: known bots, an empty User-Agent, other pages, a 庁内限定 dataset answered with 404, POST.
    anonymous.get(PAGE, HTTP_USER_AGENT="Googlebot/2.1 (+http://www.google.com/bot.html)")
    anonymous.get(PAGE)
    anonymous.get("/opendata/", HTTP_USER_AGENT=BROWSER)
    assert anonymous.get("/opendata/dataset/hachioji-internal-budget/",
                         HTTP_USER_AGENT=BROWSER).status_code == 404
    assert view_counter.pending() == 3
    assert _views(catalog["aed"]) == 0  # nothing written per request
    owner = client_for(users["hachioji"]).get(f"{PAGE}usage")
    assert owner.status_code == 200
    assert _views(catalog["aed"]) == 3 and view_counter.pending() == 0
    month = timezone.localdate().replace(day=1)
    assert queries.usage_by_month(catalog["aed"]) == [
        {"month": month, "view": 3, "download": 0, "api": 0, "total": 3}]
    html = owner.content.decode()
    assert "ページ閲覧" in html and "<td>3</td>" in html


def test_views_are_written_in_batches(users, catalog, client_for, view_counter, settings):
    settings.OPENDATA_VIEW_FLUSH_EVERY = 2
    client = client_for(users["company"])  # signed in: rendered, not cached; counted the same way
    client.get(PAGE, HTTP_USER_AGENT=BROWSER)
    assert _views(catalog["aed"]) == 0 and view_counter.pending() == 1
    client.get(PAGE, HTTP_USER_AGENT=BROWSER)
    assert _views(catalog["aed"]) == 2 and view_counter.pending() == 0
    settings.OPENDATA_VIEW_FLUSH_EVERY = 1000
    settings.OPENDATA_VIEW_FLUSH_SECONDS = 0  # a batch is due on every view once the interval has passed
    client.get(PAGE, HTTP_USER_AGENT=BROWSER)
    assert _views(catalog["aed"]) == 3


def test_a_failed_write_keeps_the_counts(catalog, view_counter, monkeypatch):
    month = timezone.localdate().replace(day=1)
    real = actions.record_page_views

    def down(counts):
        raise RuntimeError("database away")

    monkeypatch.setattr(actions, "record_page_views", down)
    view_counter.add("hachioji-aed", month)
    view_counter.add("no-such-dataset", month)
    assert view_counter.flush() == 0 and view_counter.pending() == 2
    monkeypatch.setattr(actions, "record_page_views", real)
    assert view_counter.flush() == 2
    assert _views(catalog["aed"]) == 1  # the unknown (deleted) dataset's view is dropped
    assert view_counter.flush() == 0


SHUTDOWN_SCRIPT = textwrap.dedent("""
    import os, django
    os.environ["DJANGO_SETTINGS_MODULE"] = "chiiki.settings"
    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from chiiki.opendata import pageviews
    from chiiki.opendata.models import Dataset
    call_command("migrate", verbosity=0)
    Dataset.objects.create(name="shutdown-test", title="終了時の書き込み")
    client = Client()
    for _ in range(3):
        assert client.get("/opendata/dataset/shutdown-test/", HTTP_USER_AGENT="Mozilla/5.0").status_code == 200
    assert pageviews.COUNTER.pending() == 3
    # a normal end of the process: the atexit handler writes the pending views
""")


def test_pending_views_are_written_when_the_process_ends_normally(tmp_path):
    database = tmp_path / "shutdown.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    completed = subprocess.run([sys.executable, "-c", SHUTDOWN_SCRIPT], cwd=Path(django_settings.BASE_DIR),
                               env=env, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-2000:]
    with sqlite3.connect(database) as conn:
        rows = conn.execute("SELECT u.kind, u.count FROM opendata_usage u JOIN opendata_dataset d "
                            "ON d.id = u.dataset_id WHERE d.name = 'shutdown-test'").fetchall()
    assert rows == [("view", 3)], json.dumps(rows)
