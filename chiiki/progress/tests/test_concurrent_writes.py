"""Concurrent writes against a live server: every request ends in 200 or 409 (422), never 500.

Threads send real HTTP requests to pytest-django's live server (a threaded WSGI server; on SQLite the test
database is a file, so each request has its own connection, as in production). A barrier releases every
thread at once; loops are bounded and nothing asserts on time.
"""

import json
import threading
import urllib.error
import urllib.request
import uuid
from collections import Counter

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chiiki.conftest import MUNICIPALITIES, SECTORS
from chiiki.core.db import BUSY_MESSAGE
from chiiki.progress.imports import PROGRESS
from chiiki.testing import released_together

from .conftest import csv_file

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 20
PUT_ROUNDS = 8
IMPORT_ROUNDS = 5
TIMEOUT = 120  # seconds a request may take before the test fails (a hang is a failure, not a wait)
SAVE_GRACE = 5  # seconds an import waits, in a test, for a save started meanwhile


def _bearer(user) -> dict:
    from chiiki.accounts.models import ApiToken

    _token, key = ApiToken.issue(user, "concurrency")
    return {"Authorization": f"Bearer {key}"}


def _send(url: str, method: str, body: bytes, headers: dict) -> tuple[int, dict | None]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, None


def _in_parallel(calls) -> list[tuple[int, dict | None]]:
    """Run each call (a no-argument function) in its own thread, all released together; results in order."""
    def send(call):
        try:
            return call()
        except Exception as exc:  # a dropped connection counts as a failure of the server
            return (f"{type(exc).__name__}: {exc}", None)

    return released_together(calls, send)


def _multipart(filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n"
            "Content-Type: text/csv\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def test_parallel_puts_of_one_cell_give_one_200_and_409s(live_server, users):
    from chiiki.progress.models import ProgressRecord

    url = f"{live_server.url}/api/v1/progress/132012/disaster/2026"
    # Every thread its own signed-in user would need 20 accounts; two tokens of two entitled users suffice to
    # make the token check (which writes last_used_at) part of the race too.
    tokens = [_bearer(users["admin"]), _bearer(users["hachioji"])]
    stages = ["considering", "planned", "piloting", "implemented"]
    for round_ in range(PUT_ROUNDS):
        def put(i, round_=round_):
            body = json.dumps({"stage": stages[(round_ + i) % len(stages)], "note": f"round {round_} thread {i}",
                               "version": round_}).encode()
            headers = {"Content-Type": "application/json", **tokens[i % len(tokens)]}
            return _send(url, "PUT", body, headers)

        results = _in_parallel([lambda i=i: put(i) for i in range(THREADS)])
        statuses = Counter(status for status, _body in results)
        assert statuses == {200: 1, 409: THREADS - 1}, (round_, statuses, [b for s, b in results if s not in (200, 409)])
        winner = next(body for status, body in results if status == 200)
        assert winner["version"] == round_ + 1
        for status, body in results:
            if status == 409:  # a stale version; on a machine slow enough to outwait the lock, "busy" (still 409)
                assert "先に更新" in body["detail"] or body["detail"] == BUSY_MESSAGE
        record = ProgressRecord.objects.get(municipality_id="132012", sector_id="disaster", fiscal_year=2026)
        assert (record.version, record.note) == (round_ + 1, winner["note"])


def _import_file(tag: str, shared_year: int, own_year: int, stage: str) -> bytes:
    lines = [f"{code},{sector},{year},{stage},{tag},"
             for year in (shared_year, own_year) for code, *_ in MUNICIPALITIES for sector, *_ in SECTORS]
    return csv_file(lines)


def test_parallel_imports_commit_whole_files_or_answer_409(live_server, users):
    from chiiki.progress.models import ProgressRecord

    url = f"{live_server.url}/api/v1/progress/import"
    token = _bearer(users["admin"])
    cells = len(MUNICIPALITIES) * len(SECTORS)
    for round_ in range(IMPORT_ROUNDS):
        # Both files write the shared year (creates in round 0, updates after: the shared year is the same
        # every round) and one year of their own; the files differ in stage and note.
        # All within the progress 年度 window (PROGRESS_FIRST_FISCAL_YEAR 2016 … next 年度).
        shared, own = 2026, {"A": 2016 + round_, "B": 2021 + round_}
        files = {"A": _import_file(f"A{round_}", shared, own["A"], "planned"),
                 "B": _import_file(f"B{round_}", shared, own["B"], "piloting")}

        def post(tag, files=files):
            body, content_type = _multipart(f"{tag}.csv", files[tag])
            return _send(url, "POST", body, {"Content-Type": content_type, **token})

        results = dict(zip("AB", _in_parallel([lambda: post("A"), lambda: post("B")]), strict=True))
        statuses = {tag: status for tag, (status, _body) in results.items()}
        assert set(statuses.values()) <= {200, 409, 422}, (round_, results)
        assert 200 in statuses.values(), (round_, results)
        for status, body in results.values():
            if status == 200:
                assert body["committed"] is True and body["created"] + body["updated"] == 2 * cells
            elif status == 409:
                assert body["detail"]
        # No partial write: a file's own year is complete when it answered 200 and absent otherwise,
        # and the shared year holds one file's rows throughout.
        for tag, year in own.items():
            notes = set(ProgressRecord.objects.filter(fiscal_year=year).values_list("note", flat=True))
            count = ProgressRecord.objects.filter(fiscal_year=year).count()
            if statuses[tag] == 200:
                assert (count, notes) == (cells, {f"{tag}{round_}"}), (round_, tag)
            else:
                assert count == 0, (round_, tag)
        shared_notes = Counter(ProgressRecord.objects.filter(fiscal_year=shared).values_list("note", flat=True))
        assert len(shared_notes) == 1 and sum(shared_notes.values()) == cells, (round_, shared_notes)
        (note,) = shared_notes
        assert statuses[note[0]] == 200, (round_, note, statuses)



# ---- A write that waits longer than the database lets it: 409 and a message, never 500 --------------------------


@pytest.fixture
def short_lock_wait():
    """This test's own connection gives up waiting for a lock after 0.2 s (production: 20 s on SQLite,
    no limit on PostgreSQL), so a held lock turns into the error a very long wait would give."""
    from django.db import connection

    options = connection.settings_dict["OPTIONS"]
    key, value = ("timeout", 0.2) if connection.vendor == "sqlite" else ("options", "-c lock_timeout=200")
    missing = object()
    saved = options.get(key, missing)
    options[key] = value
    connection.close()
    yield
    if saved is missing:
        del options[key]
    else:
        options[key] = saved
    connection.close()


@pytest.fixture
def lock_held():
    """lock_held(record): a context in which another connection holds the write lock on record's row
    (SQLite: the database's write lock; PostgreSQL: the row lock)."""
    from contextlib import contextmanager

    from django.db import connection

    from chiiki.progress.models import ProgressRecord

    @contextmanager
    def hold(record):
        other = connection.copy()
        table = connection.ops.quote_name(ProgressRecord._meta.db_table)
        try:
            with other.cursor() as cursor:
                cursor.execute("BEGIN IMMEDIATE" if other.vendor == "sqlite" else "BEGIN")
                cursor.execute(f"UPDATE {table} SET note = note WHERE id = %s", [record.pk])
            yield
        finally:
            with other.cursor() as cursor:
                cursor.execute("ROLLBACK")
            other.close()

    return hold


def test_writes_blocked_past_the_lock_wait_answer_409_and_write_nothing(
        client, client_for, users, records, history_count, short_lock_wait, lock_held):
    from chiiki.access import SYSTEM
    from chiiki.progress.models import ProgressRecord

    report = PROGRESS.run(SYSTEM, csv_file(["132012,disaster,2026,planned,,"]), "seed.csv")
    assert report.committed
    record = ProgressRecord.objects.get()
    before, histories = records(), history_count()
    token = {"HTTP_AUTHORIZATION": _bearer(users["admin"])["Authorization"]}
    web = client_for(users["hachioji"])

    with lock_held(record):
        put = client.put("/api/v1/progress/132012/disaster/2026", content_type="application/json",
                         data=json.dumps({"stage": "piloting", "version": 1}), **token)
        upload = SimpleUploadedFile("busy.csv", csv_file(["132012,disaster,2026,implemented,,"]))
        imported = client.post("/api/v1/progress/import", {"file": upload}, **token)
        form = {"fiscal_year": "2026", "stage": "piloting", "note": "", "evidence_url": "", "version": "1"}
        page = web.post("/progress/entry/132012/disaster/", form)
        htmx = web.post("/progress/entry/132012/disaster/", form, HTTP_HX_REQUEST="true")
        # Reads are not blocked by a writer (WAL on SQLite, MVCC on PostgreSQL) and open no write transaction
        # (every atomic() block is BEGIN IMMEDIATE on SQLite): each of these would be a 409 otherwise.
        read = client.get("/api/v1/progress?fiscal_year=2026&municipality=132012&sector=disaster")
        reads = {url: who.get(url).status_code for who, url in [
            (client, "/"), (client, "/progress/?fiscal_year=2026"), (client, "/progress/map-data.json?fiscal_year=2026"),
            (client, "/regions/"), (client, "/programs/?q=防災"), (client, "/api/v1/programs?q=防災"),
            (client, "/api/v1/progress/summary?fiscal_year=2026"), (web, "/accounts/mypage/"),
            (web, "/progress/entry/132012/?fiscal_year=2026"), (web, "/history/")]}

    for response in (put, imported):
        assert response.status_code == 409, response.content
        assert response.json() == {"detail": BUSY_MESSAGE}
    for response in (page, htmx):
        assert response.status_code == 409, response.content
        assert BUSY_MESSAGE in response.content.decode()
    assert read.status_code == 200 and read.json()["items"][0]["stage"] == "planned"
    assert reads == dict.fromkeys(reads, 200)
    assert records() == before and history_count() == histories

    # Once the lock is gone the same request goes through.
    put = client.put("/api/v1/progress/132012/disaster/2026", content_type="application/json",
                     data=json.dumps({"stage": "piloting", "version": 1}), **token)
    assert put.status_code == 200 and put.json()["version"] == 2


def test_a_save_waits_for_an_import_that_is_planning_and_then_meets_its_version(transactional_db, users,
                                                                                  monkeypatch, records):
    """PostgreSQL: an import plans from rows it has not locked, so a single-cell save committed between its plan
    and its write would be written over (or, for a new cell, make the import plan again) with a history that never
    saw it. A save takes the area's lock shared, the import exclusive: the save waits for the import, then finds
    the version the import wrote and is refused (409 on the page and the API). On SQLite the import holds the
    database's write lock from BEGIN IMMEDIATE, so this interleaving cannot happen there either."""
    from django.db import connection, connections

    from chiiki.access import SYSTEM
    from chiiki.core.errors import Conflict
    from chiiki.progress import actions, importer
    from chiiki.regions.models import Municipality
    from chiiki.roadmap.models import Sector

    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises the two writers (BEGIN IMMEDIATE); see the docstring")
    plan_import, plans, saved, threads = importer.plan_import, [], [], []

    def plan_then_start_a_save(rows, result, *args):
        plan = plan_import(rows, result, *args)
        plans.append((len(plan.creates), len(plan.updates)))
        if len(plans) == 1:
            def save():
                try:
                    actions.save_progress(users["hachioji"], Municipality.objects.get(pk="132012"),
                                          Sector.objects.get(pk="disaster"), 2026, stage="considering", version=0)
                    saved.append("saved")
                except Conflict:
                    saved.append("conflict")
                finally:
                    connections.close_all()

            threads.append(threading.Thread(target=save))
            threads[0].start()
            # Give the save the time to commit if it could (without the lock it does, well within this); with the
            # lock it is still waiting when the import goes on. Either way nothing here asserts on time.
            threads[0].join(SAVE_GRACE)
        return plan

    monkeypatch.setattr(importer, "plan_import", plan_then_start_a_save)
    report = PROGRESS.run(SYSTEM, csv_file(["132012,disaster,2026,implemented,,",
                                            "131016,disaster,2026,planned,,"]), "survey.csv")
    threads[0].join(TIMEOUT)
    assert report.committed and (report.created, report.updated) == (2, 0)
    assert plans == [(2, 0)]  # planned once: nothing was saved in between
    assert saved == ["conflict"]  # the save read "no record yet" (version 0) before the import wrote one
    assert records() == {("132012", "disaster", 2026): ("implemented", 1), ("131016", "disaster", 2026): ("planned", 1)}


def test_a_save_locks_only_its_own_record_row(users, register):
    """bench/load.py found PostgreSQL deadlocks (40P01 → 409) on valid writes: the lock query followed
    Meta.ordering into municipality and sector, so FOR UPDATE locked a sector row every write shares."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from chiiki.progress import actions
    from chiiki.roadmap.models import Sector

    hachioji = users["hachioji"].municipality
    actions.save_progress(users["hachioji"], hachioji, Sector.objects.get(pk="disaster"), 2026, stage="planned",
                          version=0)
    with CaptureQueriesContext(connection) as queries:
        actions.save_progress(users["hachioji"], hachioji, Sector.objects.get(pk="disaster"), 2026,
                              stage="piloting", version=1)
    locks = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]
    if connection.features.has_select_for_update:
        assert locks and all("JOIN" not in sql and "FOR UPDATE OF" in sql for sql in locks), locks
    else:  # SQLite: BEGIN IMMEDIATE takes the database's write lock instead
        assert locks == []
